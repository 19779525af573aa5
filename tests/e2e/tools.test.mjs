// Every tool end to end, against its simulator (written from the vendor's documentation independently of the
// connector): connect with a scope → the subscriptions exist at the tool (api) or are set up as the end customer
// would (manual) → a change made through the simulator arrives as the right remote-event-received, and the
// record reads back through the unified API → narrowing the scope shrinks the subscription and out-of-scope
// events are not relayed → a revoked permission shows missing_permission with a message → (api tools) a
// subscription deleted through the tool's own API is created again by an explicit reconcile.
// The tools, their modes and which vendor events feed which unified event come from GET /v1/coverage, so this
// file does not repeat the connectors' declarations; only the test data per category lives here.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  createEndpoint,
  createIntegration,
  getIntegration,
  listAll,
  request,
  startSim,
  startTributary,
  stopAll,
  upstreamLogs,
  waitUntil,
} from './lib/harness.mjs';
import { startReceiver } from './lib/receiver.mjs';

after(stopAll);

// What the simulators' control API accepts for each model (the contract every simulator shares) and the unified
// field it reads back as.
const SAMPLES = {
  ats_candidates: {
    path: '/v1/ats/candidates',
    fields: (n) => ({ first_name: `Ada${n}`, last_name: 'Lovelace', email: `ada${n}@acme.test` }),
    check: (record, n) => record.first_name === `Ada${n}`,
  },
  ats_jobs: {
    path: '/v1/ats/jobs',
    fields: (n) => ({ name: `Analyst ${n}`, status: 'OPEN' }),
    check: (record, n) => record.name === `Analyst ${n}`,
  },
  hris_employees: {
    path: '/v1/hris/employees',
    fields: (n) => ({ first_name: `Grace${n}`, last_name: 'Hopper', work_email: `grace${n}@acme.test` }),
    check: (record, n) => record.first_name === `Grace${n}`,
  },
};

// The one tool list: whatever the running binary has a connector and a simulator for.
const coverage = await (async () => {
  const tb = await startTributary();
  const res = await tb.api('GET', '/v1/coverage');
  assert.equal(res.status, 200, res.text);
  return res.body.data.tools;
})();

const supported = (tool, model, action) =>
  tool.events.find((e) => e.model === model && e.action === action && e.supported);
const vendorEventsOf = (tool, model) =>
  tool.events.filter((e) => e.model === model).flatMap((e) => e.vendor_events);

// Relayed events of the model with one of the actions. An update of a job can arrive as "published" or
// "unpublished" where the tool has one vendor event for all three (Teamtailor's job.update, by the job's
// status): the actions the coverage declares for the same vendor events count as the same change.
const relayed = (rx, model, action) =>
  rx.events.filter(
    (e) =>
      e.type === 'remote-event-received' &&
      (e.data?.events ?? []).some((u) => u.model === model && [action].flat().includes(u.action)),
  );
function sameVendorEvent(tool, model, action) {
  const vendor = new Set(supported(tool, model, action)?.vendor_events ?? []);
  return tool.events
    .filter((e) => e.model === model && e.supported && e.vendor_events.some((v) => vendor.has(v)))
    .map((e) => e.action);
}

// A manual tool's subscription set up as the end customer would: the webhook created in the tool's UI with the
// ingress URL (and our secret where we choose it); a secret the tool generated is stored through the API.
async function setUpManually(tb, sim, integration, sub) {
  const body = { url: sub.ingress_url, event_types: sub.event_types };
  if (sub.setup?.secret) body.secret = sub.setup.secret;
  const reg = await sim.ctl('POST', '/_sim/webhooks', body);
  assert.equal(reg.status, 200, `${integration.tool.id}: registering the webhook: ${reg.text}`);
  if (!sub.setup?.secret) {
    assert.equal(typeof reg.body.secret, 'string', `${integration.tool.id}: the tool shows a secret: ${reg.text}`);
    const res = await tb.api(
      'PATCH',
      `/v1/integrations/${encodeURIComponent(integration.id)}/subscriptions/${encodeURIComponent(sub.id)}`,
      { secret: reg.body.secret },
    );
    assert.equal(res.status, 200, res.text);
  }
}

