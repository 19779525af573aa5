// Kombo compatibility beyond the read API: the official Kombo SDK (@kombo-api/sdk, pinned in package.json), pointed
// at Tributary with nothing else changed, makes its general calls (checkApiKey, getTools, getIntegrationDetails,
// setIntegrationEnabled, triggerSync, deleteIntegration) and validates every answer with its own schemas; and every
// webhook Tributary delivers of a type the SDK knows (sync-finished, data-changed, integration-created,
// integration-deleted, integration-state-changed) parses with the SDK's webhook schema for that type (its
// *WebhookPayloadFromJSON parsers, and validateWebhook).
//
// The lifecycle covered: an integration created (integration-created, then its first sync: sync-finished and
// data-changed), disabled and enabled (integration-state-changed INACTIVE, ACTIVE), synced by triggerSync, deleted
// (integration-deleted); a second integration whose tool rejects the credentials (INVALID) and accepts new ones
// (ACTIVE).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Kombo } from '@kombo-api/sdk';

import {
  CREDENTIALS,
  createEndpoint,
  createIntegration,
  startSim,
  startTributary,
  stopAll,
  waitForFirstSync,
  waitUntil,
} from './lib/harness.mjs';
import { SDK_PARSERS, startReceiver } from './lib/receiver.mjs';

after(stopAll);

const SDK_TYPES = ['sync-finished', 'data-changed', 'integration-created', 'integration-deleted', 'integration-state-changed'];

function sdkFor(tb, integrationId) {
  return new Kombo({ api_key: tb.apiKey, integration_id: integrationId, server_url: `${tb.url}/v1` });
}

