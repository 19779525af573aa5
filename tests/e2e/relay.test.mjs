// The whole relay, end to end, against the real binary: a simulated tool fires a webhook, Tributary verifies and
// records it, maps it to a unified event and delivers it, signed twice, to the operator's endpoint; the logs API
// links the upstream request, the event and its delivery.
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { Webhook } from 'standardwebhooks';

import {
  END_USER,
  createEndpoint,
  createIntegration,
  getEvent,
  getIntegration,
  startSim,
  startTributary,
  stopAll,
  upstreamLogs,
  waitUntil,
} from './lib/harness.mjs';
import { startReceiver } from './lib/receiver.mjs';

after(stopAll);

const PERSONIO_EVENTS = [
  'absence-period.created',
  'absence-period.updated.status',
  'absence-period.updated.timerange',
  'person.created',
  'person.deleted',
  'person.updated',
];

// Kombo's scheme, computed here: base64url (no padding) of HMAC-SHA256 keyed with the secret string as shown.
function komboSignatureOk(secret, raw, header) {
  const expected = Buffer.from(createHmac('sha256', secret).update(raw).digest('base64url'));
  const given = Buffer.from(String(header ?? ''));
  return expected.length === given.length && timingSafeEqual(expected, given);
}

// Standard Webhooks, checked with the reference library.
function standardSignatureOk(secret, raw, headers) {
  try {
    new Webhook(secret).verify(raw, headers);
    return true;
  } catch {
    return false;
  }
}

// The receiver's first acknowledged event whose data.events contains `match`.
const eventMatching = (rx, match) =>
  rx.events.find((e) =>
    (e.data?.events ?? []).some((u) => Object.entries(match).every(([k, v]) => u[k] === v)),
  );

async function deliveredOnce(tb, eventId, endpointId) {
  return waitUntil(
    async () => {
      const ev = await getEvent(tb, eventId);
      const d = ev.deliveries.find((x) => x.endpoint_id === endpointId);
      return d && d.status === 'succeeded' && d.attempt_log.length >= 1 ? ev : null;
    },
    { timeoutMs: 5000, what: `event ${eventId} delivered to ${endpointId}` },
  );
}

