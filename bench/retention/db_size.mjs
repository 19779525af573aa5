// Database size under constant load, with retention and without, measured side by side in the same run.
// Starts two `tributary serve` nodes on SQLite (each its own temporary directory, 127.0.0.1 only): A with a
// retention of a few seconds (`retention.seconds`), B with retention off (`retention.days = 0`), both otherwise
// default. Each gets a Greenhouse integration (no targeted fetch) and an endpoint at a local sink that answers
// 200. Then the same constant stream of signed Greenhouse web hooks (4 KiB bodies, like a real candidate
// payload) goes to both at once, and after every period the size of each database file on disk is printed next
// to the other's (and, at the end, the size their write-ahead logs reached). With retention the size levels off once the first bodies and attempts
// are older than the retention: what still grows is what stays by design (events, deliveries, the inbox rows'
// metadata). Bounded: `--seconds` of load (default 40, at most 55), `--rate` requests/s per node (default 100,
// at most 1000); every process it starts is stopped by PID at the end.
// Usage: TRIBUTARY_BIN=build/tributary node bench/retention/db_size.mjs [--seconds 40] [--rate 100]
//        [--retention-seconds 5] [--period 5]
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = process.env.TRIBUTARY_BIN || join(REPO, 'build', 'tributary');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = Math.min(arg('seconds', 40), 55);
const RATE = Math.min(arg('rate', 100), 1000);
const RETENTION_S = arg('retention-seconds', 5);
const PERIOD_S = arg('period', 5);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const children = [];
const dirs = [];

async function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
    s.on('error', fail);
  });
}

