// The subscription reconciler against the simulated Personio: the tool's webhooks follow the scope config (narrowed,
// turned off, turned back on), a missing permission is a visible state that clears once the permission is granted,
// and deleting the integration removes the remote webhook.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  createIntegration,
  getIntegration,
  request,
  startSim,
  startTributary,
  stopAll,
  waitUntil,
} from './lib/harness.mjs';

after(stopAll);

const PERSON_EVENTS = ['person.created', 'person.deleted', 'person.updated'];
const ALL_EVENTS = [
  'absence-period.created',
  'absence-period.updated.status',
  'absence-period.updated.timerange',
  ...PERSON_EVENTS,
];

describe('personio subscriptions follow the scope config', () => {
  let tb;
  let sim;
  let integration;

  before(async () => {
    [tb, sim] = await Promise.all([startTributary(), startSim('personio')]);
  });

  const simHooks = async () => {
    const res = await sim.ctl('GET', '/_sim/subscriptions');
    assert.equal(res.status, 200, res.text);
    return res.body;
  };
  const setPermission = async (granted) => {
    const res = await sim.ctl('POST', '/_sim/permissions', { webhooks: granted });
    assert.equal(res.status, 200, res.text);
  };
  const patchScope = async (id, scope) => {
    const res = await tb.api('PATCH', `/v1/integrations/${encodeURIComponent(id)}`, { scope });
    assert.equal(res.status, 200, res.text);
    return res.body.data;
  };
  // The integration's subscriptions that are not "disabled" leftovers.
  const live = (i) => i.subscriptions.filter((s) => s.status !== 'disabled');

  test('all models in scope: one webhook with the six events', async () => {
    integration = await createIntegration(tb, 'personio', sim.url, { upstream_webhooks: true });
    assert.equal(integration.subscriptions.length, 1);
    assert.equal(integration.subscriptions[0].status, 'active', integration.subscriptions[0].last_error);
    const hooks = await simHooks();
    assert.equal(hooks.length, 1);
    assert.deepEqual([...hooks[0].enabled_events].sort(), ALL_EVENTS);
    assert.equal(hooks[0].url, integration.subscriptions[0].ingress_url);
  });

  test('narrowing the scope (no absences) leaves a webhook with only the person events', async () => {
    assert.ok(integration, 'needs the integration');
    const updated = await patchScope(integration.id, { models: { hris_absences: false } });
    assert.equal(updated.scope.upstream_webhooks, true, 'the scope is merged, not replaced');
    const subs = live(updated);
    assert.equal(subs.length, 1, JSON.stringify(updated.subscriptions));
    assert.equal(subs[0].status, 'active', subs[0].last_error);
    assert.deepEqual([...subs[0].event_types].sort(), PERSON_EVENTS);

    const hooks = await simHooks();
    assert.equal(hooks.length, 1, `exactly one webhook at the tool: ${JSON.stringify(hooks)}`);
    assert.deepEqual([...hooks[0].enabled_events].sort(), PERSON_EVENTS);
    assert.equal(String(hooks[0].id), subs[0].remote_id);
    assert.equal(hooks[0].url, subs[0].ingress_url);
  });

  test('turning upstream webhooks off removes the webhook; the subscription shows "disabled"', async () => {
    assert.ok(integration, 'needs the integration');
    const updated = await patchScope(integration.id, { upstream_webhooks: false });
    assert.deepEqual(await simHooks(), []);
    assert.equal(updated.subscriptions.length, 1, JSON.stringify(updated.subscriptions));
    assert.equal(updated.subscriptions[0].status, 'disabled');
    assert.equal(updated.subscriptions[0].remote_id, null);
  });

  test('without the webhooks permission: "missing_permission" naming the permission', async () => {
    assert.ok(integration, 'needs the integration');
    await setPermission(false);
    // Re-enabling on the existing integration.
    const updated = await patchScope(integration.id, { upstream_webhooks: true });
    assert.equal(updated.subscriptions.length, 1, JSON.stringify(updated.subscriptions));
    const sub = updated.subscriptions[0];
    assert.equal(sub.status, 'missing_permission', JSON.stringify(sub));
    assert.match(sub.last_error ?? '', /permission/i);
    assert.match(sub.last_error ?? '', /webhook/i);
    assert.ok(sub.next_attempt_at, 'a retry is scheduled');
    assert.deepEqual(await simHooks(), []);

    // A new integration hits the same wall, visibly, and is still created.
    const fresh = await createIntegration(tb, 'personio', sim.url, { upstream_webhooks: true });
    assert.equal(fresh.subscriptions.length, 1);
    assert.equal(fresh.subscriptions[0].status, 'missing_permission');
    assert.match(fresh.subscriptions[0].last_error ?? '', /permission/i);
    const del = await tb.api('DELETE', `/v1/integrations/${encodeURIComponent(fresh.id)}`);
    assert.equal(del.status, 200, del.text);
  });

  test(
    'granting the permission and reconciling makes the subscription active',
    async () => {
      assert.ok(integration, 'needs the integration');
      await setPermission(true);
      const res = await tb.api('POST', `/v1/integrations/${encodeURIComponent(integration.id)}/reconcile`);
      assert.equal(res.status, 200, res.text);
      const sub = live(res.body.data)[0];
      assert.equal(sub?.status, 'active', JSON.stringify(res.body.data.subscriptions));
      assert.equal(sub.last_error, null);
      const hooks = await simHooks();
      assert.equal(hooks.length, 1);
      assert.deepEqual([...hooks[0].enabled_events].sort(), PERSON_EVENTS);
    },
  );

  test('deleting the integration removes the webhook at the tool', async () => {
    assert.ok(integration, 'needs the integration');
    await setPermission(true);
    // Make sure there is a remote webhook to remove (independently of the reconcile-now todo above): a scope change
    // reconciles at once.
    await patchScope(integration.id, { upstream_webhooks: false });
    const enabled = await patchScope(integration.id, { upstream_webhooks: true });
    assert.equal(live(enabled)[0]?.status, 'active', JSON.stringify(enabled.subscriptions));
    assert.equal((await simHooks()).length, 1);

    const del = await tb.api('DELETE', `/v1/integrations/${encodeURIComponent(integration.id)}`);
    assert.equal(del.status, 200, del.text);
    assert.equal(del.body.data.deleted, true);
    await waitUntil(async () => (await simHooks()).length === 0, {
      timeoutMs: 10_000,
      what: "the webhook's removal at the tool",
    });
    // The integration is gone from the API (listed or not, it no longer answers as live).
    await waitUntil(
      async () => (await tb.api('GET', `/v1/integrations/${encodeURIComponent(integration.id)}`)).status === 404,
      { timeoutMs: 10_000, what: 'GET of the deleted integration to answer 404' },
    );
  });
});