describe('personio: api subscription, webhook relayed', () => {
  let tb;
  let sim;
  let rx;
  let endpoint;
  let integration;

  before(async () => {
    [tb, sim] = await Promise.all([startTributary(), startSim('personio')]);
    rx = await startReceiver({ secret: 'whsec_placeholder' });
    endpoint = await createEndpoint(tb, rx.url);
    assert.match(endpoint.secret, /^whsec_[A-Za-z0-9+/]+=*$/);
    rx.setSecrets(endpoint.secret);
  });
  after(async () => rx?.close());

  test('creating the integration subscribes exactly the six enabled events', async () => {
    integration = await createIntegration(tb, 'personio', sim.url, { upstream_webhooks: true });
    assert.match(integration.id, /^personio:/);
    assert.equal(integration.subscriptions.length, 1, JSON.stringify(integration.subscriptions));
    const sub = integration.subscriptions[0];
    assert.equal(sub.mode, 'api');
    assert.equal(sub.status, 'active', `last_error: ${sub.last_error}`);
    assert.deepEqual([...sub.event_types].sort(), PERSONIO_EVENTS);
    assert.ok(sub.remote_id, 'the remote webhook id is stored');

    const hooks = await sim.ctl('GET', '/_sim/subscriptions');
    assert.equal(hooks.status, 200);
    assert.equal(hooks.body.length, 1, JSON.stringify(hooks.body));
    const hook = hooks.body[0];
    assert.equal(hook.url, sub.ingress_url);
    assert.equal(String(hook.id), sub.remote_id);
    assert.equal(hook.status, 'ENABLED');
    assert.equal(hook.auth_type, 'TOKEN');
    assert.deepEqual([...hook.enabled_events].sort(), PERSONIO_EVENTS);
  });

  test('a new person reaches the endpoint as remote-event-received, signed and logged', async () => {
    assert.ok(integration, 'needs the integration of the previous test');
    const created = await sim.ctl('POST', '/_sim/hris_employees', {
      first_name: 'Ada',
      last_name: 'Lovelace',
      work_email: 'ada@acme.test',
    });
    assert.equal(created.status, 200, created.text);
    const remoteId = String(created.body.remote_id);

    const got = await rx.waitFor(
      () => eventMatching(rx, { model: 'hris_employees', action: 'created', remote_id: remoteId }),
      10_000,
    );
    assert.equal(got.type, 'remote-event-received');
    assert.equal(got.body.id, got.id, 'webhook-id header equals payload.id');
    assert.equal(got.data.integration_id, integration.id);
    assert.equal(got.data.integration_tool, 'personio');
    assert.equal(got.data.integration_category, 'HRIS');
    assert.deepEqual(got.data.end_user, END_USER);
    assert.equal(got.data.events.length, 1, JSON.stringify(got.data.events));
    const [unified] = got.data.events;
    assert.equal(unified.model, 'hris_employees');
    assert.equal(unified.action, 'created');
    assert.equal(unified.remote_id, remoteId);
    assert.ok('id' in unified && (unified.id === null || typeof unified.id === 'string'));

    // Both signatures, checked here on the recorded bytes (and by the receiver before it acknowledged).
    const attempt = rx.attempts.find((a) => a.id === got.id && a.status === 200);
    assert.ok(attempt, 'the acknowledged attempt is recorded');
    assert.equal(attempt.headers['content-type']?.split(';')[0], 'application/json');
    const kombo = attempt.headers['x-kombo-signature'];
    assert.ok(komboSignatureOk(endpoint.secret, attempt.raw, kombo), 'X-Kombo-Signature');
    assert.ok(standardSignatureOk(endpoint.secret, attempt.raw, attempt.headers), 'webhook-signature');
    assert.ok(!komboSignatureOk(`${endpoint.secret}x`, attempt.raw, kombo));
    assert.ok(Math.abs(Number(attempt.headers['webhook-timestamp']) - Date.now() / 1000) < 60);

    // The logs API: the upstream request, accepted, linked to the event.
    const row = await waitUntil(
      async () =>
        (await upstreamLogs(tb, `integration_id=${encodeURIComponent(integration.id)}`)).find((r) =>
          (r.event_ids ?? []).includes(got.id),
        ),
      { timeoutMs: 5000, what: 'the upstream log row linked to the event' },
    );
    assert.equal(row.outcome, 'accepted');
    assert.equal(row.tool, 'personio');
    assert.equal(row.vendor_event, 'person.created');
    assert.equal(row.http_status, 200);
    assert.equal(row.subscription_id, integration.subscriptions[0].id);
    assert.ok(row.verification, 'the verification scheme is logged');
    assert.deepEqual(row.event_ids, [got.id]);
    assert.equal(row.unified_events?.[0]?.remote_id, remoteId);

    // The row in detail: redacted headers, body, and the event with its delivery.
    const detail = await tb.api('GET', `/v1/logs/upstream/${encodeURIComponent(row.id)}`);
    assert.equal(detail.status, 200, detail.text);
    const auth = detail.body.data.headers.find(([k]) => k.toLowerCase() === 'authorization');
    assert.ok(auth, 'the Authorization header is listed');
    assert.equal(auth[1], '[redacted]');
    assert.match(detail.body.data.body, /person\.created/);
    // The events it caused: remote-event-received, and data-changed for the record the targeted fetch stored.
    assert.deepEqual(
      detail.body.data.events.filter((e) => e.type === 'remote-event-received').map((e) => e.id),
      [got.id],
    );
    assert.deepEqual(
      detail.body.data.events.map((e) => e.type).sort(),
      ['data-changed', 'remote-event-received'],
    );

    // The event: one delivery to our endpoint, succeeded on the first attempt.
    const ev = await deliveredOnce(tb, got.id, endpoint.id);
    assert.equal(ev.id, got.id, 'the events API knows the event by its webhook-id');
    assert.equal(ev.type, 'remote-event-received');
    assert.equal(ev.integration_id, integration.id);
    assert.equal(ev.upstream_log_id, row.id);
    assert.equal(ev.payload.id, got.id);
    assert.equal(ev.deliveries.length, 1);
    const [delivery] = ev.deliveries;
    assert.equal(delivery.status, 'succeeded');
    assert.equal(delivery.attempts, 1);
    assert.equal(delivery.retries, 0);
    assert.equal(delivery.attempt_log.length, 1);
    assert.equal(delivery.attempt_log[0].status_code, 200);
    assert.equal(delivery.attempt_log[0].next_retry_at, null);

    // Exactly one attempt reached the receiver for this event.
    assert.equal(rx.attempts.filter((a) => a.id === got.id).length, 1);
    assert.equal(got.count, 1);

    // The sim saw its webhook acknowledged with a 2xx.
    await waitUntil(
      async () => {
        const deliveries = await sim.ctl('GET', '/_sim/deliveries');
        const mine = deliveries.body.filter((d) => d.event === 'person.created');
        return mine.length >= 1 && mine.every((d) => d.status >= 200 && d.status < 300);
      },
      { timeoutMs: 5000, what: "the sim's person.created delivery acknowledged with 2xx" },
    );
  });

  test('an absence change is relayed as hris_absences updated', async () => {
    assert.ok(integration, 'needs the integration of the first test');
    const person = await sim.ctl('POST', '/_sim/hris_employees', { first_name: 'Alan', last_name: 'Turing' });
    const absence = await sim.ctl('POST', '/_sim/hris_absences', {
      employee_remote_id: String(person.body.remote_id),
      start_date: '2026-12-01',
      end_date: '2026-12-03',
    });
    assert.equal(absence.status, 200, absence.text);
    const absenceId = String(absence.body.remote_id);
    await rx.waitFor(
      () => eventMatching(rx, { model: 'hris_absences', action: 'created', remote_id: absenceId }),
      10_000,
    );
    const patched = await sim.ctl('PATCH', `/_sim/hris_absences/${absenceId}`, { status: 'APPROVED' });
    assert.equal(patched.status, 200, patched.text);
    await rx.waitFor(
      () => eventMatching(rx, { model: 'hris_absences', action: 'updated', remote_id: absenceId }),
      10_000,
    );
  });
});

