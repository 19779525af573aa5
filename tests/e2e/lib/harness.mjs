// Process harness for Tributary's end-to-end tests: spawns the real `tributary` binary (serve and sim) on loopback,
// with a real SQLite database in a temp dir, and tracks every child so a test file can end them all in after().
//
//   import { after } from 'node:test';
//   import { startTributary, startSim, stopAll } from './lib/harness.mjs';
//   after(stopAll);
//   const tb = await startTributary({ env: { TRIBUTARY_RETRY_MAX_RETRIES: '2' } });
//   const { status, body } = await tb.api('POST', '/v1/webhook-endpoints', { url: rx.url });
//   const sim = await startSim('personio');                 // sim.url, sim.ctl('POST', '/_sim/hris_employees', {...})
//
// The binary comes from TRIBUTARY_BIN (default <repo>/build/tributary). TRIBUTARY_E2E_LOGS=1 echoes every child's
// output to stderr; TRIBUTARY_E2E_KEEP=1 keeps the temp dirs.
//
// TRIBUTARY_E2E_SCAN_DIR=<dir> collects what tests/e2e/secret_scan.mjs checks after the suite: every secret the
// tests handed a node or were shown by one (API keys, master keys, tool credentials, endpoint and subscription
// secrets; ingress tokens, which only logs must not carry) in <dir>/secrets.jsonl, every node's full output in
// <dir>/logs/, its data dir (SQLite files) in <dir>/data/ and a pg_dump of every PostgreSQL test database in
// <dir>/pg/ (taken by stopAll, before the temp dirs and databases are removed).
//
// Every wait has a deadline; the only sleeps are the pauses of bounded polling loops (waitUntil).

import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  cpSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = process.env.TRIBUTARY_BIN || join(REPO, 'build', 'tributary');

const ECHO_LOGS = process.env.TRIBUTARY_E2E_LOGS === '1';
const KEEP_DIRS = process.env.TRIBUTARY_E2E_KEEP === '1';
const MAX_LOG_CHARS = 4 * 1024 * 1024;
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 15_000;

// Every live child process and every temp dir, for stopAll().
const children = new Set();
const tempDirs = new Set();

// ----------------------------------------------------------------------------------------------------------------
// Evidence for the secret scan (TRIBUTARY_E2E_SCAN_DIR; see the top of this file and tests/e2e/secret_scan.mjs).

const SCAN_DIR = process.env.TRIBUTARY_E2E_SCAN_DIR || '';
if (SCAN_DIR) for (const sub of ['logs', 'data', 'pg']) mkdirSync(join(SCAN_DIR, sub), { recursive: true });
// Shorter values (ids like "4242", "acme") are not secrets and would match by chance.
const MIN_SECRET_CHARS = 8;
// JSON keys whose string values are secrets, in what a test sends a node or a node answers ("secret",
// "client_secret", "api_key", "service_user_token", …; not "secret_chosen_by", whose values are "tool"/"tributary").
const SECRET_KEY = /^(secrets?|\w+_secret|api_?key|token|\w+_token|password)$/i;
// URLs of the nodes started here: only their answers are searched for secrets (a simulator's are the tool's).
const nodeUrls = new Set();
// Simulators still running, by base URL → tool: the secrets a simulator hands a node directly (a signing secret
// in a subscription's answer or a handshake, an access token) never pass through the test, so each simulator is
// asked for them (GET /_sim/secrets) before it is stopped.
const liveSims = new Map();

// kind: what the value is (shown in a finding); logOnly: allowed in the database, never in a log.
// What a node shows instead of a secret (headers in the logs API) is not one.
const REDACTED = /^(\[redacted\]|\*+)$/;

export function recordSecret(kind, value, { logOnly = false } = {}) {
  if (!SCAN_DIR || typeof value !== 'string' || value.length < MIN_SECRET_CHARS || REDACTED.test(value)) return;
  appendFileSync(join(SCAN_DIR, 'secrets.jsonl'), `${JSON.stringify({ kind, value, logOnly })}\n`);
}

