// Unified records end to end: a change in a simulated tool arrives as remote-event-received with the record's
// unified id, and a read with updated_after made in the receiver's handler already returns the new values;
// data-changed names the model; the official Kombo SDK, pointed at Tributary, reads and validates all four
// models (shared/kombo-models.md).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Kombo } from '@kombo-api/sdk';

import {
  createEndpoint,
  createIntegration,
  startSim,
  startTributary,
  stopAll,
  waitForFirstSync,
  waitUntil,
} from './lib/harness.mjs';
import { startReceiver } from './lib/receiver.mjs';

after(stopAll);

const eventFor = (rx, match) =>
  rx.events.find((e) =>
    (e.data?.events ?? []).some((u) => Object.entries(match).every(([k, v]) => u[k] === v)),
  );

function sdkFor(tb, integrationId) {
  return new Kombo({ api_key: tb.apiKey, integration_id: integrationId, server_url: `${tb.url}/v1` });
}

// Every page of an SDK list call, validated by the SDK as it goes.
async function readAll(pages) {
  const out = [];
  for await (const page of pages) out.push(...page.result.data.results);
  return out;
}

describe('personio: records filled by targeted fetch', () => {
  let tb;
  let sim;
  let rx;
  let integration;
  const reads = new Map(); // event id → what GET /v1/hris/employees answered inside the handler

  before(async () => {
    [tb, sim] = await Promise.all([startTributary(), startSim('personio')]);
    rx = await startReceiver({ secret: 'whsec_placeholder' });
    const endpoint = await createEndpoint(tb, rx.url);
    rx.setSecrets(endpoint.secret);
    integration = await createIntegration(tb, 'personio', sim.url, { upstream_webhooks: true });
    assert.equal(integration.subscriptions[0].status, 'active', integration.subscriptions[0].last_error);
    await waitForFirstSync(tb, integration.id);
  });
  after(async () => rx?.close());

  test('an update is readable with updated_after from inside the webhook handler', async () => {
    const created = await sim.ctl('POST', '/_sim/hris_employees', {
      first_name: 'Ada',
      last_name: 'Lovelace',
      work_email: 'ada@acme.test',
    });
    assert.equal(created.status, 200, created.text);
    const remoteId = String(created.body.remote_id);
    await rx.waitFor(() => eventFor(rx, { action: 'created', remote_id: remoteId }), 10_000);

    const before = new Date(Date.now() - 1).toISOString();
    rx.setBehaviour(async (attempt) => {
      const events = attempt.body?.data?.events ?? [];
      if (attempt.body?.type === 'remote-event-received' && events.some((e) => e.action === 'updated')) {
        const res = await tb.api('GET', `/v1/hris/employees?updated_after=${encodeURIComponent(before)}`, undefined, {
          headers: { 'X-Integration-Id': integration.id },
        });
        reads.set(attempt.id, res);
      }
      return { status: 200 };
    });
    const patched = await sim.ctl('PATCH', `/_sim/hris_employees/${remoteId}`, { first_name: 'Augusta' });
    assert.equal(patched.status, 200, patched.text);
    const got = await rx.waitFor(() => eventFor(rx, { action: 'updated', remote_id: remoteId }), 10_000);
    const [ev] = got.data.events;
    assert.equal(typeof ev.id, 'string');
    assert.ok(ev.id.length > 0);
    // The upstream log shows the unified events as relayed, with the unified id.
    const event = await tb.api('GET', `/v1/events/${got.id}`);
    const log = await tb.api('GET', `/v1/logs/upstream/${event.body.data.upstream_log_id}`);
    assert.equal(log.body.data.unified_events[0].id, ev.id, JSON.stringify(log.body.data.unified_events));

    const res = reads.get(got.id);
    assert.ok(res, 'the handler read the records');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.status, 'success');
    assert.equal(res.body.data.results.length, 1, JSON.stringify(res.body.data.results));
    const [record] = res.body.data.results;
    assert.equal(record.id, ev.id);
    assert.equal(record.remote_id, remoteId);
    assert.equal(record.first_name, 'Augusta');
    assert.equal(record.last_name, 'Lovelace');
    assert.equal(record.work_email, 'ada@acme.test');
    assert.ok(Date.parse(record.changed_at) >= Date.parse(before));

    const changed = await rx.waitFor(
      () =>
        rx.events.find(
          (e) =>
            e.type === 'data-changed' &&
            e.data.changed_models.some((m) => m.name === 'hris_employees') &&
            e.first_at >= got.first_at - 1000,
        ),
      10_000,
    );
    assert.equal(changed.data.integration_id, integration.id);
    assert.equal(changed.data.integration_category, 'HRIS');
  });

  test('the Kombo SDK reads employees and absences and validates them', async () => {
    const person = await sim.ctl('POST', '/_sim/hris_employees', { first_name: 'Grace', last_name: 'Hopper' });
    const personId = String(person.body.remote_id);
    const absence = await sim.ctl('POST', '/_sim/hris_absences', {
      employee_remote_id: personId,
      start_date: '2026-12-01',
      end_date: '2026-12-02',
    });
    assert.equal(absence.status, 200, absence.text);
    const absenceId = String(absence.body.remote_id);
    await rx.waitFor(() => eventFor(rx, { model: 'hris_absences', remote_id: absenceId }), 10_000);

    const kombo = sdkFor(tb, integration.id);
    const employees = await readAll(await kombo.hris.getEmployees({ page_size: 1 }));
    assert.ok(employees.length >= 2, JSON.stringify(employees));
    const grace = employees.find((e) => e.remote_id === personId);
    assert.ok(grace, 'the new person is listed');
    assert.equal(grace.first_name, 'Grace');
    assert.equal(new Set(employees.map((e) => e.id)).size, employees.length, 'no record twice');

    // updated_after through the SDK: only what changed since then (here: Grace, created after the cut).
    const cut = new Date(Date.parse(grace.changed_at.toISOString()));
    const recent = await readAll(await kombo.hris.getEmployees({ updated_after: cut }));
    assert.ok(recent.some((e) => e.remote_id === personId));
    assert.ok(recent.every((e) => e.changed_at.getTime() >= cut.getTime()), JSON.stringify(recent));
    assert.ok(recent.length < employees.length, 'older records are left out');

    const absences = await readAll(await kombo.hris.getAbsences({}));
    const a = absences.find((x) => x.remote_id === absenceId);
    assert.ok(a, JSON.stringify(absences));
    assert.equal(a.employee_id, grace.id);

    // Deleting the person: gone by default, listed with remote_deleted_at when asked.
    const deleted = await sim.ctl('DELETE', `/_sim/hris_employees/${personId}`);
    assert.equal(deleted.status, 200, deleted.text);
    await rx.waitFor(() => eventFor(rx, { action: 'deleted', remote_id: personId }), 10_000);
    const live = await readAll(await kombo.hris.getEmployees({}));
    assert.ok(!live.some((e) => e.remote_id === personId));
    const all = await readAll(await kombo.hris.getEmployees({ include_deleted: true }));
    const gone = all.find((e) => e.remote_id === personId);
    assert.ok(gone?.remote_deleted_at instanceof Date, JSON.stringify(gone));
  });

  // The Kombo pattern: "give me what changed since my previous read started", polled while the tool changes
  // records as fast as it can. A change that was still committing when a read ran must come in a later read;
  // the reader must end with exactly what Tributary holds, every run (store/records_repo.h).
  test('a reader polling updated_after ends with the final version of every record', { timeout: 120_000 }, async () => {
    const kRecords = 20;
    const kChanges = 240;
    const ids = [];
    for (let i = 0; i < kRecords; i += 1) {
      const created = await sim.ctl('POST', '/_sim/hris_employees', { first_name: `P${i}`, last_name: 'Poll' });
      assert.equal(created.status, 200, created.text);
      ids.push(String(created.body.remote_id));
    }
    const held = new Map(); // remote id → first_name, as the reader holds it
    let reads = 0;
    const poll = async (since) => {
      const started = new Date();
      let cursor = null;
      for (let page = 0; page < 100; page += 1) {
        const query = new URLSearchParams({ page_size: '250' });
        if (since) query.set('updated_after', since.toISOString());
        if (cursor) query.set('cursor', cursor);
        const res = await tb.api('GET', `/v1/hris/employees?${query}`, undefined, {
          headers: { 'X-Integration-Id': integration.id },
        });
        assert.equal(res.status, 200, res.text);
        for (const r of res.body.data.results) held.set(r.remote_id, r.first_name);
        cursor = res.body.data.next;
        if (!cursor) break;
      }
      reads += 1;
      return started;
    };
    let writing = true;
    const reader = (async () => {
      let since = null;
      const deadline = Date.now() + 90_000;
      while (writing && Date.now() < deadline) {
        since = await poll(since);
        await new Promise((r) => setTimeout(r, 30));
      }
      return since;
    })();
    // Four changes in flight at a time, each a new first name for a record picked in turn.
    let next = 0;
    const writer = async () => {
      while (next < kChanges) {
        const i = next;
        next += 1;
        const res = await sim.ctl('PATCH', `/_sim/hris_employees/${ids[(i * 7) % kRecords]}`, { first_name: `v${i}` });
        assert.equal(res.status, 200, res.text);
      }
    };
    await Promise.all([writer(), writer(), writer(), writer()]);
    // Tributary holds the tool's final state once every webhook is processed.
    const finalNames = new Map();
    for (const id of ids) {
      const got = await sim.ctl('GET', `/_sim/hris_employees/${id}`);
      finalNames.set(id, got.body.first_name);
    }
    await waitUntil(
      async () => {
        const res = await tb.api('GET', '/v1/hris/employees?page_size=250', undefined, {
          headers: { 'X-Integration-Id': integration.id },
        });
        const stored = new Map(res.body.data.results.map((r) => [r.remote_id, r.first_name]));
        return ids.every((id) => stored.get(id) === finalNames.get(id));
      },
      { timeoutMs: 60_000, intervalMs: 100, what: "Tributary's records to reach the tool's final state" },
    );
    writing = false;
    const since = await reader;
    await poll(since); // one more read, as the user's next poll
    assert.ok(reads > 10, `the reader polled while records changed (${reads} reads)`);
    const stale = ids.filter((id) => held.get(id) !== finalNames.get(id));
    assert.deepEqual(
      stale.map((id) => `${id}: held ${held.get(id)}, final ${finalNames.get(id)}`),
      [],
      'the reader holds a stale version',
    );
  });

  test('the read API answers Kombo-style errors', async () => {
    const unknown = await tb.api('GET', '/v1/hris/employees', undefined, {
      headers: { 'X-Integration-Id': 'personio:nope' },
    });
    assert.equal(unknown.status, 404, unknown.text);
    assert.equal(unknown.body.status, 'error');
    const other = await tb.api('GET', '/v1/ats/jobs', undefined, { headers: { 'X-Integration-Id': integration.id } });
    assert.equal(other.status, 400, other.text);
    assert.equal(other.body.error.code, 'INTEGRATION.MODEL_NOT_AVAILABLE');
    const big = await tb.api('GET', '/v1/hris/employees?page_size=251', undefined, {
      headers: { 'X-Integration-Id': integration.id },
    });
    assert.equal(big.status, 400, big.text);
  });
});