// How to make the tool send an event for the model: create the record, or (where only updates are relayed)
// create it and change it. `n` makes each record recognisable; the record ends with sample(n).
function triggerFor(tool, model) {
  const sample = SAMPLES[model];
  if (supported(tool, model, 'created'))
    return {
      action: 'created',
      run: async (sim, n) => {
        const created = await sim.ctl('POST', `/_sim/${model}`, sample.fields(n));
        assert.equal(created.status, 200, created.text);
      },
    };
  if (supported(tool, model, 'updated'))
    return {
      action: sameVendorEvent(tool, model, 'updated'),
      run: async (sim, n) => {
        const created = await sim.ctl('POST', `/_sim/${model}`, sample.fields(`${n}-draft`));
        assert.equal(created.status, 200, created.text);
        const patched = await sim.ctl('PATCH', `/_sim/${model}/${created.body.remote_id}`, sample.fields(n));
        assert.equal(patched.status, 200, patched.text);
      },
    };
  return null;
}

// How the end customer (or the tool, after failed deliveries) deletes one subscription through the tool's own
// API: the vendor's documented delete call per api tool (shared/vendors.md), with the test credentials of
// lib/harness.mjs. A tool missing here gets its "deleted at the tool" test skipped.
const basic = (user, password = '') => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const VENDOR_DELETE = {
  personio: async (simUrl, id) => {
    const auth = await request('POST', `${simUrl}/v2/auth/token`, {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=e2e-client&client_secret=e2e-client-secret',
    });
    assert.equal(auth.status, 200, auth.text);
    return request('DELETE', `${simUrl}/v2/webhooks/${encodeURIComponent(id)}`, {
      headers: { Authorization: `Bearer ${auth.body.access_token}` },
    });
  },
  bamboohr: (simUrl, id) =>
    request('DELETE', `${simUrl}/api/v1/webhooks/${encodeURIComponent(id)}`, {
      headers: { Authorization: basic('e2e-api-key', 'x'), Accept: 'application/json' },
    }),
  workable: (simUrl, id) =>
    request('DELETE', `${simUrl}/spi/v3/subscriptions/${encodeURIComponent(id)}`, {
      headers: { Authorization: 'Bearer e2e-api-key' },
    }),
  lever: (simUrl, id) =>
    request('DELETE', `${simUrl}/v1/webhooks/${encodeURIComponent(id)}`, {
      headers: { Authorization: basic('e2e-api-key') },
    }),
  smartrecruiters: (simUrl, id) =>
    request('DELETE', `${simUrl}/webhooks-api/v201907/subscriptions/${encodeURIComponent(id)}`, {
      headers: { 'X-SmartToken': 'e2e-api-key' },
    }),
  ashby: (simUrl, id) =>
    request('POST', `${simUrl}/webhook.delete`, {
      headers: { Authorization: basic('e2e-api-key') },
      body: { webhookId: id },
    }),
};

