// kill -9 in the middle of a burst (DESIGN.md §6: "0 acknowledged events lost; every one delivered at least once").
// Many concurrent signed greenhouse webhooks go straight to the ingress; the server is killed with SIGKILL part-way;
// a new server starts on the same database; every request that was answered 2xx must reach the receiver at least
// once. Duplicates are allowed, counted and printed.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';

import { createEndpoint, startTributary, stopAll, waitUntil } from './lib/harness.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { greenhouseIngress } from './lib/upstream.mjs';

// On SQLite one process owns the database, so a restarted node frees at once what it had claimed. On PostgreSQL
// claims are leases that another node (or the restarted one) takes over when they expire: inbox rows after 60 s.
const DELIVERY_DEADLINE_MS = process.env.TRIBUTARY_E2E_BACKEND === 'postgres' ? 100_000 : 30_000;

after(stopAll);

const N = 300;
const CONCURRENCY = 32;
const KILL_AFTER_ACKS = 100;
const FIRST_CANDIDATE = 800_000;

test(`kill -9 during a burst of ${N}: every acknowledged event is delivered after the restart`, async (t) => {
  const tb = await startTributary();
  const rx = await startReceiver({ secret: 'whsec_placeholder' });
  t.after(() => rx.close());
  const endpoint = await createEndpoint(tb, rx.url);
  rx.setSecrets(endpoint.secret);
  // A little latency at the receiver keeps deliveries in flight when the kill lands.
  rx.setBehaviour({ delayMs: 15 });
  const gh = await greenhouseIngress(tb);
  const pid = tb.proc.pid;

  const results = new Array(N);
  let next = 0;
  let acked = 0;
  let killed = false;
  let killedAt = null;
  const killOnce = () => {
    if (killed) return;
    killed = true;
    killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
  };
  // Safety net: if acknowledgements stall, kill anyway (the test still checks what was acknowledged).
  const killTimer = setTimeout(killOnce, 10_000);

  async function worker() {
    // Each worker takes the next index; at most N iterations in total across workers.
    for (let guard = 0; guard < N && next < N; guard += 1) {
      const i = next;
      next += 1;
      const candidate = FIRST_CANDIDATE + i;
      const eventId = randomUUID();
      const res = await gh.send(candidate, { eventId, timeoutMs: 10_000 });
      results[i] = { candidate, eventId, status: res.status, error: res.error };
      if (res.status >= 200 && res.status < 300) {
        acked += 1;
        if (acked >= KILL_AFTER_ACKS) killOnce();
      }
    }
  }
  const burstStart = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  clearTimeout(killTimer);
  killOnce();
  const exit = await tb.kill('SIGKILL');
  assert.equal(exit.signal, 'SIGKILL', 'the server died of SIGKILL, not some other way');

  const ackedResults = results.filter((r) => r.status >= 200 && r.status < 300);
  const failed = results.filter((r) => !(r.status >= 200 && r.status < 300));
  const otherStatuses = failed.filter((r) => r.status !== 0);
  const deliveredBeforeRestart = rx.events.length;
  t.diagnostic(
    `burst: ${N} sent in ${Date.now() - burstStart} ms, ${ackedResults.length} acknowledged, ` +
      `${failed.length} not (killed ${killedAt - burstStart} ms in); ` +
      `${deliveredBeforeRestart} delivered before restart`,
  );
  assert.ok(ackedResults.length >= KILL_AFTER_ACKS, 'enough requests were acknowledged before the kill');
  assert.ok(failed.length > 0, 'the kill landed in the middle of the burst (some requests were not answered)');
  assert.deepEqual(
    otherStatuses.map((r) => r.status),
    [],
    'a request either got 2xx or no answer at all (no 4xx/5xx)',
  );

  await tb.restart();
  assert.notEqual(tb.proc.pid, pid);

  const remoteIdsOf = (e) => (e.data?.events ?? []).map((u) => u.remote_id);
  const deliveredCandidates = () => {
    const seen = new Map();
    for (const e of rx.events) {
      for (const id of remoteIdsOf(e)) seen.set(id, (seen.get(id) ?? 0) + 1);
    }
    return seen;
  };
  let missing = [];
  try {
    await waitUntil(
      () => {
        const seen = deliveredCandidates();
        missing = ackedResults.filter((r) => !seen.has(String(r.candidate)));
        return missing.length === 0;
      },
      { timeoutMs: DELIVERY_DEADLINE_MS, intervalMs: 50, what: 'every acknowledged event at the receiver' },
    );
  } catch (err) {
    const sample = missing.slice(0, 10).map((r) => `${r.candidate} (${r.eventId})`);
    throw new Error(
      `${missing.length} acknowledged events were never delivered, e.g. ${sample.join(', ')}: ${err.message}`,
    );
  }

  // Duplicates: the same webhook-id acknowledged more than once (a delivery in flight at the kill, sent again), and
  // one candidate under several downstream events (an inbox row processed twice).
  const sameIdTwice = rx.events.filter((e) => e.count > 1);
  const extraDeliveries = sameIdTwice.reduce((n, e) => n + e.count - 1, 0);
  const seen = deliveredCandidates();
  const multiEvent = [...seen.entries()].filter(([, n]) => n > 1);
  const unackedButDelivered = failed.filter((r) => seen.has(String(r.candidate))).length;
  t.diagnostic(
    `after restart: ${seen.size} candidates delivered (${ackedResults.length} acknowledged, ` +
      `${unackedButDelivered} unacknowledged but stored anyway); duplicates: ${sameIdTwice.length} webhook-ids ` +
      `acknowledged more than once (${extraDeliveries} extra deliveries), ${multiEvent.length} candidates in more ` +
      'than one downstream event',
  );
  console.log(
    `crash test: acknowledged ${ackedResults.length}/${N}, all delivered; duplicate deliveries ${extraDeliveries} ` +
      `(${sameIdTwice.length} ids), candidates in several events ${multiEvent.length}`,
  );

  // Every delivered event is one of ours, verified (the receiver only acknowledges verified requests).
  const ours = new Set(results.map((r) => String(r.candidate)));
  for (const id of seen.keys()) assert.ok(ours.has(id), `unexpected candidate ${id}`);

  // The new server is healthy and its logs account for the acknowledged requests.
  const m = await tb.api('GET', '/metrics');
  assert.equal(m.status, 200);
});