// Records every secret a running simulator has issued (see liveSims). A simulator that is already gone has
// nothing more to say; what it issued before was collected when it was stopped through the harness.
async function collectSimSecrets(url) {
  const tool = liveSims.get(url);
  liveSims.delete(url);
  if (!SCAN_DIR || !tool) return;
  let res;
  try {
    res = await request('GET', `${url}/_sim/secrets`);
  } catch {
    return;
  }
  if (res.status !== 200 || !Array.isArray(res.body)) return;
  for (const { kind, value } of res.body) recordSecret(`${kind} issued by sim ${tool}`, value);
}

// Records the secrets in a request or response body sent to or by a node.
function recordSecretsIn(value, where, key = '') {
  if (!SCAN_DIR || value === null || value === undefined) return;
  if (typeof value === 'string') {
    if (key === 'ingress_url') {
      // The token is the URL's last segment (/ingress/<tool>/<token>).
      const token = /\/ingress\/(?:[^/?#]+\/)*([^/?#]+)$/.exec(value)?.[1];
      if (token) recordSecret(`ingress token (${where})`, decodeURIComponent(token), { logOnly: true });
    } else if (SECRET_KEY.test(key)) {
      recordSecret(`${key} (${where})`, value);
    }
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) recordSecretsIn(v, where, key);
  } else if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) recordSecretsIn(v, where, SECRET_KEY.test(key) ? key : k);
  }
}

function scanLogStream(label, pid) {
  if (!SCAN_DIR || label !== 'tributary') return null;
  return createWriteStream(join(SCAN_DIR, 'logs', `${label}-${pid}-${randomBytes(4).toString('hex')}.log`));
}

// A temp dir, as it is when the tests are done with it, kept for the scan (moved: it is about to be removed).
function keepForScan(dir) {
  if (!existsSync(dir)) return;
  const keyFile = join(dir, 'master.key');
  if (existsSync(keyFile)) recordSecret('master key file', readFileSync(keyFile, 'utf8').trim());
  const target = join(SCAN_DIR, 'data', dir.split('/').pop());
  try {
    renameSync(dir, target);
  } catch {
    cpSync(dir, target, { recursive: true });
  }
}