describe('greenhouse: manual subscription, ping, candidate and job', () => {
  let tb;
  let sim;
  let rx;
  let integration;
  let sub;

  before(async () => {
    [tb, sim] = await Promise.all([startTributary(), startSim('greenhouse')]);
    rx = await startReceiver({ secret: 'whsec_placeholder' });
    const endpoint = await createEndpoint(tb, rx.url, { event_types: ['remote-event-received'] });
    rx.setSecrets(endpoint.secret);
  });
  after(async () => rx?.close());

  test('the subscription shows the ingress URL and the secret to paste', async () => {
    integration = await createIntegration(tb, 'greenhouse', sim.url, { upstream_webhooks: true });
    assert.equal(integration.category, 'ATS');
    assert.equal(integration.subscriptions.length, 1, JSON.stringify(integration.subscriptions));
    [sub] = integration.subscriptions;
    assert.equal(sub.mode, 'manual');
    assert.equal(sub.status, 'pending');
    assert.match(sub.ingress_url, new RegExp(`^${tb.url}/ingress/greenhouse/[^/]+$`));
    assert.ok(sub.setup, 'manual subscriptions carry setup');
    assert.equal(sub.setup.secret_chosen_by, 'tributary');
    assert.equal(typeof sub.setup.secret, 'string');
    assert.ok(sub.setup.secret.length >= 16, 'a real secret');
    assert.ok(sub.setup.instructions.includes(sub.ingress_url), 'the instructions name the URL');
    for (const e of ['new_candidate_application', 'job_post_created', 'job_post_updated']) {
      assert.ok(sub.event_types.includes(e), `${e} is among ${sub.event_types}`);
    }
  });

  test('registering the web hook: the ping is answered, logged as ping, not forwarded', async () => {
    assert.ok(sub, 'needs the subscription of the previous test');
    const reg = await sim.ctl('POST', '/_sim/webhooks', {
      url: sub.ingress_url,
      secret: sub.setup.secret,
      event_types: sub.event_types,
      name: 'Tributary',
    });
    assert.equal(reg.status, 200, reg.text);
    assert.equal(reg.body.active, true, `ping failed: ${reg.text}`);
    assert.equal(reg.body.ping_status, 200);

    const rows = await waitUntil(
      async () => {
        const r = await upstreamLogs(tb, `integration_id=${encodeURIComponent(integration.id)}&outcome=ping`);
        return r.length ? r : null;
      },
      { timeoutMs: 5000, what: 'the ping in the upstream log' },
    );
    assert.equal(rows.length, 1);
    assert.equal(rows[0].outcome, 'ping');
    assert.deepEqual(rows[0].event_ids, []);
    assert.equal(rows[0].vendor_event, 'ping');
    const current = await getIntegration(tb, integration.id);
    assert.equal(current.subscriptions[0].status, 'active', 'a verified ping activates the subscription');
    assert.equal(rx.attempts.length, 0, 'the ping is not forwarded');
  });

  test('a new candidate application is relayed as ats_candidates created', async () => {
    assert.ok(sub, 'needs the subscription');
    const created = await sim.ctl('POST', '/_sim/ats_candidates', { first_name: 'Grace', last_name: 'Hopper' });
    assert.equal(created.status, 200, created.text);
    const remoteId = String(created.body.remote_id);
    const got = await rx.waitFor(
      () => eventMatching(rx, { model: 'ats_candidates', action: 'created', remote_id: remoteId }),
      10_000,
    );
    assert.equal(got.data.integration_tool, 'greenhouse');
    assert.equal(got.data.integration_category, 'ATS');
    const rows = await upstreamLogs(tb, `integration_id=${encodeURIComponent(integration.id)}&outcome=accepted`);
    const row = rows.find((r) => r.event_ids.includes(got.id));
    assert.ok(row, 'the accepted upstream row is linked to the event');
    assert.equal(row.vendor_event, 'new_candidate_application');
    assert.ok(row.delivery_id, "Greenhouse-Event-ID is recorded as the vendor's delivery id");
  });

  test('publishing a job is relayed as ats_jobs published', async () => {
    assert.ok(sub, 'needs the subscription');
    const job = await sim.ctl('POST', '/_sim/ats_jobs', { name: 'Compiler Engineer' });
    assert.equal(job.status, 200, job.text);
    const jobId = String(job.body.remote_id);
    const published = await sim.ctl('POST', `/_sim/ats_jobs/${jobId}/publish`);
    assert.equal(published.status, 200, published.text);
    const got = await rx.waitFor(
      () => eventMatching(rx, { model: 'ats_jobs', action: 'published', remote_id: jobId }),
      10_000,
    );
    assert.equal(got.type, 'remote-event-received');
    // The job was created unpublished: no "published" before the publish call, and nothing else about this job.
    const aboutJob = rx.events.filter((e) => e.data?.events?.some((u) => u.remote_id === jobId));
    assert.deepEqual(
      aboutJob.flatMap((e) => e.data.events.map((u) => `${u.model}:${u.action}`)),
      ['ats_jobs:published'],
    );
  });
});
