// Clients that others wrote against the real tools, run unchanged against our simulators. Their code does
// not share our reading of the vendors: a request they send that a simulator refuses, or an answer they
// cannot read, is a simulator bug (the real tools serve these clients in production).
//
// From npm n8n-nodes-base@2.41.2, brought by scripts/fetch-clients.sh (only the files loaded here):
// - the Workable Trigger (dist/nodes/Workable/WorkableTrigger.node.js, GenericFunctions.js): its webhook
//   lifecycle (checkExists, create, delete) through Workable's subscriptions API, and a delivery it receives;
// - the BambooHR node's employee operations (dist/nodes/BambooHr/v1/actions/employee/{get,getAll}/execute.js,
//   v1/transport/index.js): the legacy gateway, the employee directory and one employee with every field.
// From npm @activepieces/piece-ashby@0.2.0 (a devDependency, pinned in package.json): its one action, the
// "Custom API Call" (src/index.js, createCustomApiCallAction with baseUrl https://api.ashbyhq.com/ and an
// authMapping of HTTP Basic "<apiKey>:"), sent through Activepieces' own FetchHttpClient; the test reroutes
// that client's global fetch from Ashby's host to the simulator.
// n8n's runtime is not installed (n8n-workflow pulls in an editor and an error tracker): the test gives the
// files the few pieces of it they use (NodeConnectionTypes, NodeApiError) and the execution context n8n would
// give them; the request helper is n8n's `request` contract carried out with fetch, the vendor's host sent to
// the simulator instead.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import Module, { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CREDENTIALS, REPO, startSim, stopAll, waitUntil } from './lib/harness.mjs';

after(stopAll);

const N8N = join(REPO, 'tests/e2e/clients/n8n-nodes-base-2.41.2');
const WORKABLE_TRIGGER = join(N8N, 'dist/nodes/Workable/WorkableTrigger.node.js');
const BAMBOOHR_GET = join(N8N, 'dist/nodes/BambooHr/v1/actions/employee/get/execute.js');
const BAMBOOHR_GET_ALL = join(N8N, 'dist/nodes/BambooHr/v1/actions/employee/getAll/execute.js');

// The two modules the n8n files require besides their own: change-case (ESM, loaded here) and n8n-workflow.
async function loadN8nNode(file) {
  const changeCase = await import('change-case');
  class NodeApiError extends Error {
    constructor(node, error) {
      super(error?.message ?? String(error));
      this.httpCode = error?.statusCode;
    }
  }
  const n8nWorkflow = { NodeConnectionTypes: { Main: 'main' }, NodeApiError };
  const load = Module._load;
  Module._load = function loadWithN8n(request, parent, isMain) {
    if (request === 'n8n-workflow') return n8nWorkflow;
    if (request === 'change-case') return changeCase;
    return load.call(this, request, parent, isMain);
  };
  try {
    return createRequire(import.meta.url)(file);
  } finally {
    Module._load = load;
  }
}

