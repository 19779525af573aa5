// Bursts against a tool's API limit (issue "stay inside every tool's API limits"): a bulk change in a simulated
// tool sends many webhooks at once while the tool allows few API calls. For each scenario it runs Tributary twice
// in the same run — planned fetches (the default: one fetch per record, bursts read as listings) and the reference,
// one fetch per event (processing.fetch_strategy = per_event) — and prints side by side: the time until every
// event was relayed and every record was current in Tributary, the requests the tool saw, the most it saw in any
// window of its limit, and the 429s it answered.
//
//   Workable: 1,000 webhooks for 1,000 distinct candidates; the simulator enforces 10 requests per 10 s (account
//             tokens, workable.readme.io/reference/rate-limits); the integration keeps its declared limits.
//   Personio: 200 webhooks for 20 persons (10 changes each); the simulator enforces 300 requests per minute
//             (developer.personio.de, GET employees); the integration keeps its declared limits (5 per second).
//   With TRIBUTARY_TEST_POSTGRES_URL (scripts/with-postgres.sh): three nodes on one PostgreSQL database share one
//             Workable integration; 300 webhooks; the most requests the tool saw in any 10 s window.
//
// Every run is bounded: `--cap SECONDS` (default 240) per run; a run that does not finish in time prints how far it
// got. Every process it starts listens on 127.0.0.1 and is stopped by PID at the end.
//
// Usage: TRIBUTARY_BIN=build/tributary [scripts/with-postgres.sh] node bench/burst/burst.mjs
//            [--only workable|personio|nodes] [--cap SECONDS] [--candidates N]
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

import {
  createEndpoint,
  createIntegration,
  startSim,
  startTributary,
  stopAll,
  waitForFirstSync,
} from '../../tests/e2e/lib/harness.mjs';
import { startReceiver } from '../../tests/e2e/lib/receiver.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const ONLY = option('only', '');
const CAP_MS = Number(option('cap', '240')) * 1000;
const CANDIDATES = Number(option('candidates', '1000'));
const PERSONS = 20;
const CHANGES_PER_PERSON = 10;
const NODE_CANDIDATES = 300;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms) => (ms / 1000).toFixed(1);

// The relayed remote-event-received events for the given remote ids with the given action.
function relayedFor(rx, action) {
  let n = 0;
  for (const e of rx.events) {
    if (e.type !== 'remote-event-received') continue;
    for (const u of e.data?.events ?? []) if (u.action === action) n += 1;
  }
  return n;
}

// The records of one model as Tributary's read API returns them, by remote id.
async function records(tb, integrationId, path) {
  const out = new Map();
  let cursor = null;
  for (let page = 0; page < 200; page += 1) {
    const query = `page_size=250${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await tb.api('GET', `${path}?${query}`, undefined, { headers: { 'X-Integration-Id': integrationId } });
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text}`);
    for (const r of res.body.data.results) out.set(String(r.remote_id), r);
    cursor = res.body.data.next;
    if (!cursor) break;
  }
  return out;
}

async function simWindow(sim) {
  const res = await sim.ctl('GET', '/_sim/faults');
  return res.body?.window ?? {};
}

// Runs until `done()` is true or the cap is reached; polls every 250 ms. Returns the elapsed milliseconds or null.
async function until(started, done) {
  while (Date.now() - started < CAP_MS) {
    if (await done()) return Date.now() - started;
    await sleep(250);
  }
  return null;
}

// A node with the given fetch strategy, the tool's simulator, and a receiver subscribed to remote-event-received.
async function startRun(tool, strategy) {
  const [tb, sim] = await Promise.all([
    startTributary({ env: { TRIBUTARY_PROCESSING_FETCH_STRATEGY: strategy, TRIBUTARY_LOG_LEVEL: 'warn' } }),
    startSim(tool),
  ]);
  const rx = await startReceiver({ secret: 'whsec_placeholder' });
  rx.setSecrets((await createEndpoint(tb, rx.url, { event_types: ['remote-event-received'] })).secret);
  return { tb, sim, rx };
}

