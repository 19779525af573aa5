// Downstream delivery against endpoints that misbehave: retries with backoff and an attempt log, 410 disabling the
// endpoint, failure after the last retry and manual redelivery, recovery of a time range, a hanging endpoint that
// must not delay a healthy one, and Retry-After. Events come in through a greenhouse ingress, signed here.
import assert from 'node:assert/strict';
import { after, afterEach, test } from 'node:test';

import { createEndpoint, getEvent, listAll, startTributary, stopAll, waitUntil } from './lib/harness.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { greenhouseIngress } from './lib/upstream.mjs';

after(stopAll);

const receivers = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((rx) => rx.close()));
});

// Subscribed to remote-event-received only (unless `extra` says otherwise): the tool behind these integrations is
// unreachable, so each failed targeted fetch also queues a sync whose sync-finished would take attempts here.
async function receiverFor(tb, behaviour = {}, extra = {}) {
  const rx = await startReceiver({ secret: 'whsec_placeholder' });
  receivers.push(rx);
  const endpoint = await createEndpoint(tb, rx.url, { event_types: ['remote-event-received'], ...extra });
  rx.setSecrets(endpoint.secret);
  rx.setBehaviour(behaviour);
  return { rx, endpoint };
}

let nextCandidate = 500_000;
const newCandidateId = () => (nextCandidate += 1);

// The downstream event made from candidate `candidateId`'s application.
async function eventFor(tb, integrationId, candidateId, timeoutMs = 5000) {
  return waitUntil(
    async () => {
      const events = await listAll(tb, `/v1/events?integration_id=${encodeURIComponent(integrationId)}`);
      return events.find((e) => e.payload?.data?.events?.some((u) => u.remote_id === String(candidateId)));
    },
    { timeoutMs, what: `the event of candidate ${candidateId}` },
  );
}

// Waits until the event's delivery to `endpointId` satisfies `pred`; returns the delivery.
async function waitDelivery(tb, eventId, endpointId, pred, { timeoutMs = 10_000, what = 'delivery state' } = {}) {
  let last;
  try {
    return await waitUntil(
      async () => {
        const ev = await getEvent(tb, eventId);
        last = ev.deliveries.find((d) => d.endpoint_id === endpointId);
        return last && pred(last) ? last : null;
      },
      { timeoutMs, what },
    );
  } catch (err) {
    err.message += `\nlast delivery: ${JSON.stringify(last)}`;
    throw err;
  }
}

async function send(gh, candidateId) {
  const res = await gh.send(candidateId);
  assert.equal(res.status, 200, `ingress answered ${res.status}: ${res.text ?? res.error}`);
  return res;
}

test('500, 500, 500, then 200: delivered on the 4th attempt, each failure scheduling the next', async () => {
  const tb = await startTributary();
  const gh = await greenhouseIngress(tb);
  const { rx, endpoint } = await receiverFor(tb, { failTimes: 3, status: 500, body: 'not now' });
  const cand = newCandidateId();
  await send(gh, cand);
  const ev = await eventFor(tb, gh.integration.id, cand);
  await rx.waitFor((r) => r.eventsById.has(ev.id), 10_000);
  const d = await waitDelivery(tb, ev.id, endpoint.id, (x) => x.status === 'succeeded', { what: 'success' });

  assert.equal(d.attempts, 4);
  assert.equal(d.retries, 3);
  assert.equal(d.last_status, 200);
  assert.equal(d.attempt_log.length, 4, JSON.stringify(d.attempt_log));
  const log = [...d.attempt_log].sort((a, b) => Date.parse(a.attempted_at) - Date.parse(b.attempted_at));
  assert.deepEqual(
    log.map((a) => a.status_code),
    [500, 500, 500, 200],
  );
  for (const a of log.slice(0, 3)) {
    assert.ok(a.next_retry_at, `a failed attempt names its retry time: ${JSON.stringify(a)}`);
    assert.ok(Date.parse(a.next_retry_at) > Date.parse(a.attempted_at));
    assert.equal(a.response_excerpt, 'not now');
  }
  assert.equal(log[3].next_retry_at, null);
  // Backoff 100 ms × 2ⁿ (jitter 0): each retry is not earlier than scheduled, and the waits grow.
  const waits = [];
  for (let i = 1; i < 4; i += 1) {
    const at = Date.parse(log[i].attempted_at);
    assert.ok(at >= Date.parse(log[i - 1].next_retry_at) - 5, `attempt ${i + 1} not before its scheduled time`);
    waits.push(Date.parse(log[i - 1].next_retry_at) - Date.parse(log[i - 1].attempted_at));
  }
  assert.ok(waits[0] >= 90 && waits[1] >= 190 && waits[2] >= 390, `backoff waits ${waits}`);

  // The receiver saw exactly 4 verified attempts with one webhook-id, and acknowledged one.
  const mine = rx.attempts.filter((a) => a.id === ev.id);
  assert.equal(mine.length, 4);
  assert.ok(mine.every((a) => a.kombo_ok && a.standard_ok));
  assert.equal(rx.eventsById.get(ev.id).count, 1);
});