// n8n's `request` helper (request-promise semantics: uri or url, method, qs, body, json, auth), carried out with
// fetch, the vendor's origin replaced by the simulator's. Non-2xx answers throw, as n8n's helper does.
async function n8nRequest(options, vendorOrigin, simUrl, log) {
  const target = options.uri ?? options.url;
  assert.ok(target.startsWith(vendorOrigin), target);
  const url = new URL(simUrl + target.slice(vendorOrigin.length));
  for (const [key, value] of Object.entries(options.qs ?? {})) url.searchParams.set(key, value);
  const headers = { ...options.headers };
  if (options.auth) {
    const { username, password } = options.auth;
    headers.Authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }
  if (options.json) headers.Accept = 'application/json';
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url, {
    method: options.method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  log.push({ method: options.method, path: url.pathname, body: options.body, status: res.status });
  if (!res.ok) {
    const error = new Error(`${res.status} ${text}`);
    error.statusCode = res.status;
    throw error;
  }
  return options.json && text ? JSON.parse(text) : text;
}

// A local HTTP server standing in for n8n's webhook URL: what Workable delivers to it.
async function startHookServer() {
  const received = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200).end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/webhook/7f3c`,
    received,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe('n8n Workable Trigger against the Workable simulator', { skip: !existsSync(WORKABLE_TRIGGER) && 'run scripts/fetch-clients.sh' }, () => {
  let sim;
  let hook;
  let node;
  const requests = [];
  const staticData = {};

  // The execution context n8n hands a trigger node's webhook methods.
  const context = (parameters) => ({
    getCredentials: async (name) => {
      assert.equal(name, 'workableApi');
      return { accessToken: CREDENTIALS.workable.api_key, subdomain: CREDENTIALS.workable.subdomain };
    },
    getNodeWebhookUrl: () => hook.url,
    getWorkflowStaticData: () => staticData,
    getNodeParameter: (name) => parameters[name],
    getNode: () => ({ name: 'Workable Trigger' }),
    getBodyData: () => parameters.body,
    helpers: {
      returnJsonArray: (data) => [data].flat().map((json) => ({ json })),
      request: (options) =>
        n8nRequest(options, `https://${CREDENTIALS.workable.subdomain}.workable.com`, sim.url, requests),
    },
  });

  before(async () => {
    [sim, hook] = await Promise.all([startSim('workable'), startHookServer()]);
    const { WorkableTrigger } = await loadN8nNode(WORKABLE_TRIGGER);
    node = new WorkableTrigger();
  });
  after(async () => hook?.close());

  test('subscribes, finds its subscription, receives a candidate and unsubscribes', async () => {
    const methods = node.webhookMethods.default;
    const params = { triggerOn: 'candidateCreated', filters: {} };
    assert.equal(await methods.checkExists.call(context(params)), false);
    // n8n sends args with account_id alone when no job or stage filter is set.
    assert.equal(await methods.create.call(context(params)), true, JSON.stringify(requests.at(-1)));
    assert.deepEqual(requests.at(-1).body.args, { account_id: CREDENTIALS.workable.subdomain });
    assert.ok(staticData.webhookId !== undefined, 'the subscription id is kept');
    assert.equal(await methods.checkExists.call(context(params)), true);

    const created = await sim.ctl('POST', '/_sim/ats_candidates', {
      first_name: 'Ada',
      last_name: 'Lovelace',
      email: 'ada.n8n@acme.test',
    });
    assert.equal(created.status, 200, created.text);
    const delivery = await waitUntil(() => hook.received.find((d) => d.body.includes('candidate_created')), {
      timeoutMs: 10_000,
      what: 'the candidate_created delivery at the n8n webhook URL',
    });
    const out = await node.webhook.call(context({ body: JSON.parse(delivery.body) }));
    const item = out.workflowData[0][0].json;
    assert.equal(item.event_type, 'candidate_created');
    assert.equal(String(item.data.id), String(created.body.remote_id));

    assert.equal(await methods.delete.call(context(params)), true);
    assert.equal(staticData.webhookId, undefined);
    const deleted = requests.at(-1);
    assert.equal(deleted.method, 'DELETE');
    assert.ok(deleted.status >= 200 && deleted.status < 300, JSON.stringify(deleted));
    assert.equal(await methods.checkExists.call(context(params)), false);
  });
});

// n8n's BambooHR node (n8n-nodes-base@2.41.2, dist/nodes/BambooHr/v1: transport/index.js and the employee
// get / getAll operations): it calls the legacy gateway https://api.bamboohr.com/api/gateway.php/{subdomain}/v1/
// with HTTP Basic (the API key, "x"), lists employees through employees/directory and reads one employee
// with every directory field.
describe('n8n BambooHR node against the BambooHR simulator', { skip: !existsSync(BAMBOOHR_GET) && 'run scripts/fetch-clients.sh' }, () => {
  let sim;
  let get;
  let getAll;
  const requests = [];
  const context = (parameters) => ({
    getCredentials: async (name) => {
      assert.equal(name, 'bambooHrApi');
      return { apiKey: CREDENTIALS.bamboohr.api_key, subdomain: CREDENTIALS.bamboohr.company_domain };
    },
    getNodeParameter: (name, _index, fallback) => (name in parameters ? parameters[name] : fallback),
    getNode: () => ({ name: 'BambooHR' }),
    helpers: {
      returnJsonArray: (data) => [data].flat().map((json) => ({ json })),
      request: (options) => n8nRequest(options, 'https://api.bamboohr.com', sim.url, requests),
    },
  });

  before(async () => {
    sim = await startSim('bamboohr');
    ({ get } = await loadN8nNode(BAMBOOHR_GET));
    ({ getAll } = await loadN8nNode(BAMBOOHR_GET_ALL));
  });

  test('lists employees through the directory and reads one with every directory field', async () => {
    const ids = [];
    for (const [first, title] of [['Grace', 'Rear Admiral'], ['Ada', 'Analyst']]) {
      const created = await sim.ctl('POST', '/_sim/hris_employees', {
        first_name: first,
        last_name: 'Hopper',
        work_email: `${first.toLowerCase()}@acme.test`,
        job_title: title,
      });
      assert.equal(created.status, 200, created.text);
      ids.push(String(created.body.remote_id));
    }
    const all = await getAll.call(context({ returnAll: true }), 0);
    const listed = all.map((item) => item.json);
    assert.deepEqual(listed.map((e) => String(e.id)).sort(), [...ids].sort());
    assert.equal(listed.find((e) => String(e.id) === ids[0]).firstName, 'Grace');

    const one = await get.call(context({ employeeId: ids[1] }), 0);
    assert.equal(one.length, 1);
    assert.equal(String(one[0].json.id), ids[1]);
    assert.equal(one[0].json.firstName, 'Ada');
    assert.equal(one[0].json.jobTitle, 'Analyst');
    assert.equal(one[0].json.workEmail, 'ada@acme.test');
    for (const r of requests) {
      assert.ok(r.path.startsWith(`/api/gateway.php/${CREDENTIALS.bamboohr.company_domain}/v1/employees`), r.path);
      assert.equal(r.status, 200, JSON.stringify(r));
    }
  });
});