for (const tool of coverage) {
  // The models this tool relays a change of, with how to cause one through the simulator.
  const webhookModels = Object.keys(SAMPLES).filter((m) => triggerFor(tool, m));
  const api = tool.subscription_mode === 'api';
  // Every model the tool relays, including another category's (Workable's employees are off by default).
  const scopeAll = { models: Object.fromEntries(webhookModels.map((m) => [m, true])), upstream_webhooks: true };

  describe(`${tool.tool} end to end`, () => {
    let tb;
    let sim;
    let rx;
    let integration;
    let counter = 0;

    before(async () => {
      [tb, sim] = await Promise.all([startTributary(), startSim(tool.tool)]);
      rx = await startReceiver({ secret: 'whsec_placeholder' });
      const endpoint = await createEndpoint(tb, rx.url);
      rx.setSecrets(endpoint.secret);
    });
    after(async () => rx?.close());

    test('connect: subscriptions at the tool for the scope', async () => {
      integration = await createIntegration(tb, tool.tool, sim.url, scopeAll);
      assert.ok(integration.subscriptions.length > 0, JSON.stringify(integration));
      if (api) {
        for (const sub of integration.subscriptions)
          assert.equal(sub.status, 'active', `${sub.event_types}: ${sub.last_error}`);
        const remote = JSON.stringify((await sim.ctl('GET', '/_sim/subscriptions')).body);
        for (const sub of integration.subscriptions)
          for (const type of sub.event_types) assert.ok(remote.includes(type), `${type} subscribed at the tool`);
      } else {
        for (const sub of integration.subscriptions) await setUpManually(tb, sim, integration, sub);
      }
    });

    for (const model of webhookModels) {
      const trigger = triggerFor(tool, model);
      test(`a change of ${model} in the tool arrives as remote-event-received (${[trigger.action].flat().join('/')}) and reads back`, async () => {
        assert.ok(integration, 'needs the integration');
        const n = ++counter;
        const seen = relayed(rx, model, trigger.action).length;
        await trigger.run(sim, n);
        const got = await rx.waitFor(() => relayed(rx, model, trigger.action)[seen], 15_000);
        assert.equal(got.data.integration_id, integration.id);
        if (!tool.records.includes(model)) return;
        // The record behind the event reads back through the unified API (once the first sync has run).
        const read = await waitUntil(
          async () => {
            const res = await tb.api('GET', `${SAMPLES[model].path}?page_size=250`, undefined, {
              headers: { 'X-Integration-Id': integration.id },
            });
            if (res.status !== 200) return null;
            return res.body.data.results.find((r) => SAMPLES[model].check(r, n)) ?? null;
          },
          { timeoutMs: 15_000, what: `the ${model} record through the read API` },
        );
        assert.equal(read.remote_deleted_at ?? null, null);
      });
    }

    if (webhookModels.length >= 2) {
      test('narrowing the scope shrinks the subscription; out-of-scope events are not relayed', async () => {
        assert.ok(integration, 'needs the integration');
        const [kept, dropped] = webhookModels;
        const models = Object.fromEntries(webhookModels.map((m) => [m, m !== dropped]));
        const res = await tb.api('PATCH', `/v1/integrations/${encodeURIComponent(integration.id)}`, {
          scope: { models, upstream_webhooks: true },
        });
        assert.equal(res.status, 200, res.text);
        const current = await getIntegration(tb, integration.id);
        const live = current.subscriptions.filter((s) => s.status !== 'disabled');
        const types = live.flatMap((s) => s.event_types);
        const droppedEvents = vendorEventsOf(tool, dropped).filter((e) => !vendorEventsOf(tool, kept).includes(e));
        for (const e of droppedEvents) assert.ok(!types.includes(e), `${e} no longer subscribed`);
        assert.ok(types.length > 0, 'the kept model is still subscribed');
        if (api) {
          await waitUntil(
            async () => {
              const remote = JSON.stringify((await sim.ctl('GET', '/_sim/subscriptions')).body);
              return droppedEvents.every((e) => !remote.includes(`"${e}"`));
            },
            { timeoutMs: 10_000, what: 'the subscription to shrink at the tool' },
          );
        }
        const dropTrigger = triggerFor(tool, dropped);
        const keepTrigger = triggerFor(tool, kept);
        const before = relayed(rx, dropped, dropTrigger.action).length;
        const keptBefore = relayed(rx, kept, keepTrigger.action).length;
        const ignoredQuery = `integration_id=${encodeURIComponent(integration.id)}&outcome=ignored`;
        const ignoredBefore = (await upstreamLogs(tb, ignoredQuery)).length;
        await dropTrigger.run(sim, ++counter);
        if (!api) {
          // A manual tool still sends it: wait until Tributary has processed it (logged as ignored), after which
          // nothing can come of it. An API tool no longer sends it at all (its subscription shrank, above).
          await waitUntil(async () => (await upstreamLogs(tb, ignoredQuery)).length > ignoredBefore, {
            timeoutMs: 15_000,
            what: 'the out-of-scope request to be logged as ignored',
          });
        }
        // A change in the kept model afterwards is relayed (the pipeline runs); the dropped one, made first, is not.
        await keepTrigger.run(sim, ++counter);
        await rx.waitFor(() => relayed(rx, kept, keepTrigger.action).length > keptBefore, 15_000);
        assert.equal(relayed(rx, dropped, dropTrigger.action).length, before, `${dropped} is out of scope`);
      });
    }

    if (api) {
      test('a revoked permission shows missing_permission with what to do', async () => {
        const perm = await sim.ctl('POST', '/_sim/permissions', { webhooks: false });
        assert.equal(perm.status, 200, perm.text);
        try {
          const other = await createIntegration(tb, tool.tool, sim.url, scopeAll);
          assert.ok(other.subscriptions.length > 0);
          for (const sub of other.subscriptions) {
            assert.equal(sub.status, 'missing_permission', JSON.stringify(sub));
            assert.ok((sub.last_error ?? '').length > 10, `a message for the end customer: ${sub.last_error}`);
          }
        } finally {
          await sim.ctl('POST', '/_sim/permissions', { webhooks: true });
        }
      });

      const vendorDelete = VENDOR_DELETE[tool.tool];
      test(
        'a subscription deleted at the tool is re-created by reconcile now',
        { skip: vendorDelete ? false : `no vendor delete call for ${tool.tool} in VENDOR_DELETE` },
        async () => {
          assert.ok(integration, 'needs the integration');
          const before = await getIntegration(tb, integration.id);
          const sub = before.subscriptions.find((s) => s.status === 'active' && s.remote_id);
          assert.ok(sub, `an active subscription: ${JSON.stringify(before.subscriptions)}`);
          const oldId = String(sub.remote_id);
          const listed = async () => (await sim.ctl('GET', '/_sim/subscriptions')).body;
          const idsAt = (list) => list.map((w) => String(w.id));
          assert.ok(idsAt(await listed()).includes(oldId), `${oldId} listed at the tool`);

          const del = await vendorDelete(sim.url, oldId);
          assert.ok(del.status >= 200 && del.status < 300, `${del.status} ${del.text}`);
          if (del.body && typeof del.body === 'object' && 'success' in del.body) assert.equal(del.body.success, true);
          assert.ok(!idsAt(await listed()).includes(oldId), 'deleted at the tool');

          const res = await tb.api('POST', `/v1/integrations/${encodeURIComponent(integration.id)}/reconcile`);
          assert.equal(res.status, 200, res.text);
          const after = await getIntegration(tb, integration.id);
          const again = after.subscriptions.find((s) => s.id === sub.id);
          assert.ok(again, 'the subscription row is kept');
          assert.equal(again.status, 'active', again.last_error);
          assert.ok(again.remote_id && String(again.remote_id) !== oldId, `a new remote id: ${again.remote_id}`);
          const remote = (await listed()).find((w) => String(w.id) === String(again.remote_id));
          assert.ok(remote, `${again.remote_id} listed at the tool`);
          const text = JSON.stringify(remote);
          for (const type of sub.event_types) assert.ok(text.includes(`"${type}"`), `${type} subscribed again`);
        },
      );
    }
  });
}