test('410 Gone disables the endpoint and fails the delivery', async () => {
  const tb = await startTributary();
  const gh = await greenhouseIngress(tb);
  const { rx, endpoint } = await receiverFor(tb, { status: 410 });
  const cand = newCandidateId();
  await send(gh, cand);
  const ev = await eventFor(tb, gh.integration.id, cand);
  const d = await waitDelivery(tb, ev.id, endpoint.id, (x) => x.status === 'failed', { what: 'failed' });
  assert.equal(d.attempts, 1);
  assert.equal(d.last_status, 410);
  assert.equal(d.attempt_log.length, 1);
  assert.equal(d.attempt_log[0].next_retry_at, null);

  const ep = await tb.api('GET', `/v1/webhook-endpoints/${endpoint.id}`);
  assert.equal(ep.status, 200);
  assert.equal(ep.body.data.enabled, false);
  assert.equal(typeof ep.body.data.disabled_reason, 'string');
  assert.match(ep.body.data.disabled_reason, /410/);

  // A disabled endpoint gets nothing more: a later event reaches a healthy endpoint added now, not the disabled one.
  const healthy = await receiverFor(tb, {});
  const attemptsBefore = rx.attempts.length;
  const cand2 = newCandidateId();
  await send(gh, cand2);
  const ev2 = await eventFor(tb, gh.integration.id, cand2);
  await healthy.rx.waitFor((r) => r.eventsById.has(ev2.id), 5000);
  await waitDelivery(tb, ev2.id, healthy.endpoint.id, (x) => x.status === 'succeeded', { what: 'healthy delivery' });
  const ev2Full = await getEvent(tb, ev2.id);
  assert.ok(
    !ev2Full.deliveries.some((x) => x.endpoint_id === endpoint.id && x.attempts > 0),
    JSON.stringify(ev2Full.deliveries),
  );
  assert.equal(rx.attempts.length, attemptsBefore, 'no attempt after the endpoint was disabled');
});

test('max retries 2, always 500: failed after 3 attempts; redeliver succeeds once the endpoint is up', async () => {
  const tb = await startTributary({ env: { TRIBUTARY_RETRY_MAX_RETRIES: '2' } });
  const gh = await greenhouseIngress(tb);
  const { rx, endpoint } = await receiverFor(tb, { status: 500 });
  const cand = newCandidateId();
  await send(gh, cand);
  const ev = await eventFor(tb, gh.integration.id, cand);
  const d = await waitDelivery(tb, ev.id, endpoint.id, (x) => x.status === 'failed', { what: 'failed' });
  assert.equal(d.attempts, 3);
  assert.equal(d.retries, 2);
  assert.equal(d.attempt_log.length, 3);
  assert.equal(d.next_attempt_at, null);
  const sorted = [...d.attempt_log].sort((a, b) => Date.parse(a.attempted_at) - Date.parse(b.attempted_at));
  assert.ok(sorted[0].next_retry_at && sorted[1].next_retry_at, 'the first two failures schedule retries');
  assert.equal(sorted[2].next_retry_at, null, 'the last failure schedules nothing');
  assert.equal(rx.attempts.filter((a) => a.id === ev.id).length, 3);

  rx.setBehaviour({});
  const re = await tb.api('POST', `/v1/events/${ev.id}/redeliver`);
  assert.equal(re.status, 202, re.text);
  assert.equal(re.body.data.event_id, ev.id);
  assert.equal(re.body.data.deliveries_queued, 1);
  await rx.waitFor((r) => r.eventsById.has(ev.id), 5000);
  const after = await waitDelivery(tb, ev.id, endpoint.id, (x) => x.status === 'succeeded', { what: 'succeeded' });
  // Exactly one more attempt: nothing was sent on its own between the failure and the redelivery.
  assert.equal(after.attempts, 4);
  assert.equal(after.attempt_log.length, 4);
  assert.equal(after.last_status, 200);
  assert.equal(rx.attempts.filter((a) => a.id === ev.id).length, 4);
});