async function startNode(name, env) {
  const dir = mkdtempSync(join(tmpdir(), `tributary-retention-${name}-`));
  dirs.push(dir);
  const port = await freePort();
  const apiKey = `bench_${randomBytes(24).toString('hex')}`;
  const database = join(dir, 'tributary.db');
  const child = spawn(BIN, ['serve'], {
    env: {
      PATH: process.env.PATH,
      TRIBUTARY_LISTEN: `127.0.0.1:${port}`,
      TRIBUTARY_DATABASE: database,
      TRIBUTARY_API_KEY: apiKey,
      TRIBUTARY_DELIVERY_ALLOW_NETWORKS: '127.0.0.0/8',
      TRIBUTARY_PROCESSING_TARGETED_FETCH: 'false',
      TRIBUTARY_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let errors = '';
  child.stderr.on('data', (d) => {
    errors = (errors + d).slice(-4000);
  });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${name} did not start: ${errors}`);
    await sleep(50);
  }
  const api = async (method, path, body) => {
    const res = await fetch(url + path, {
      method,
      headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json().catch(() => null);
    if (res.status >= 300) throw new Error(`${name} ${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json.data;
  };
  return { name, url, api, apiKey, database, errors: () => errors };
}

// The database file's size on disk. Its write-ahead log is reported apart: checkpoints copy it into the file
// every 500 ms and the writer then starts it over, but its file keeps the size of its longest run.
function sizeOf(file) {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

async function setUp(node, sinkUrl, closedPort) {
  await node.api('POST', '/v1/webhook-endpoints', { url: sinkUrl, event_types: ['remote-event-received'] });
  const integration = await node.api('POST', '/v1/integrations', {
    tool: 'greenhouse',
    end_user: { organization_name: 'Acme', creator_email: 'ops@acme.test', origin_id: 'acme-1' },
    credentials: { client_id: 'c', client_secret: 's', user_id: '7' },
    remote_base_url: `http://127.0.0.1:${closedPort}`,
    scope: { upstream_webhooks: true },
  });
  const sub = integration.subscriptions[0];
  const path = new URL(sub.ingress_url).pathname;
  return { ...node, ingress: node.url + path, secret: sub.setup.secret };
}

const padding = 'x'.repeat(3600);
async function send(node, n) {
  const body = JSON.stringify({
    action: 'new_candidate_application',
    payload: { application: { id: n, candidate: { id: n, notes: padding } } },
  });
  const signature = `sha256 ${createHmac('sha256', node.secret).update(body).digest('hex')}`;
  const res = await fetch(node.ingress, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Signature: signature, 'Greenhouse-Event-ID': `bench-${n}` },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

const mib = (bytes) => (bytes / 1048576).toFixed(2).padStart(8);
let sink;
try {
  let delivered = 0;
  sink = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      delivered += 1;
      res.writeHead(200).end('{}');
    });
  });
  await new Promise((ok) => sink.listen(0, '127.0.0.1', ok));
  const sinkUrl = `http://127.0.0.1:${sink.address().port}/hook`;
  const closedPort = await freePort();
  const [a, b] = await Promise.all([
    startNode('retention', { TRIBUTARY_RETENTION_SECONDS: String(RETENTION_S) }),
    startNode('no-retention', { TRIBUTARY_RETENTION_DAYS: '0' }),
  ]);
  const nodes = await Promise.all([setUp(a, sinkUrl, closedPort), setUp(b, sinkUrl, closedPort)]);

  console.log(`Database size under constant load: ${RATE} signed Greenhouse web hooks/s (4 KiB bodies) to each of`);
  console.log(`two SQLite nodes for ${SECONDS} s; A keeps bodies and attempts ${RETENTION_S} s, B keeps them (retention off).`);
  console.log(`   t (s)    sent A/B   A: retention ${RETENTION_S} s (MiB)   B: retention off (MiB)   A / B`);
  const started = Date.now();
  let seq = 0;
  const sent = [0, 0];
  const failed = [0, 0];
  const inFlight = new Set();
  let nextPrint = PERIOD_S;
  const samples = [];
  const interval = 1000 / RATE;
  while (Date.now() - started < SECONDS * 1000 && seq < RATE * SECONDS + 1) {
    const due = started + seq * interval;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    seq += 1;
    nodes.forEach((node, i) => {
      const p = send(node, seq)
        .then((status) => {
          if (status === 200) sent[i] += 1;
          else failed[i] += 1;
        })
        .catch(() => {
          failed[i] += 1;
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    });
    const t = (Date.now() - started) / 1000;
    if (t >= nextPrint) {
      const [sa, sb] = [sizeOf(a.database), sizeOf(b.database)];
      samples.push({ t, sent: sent[0] + sent[1], sa, sb });
      console.log(`${String(Math.round(t)).padStart(8)}   ${`${sent[0]}/${sent[1]}`.padStart(11)}   ${mib(sa)}                  ${mib(sb)}             ${(sa / sb).toFixed(2)}`);
      nextPrint += PERIOD_S;
    }
  }
  await Promise.race([Promise.all(inFlight), sleep(10_000)]);
  const [sa, sb] = [sizeOf(a.database), sizeOf(b.database)];
  console.log(`     end   ${`${sent[0]}/${sent[1]}`.padStart(11)}   ${mib(sa)}                  ${mib(sb)}             ${(sa / sb).toFixed(2)}`);
  // The growth once retention applies: from the first sample taken after three retention periods to the end.
  const from = samples.find((x) => x.t >= 3 * RETENTION_S) ?? samples[0];
  if (from) {
    const requests = (sent[0] + sent[1] - from.sent) / 2;
    const perRequest = (end, start) => (requests > 0 ? ((end - start) / requests / 1024).toFixed(2) : '?');
    console.log(`growth per request from ${Math.round(from.t)} s on: A ${perRequest(sa, from.sa)} KiB, B ${perRequest(sb, from.sb)} KiB ` +
      '(A: the events, deliveries and request metadata that stay by design)');
  }
  console.log(`write-ahead logs reached A ${mib(sizeOf(`${a.database}-wal`)).trim()} MiB, B ${mib(sizeOf(`${b.database}-wal`)).trim()} MiB`);
  const metrics = await (await fetch(`${a.url}/metrics`, { headers: { Authorization: `Bearer ${a.apiKey}` } })).text();
  const pruned = /tributary_retention_bodies_pruned_total (\d+)/.exec(metrics)?.[1] ?? '?';
  const attempts = /tributary_retention_attempts_pruned_total (\d+)/.exec(metrics)?.[1] ?? '?';
  console.log(`A pruned ${pruned} bodies and ${attempts} attempts; ${delivered} deliveries reached the sink; ` +
    `non-2xx or failed requests A/B: ${failed[0]}/${failed[1]}`);
} finally {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  await Promise.race([
    Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((ok) => c.on('exit', ok))))),
    sleep(10_000),
  ]);
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  sink?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