describe('greenhouse: the Kombo SDK reads candidates and jobs', () => {
  let tb;
  let sim;
  let rx;
  let integration;

  before(async () => {
    [tb, sim] = await Promise.all([startTributary(), startSim('greenhouse')]);
    rx = await startReceiver({ secret: 'whsec_placeholder' });
    const endpoint = await createEndpoint(tb, rx.url);
    rx.setSecrets(endpoint.secret);
    integration = await createIntegration(tb, 'greenhouse', sim.url, { upstream_webhooks: true });
    const [sub] = integration.subscriptions;
    const reg = await sim.ctl('POST', '/_sim/webhooks', {
      url: sub.ingress_url,
      secret: sub.setup.secret,
      event_types: sub.event_types,
      name: 'Tributary',
    });
    assert.equal(reg.status, 200, reg.text);
    await waitForFirstSync(tb, integration.id);
  });
  after(async () => rx?.close());

  test('candidates and jobs validate in the SDK', async () => {
    const job = await sim.ctl('POST', '/_sim/ats_jobs', { name: 'Compiler Engineer' });
    const jobId = String(job.body.remote_id);
    assert.equal((await sim.ctl('POST', `/_sim/ats_jobs/${jobId}/publish`)).status, 200);
    const cand = await sim.ctl('POST', '/_sim/ats_candidates', {
      first_name: 'Grace',
      last_name: 'Hopper',
      email: 'grace@x.test',
      job_remote_id: jobId,
    });
    assert.equal(cand.status, 200, cand.text);
    const candId = String(cand.body.remote_id);
    await rx.waitFor(() => eventFor(rx, { model: 'ats_candidates', remote_id: candId }), 10_000);
    await rx.waitFor(() => eventFor(rx, { model: 'ats_jobs', remote_id: jobId }), 10_000);

    const kombo = sdkFor(tb, integration.id);
    const candidates = await readAll(await kombo.ats.getCandidates({}));
    const c = candidates.find((x) => x.remote_id === candId);
    assert.ok(c, JSON.stringify(candidates));
    assert.equal(c.first_name, 'Grace');
    assert.equal(c.email_addresses[0].email_address, 'grace@x.test');
    assert.equal(c.applications.length, 1, JSON.stringify(c.applications));
    assert.equal(c.applications[0].job.remote_id, jobId);
    assert.ok(c.applications[0].changed_at instanceof Date);
    const jobs = await readAll(await kombo.ats.getJobs({}));
    const j = jobs.find((x) => x.remote_id === jobId);
    assert.ok(j, JSON.stringify(jobs));
    assert.equal(j.name, 'Compiler Engineer');
  });

  test('a job update is readable with updated_after from inside the webhook handler', async () => {
    const job = await sim.ctl('POST', '/_sim/ats_jobs', { name: 'Staff Analyst' });
    assert.equal(job.status, 200, job.text);
    const jobId = String(job.body.remote_id);
    // Greenhouse sends no event for a new job: a sync brings it into the store.
    const forced = await tb.api('POST', '/v1/force-sync', undefined, {
      headers: { 'X-Integration-Id': integration.id },
    });
    assert.equal(forced.status, 200, forced.text);
    await waitUntil(
      async () => {
        const res = await tb.api('GET', '/v1/ats/jobs?page_size=250', undefined, {
          headers: { 'X-Integration-Id': integration.id },
        });
        return res.status === 200 && res.body.data.results.some((r) => r.remote_id === jobId);
      },
      { timeoutMs: 10_000, what: 'the new job in the store after a forced sync' },
    );
    const reads = new Map();
    const before = new Date(Date.now() - 1).toISOString();
    rx.setBehaviour(async (attempt) => {
      const events = attempt.body?.data?.events ?? [];
      if (
        attempt.body?.type === 'remote-event-received' &&
        events.some((e) => e.model === 'ats_jobs' && e.remote_id === jobId && e.action === 'updated')
      ) {
        const res = await tb.api('GET', `/v1/ats/jobs?updated_after=${encodeURIComponent(before)}`, undefined, {
          headers: { 'X-Integration-Id': integration.id },
        });
        reads.set(attempt.id, res);
      }
      return { status: 200 };
    });
    const patched = await sim.ctl('PATCH', `/_sim/ats_jobs/${jobId}`, { name: 'Principal Analyst' });
    assert.equal(patched.status, 200, patched.text);
    const got = await rx.waitFor(
      () => eventFor(rx, { model: 'ats_jobs', action: 'updated', remote_id: jobId }),
      10_000,
    );
    const res = reads.get(got.id);
    assert.ok(res, 'the handler read the jobs');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.data.results.length, 1, JSON.stringify(res.body.data.results));
    const [record] = res.body.data.results;
    assert.equal(record.remote_id, jobId);
    assert.equal(record.name, 'Principal Analyst');
    assert.equal(record.id, got.data.events[0].id);
    const changed = await rx.waitFor(
      () =>
        rx.events.find(
          (e) => e.type === 'data-changed' && e.data.changed_models.some((m) => m.name === 'ats_jobs'),
        ),
      10_000,
    );
    assert.equal(changed.data.integration_category, 'ATS');
  });
});