// Stops a run's processes; returns what the simulator counted in its window.
async function endRun({ tb, sim, rx }) {
  const window = await simWindow(sim);
  await rx.close();
  await Promise.all([tb.kill(), sim.kill()]);
  return window;
}

async function workableRun(strategy) {
  const { tb, sim, rx } = await startRun('workable', strategy);
  const integration = await createIntegration(tb, 'workable', sim.url, { upstream_webhooks: true }, { rateLimit: null });
  await waitForFirstSync(tb, integration.id, 60_000);
  await sim.ctl('POST', '/_sim/faults', { window: { requests: 10, window_ms: 10_000 } });
  const started = Date.now();
  const ids = [];
  for (let i = 0; i < CANDIDATES; i += 1) {
    const made = await sim.ctl('POST', '/_sim/ats_candidates', { first_name: `B${i}`, last_name: 'Burst' });
    if (made.status !== 200) throw new Error(`creating a candidate: ${made.status} ${made.text}`);
    ids.push(String(made.body.remote_id));
  }
  const sent = Date.now() - started;
  let current = 0;
  const elapsed = await until(started, async () => {
    if (relayedFor(rx, 'created') < CANDIDATES) return false;
    const stored = await records(tb, integration.id, '/v1/ats/candidates');
    current = ids.filter((id) => stored.has(id)).length;
    return current === CANDIDATES;
  });
  return { elapsed, sent, relayed: relayedFor(rx, 'created'), current, window: await endRun({ tb, sim, rx }) };
}

async function personioRun(strategy) {
  const { tb, sim, rx } = await startRun('personio', strategy);
  const ids = [];
  for (let i = 0; i < PERSONS; i += 1) {
    const made = await sim.ctl('POST', '/_sim/hris_employees', { first_name: `P${i}`, last_name: 'Burst' });
    ids.push(String(made.body.remote_id));
  }
  const integration = await createIntegration(tb, 'personio', sim.url, { upstream_webhooks: true }, { rateLimit: null });
  await waitForFirstSync(tb, integration.id, 60_000);
  await sim.ctl('POST', '/_sim/faults', { window: { requests: 300, window_ms: 60_000 } });
  const started = Date.now();
  for (let k = 0; k < CHANGES_PER_PERSON; k += 1) {
    for (const id of ids) {
      const res = await sim.ctl('PATCH', `/_sim/hris_employees/${id}`, { first_name: `v${k}-${id}` });
      if (res.status !== 200) throw new Error(`changing a person: ${res.status} ${res.text}`);
    }
  }
  const sent = Date.now() - started;
  const total = PERSONS * CHANGES_PER_PERSON;
  let current = 0;
  const elapsed = await until(started, async () => {
    if (relayedFor(rx, 'updated') < total) return false;
    const stored = await records(tb, integration.id, '/v1/hris/employees');
    current = ids.filter((id) => stored.get(id)?.first_name === `v${CHANGES_PER_PERSON - 1}-${id}`).length;
    return current === PERSONS;
  });
  return { elapsed, sent, relayed: relayedFor(rx, 'updated'), current, window: await endRun({ tb, sim, rx }) };
}

function psql(url, sql) {
  execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { stdio: ['ignore', 'pipe', 'pipe'] });
}