function dumpForScan(base, name) {
  const url = new URL(base);
  url.pathname = `/${name}`;
  const dump = execFileSync('pg_dump', ['--no-owner', '--data-only', '-d', url.toString()], {
    maxBuffer: 1024 * 1024 * 1024,
  });
  writeFileSync(join(SCAN_DIR, 'pg', `${name}.sql`), dump);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls `fn` until it returns a truthy value (which is returned), at most `timeoutMs`; `what` names the condition
// in the error. `fn` may be async; a throwing `fn` counts as "not yet" and its last error is reported, except an
// error marked `fatal` (the process waited for has exited), which ends the wait at once.
export async function waitUntil(fn, { timeoutMs = 10_000, intervalMs = 25, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (let i = 0; ; i += 1) {
    try {
      const v = await fn();
      if (v) return v;
      lastError = undefined;
    } catch (err) {
      if (err?.fatal) throw err;
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const detail = lastError ? ` (last error: ${lastError.message ?? lastError})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await sleep(Math.min(intervalMs, Math.max(1, deadline - Date.now())));
  }
}

// A free loopback port: bind port 0, read it, release it. (Another process could take it in between; the server
// would then fail to start and startTributary reports it.)
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

export function makeTempDir(prefix = 'tributary-e2e-') {
  const dir = mkdtempSync(join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

// Spawns `args` of the binary and collects its output (bounded). The child is tracked until it exits.
function spawnTracked(args, env, label) {
  const proc = spawn(BIN, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const state = { out: '', exited: false, code: null, signal: null, label };
  const scanLog = scanLogStream(label, proc.pid);
  const collect = (chunk) => {
    scanLog?.write(chunk);
    const text = chunk.toString('utf8');
    if (ECHO_LOGS) process.stderr.write(text.replace(/^/gm, `[${label} ${proc.pid}] `));
    state.out += text;
    if (state.out.length > MAX_LOG_CHARS) state.out = state.out.slice(-MAX_LOG_CHARS / 2);
  };
  proc.stdout.on('data', collect);
  proc.stderr.on('data', collect);
  // 'close' comes after the last output ('exit' may come before it).
  if (scanLog) proc.once('close', () => scanLog.end());
  state.exitPromise = new Promise((resolveExit) => {
    proc.once('exit', (code, signal) => {
      state.exited = true;
      state.code = code;
      state.signal = signal;
      children.delete(proc);
      resolveExit({ code, signal });
    });
    proc.once('error', (err) => {
      state.out += `\n[harness] spawn failed: ${err.message}\n`;
      state.exited = true;
      children.delete(proc);
      resolveExit({ code: null, signal: null, error: err });
    });
  });
  children.add(proc);
  return { proc, state };
}

// Sends `signal` to the child by its PID and waits (bounded) for it to exit; escalates to SIGKILL.
async function stopChild(proc, state, signal = 'SIGTERM') {
  if (state.exited) return { code: state.code, signal: state.signal };
  try {
    process.kill(proc.pid, signal);
  } catch {
    // Already gone.
  }
  const timer = new Promise((r) => setTimeout(() => r('timeout'), STOP_TIMEOUT_MS));
  const first = await Promise.race([state.exitPromise, timer]);
  if (first !== 'timeout') return first;
  try {
    process.kill(proc.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
  return state.exitPromise;
}

async function readJson(res) {
  const text = await res.text();
  let body = null;
  try {
    body = text.length ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  return { status: res.status, headers: res.headers, text, body };
}

// One HTTP request with a deadline; resolves {status, headers, text, body (parsed JSON or null)}.
export async function request(method, url, { headers = {}, body, timeoutMs = REQUEST_TIMEOUT_MS } = {}) {
  const toNode = SCAN_DIR && [...nodeUrls].some((u) => url.startsWith(`${u}/`));
  if (toNode && body !== undefined && !Buffer.isBuffer(body)) {
    let sent = body;
    if (typeof body === 'string') {
      try {
        sent = JSON.parse(body);
      } catch {
        sent = undefined;
      }
    }
    recordSecretsIn(sent, `sent to ${method} ${new URL(url).pathname}`);
  }
  const init = { method, headers: { ...headers }, signal: AbortSignal.timeout(timeoutMs) };
  if (body !== undefined) {
    init.body = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    if (!Object.keys(init.headers).some((h) => h.toLowerCase() === 'content-type')) {
      init.headers['Content-Type'] = 'application/json';
    }
  }
  const res = await readJson(await fetch(url, init));
  if (toNode) recordSecretsIn(res.body, `answer to ${method} ${new URL(url).pathname}`);
  return res;
}

// The database a node under test gets: a fresh SQLite file, or — when TRIBUTARY_E2E_BACKEND=postgres — a fresh
// database on the PostgreSQL server named by TRIBUTARY_TEST_POSTGRES_URL (scripts/with-postgres.sh), dropped at
// stopAll().
const createdDatabases = [];
function freshDatabase(dataDir) {
  if (process.env.TRIBUTARY_E2E_BACKEND !== 'postgres') return join(dataDir, 't.db');
  const base = process.env.TRIBUTARY_TEST_POSTGRES_URL;
  if (!base) throw new Error('TRIBUTARY_E2E_BACKEND=postgres needs TRIBUTARY_TEST_POSTGRES_URL');
  const name = `tributary_e2e_${randomBytes(6).toString('hex')}`;
  execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', base, '-c', `CREATE DATABASE ${name}`]);
  const url = new URL(base);
  url.pathname = `/${name}`;
  createdDatabases.push({ base, name });
  return url.toString();
}

// Starts `tributary serve` on a free loopback port with a fresh database (SQLite by default; see freshDatabase).
// `env` overrides the defaults.
// Returns {url, apiKey, dir, database, api(method, path, body), kill(signal), restart(), proc, logs(), exited()}.
export async function startTributary({ env = {}, dir } = {}) {
  const dataDir = dir ?? makeTempDir();
  const port = await freePort();
  const apiKey = `e2e_${randomBytes(24).toString('hex')}`;
  const fullEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TRIBUTARY_LISTEN: `127.0.0.1:${port}`,
    TRIBUTARY_DATABASE: env.TRIBUTARY_DATABASE ?? freshDatabase(dataDir),
    TRIBUTARY_API_KEY: apiKey,
    // Beside the test's data, whatever the backend (on PostgreSQL the default is the working directory).
    TRIBUTARY_MASTER_KEY_FILE: join(dataDir, 'master.key'),
    TRIBUTARY_DELIVERY_ALLOW_NETWORKS: '127.0.0.0/8',
    TRIBUTARY_RETRY_BASE_MS: '100',
    TRIBUTARY_RETRY_FACTOR: '2',
    TRIBUTARY_RETRY_JITTER: '0',
    TRIBUTARY_LOG_LEVEL: 'info',
    // Every client of a test node is 127.0.0.1: the tests that check how refusals are logged want all of them
    // (the sampling itself is tested in src/app/node_ingress_test.cc).
    TRIBUTARY_INGRESS_REJECTED_LOGGED_PER_ADDRESS: '100000',
    TRIBUTARY_INGRESS_REJECTED_LOGGED_PER_MINUTE: '100000',
    ...env,
  };
  const url = `http://127.0.0.1:${port}`;
  nodeUrls.add(url);
  recordSecret('API key of a node', fullEnv.TRIBUTARY_API_KEY);
  recordSecret('master key of a node (TRIBUTARY_MASTER_KEY)', fullEnv.TRIBUTARY_MASTER_KEY);
  let current;
  let logsBefore = '';

  async function launch() {
    current = spawnTracked(['serve'], fullEnv, 'tributary');
    const { state } = current;
    await waitUntil(
      async () => {
        if (state.exited) {
          throw Object.assign(new Error(`tributary exited (code ${state.code}, signal ${state.signal})`), {
            fatal: true,
          });
        }
        const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
        await res.text();
        return res.status === 200;
      },
      { timeoutMs: START_TIMEOUT_MS, intervalMs: 20, what: `tributary /healthz on ${url}` },
    ).catch((err) => {
      throw new Error(`${err.message}\n--- tributary output ---\n${state.out.slice(-4000)}`);
    });
  }

  await launch();

  const tb = {
    url,
    port,
    apiKey,
    dir: dataDir,
    database: fullEnv.TRIBUTARY_DATABASE,
    env: fullEnv,
    get proc() {
      return current.proc;
    },
    logs: () => logsBefore + current.state.out,
    exited: () => current.state.exited,
    async api(method, path, body, { headers = {}, timeoutMs } = {}) {
      return request(method, url + path, {
        headers: { Authorization: `Bearer ${apiKey}`, ...headers },
        body,
        timeoutMs,
      });
    },
    // kill('SIGKILL') for a crash, the default SIGTERM for a graceful stop. Resolves once the process has exited.
    async kill(signal = 'SIGTERM') {
      return stopChild(current.proc, current.state, signal);
    },
    // A new process on the same port and database (stops the current one gracefully if it still runs).
    async restart() {
      if (!current.state.exited) await stopChild(current.proc, current.state, 'SIGTERM');
      logsBefore += current.state.out + '\n[harness] --- restart ---\n';
      await launch();
      return tb;
    },
  };
  return tb;
}

// A simulator's API base URL → its authorization host's base URL, for the simulators that have one.
const SIM_AUTH_URLS = new Map();
// The API base URLs of the simulators started here (createIntegration raises their API limits to an override).
const SIM_URLS = new Set();

// Starts `tributary sim <tool> --listen 127.0.0.1:0` and reads its base URL from stdout.
// Returns {url, authUrl, tool, firstLine, ctl(method, path, body), kill(signal), proc, logs()}.
export async function startSim(tool, { env = {} } = {}) {
  const fullEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
  const { proc, state } = spawnTracked(['sim', tool, '--listen', '127.0.0.1:0'], fullEnv, `sim-${tool}`);
  // The contract is "the base URL is the first stdout line". Log lines can precede it (see sim.test.mjs), so the
  // harness takes the first line that is a bare URL and keeps the real first line for that check.
  let stdoutText = '';
  proc.stdout.on('data', (chunk) => {
    if (stdoutText.length < 64 * 1024) stdoutText += chunk.toString('utf8');
  });
  const found = await waitUntil(
    () => {
      if (state.exited) throw new Error(`sim ${tool} exited (code ${state.code}): ${state.out.slice(-2000)}`);
      const lines = stdoutText.split('\n');
      const complete = lines.slice(0, -1);
      const urlLine = complete.find((l) => /^http:\/\/127\.0\.0\.1:\d+$/.test(l.trim()));
      return urlLine ? { url: urlLine.trim(), firstLine: complete[0] } : null;
    },
    { timeoutMs: START_TIMEOUT_MS, intervalMs: 10, what: `the base URL on the stdout of sim ${tool}` },
  );
  // A tool with an authorization host of its own (Greenhouse) serves it on a second port, named here.
  const hosts = await request('GET', `${found.url}/_sim/hosts`);
  const authUrl = hosts.status === 200 ? hosts.body?.auth ?? null : null;
  if (authUrl) SIM_AUTH_URLS.set(found.url, authUrl);
  SIM_URLS.add(found.url);
  if (SCAN_DIR) liveSims.set(found.url, tool);
  return {
    url: found.url,
    authUrl,
    tool,
    firstLine: found.firstLine,
    proc,
    logs: () => state.out,
    async ctl(method, path, body) {
      return request(method, found.url + path, { body });
    },
    async kill(signal = 'SIGTERM') {
      await collectSimSecrets(found.url);
      return stopChild(proc, state, signal);
    },
  };
}

// Ends every child still running (by PID: SIGTERM, then SIGKILL after a bound) and removes the temp dirs.
export async function stopAll() {
  await Promise.all([...liveSims.keys()].map(collectSimSecrets));
  const live = [...children];
  await Promise.all(
    live.map((proc) => {
      const exitPromise = new Promise((r) => {
        if (proc.exitCode !== null || proc.signalCode !== null) r();
        else proc.once('exit', r);
      });
      try {
        process.kill(proc.pid, 'SIGTERM');
      } catch {
        return undefined;
      }
      const timer = setTimeout(() => {
        try {
          process.kill(proc.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }, STOP_TIMEOUT_MS);
      return exitPromise.finally(() => clearTimeout(timer));
    }),
  );
  for (const { base, name } of createdDatabases.splice(0)) {
    if (SCAN_DIR) dumpForScan(base, name);
    try {
      execFileSync('psql', ['-X', '-q', '-d', base, '-c', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]);
    } catch {
      // The cluster is thrown away with its directory anyway.
    }
  }
  if (SCAN_DIR) for (const dir of tempDirs) keepForScan(dir);
  if (!KEEP_DIRS) {
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
    tempDirs.clear();
  }
}

// Last resort if the test process dies without running after(): no child outlives it.
process.once('exit', () => {
  for (const proc of children) {
    try {
      process.kill(proc.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

// ----------------------------------------------------------------------------------------------------------------
// Helpers shared by the test files.

// GET a list endpoint and follow `next` (bounded) → every result.
export async function listAll(tb, path, { maxPages = 50 } = {}) {
  const out = [];
  let cursor = null;
  for (let page = 0; page < maxPages; page += 1) {
    const sep = path.includes('?') ? '&' : '?';
    const res = await tb.api('GET', `${path}${cursor ? `${sep}cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text}`);
    out.push(...res.body.data.results);
    cursor = res.body.data.next;
    if (!cursor) return out;
  }
  throw new Error(`GET ${path}: more than ${maxPages} pages`);
}

export const END_USER = { organization_name: 'Acme GmbH', creator_email: 'ops@acme.test', origin_id: 'acme-1' };

export async function createEndpoint(tb, url, extra = {}) {
  const res = await tb.api('POST', '/v1/webhook-endpoints', { url, ...extra });
  if (res.status !== 201) throw new Error(`creating an endpoint: ${res.status} ${res.text}`);
  return res.body.data;
}

// Well-formed credentials for each tool (shared/vendors.md "Credentials"); the simulators accept any such.
export const CREDENTIALS = {
  personio: { client_id: 'e2e-client', client_secret: 'e2e-client-secret' },
  greenhouse: { client_id: 'e2e-client', client_secret: 'e2e-client-secret', user_id: '4242' },
  bamboohr: { api_key: 'e2e-api-key', company_domain: 'acme' },
  hibob: { service_user_id: 'e2e-service-user', service_user_token: 'e2e-service-token' },
  workable: { api_key: 'e2e-api-key', subdomain: 'acme' },
  ashby: { api_key: 'e2e-api-key' },
  smartrecruiters: { api_key: 'e2e-api-key' },
  lever: { api_key: 'e2e-api-key' },
  recruitee: { api_key: 'e2e-api-key', company_id: '4242' },
  teamtailor: { api_key: 'e2e-api-key' },
};

// The API limits of integrations on a simulator. The simulators enforce the tools' documented limits, the same
// figures the connectors declare; suites that are not about the limits run faster than the tool's documented
// rate (Personio's 5 per second would stretch a burst of 240 changes over minutes): the integration overrides
// its limits with these and the simulator's limits are raised to match (POST /_sim/limits), so nothing is
// refused. `rateLimit: null` keeps the connector's declared limits and the simulator's documented ones.
export const SIM_RATE_LIMIT = { requests: 1000, window_ms: 1000, concurrency: 16 };

// Sets a simulator's API limits: {requests, window_ms, concurrency} or {enforce: true|false}.
export async function setSimLimits(simUrl, limits) {
  const res = await request('POST', `${simUrl}/_sim/limits`, { body: limits });
  if (res.status !== 200) throw new Error(`POST ${simUrl}/_sim/limits: ${res.status} ${res.text}`);
  return res.body;
}

export async function createIntegration(tb, tool, simUrl, scope = { upstream_webhooks: true }, { rateLimit = SIM_RATE_LIMIT } = {}) {
  const credentials = CREDENTIALS[tool];
  if (!credentials) throw new Error(`no test credentials for ${tool}`);
  // The simulator's rate is raised to the override; its concurrency is left unlimited, as the override's
  // concurrency is per node and a suite may run several nodes.
  if (rateLimit && SIM_URLS.has(simUrl)) {
    await setSimLimits(simUrl, { requests: rateLimit.requests, window_ms: rateLimit.window_ms, concurrency: 0 });
  }
  const res = await tb.api('POST', '/v1/integrations', {
    tool,
    end_user: END_USER,
    credentials,
    remote_base_url: simUrl,
    ...(SIM_AUTH_URLS.has(simUrl) ? { remote_auth_url: SIM_AUTH_URLS.get(simUrl) } : {}),
    ...(rateLimit ? { rate_limit: rateLimit } : {}),
    scope,
  });
  if (res.status !== 201) throw new Error(`creating a ${tool} integration: ${res.status} ${res.text}`);
  return res.body.data;
}

// Waits until a sync of the integration has succeeded (the first one runs right after create; the read API
// answers INTEGRATION.SETUP_SYNC_PENDING until then) and returns its log entry.
export async function waitForFirstSync(tb, id, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    const res = await tb.api('GET', `/v1/integrations/${encodeURIComponent(id)}/syncs`);
    if (res.status !== 200) throw new Error(`GET syncs of ${id}: ${res.status} ${res.text}`);
    last = res.body.data.results;
    const done = last.find((s) => s.state === 'SUCCEEDED');
    if (done) return done;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no sync of ${id} succeeded within ${timeoutMs} ms: ${JSON.stringify(last)}`);
}

export async function getIntegration(tb, id) {
  const res = await tb.api('GET', `/v1/integrations/${encodeURIComponent(id)}`);
  if (res.status !== 200) throw new Error(`GET integration ${id}: ${res.status} ${res.text}`);
  return res.body.data;
}

export async function getEvent(tb, id) {
  const res = await tb.api('GET', `/v1/events/${encodeURIComponent(id)}`);
  if (res.status !== 200) throw new Error(`GET event ${id}: ${res.status} ${res.text}`);
  return res.body.data;
}

// Upstream log rows matching the query string (e.g. "outcome=rejected&integration_id=…").
export async function upstreamLogs(tb, query = '') {
  return listAll(tb, `/v1/logs/upstream${query ? `?${query}` : ''}`);
}