// Waits (bounded) until nothing of the integration is on its way: the simulator has no webhook left to send (its
// changes' webhooks are counted before the control call answers), Tributary has processed every upstream request
// it acknowledged, and the receiver has every remote-event-received event made from them. After that no straggler
// can arrive, so what the receiver has is all there will be.
async function settled(tb, sim, rx, integrationId) {
  const id = encodeURIComponent(integrationId);
  await waitUntil(
    async () => {
      const sender = await sim.ctl('GET', '/_sim/sender');
      assert.equal(sender.status, 200, sender.text);
      if (sender.body.pending !== 0) return false;
      const logs = await upstreamLogs(tb, `integration_id=${id}&outcome=received`);
      if (logs.length > 0) return false;
      const events = await listAll(tb, `/v1/events?integration_id=${id}&type=remote-event-received`);
      return events.every((e) => rx.eventsById.has(e.id));
    },
    { timeoutMs: 20_000, intervalMs: 50, what: 'the webhooks of the last change to be relayed' },
  );
}

// Connects a tool, creates a job through its simulator and walks it through `steps`: each step is one
// control-API call and the actions expected for the job in the next relayed events.
async function walkJob(toolName, firstJob, steps) {
  const tool = coverage.find((t) => t.tool === toolName);
  const [tb, sim] = await Promise.all([startTributary(), startSim(toolName)]);
  const rx = await startReceiver({ secret: 'whsec_placeholder' });
  try {
    const endpoint = await createEndpoint(tb, rx.url);
    rx.setSecrets(endpoint.secret);
    const integration = await createIntegration(tb, toolName, sim.url, { upstream_webhooks: true });
    for (const sub of integration.subscriptions) {
      if (tool.subscription_mode === 'api') assert.equal(sub.status, 'active', `${sub.event_types}: ${sub.last_error}`);
      else await setUpManually(tb, sim, integration, sub);
    }
    const job = await sim.ctl('POST', '/_sim/ats_jobs', firstJob);
    assert.equal(job.status, 200, job.text);
    const jobId = String(job.body.remote_id);
    const actions = () =>
      rx.events
        .filter((e) => e.type === 'remote-event-received')
        .flatMap((e) => e.data.events)
        .filter((u) => u.model === 'ats_jobs' && u.remote_id === jobId)
        .map((u) => u.action);
    // The creation's own event (where the tool sends one) is relayed before the first step: its fetch must not
    // read the job as the first step leaves it, or that step would be judged against itself.
    await settled(tb, sim, rx, integration.id);
    for (const [method, path, body, expected] of steps) {
      const seen = actions().length;
      const target = path.replace('{id}', jobId);
      const res = await sim.ctl(method, target, body);
      assert.equal(res.status, 200, res.text);
      await rx.waitFor(() => actions().length >= seen + expected.length, 15_000);
      // A straggler is seen here rather than counted in the next step.
      await settled(tb, sim, rx, integration.id);
      assert.deepEqual(actions().slice(seen), expected, `${method} ${target} ${JSON.stringify(body ?? {})}`);
    }
  } finally {
    await rx.close();
  }
}