describe('the Kombo SDK against Tributary: general calls and lifecycle webhooks', () => {
  let tb;
  let sim;
  let rx;
  let integration;

  const received = (type, match = () => true) => rx.events.filter((e) => e.type === type && match(e.data));
  const stateChanges = (id) => received('integration-state-changed', (d) => d.integration_id === id).map((e) => e.data.state);

  before(async () => {
    [tb, sim] = await Promise.all([startTributary(), startSim('greenhouse')]);
    rx = await startReceiver({ secret: 'whsec_placeholder' });
    const endpoint = await createEndpoint(tb, rx.url); // every type
    rx.setSecrets(endpoint.secret);
    // A job at the tool before the integration exists: its first sync changes data (data-changed).
    const job = await sim.ctl('POST', '/_sim/ats_jobs', { name: 'Compiler Engineer' });
    assert.equal(job.status, 200, job.text);
    integration = await createIntegration(tb, 'greenhouse', sim.url, { models: { ats_jobs: true, ats_candidates: true } });
    await waitForFirstSync(tb, integration.id);
  });
  after(async () => rx?.close());

  test('checkApiKey and getTools parse in the SDK', async () => {
    const kombo = sdkFor(tb, integration.id);
    const check = await kombo.general.checkApiKey();
    assert.equal(check.status, 'success');
    assert.ok(check.data.environment_id.length > 0);
    assert.equal((await kombo.general.checkApiKey()).data.environment_id, check.data.environment_id, 'one environment');

    const ats = await kombo.general.getTools({ category: 'ats' });
    const greenhouse = ats.data.tools.find((t) => t.id === 'greenhouse');
    assert.ok(greenhouse, JSON.stringify(ats.data.tools.map((t) => t.id)));
    assert.equal(greenhouse.label, 'Greenhouse');
    assert.ok(greenhouse.coverage.read_models.some((m) => m.id === 'ats_jobs' && m.coverage_status === 'SUPPORTED'));
    const hris = await kombo.general.getTools({ category: 'hris' });
    assert.ok(hris.data.tools.some((t) => t.id === 'personio'));
    assert.ok(!hris.data.tools.some((t) => t.id === 'greenhouse'));
    assert.deepEqual((await kombo.general.getTools({ category: 'lms' })).data.tools, []);

    // What the SDK cannot send, a client can: a Kombo-style 400, not a 500.
    const bad = await tb.api('GET', '/v1/tools/crm');
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.body.status, 'error');
    assert.equal(bad.body.error.code, 'PLATFORM.INPUT_INVALID');
  });

  test('getIntegrationDetails, setIntegrationEnabled, triggerSync and deleteIntegration parse in the SDK', async () => {
    const kombo = sdkFor(tb, integration.id);
    const details = await kombo.general.getIntegrationDetails({ integration_id: integration.id });
    assert.equal(details.data.id, integration.id);
    assert.equal(details.data.tool.id, 'greenhouse');
    assert.equal(details.data.category, 'ATS');
    assert.equal(details.data.status, 'ACTIVE');
    assert.equal(details.data.setup_status, 'COMPLETED');
    assert.ok(details.data.created_at instanceof Date);
    assert.ok(details.data.read_models.some((m) => m.id === 'ats_jobs' && m.is_available));

    const off = await kombo.general.setIntegrationEnabled({ integration_id: integration.id, body: { value: false } });
    assert.equal(off.status, 'success');
    assert.equal((await kombo.general.getIntegrationDetails({ integration_id: integration.id })).data.status, 'INACTIVE');
    await kombo.general.setIntegrationEnabled({ integration_id: integration.id, body: { value: true } });
    assert.equal((await kombo.general.getIntegrationDetails({ integration_id: integration.id })).data.status, 'ACTIVE');
    await rx.waitFor(() => stateChanges(integration.id).length >= 2, 10_000);
    assert.deepEqual(stateChanges(integration.id), ['INACTIVE', 'ACTIVE']);

    // A bad body from some other client: a 400 with the reason.
    const bad = await tb.api('PUT', `/v1/integrations/${encodeURIComponent(integration.id)}/enabled`, { value: 'no' });
    assert.equal(bad.status, 400, bad.text);
    assert.match(bad.body.error.message, /value/);

    const sync = await kombo.general.triggerSync({ type: 'FULL' });
    assert.equal(sync.status, 'success');
    assert.equal(typeof sync.data.sync_id, 'string');
    await waitUntil(async () => {
      const res = await tb.api('GET', `/v1/syncs/${encodeURIComponent(sync.data.sync_id)}`);
      return res.status === 200 && res.body.data.state === 'SUCCEEDED';
    }, { timeoutMs: 15_000, what: 'the triggered sync to succeed' });

    const deleted = await kombo.general.deleteIntegration({ integration_id: integration.id, body: {} });
    assert.equal(deleted.status, 'success');
    await rx.waitFor(() => received('integration-deleted', (d) => d.id === integration.id).length === 1, 10_000);
    const [gone] = received('integration-deleted', (d) => d.id === integration.id);
    assert.equal(gone.data.tool, 'greenhouse');
  });

  test('credentials the tool rejects make an integration INVALID, new ones ACTIVE', async () => {
    assert.equal((await sim.ctl('POST', '/_sim/faults', { unauthorized: true })).status, 200);
    const other = await createIntegration(tb, 'greenhouse', sim.url, { models: { ats_jobs: true } });
    await rx.waitFor(() => stateChanges(other.id).length >= 1, 15_000);
    assert.deepEqual(stateChanges(other.id), ['INVALID']);
    const details = await sdkFor(tb, other.id).general.getIntegrationDetails({ integration_id: other.id });
    assert.equal(details.data.status, 'INVALID');
    assert.equal(details.data.setup_status, 'FINAL_SYNC_PENDING');

    assert.equal((await sim.ctl('POST', '/_sim/faults', { unauthorized: false })).status, 200);
    const patched = await tb.api('PATCH', `/v1/integrations/${encodeURIComponent(other.id)}`, { credentials: CREDENTIALS.greenhouse });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.data.status, 'ACTIVE');
    await rx.waitFor(() => stateChanges(other.id).length >= 2, 10_000);
    assert.deepEqual(stateChanges(other.id), ['INVALID', 'ACTIVE']);
  });

  test('every delivered body of a type the SDK knows parses with its webhook schema', async () => {
    for (const type of SDK_TYPES) {
      assert.ok(received(type).length > 0, `no ${type} was delivered: ${JSON.stringify(rx.events.map((e) => e.type))}`);
    }
    let checked = 0;
    for (const event of rx.events) {
      const parse = SDK_PARSERS[event.type];
      if (!parse) continue;
      const raw = JSON.stringify(event.body);
      const parsed = parse(raw);
      assert.ok(parsed.ok, `${event.type} ${event.id}: ${parsed.error?.message}\n${raw}`);
      checked += 1;
    }
    assert.ok(checked >= SDK_TYPES.length);
    // The SDK's validateWebhook too. In 1.1.3 it parses the text it is given as {"X-Kombo-Signature", body} (its
    // webhook request schemas), so a raw body never matches; it is handed that wrapping, with the signature header
    // Tributary sent, and must name the event's own type.
    const kombo = sdkFor(tb, integration.id);
    for (const event of rx.events.filter((e) => SDK_PARSERS[e.type])) {
      const wrapped = JSON.stringify({ 'X-Kombo-Signature': event.headers['x-kombo-signature'], body: event.body });
      const validated = await kombo.validateWebhook({
        request: { body: wrapped, method: 'POST', url: rx.url, headers: { 'content-type': 'application/json' } },
      });
      assert.equal(validated.body.type, event.type, wrapped);
      assert.equal(validated.x_kombo_signature, event.headers['x-kombo-signature']);
    }
    assert.deepEqual(rx.schemaErrors, []);
    // sync-finished's duration is whole seconds, as the SDK's schema requires.
    for (const e of received('sync-finished')) assert.ok(Number.isInteger(e.data.sync_duration_seconds), JSON.stringify(e.body));
  });
});
