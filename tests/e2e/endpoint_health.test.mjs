// Endpoint health and retention in the dashboard, in a real browser (Debian's headless Chromium driven by
// playwright-core), against `tributary serve` with a small `delivery.disable_after` and a retention of seconds,
// fed by the simulated Personio: an endpoint on 127.0.0.1 that answers 500 to everything is disabled
// automatically; the endpoints page shows a banner saying so and why, and the card's recovery form holds the
// missed range; enabling it offers that range and recovering sends the missed events. The other endpoint got a
// signed endpoint-disabled event. A request older than the retention shows that its body was pruned.
// Screenshots go to tests/e2e/artifacts/ (git-ignored).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  createEndpoint,
  createIntegration,
  startSim,
  startTributary,
  stopAll,
  upstreamLogs,
  waitUntil,
} from './lib/harness.mjs';
import { launchBrowser, screenshot as shot, skipWithoutChromium } from './lib/browser.mjs';
import { startReceiver } from './lib/receiver.mjs';

const UI_TIMEOUT_MS = 15_000;

let context;
const receivers = [];
after(async () => {
  await context?.close().catch(() => {});
  await Promise.all(receivers.map((rx) => rx.close()));
  await stopAll();
});

describe('endpoint health and retention in the dashboard', { skip: skipWithoutChromium }, () => {
  let tb;
  let sim;
  let down; // answers 500 to everything until told otherwise
  let told; // the operator's other endpoint, subscribed to endpoint-disabled
  let downEndpoint;
  let page;

  before(async () => {
    [tb, sim] = await Promise.all([
      startTributary({
        env: {
          TRIBUTARY_DELIVERY_DISABLE_AFTER: '1500ms',
          TRIBUTARY_RETRY_MAX_RETRIES: '1',
          TRIBUTARY_RETENTION_SECONDS: '4',
        },
      }),
      startSim('personio'),
    ]);
    down = await startReceiver({ secret: 'whsec_placeholder' });
    told = await startReceiver({ secret: 'whsec_placeholder' });
    receivers.push(down, told);
    down.setBehaviour({ status: 500 });
    downEndpoint = await createEndpoint(tb, down.url, { event_types: ['remote-event-received'] });
    down.setSecrets(downEndpoint.secret);
    const toldEndpoint = await createEndpoint(tb, told.url, { event_types: ['endpoint-disabled'] });
    told.setSecrets(toldEndpoint.secret);
    await createIntegration(tb, 'personio', sim.url, { upstream_webhooks: true });
    ({ context, page } = await launchBrowser({ timeoutMs: UI_TIMEOUT_MS, height: 900 }));
    await page.goto(`${tb.url}/`);
    await page.getByLabel('API key').fill(tb.apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Events', level: 1 }).waitFor();
  });

  test('an endpoint failing for disable_after is disabled, and the endpoints page says so and why', async () => {
    const created = await sim.ctl('POST', '/_sim/hris_employees', { first_name: 'Ada', last_name: 'Down' });
    assert.equal(created.status, 200, created.text);
    await waitUntil(async () => down.attempts.length >= 1, { timeoutMs: UI_TIMEOUT_MS, what: 'a failed attempt' });
    const disabled = await waitUntil(
      async () => {
        const res = await tb.api('GET', `/v1/webhook-endpoints/${downEndpoint.id}`);
        return res.body.data.enabled === false ? res.body.data : null;
      },
      { timeoutMs: UI_TIMEOUT_MS, what: 'the failing endpoint to be disabled' },
    );
    assert.match(disabled.disabled_reason, /every delivery attempt failed for more than 1 second/);
    assert.ok(disabled.missed?.since, JSON.stringify(disabled));

    // The other endpoint was told, with a signed endpoint-disabled event.
    const event = await told.waitFor((rx) => rx.events.find((e) => e.type === 'endpoint-disabled'), UI_TIMEOUT_MS);
    assert.equal(event.data.endpoint_id, downEndpoint.id);
    assert.equal(event.data.failing_since, disabled.failing_since);

    await page.goto(`${tb.url}/#/endpoints`);
    const banner = page.locator('.endpoint-disabled-banner');
    await banner.waitFor();
    assert.match(await banner.innerText(), /disabled automatically/);
    assert.ok((await banner.innerText()).includes(down.url), await banner.innerText());
    assert.match(await banner.innerText(), /every delivery attempt failed for more than 1 second/);
    const card = page.locator(`article[data-endpoint="${downEndpoint.id}"]`);
    await card.getByRole('alert').getByText('Disabled automatically').waitFor();
    // The recovery form holds the missed range: from the first failure's event, not the default "a day ago".
    const from = await card.getByLabel('From').inputValue();
    const missedSince = new Date(disabled.missed.since);
    assert.ok(Math.abs(new Date(from).getTime() - missedSince.getTime()) < 60_000, `${from} vs ${disabled.missed.since}`);
    await shot(page, 'endpoint-auto-disabled');
  });

  test('enabling it offers the missed range, and recovering sends the missed events', async () => {
    down.setBehaviour({});
    const card = page.locator(`article[data-endpoint="${downEndpoint.id}"]`);
    await card.getByRole('button', { name: 'Enable' }).click();
    await page.getByRole('button', { name: 'Recover missed events' }).click();
    await down.waitFor((rx) => rx.events.find((e) => e.type === 'remote-event-received'), UI_TIMEOUT_MS);
    await page.locator('.endpoint-disabled-banner').waitFor({ state: 'detached' });
    const res = await tb.api('GET', `/v1/webhook-endpoints/${downEndpoint.id}`);
    assert.equal(res.body.data.enabled, true);
    assert.equal(told.events.filter((e) => e.type === 'endpoint-disabled').length, 1);
    await shot(page, 'endpoint-recovered');
  });

  test('a request older than the retention shows that its body was pruned', async () => {
    const [log] = await upstreamLogs(tb, 'outcome=accepted');
    assert.ok(log, 'an accepted request');
    await waitUntil(async () => (await tb.api('GET', `/v1/logs/upstream/${log.id}`)).body.data.pruned_at, {
      timeoutMs: UI_TIMEOUT_MS,
      what: 'the request to be pruned',
    });
    await page.goto(`${tb.url}/#/events/${encodeURIComponent(log.id)}`);
    await page.locator('.pruned').waitFor();
    assert.match(await page.locator('.pruned').innerText(), /Headers and body pruned/);
    assert.equal(await page.getByText('Empty.', { exact: true }).count(), 0);
    await shot(page, 'request-pruned');
  });
});