// Teamtailor's job.update only states the job's status: "published" is relayed when a job becomes open, "updated"
// when an open job changes, "unpublished" when it is archived (Connector::job_published).
describe('teamtailor: a job.update is a publication only when the status changes', () => {
  const tool = coverage.find((t) => t.tool === 'teamtailor');
  test('draft → open → renamed → archived → renamed', { skip: tool ? false : 'no teamtailor connector' }, () =>
    walkJob('teamtailor', { name: 'Draft role', status: 'DRAFT' }, [
      ['PATCH', '/_sim/ats_jobs/{id}', { status: 'OPEN' }, ['published']],
      ['PATCH', '/_sim/ats_jobs/{id}', { name: 'Open role' }, ['updated']],
      ['POST', '/_sim/ats_jobs/{id}/unpublish', undefined, ['unpublished']],
      ['PATCH', '/_sim/ats_jobs/{id}', { name: 'Archived role' }, ['updated']],
    ]));
});

// Greenhouse sends job_post_updated with the post's `live` flag on every edit of a post: an edit of a live post
// is an update, not another publication (the stored job's posts say it was live already).
describe('greenhouse: an edit of a live job post is an update, not a publication', () => {
  const tool = coverage.find((t) => t.tool === 'greenhouse');
  test('publish → edit → unpublish → publish', { skip: tool ? false : 'no greenhouse connector' }, () =>
    walkJob('greenhouse', { name: 'Analyst', status: 'OPEN' }, [
      ['POST', '/_sim/ats_jobs/{id}/publish', undefined, ['published']],
      // job_updated and job_post_updated (live: true), in either order.
      ['PATCH', '/_sim/ats_jobs/{id}', { description: 'Now with numbers' }, ['updated', 'updated']],
      ['POST', '/_sim/ats_jobs/{id}/unpublish', undefined, ['unpublished']],
      ['POST', '/_sim/ats_jobs/{id}/publish', undefined, ['published']],
    ]));
});

// SmartRecruiters' job.ad.postings.updated carries only {job_id, job_ad_id}: the fetched job's postingStatus,
// compared with the stored one, says whether the postings update published the job, unpublished it, or neither.
describe('smartrecruiters: a postings update is a publication or an unpublication by the job it leaves', () => {
  const tool = coverage.find((t) => t.tool === 'smartrecruiters');
  test('publish → rename → unpublish → publish', { skip: tool ? false : 'no smartrecruiters connector' }, () =>
    walkJob('smartrecruiters', { name: 'Analyst', status: 'OPEN' }, [
      ['POST', '/_sim/ats_jobs/{id}/publish', undefined, ['published']],
      ['PATCH', '/_sim/ats_jobs/{id}', { name: 'Senior analyst' }, ['updated']],
      ['POST', '/_sim/ats_jobs/{id}/unpublish', undefined, ['unpublished']],
      ['POST', '/_sim/ats_jobs/{id}/publish', undefined, ['published']],
    ]));
});