describe('targeted fetch turned off (processing.targeted_fetch = false)', () => {
  let tb;
  let sim;
  let rx;
  let integration;

  before(async () => {
    [tb, sim] = await Promise.all([
      startTributary({ env: { TRIBUTARY_PROCESSING_TARGETED_FETCH: 'false' } }),
      startSim('personio'),
    ]);
    rx = await startReceiver({ secret: 'whsec_placeholder' });
    const endpoint = await createEndpoint(tb, rx.url);
    rx.setSecrets(endpoint.secret);
    integration = await createIntegration(tb, 'personio', sim.url, { upstream_webhooks: true });
    await waitForFirstSync(tb, integration.id);
  });
  after(async () => rx?.close());

  test('events are relayed without a record: id null, nothing stored, no data-changed', async () => {
    const created = await sim.ctl('POST', '/_sim/hris_employees', { first_name: 'Grace', last_name: 'Hopper' });
    assert.equal(created.status, 200, created.text);
    const remoteId = String(created.body.remote_id);
    const got = await rx.waitFor(() => eventFor(rx, { action: 'created', remote_id: remoteId }), 10_000);
    assert.equal(got.data.events[0].id, null);
    const res = await tb.api('GET', '/v1/hris/employees', undefined, { headers: { 'X-Integration-Id': integration.id } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.data.results, []);
    assert.ok(!rx.events.some((e) => e.type === 'data-changed'), 'no data-changed without records');
  });
});

describe('syncs: the simulated Greenhouse listed page by page', () => {
  let tb;
  let sim;
  let rx;
  let integration;

  const forceSync = async (type = 'FULL') => {
    const res = await tb.api('POST', '/v1/force-sync', { type }, { headers: { 'X-Integration-Id': integration.id } });
    assert.equal(res.status, 200, res.text);
    return res.body.data;
  };
  const syncEnded = async (id) => {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const res = await tb.api('GET', `/v1/syncs/${id}`);
      assert.equal(res.status, 200, res.text);
      if (!['QUEUED', 'RUNNING'].includes(res.body.data.state)) return res.body.data;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`sync ${id} did not end`);
  };
  const jobs = async (query = '') => {
    const res = await tb.api('GET', `/v1/ats/jobs?page_size=250${query}`, undefined, {
      headers: { 'X-Integration-Id': integration.id },
    });
    assert.equal(res.status, 200, res.text);
    return res.body.data;
  };

  before(async () => {
    [tb, sim] = await Promise.all([startTributary(), startSim('greenhouse')]);
    rx = await startReceiver({ secret: 'whsec_placeholder' });
    const endpoint = await createEndpoint(tb, rx.url);
    rx.setSecrets(endpoint.secret);
    integration = await createIntegration(tb, 'greenhouse', sim.url, { upstream_webhooks: true });
    const [sub] = integration.subscriptions;
    const reg = await sim.ctl('POST', '/_sim/webhooks', {
      url: sub.ingress_url,
      secret: sub.setup.secret,
      event_types: sub.event_types,
      name: 'Tributary',
    });
    assert.equal(reg.status, 200, reg.text);
    const first = await waitForFirstSync(tb, integration.id);
    const finished = await rx.waitFor(
      () => rx.events.find((e) => e.type === 'sync-finished' && e.data.sync_id === first.id),
      10_000,
    );
    assert.equal(finished.data.sync_state, 'SUCCEEDED');
    assert.equal(finished.data.integration_id, integration.id);
    assert.deepEqual(rx.schemaErrors, [], 'the Kombo SDK reads every event it has a schema for');
  });
  after(async () => rx?.close());

  test('a sync while webhooks arrive, then a job deleted remotely between two full syncs', async () => {
    const jobIds = [];
    for (let i = 0; i < 260; i++) {
      const job = await sim.ctl('POST', '/_sim/ats_jobs', { name: `Job ${i}` });
      assert.equal(job.status, 200, job.text);
      jobIds.push(String(job.body.remote_id));
    }
    // Candidates applying while the sync lists: their webhooks are fetched and stored beside it.
    const forced = await forceSync('FULL');
    const candIds = [];
    for (let i = 0; i < 8; i++) {
      const cand = await sim.ctl('POST', '/_sim/ats_candidates', {
        first_name: `C${i}`,
        last_name: 'Applicant',
        job_remote_id: jobIds[i],
      });
      assert.equal(cand.status, 200, cand.text);
      candIds.push(String(cand.body.remote_id));
    }
    for (const id of candIds) await rx.waitFor(() => eventFor(rx, { model: 'ats_candidates', remote_id: id }), 10_000);
    const during = await syncEnded(forced.sync_id);
    assert.equal(during.state, 'SUCCEEDED', JSON.stringify(during));
    assert.equal(during.counts.deleted, 0);

    const again = await syncEnded((await forceSync('FULL')).sync_id);
    assert.equal(again.state, 'SUCCEEDED', JSON.stringify(again));
    assert.equal(again.counts.deleted, 0, 'nothing written by the webhooks is taken for deleted');
    const candidates = await tb.api('GET', '/v1/ats/candidates?page_size=250', undefined, {
      headers: { 'X-Integration-Id': integration.id },
    });
    assert.equal(candidates.status, 200, candidates.text);
    for (const id of candIds) assert.ok(candidates.body.data.results.some((c) => c.remote_id === id), id);
    let listed = 0;
    for (let cursor = ''; ; ) {
      const page = await jobs(cursor ? `&cursor=${encodeURIComponent(cursor)}` : '');
      listed += page.results.length;
      if (!page.next) break;
      cursor = page.next;
    }
    assert.equal(listed, jobIds.length);

    const gone = jobIds[jobIds.length - 1];
    assert.equal((await sim.ctl('DELETE', `/_sim/ats_jobs/${gone}`)).status, 200);
    const full = await syncEnded((await forceSync('FULL')).sync_id);
    assert.equal(full.state, 'SUCCEEDED', JSON.stringify(full));
    // The deletion also fires a job-post webhook whose targeted fetch may mark the job first; either way it is
    // marked once (the sync alone is covered by src/app/sync_sim_test.cc).
    assert.ok(full.counts.deleted <= 1, JSON.stringify(full));
    const deleted = await jobs(`&include_deleted=true&remote_ids=${gone}`);
    assert.equal(deleted.results.length, 1);
    assert.ok(deleted.results[0].remote_deleted_at, JSON.stringify(deleted.results[0]));
    assert.equal((await jobs(`&remote_ids=${gone}`)).results.length, 0);
    const changed = rx.events.filter(
      (e) => e.type === 'data-changed' && e.data.changed_models.some((m) => m.name === 'ats_jobs'),
    );
    assert.ok(changed.length >= 2, 'the syncs that changed jobs sent data-changed');
    assert.deepEqual(rx.schemaErrors, [], 'the Kombo SDK reads every sync-finished and data-changed');
  });

  test('a tool answering 401 ends the sync AUTHENTICATION_FAILED and says so in sync-finished', async () => {
    assert.equal((await sim.ctl('POST', '/_sim/faults', { unauthorized: true })).status, 200);
    try {
      const forced = await forceSync('DELTA');
      const ended = await syncEnded(forced.sync_id);
      assert.equal(ended.state, 'AUTHENTICATION_FAILED', JSON.stringify(ended));
      const finished = await rx.waitFor(
        () => rx.events.find((e) => e.type === 'sync-finished' && e.data.sync_id === forced.sync_id),
        10_000,
      );
      assert.equal(finished.data.sync_state, 'AUTHENTICATION_FAILED');
      assert.ok(finished.data.log_url.endsWith(`/v1/syncs/${forced.sync_id}`), finished.data.log_url);
      assert.ok(Number.isInteger(finished.data.sync_duration_seconds), String(finished.data.sync_duration_seconds));
      assert.deepEqual(rx.schemaErrors, []);
    } finally {
      await sim.ctl('POST', '/_sim/faults', { unauthorized: false });
    }
  });
});