test('recover redelivers the failed events of a time range, and only those', async () => {
  const tb = await startTributary({ env: { TRIBUTARY_RETRY_MAX_RETRIES: '1' } });
  const gh = await greenhouseIngress(tb);
  const { rx, endpoint } = await receiverFor(tb, { status: 503 });

  const early = newCandidateId();
  await send(gh, early);
  const evEarly = await eventFor(tb, gh.integration.id, early);
  await waitDelivery(tb, evEarly.id, endpoint.id, (x) => x.status === 'failed', { what: 'early failed' });
  // The range starts after the early event was created.
  await waitUntil(() => Date.now() > Date.parse(evEarly.created_at) + 5, { what: 'the clock to move on' });
  const since = new Date().toISOString();
  await waitUntil(() => Date.now() > Date.parse(since) + 2, { what: 'the clock to move on' });

  const late = [newCandidateId(), newCandidateId(), newCandidateId()];
  for (const c of late) await send(gh, c);
  const lateEvents = [];
  for (const c of late) lateEvents.push(await eventFor(tb, gh.integration.id, c));
  for (const e of lateEvents) {
    assert.ok(Date.parse(e.created_at) >= Date.parse(since), `${e.created_at} after ${since}`);
    await waitDelivery(tb, e.id, endpoint.id, (x) => x.status === 'failed', { what: 'late failed' });
  }
  assert.equal(rx.events.length, 0);

  rx.setBehaviour({});
  const until = new Date(Date.now() + 1000).toISOString();
  const rec = await tb.api('POST', `/v1/webhook-endpoints/${endpoint.id}/recover`, { since, until });
  assert.equal(rec.status, 202, rec.text);
  assert.equal(rec.body.data.endpoint_id, endpoint.id);
  assert.equal(rec.body.data.recovered, 3);
  await rx.waitFor((r) => lateEvents.every((e) => r.eventsById.has(e.id)), 5000);
  for (const e of lateEvents) {
    await waitDelivery(tb, e.id, endpoint.id, (x) => x.status === 'succeeded', { what: 'recovered' });
  }
  const earlyAfter = await getEvent(tb, evEarly.id);
  assert.equal(earlyAfter.deliveries[0].status, 'failed', 'the event before the range stays failed');
  assert.ok(!rx.eventsById.has(evEarly.id));

  // An empty or reversed range is refused.
  const bad = await tb.api('POST', `/v1/webhook-endpoints/${endpoint.id}/recover`, { since: until, until: since });
  assert.equal(bad.status, 400, bad.text);
});

test('a hanging endpoint times out without delaying a healthy one', async () => {
  const timeoutMs = 4000;
  const tb = await startTributary({ env: { TRIBUTARY_DELIVERY_TIMEOUT_MS: String(timeoutMs) } });
  const gh = await greenhouseIngress(tb);
  const hang = await receiverFor(tb, { hang: true });
  const healthy = await receiverFor(tb, {});

  const events = [];
  for (let i = 0; i < 4; i += 1) {
    const cand = newCandidateId();
    await send(gh, cand);
    const ev = await eventFor(tb, gh.integration.id, cand, 15_000);
    await healthy.rx.waitFor((r) => r.eventsById.get(ev.id), 15_000);
    // Not a stopwatch: the healthy endpoint had the event while the hanging endpoint's attempt at the same event
    // was still open. A healthy delivery queued behind the hanging one would only come after that attempt timed
    // out, and the timed-out attempt would be in the log by then.
    const hung = (await getEvent(tb, ev.id)).deliveries.find((x) => x.endpoint_id === hang.endpoint.id);
    assert.ok(hung, 'a delivery to the hanging endpoint too');
    assert.equal(hung.attempt_log.length, 0, `healthy delivery came after the hanging one ended: ${JSON.stringify(hung)}`);
    events.push(ev);
  }
  await waitUntil(() => hang.rx.attempts.length >= 1, { what: 'an attempt at the hanging endpoint' });

  // The hanging endpoint's first attempt ends as a timeout after the delivery timeout and is scheduled for a retry.
  const d = await waitDelivery(tb, events[0].id, hang.endpoint.id, (x) => x.attempt_log.length >= 1, {
    timeoutMs: 30_000,
    what: 'the timed-out attempt',
  });
  const [first] = d.attempt_log;
  assert.equal(first.status_code, null, JSON.stringify(first));
  assert.ok(first.error, 'the timeout is recorded as an error');
  assert.ok(first.latency_ms >= timeoutMs - 200, `latency ${first.latency_ms}: not before the timeout`);
  assert.ok(first.next_retry_at, 'a timeout is retried');
  assert.ok(hang.rx.events.length === 0);
});

test('Retry-After is honoured: 503 with Retry-After: 2 delays the next attempt by ~2 s', async () => {
  const tb = await startTributary();
  const gh = await greenhouseIngress(tb);
  const { rx, endpoint } = await receiverFor(tb, { failTimes: 1, status: 503, retryAfter: 2 });
  const cand = newCandidateId();
  await send(gh, cand);
  const ev = await eventFor(tb, gh.integration.id, cand);
  await rx.waitFor((r) => r.eventsById.has(ev.id), 8000);
  const mine = rx.attempts.filter((a) => a.id === ev.id);
  assert.equal(mine.length, 2);
  const gap = mine[1].at - mine[0].at;
  assert.ok(gap >= 1900, `second attempt ${gap} ms after the first (Retry-After: 2)`);
  assert.ok(gap < 5000, `second attempt not much later than asked: ${gap} ms`);

  const d = await waitDelivery(tb, ev.id, endpoint.id, (x) => x.status === 'succeeded', { what: 'succeeded' });
  const log = [...d.attempt_log].sort((a, b) => Date.parse(a.attempted_at) - Date.parse(b.attempted_at));
  assert.equal(log[0].status_code, 503);
  const scheduled = Date.parse(log[0].next_retry_at) - Date.parse(log[0].attempted_at);
  assert.ok(scheduled >= 1900, `next_retry_at ${scheduled} ms after the failed attempt`);
});