// Deletes a webhook through Personio's own API, as someone in the tool would.
async function deleteAtTool(sim, remoteId) {
  const auth = await request('POST', `${sim.url}/v2/auth/token`, {
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&client_id=e2e&client_secret=e2e',
  });
  assert.equal(auth.status, 200, auth.text);
  const del = await request('DELETE', `${sim.url}/v2/webhooks/${remoteId}`, {
    headers: { Authorization: `Bearer ${auth.body.access_token}` },
  });
  assert.equal(del.status, 204, del.text);
}

const remoteHooks = async (sim) => {
  const res = await sim.ctl('GET', '/_sim/subscriptions');
  assert.equal(res.status, 200, res.text);
  return res.body;
};

// Waits (bounded) until the tool has exactly one webhook other than `oldId` and the subscription names it.
async function waitRecreated(tb, sim, integrationId, oldId, what) {
  await waitUntil(
    async () => {
      const hooks = await remoteHooks(sim);
      if (hooks.length !== 1 || String(hooks[0].id) === String(oldId)) return false;
      const sub = (await getIntegration(tb, integrationId)).subscriptions[0];
      return sub.status === 'active' && String(sub.remote_id) === String(hooks[0].id);
    },
    { timeoutMs: 30_000, intervalMs: 100, what },
  );
}

