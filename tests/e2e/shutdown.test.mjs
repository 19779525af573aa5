// SIGTERM in the middle of a burst (README "Running it": `serve` stops on SIGTERM gracefully, lets requests in flight
// finish within shutdown_grace_ms, drains what is durable into the outbox, flushes the store). Signed greenhouse
// webhooks go to the ingress while earlier ones are being processed and delivered to a slow receiver; SIGTERM lands
// with deliveries in flight. The node must exit 0 within its bound, and after a restart on the same database every
// acknowledged webhook reaches the receiver in exactly one downstream event, delivered once (a graceful stop
// records what it sent; only a crash leaves the at-least-once duplicates).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';

import { createEndpoint, sleep, startTributary, stopAll, waitUntil } from './lib/harness.mjs';
import { startReceiver } from './lib/receiver.mjs';
import { greenhouseIngress } from './lib/upstream.mjs';

// On PostgreSQL what the stopped node had claimed and not finished is a lease the restarted node takes over once it
// runs out (inbox rows: 30 s); on SQLite at once.
const DELIVERY_DEADLINE_MS = process.env.TRIBUTARY_E2E_BACKEND === 'postgres' ? 100_000 : 30_000;

after(stopAll);

const N = 240;
const CONCURRENCY = 16;
const TERM_AFTER_ACKS = 80;
const FIRST_CANDIDATE = 900_000;
const GRACE_MS = 3000;
// Stopping waits for requests in flight (shutdown_grace_ms), then for deliveries in flight (at most the same
// again), then drains the durable inbox: a generous bound on all of it, not a measurement.
const EXIT_BOUND_MS = 2 * GRACE_MS + 20_000;
const RECEIVER_DELAY_MS = 150;

test(`SIGTERM during a burst of ${N}: exit 0, and every acknowledged webhook is relayed once`, async (t) => {
  const tb = await startTributary({ env: { TRIBUTARY_SHUTDOWN_GRACE_MS: String(GRACE_MS) } });
  const rx = await startReceiver({ secret: 'whsec_placeholder' });
  t.after(() => rx.close());
  const endpoint = await createEndpoint(tb, rx.url, { event_types: ['remote-event-received'] });
  rx.setSecrets(endpoint.secret);
  // A slow receiver keeps deliveries in flight when the signal lands.
  rx.setBehaviour({ delayMs: RECEIVER_DELAY_MS });
  const gh = await greenhouseIngress(tb);
  const pid = tb.proc.pid;
  const exited = new Promise((resolve) => {
    tb.proc.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() }));
  });

  const results = new Array(N);
  let next = 0;
  let acked = 0;
  let termAt = null;
  let inFlightAtTerm = null;
  const term = () => {
    if (termAt !== null) return;
    termAt = Date.now();
    inFlightAtTerm = rx.attempts.filter((a) => a.status === null).length;
    process.kill(pid, 'SIGTERM');
  };

  async function worker() {
    for (let guard = 0; guard < N && next < N; guard += 1) {
      const i = next;
      next += 1;
      const candidate = FIRST_CANDIDATE + i;
      const res = await gh.send(candidate, { eventId: randomUUID(), timeoutMs: 15_000 });
      results[i] = { candidate, status: res.status, error: res.error };
      if (res.status >= 200 && res.status < 300) acked += 1;
    }
  }
  const burst = Promise.all(Array.from({ length: CONCURRENCY }, worker));
  // SIGTERM once enough webhooks are acknowledged and a delivery is in flight at the receiver (bounded: the
  // signal goes anyway after 20 s, and the test still checks everything acknowledged).
  await waitUntil(() => acked >= TERM_AFTER_ACKS && rx.attempts.some((a) => a.status === null), {
    timeoutMs: 20_000,
    intervalMs: 2,
    what: 'acknowledged webhooks and a delivery in flight',
  }).catch(() => {});
  term();
  const exit = await Promise.race([exited, sleep(EXIT_BOUND_MS).then(() => null)]);
  await burst;
  assert.ok(exit, `the node exited within ${EXIT_BOUND_MS} ms of SIGTERM`);
  assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, 'a clean exit');
  assert.match(tb.logs(), /received SIGTERM, shutting down/);

  const ackedResults = results.filter((r) => r.status >= 200 && r.status < 300);
  const refused = results.filter((r) => !(r.status >= 200 && r.status < 300));
  const deliveredBefore = rx.events.length;
  t.diagnostic(
    `SIGTERM after ${ackedResults.length >= TERM_AFTER_ACKS ? '≥' : ''}${TERM_AFTER_ACKS} acknowledgements with ` +
      `${inFlightAtTerm} deliveries in flight; exit 0 after ${exit.at - termAt} ms; ${ackedResults.length} ` +
      `acknowledged in all, ${refused.length} not (statuses ${[...new Set(refused.map((r) => r.status))]}); ` +
      `${deliveredBefore} delivered before the restart`,
  );
  assert.ok(inFlightAtTerm > 0, 'a delivery was in flight when the signal landed');
  assert.ok(ackedResults.length >= TERM_AFTER_ACKS);

  await tb.restart();
  assert.notEqual(tb.proc.pid, pid);

  // candidate → the downstream event ids it was relayed in.
  const relayedIn = () => {
    const seen = new Map();
    for (const e of rx.events) {
      for (const u of e.data?.events ?? []) {
        if (!seen.has(u.remote_id)) seen.set(u.remote_id, new Set());
        seen.get(u.remote_id).add(e.id);
      }
    }
    return seen;
  };
  let missing = [];
  await waitUntil(
    () => {
      const seen = relayedIn();
      missing = ackedResults.filter((r) => !seen.has(String(r.candidate)));
      return missing.length === 0;
    },
    { timeoutMs: DELIVERY_DEADLINE_MS, intervalMs: 50, what: 'every acknowledged webhook at the receiver' },
  ).catch((err) => {
    throw new Error(`${missing.length} acknowledged webhooks never relayed (e.g. ${missing[0]?.candidate}): ${err}`);
  });

  const seen = relayedIn();
  const ours = new Set(results.map((r) => String(r.candidate)));
  for (const id of seen.keys()) assert.ok(ours.has(id), `unexpected candidate ${id}`);
  const inSeveral = [...seen.entries()].filter(([, ids]) => ids.size > 1).map(([c]) => c);
  assert.deepEqual(inSeveral, [], 'no webhook was relayed in two downstream events');
  // A graceful stop records the outcome of every delivery that completes within its grace (the receiver here
  // answers well inside it), so nothing acknowledged by the receiver is sent again after the restart. Only a
  // crash, or a request outliving the grace, leaves an at-least-once duplicate.
  const sentTwice = rx.events.filter((e) => e.count > 1).map((e) => e.id);
  t.diagnostic(`after the restart: ${seen.size} candidates relayed, each in one event`);
  assert.deepEqual(sentTwice, [], 'no event delivered twice across a graceful stop');
});
