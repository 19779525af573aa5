// Clients that others wrote against the real tools, run unchanged against our simulators. Their code does
// not share our reading of the vendors: a request they send that a simulator refuses, or an answer they
// cannot read, is a simulator bug (the real tools serve these clients in production).
//
// n8n's Workable Trigger (npm n8n-nodes-base@2.41.2, dist/nodes/Workable/WorkableTrigger.node.js and
// GenericFunctions.js, brought by scripts/fetch-clients.sh): its webhook lifecycle (checkExists, create,
// delete) through Workable's subscriptions API, and a delivery it receives. n8n's runtime is not installed
// (n8n-workflow pulls in an editor and an error tracker): the test gives the node the few pieces of it the two
// files use (NodeConnectionTypes, NodeApiError) and the execution context n8n would give it; the request
// helper is n8n's `request` contract (uri, method, qs, body, json) carried out with fetch, the vendor's host
// sent to the simulator instead.
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
      async request(options) {
        const vendor = `https://${CREDENTIALS.workable.subdomain}.workable.com`;
        assert.ok(options.uri.startsWith(vendor), options.uri);
        const url = new URL(sim.url + options.uri.slice(vendor.length));
        for (const [key, value] of Object.entries(options.qs ?? {})) url.searchParams.set(key, value);
        const headers = { ...options.headers };
        if (options.body !== undefined) headers['Content-Type'] = 'application/json';
        const res = await fetch(url, {
          method: options.method,
          headers,
          body: options.body === undefined ? undefined : JSON.stringify(options.body),
        });
        const text = await res.text();
        requests.push({ method: options.method, path: url.pathname, body: options.body, status: res.status });
        if (!res.ok) {
          const error = new Error(`${res.status} ${text}`);
          error.statusCode = res.status;
          throw error;
        }
        return options.json && text ? JSON.parse(text) : text;
      },
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