describe('personio: the reconciler re-checks on its own (no "reconcile now")', () => {
  test('reconcile.interval: a webhook deleted at the tool is re-created within a few intervals', async () => {
    const [tb, sim] = await Promise.all([
      startTributary({ env: { TRIBUTARY_RECONCILE_INTERVAL: '1s' } }),
      startSim('personio'),
    ]);
    const integration = await createIntegration(tb, 'personio', sim.url, { upstream_webhooks: true });
    assert.equal(integration.subscriptions[0].status, 'active', integration.subscriptions[0].last_error);
    // Twice: the second deletion comes long after the start-up check, so only the periodic one can see it.
    for (let round = 0; round < 2; round += 1) {
      const [hook] = await remoteHooks(sim);
      assert.ok(hook, 'a webhook at the tool');
      await deleteAtTool(sim, hook.id);
      assert.deepEqual(await remoteHooks(sim), [], 'deleted at the tool');
      await waitRecreated(tb, sim, integration.id, hook.id, `the webhook re-created (round ${round + 1})`);
    }
    const hooks = await remoteHooks(sim);
    assert.deepEqual([...hooks[0].enabled_events].sort(), ALL_EVENTS);
  });

  test('at start-up: a webhook deleted while the node was stopped is re-created', async () => {
    // The default interval (an hour): only the start-up check can find it within this test.
    const [tb, sim] = await Promise.all([startTributary(), startSim('personio')]);
    const integration = await createIntegration(tb, 'personio', sim.url, { upstream_webhooks: true });
    const remoteId = integration.subscriptions[0].remote_id;
    const stopped = await tb.kill('SIGTERM');
    assert.equal(stopped.code, 0, `exit ${JSON.stringify(stopped)}`);
    await deleteAtTool(sim, remoteId);
    assert.deepEqual(await remoteHooks(sim), []);
    await tb.restart();
    await waitRecreated(tb, sim, integration.id, remoteId, 'the webhook re-created after the start');
  });

  test('credentials rejected (401): the subscription turns "failed" with the answer, and recovers', async () => {
    const [tb, sim] = await Promise.all([
      startTributary({ env: { TRIBUTARY_RECONCILE_INTERVAL: '1s' } }),
      startSim('personio'),
    ]);
    const integration = await createIntegration(tb, 'personio', sim.url, { upstream_webhooks: true });
    assert.equal(integration.subscriptions[0].status, 'active', integration.subscriptions[0].last_error);
    const fault = await sim.ctl('POST', '/_sim/faults', { unauthorized: true });
    assert.equal(fault.status, 200, fault.text);
    const failed = await waitUntil(
      async () => {
        const sub = (await getIntegration(tb, integration.id)).subscriptions[0];
        return sub.status === 'failed' ? sub : null;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: 'the subscription to turn failed' },
    );
    assert.match(failed.last_error ?? '', /rejected the credentials/, JSON.stringify(failed));
    assert.match(failed.last_error ?? '', /^Personio /, JSON.stringify(failed));
    assert.ok(failed.next_attempt_at, 'a retry is scheduled');

    const cleared = await sim.ctl('POST', '/_sim/faults', { unauthorized: false });
    assert.equal(cleared.status, 200, cleared.text);
    await waitUntil(
      async () => {
        const sub = (await getIntegration(tb, integration.id)).subscriptions[0];
        return sub.status === 'active' && sub.last_error === null;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: 'the subscription to be active again' },
    );
  });
});

describe('personio: a webhook deleted at the tool', () => {
  // DESIGN.md §1.2: the reconciler re-runs on a schedule because subscriptions vanish remotely; it looks each
  // active one up at the tool and creates the missing ones again.
  test(
    'is re-created by an explicit reconcile',
    async () => {
      const [tb, sim] = await Promise.all([startTributary(), startSim('personio')]);
      const integration = await createIntegration(tb, 'personio', sim.url, { upstream_webhooks: true });
      const remoteId = integration.subscriptions[0].remote_id;
      const auth = await request('POST', `${sim.url}/v2/auth/token`, {
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_id=e2e&client_secret=e2e',
      });
      const del = await request('DELETE', `${sim.url}/v2/webhooks/${remoteId}`, {
        headers: { Authorization: `Bearer ${auth.body.access_token}` },
      });
      assert.equal(del.status, 204, del.text);
      assert.deepEqual((await sim.ctl('GET', '/_sim/subscriptions')).body, []);
      const res = await tb.api('POST', `/v1/integrations/${encodeURIComponent(integration.id)}/reconcile`);
      assert.equal(res.status, 200, res.text);
      const hooks = (await sim.ctl('GET', '/_sim/subscriptions')).body;
      assert.equal(hooks.length, 1, 'the webhook exists again at the tool');
      assert.notEqual(hooks[0].id, remoteId, 'a new webhook, not the deleted one');
      const current = await getIntegration(tb, integration.id);
      assert.equal(current.subscriptions[0].status, 'active');
      assert.equal(current.subscriptions[0].remote_id, hooks[0].id);
    },
  );
});