async function nodesRun() {
  const base = process.env.TRIBUTARY_TEST_POSTGRES_URL;
  const dbName = `bench_burst_${randomBytes(6).toString('hex')}`;
  psql(base, `CREATE DATABASE ${dbName}`);
  const url = new URL(base);
  url.pathname = `/${dbName}`;
  try {
    const env = {
      TRIBUTARY_DATABASE: url.toString(),
      TRIBUTARY_MASTER_KEY: randomBytes(32).toString('base64'),
      TRIBUTARY_LOG_LEVEL: 'warn',
    };
    const nodes = [await startTributary({ env })];
    nodes.push(...(await Promise.all([startTributary({ env }), startTributary({ env })])));
    const sim = await startSim('workable');
    const rx = await startReceiver({ secret: 'whsec_placeholder' });
    rx.setSecrets((await createEndpoint(nodes[0], rx.url, { event_types: ['remote-event-received'] })).secret);
    const integration = await createIntegration(nodes[0], 'workable', sim.url, { upstream_webhooks: true }, { rateLimit: null });
    await waitForFirstSync(nodes[0], integration.id, 60_000);
    // No enforcement: the simulator only counts, so an excess shows as max_seen above 10 rather than as a 429.
    await sim.ctl('POST', '/_sim/faults', { window: { requests: 100000, window_ms: 10_000 } });
    const started = Date.now();
    for (let i = 0; i < NODE_CANDIDATES; i += 1)
      await sim.ctl('POST', '/_sim/ats_candidates', { first_name: `N${i}`, last_name: 'Nodes' });
    const elapsed = await until(started, async () => relayedFor(rx, 'created') >= NODE_CANDIDATES);
    const window = await simWindow(sim);
    await rx.close();
    await Promise.all([...nodes.map((n) => n.kill()), sim.kill()]);
    return { elapsed, relayed: relayedFor(rx, 'created'), window };
  } finally {
    psql(base, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  }
}

function line(label, r, total, unit) {
  const time = r.elapsed === null ? `not done in ${seconds(CAP_MS)} s` : `${seconds(r.elapsed)} s`;
  const w = r.window ?? {};
  return (
    `  ${label.padEnd(22)} ${time.padEnd(20)} relayed ${String(r.relayed).padStart(5)}/${total}  current ` +
    `${String(r.current).padStart(5)}/${unit}  requests ${String(w.total ?? '?').padStart(5)}  ` +
    `max in a window ${String(w.max_seen ?? '?').padStart(3)}  429s ${String(w.rejected ?? '?').padStart(4)}  ` +
    `(webhooks sent in ${seconds(r.sent)} s)`
  );
}

try {
  const load = () => execFileSync('cat', ['/proc/loadavg']).toString().trim();
  console.log(`burst benchmark — load average at start: ${load()}`);
  if (!ONLY || ONLY === 'workable') {
    console.log(`\nWorkable: ${CANDIDATES} webhooks for ${CANDIDATES} distinct candidates, tool limit 10 requests / 10 s`);
    const planned = await workableRun('planned');
    console.log(line('planned', planned, CANDIDATES, CANDIDATES));
    const reference = await workableRun('per_event');
    console.log(line('reference (per event)', reference, CANDIDATES, CANDIDATES));
  }
  if (!ONLY || ONLY === 'personio') {
    const total = PERSONS * CHANGES_PER_PERSON;
    console.log(`\nPersonio: ${total} webhooks for ${PERSONS} persons, tool limit 300 requests / minute`);
    const planned = await personioRun('planned');
    console.log(line('planned', planned, total, PERSONS));
    const reference = await personioRun('per_event');
    console.log(line('reference (per event)', reference, total, PERSONS));
  }
  if ((!ONLY || ONLY === 'nodes') && process.env.TRIBUTARY_TEST_POSTGRES_URL) {
    console.log(`\nThree nodes on one PostgreSQL database, one Workable integration (10 requests / 10 s), ${NODE_CANDIDATES} webhooks`);
    const r = await nodesRun();
    const time = r.elapsed === null ? `not done in ${seconds(CAP_MS)} s` : `${seconds(r.elapsed)} s`;
    console.log(
      `  ${'three nodes'.padEnd(22)} ${time.padEnd(20)} relayed ${r.relayed}/${NODE_CANDIDATES}  requests ${r.window.total}  ` +
        `most in any 10 s window ${r.window.max_seen} (limit 10)`,
    );
  } else if (!ONLY || ONLY === 'nodes') {
    console.log('\nThree nodes: skipped (TRIBUTARY_TEST_POSTGRES_URL is not set; run under scripts/with-postgres.sh)');
  }
  console.log(`\nload average at end: ${load()}`);
} finally {
  await stopAll();
}