// Activepieces' Ashby piece (@activepieces/piece-ashby@0.2.0): its only action is a custom API call with the
// piece's base URL and auth. The request shape (host, POST to /<method>, Basic "<apiKey>:" with an empty
// password, a JSON body) and the reading of the answer ({status, headers, body}) are Activepieces' code; the
// test only moves the call from https://api.ashbyhq.com to the simulator, at the fetch the client calls.
describe('Activepieces Ashby piece against the Ashby simulator', () => {
  let sim;
  let action;
  const seen = [];
  const realFetch = globalThis.fetch;
  const ASHBY = 'https://api.ashbyhq.com/';

  before(async () => {
    sim = await startSim('ashby');
    // The shapes of the piece's calls are under test, not the API limit (5 per second, which its burst of reads
    // exceeds): the simulator's limits are off here.
    const off = await sim.ctl('POST', '/_sim/limits', { enforce: false });
    assert.equal(off.status, 200, off.text);
    const { ashby } = createRequire(import.meta.url)('@activepieces/piece-ashby');
    action = ashby.actions().custom_api_call;
    globalThis.fetch = async (input, init = {}) => {
      const url = String(input);
      if (!url.startsWith(ASHBY)) return realFetch(input, init);
      seen.push({ url, method: init.method, headers: new Headers(init.headers), body: init.body });
      return realFetch(`${sim.url}/${url.slice(ASHBY.length)}`, init);
    };
  });
  after(() => {
    globalThis.fetch = realFetch;
  });

  // What the Activepieces engine hands the action's run: the connection's props and the step's inputs.
  const run = (method, data) =>
    action.run({
      auth: { props: { apiKey: CREDENTIALS.ashby.api_key } },
      propsValue: {
        url: { url: `/${method}` },
        method: 'POST',
        headers: {},
        queryParams: {},
        body_type: 'json',
        body: { data },
        failsafe: false,
        response_is_binary: false,
      },
      files: { write: async () => '' },
    });

  test('lists and reads candidates, applications and jobs the simulator holds', async () => {
    const job = await sim.ctl('POST', '/_sim/ats_jobs', { name: 'Archaeologist', status: 'OPEN' });
    assert.equal(job.status, 200, job.text);
    const candidate = await sim.ctl('POST', '/_sim/ats_candidates', {
      first_name: 'Ada',
      last_name: 'Lovelace',
      email: 'ada.activepieces@acme.test',
      job_remote_id: job.body.remote_id,
    });
    assert.equal(candidate.status, 200, candidate.text);

    const candidates = await run('candidate.list', { limit: 10 });
    assert.equal(candidates.status, 200);
    assert.equal(candidates.body.success, true, JSON.stringify(candidates.body));
    assert.deepEqual(candidates.body.results.map((c) => c.id), [candidate.body.remote_id]);
    assert.equal(candidates.body.results[0].name, 'Ada Lovelace');

    const one = await run('candidate.info', { id: candidate.body.remote_id });
    assert.equal(one.body.success, true, JSON.stringify(one.body));
    assert.equal(one.body.results.primaryEmailAddress.value, 'ada.activepieces@acme.test');
    assert.deepEqual(one.body.results.applicationIds, [candidate.body.application_id]);

    const application = await run('application.info', { applicationId: candidate.body.application_id });
    assert.equal(application.body.success, true, JSON.stringify(application.body));
    assert.equal(application.body.results.candidate.id, candidate.body.remote_id);
    assert.equal(application.body.results.job.id, job.body.remote_id);

    const jobs = await run('job.list', {});
    assert.deepEqual(jobs.body.results.map((j) => j.id), [job.body.remote_id]);
    const jobInfo = await run('job.info', { id: job.body.remote_id });
    assert.equal(jobInfo.body.results.title, 'Archaeologist');

    // Ashby answers a failed call with HTTP 200 and success false; the piece hands it on as it came.
    const missing = await run('candidate.info', { id: 'no-such-candidate' });
    assert.equal(missing.status, 200);
    assert.equal(missing.body.success, false);
    assert.equal(missing.body.errorInfo.code, 'not_found');

    const basic = `Basic ${Buffer.from(`${CREDENTIALS.ashby.api_key}:`).toString('base64')}`;
    assert.equal(seen.length, 6);
    for (const r of seen) {
      assert.equal(r.method, 'POST');
      assert.equal(r.headers.get('authorization'), basic);
      assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    }
    assert.equal(seen[0].url, 'https://api.ashbyhq.com/candidate.list');
    assert.deepEqual(JSON.parse(seen[0].body), { limit: 10 });
  });
});
