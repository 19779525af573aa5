// The dashboard in a real browser: Debian's headless Chromium driven by playwright-core (never a downloaded
// browser), against `tributary serve` fed by the simulated Personio and verifying receivers. Covers signing in
// (the key stays out of URLs), the live events log, a request's full story with delivery attempts, retries and
// redelivery, the scope config driving the tool's subscription, a revoked permission, endpoints and coverage.
// A screenshot of every page goes to tests/e2e/artifacts/ (git-ignored).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  createEndpoint,
  createIntegration,
  request,
  SIM_RATE_LIMIT,
  startSim,
  startTributary,
  stopAll,
  upstreamLogs,
  waitForFirstSync,
  waitUntil,
} from './lib/harness.mjs';
import { launchBrowser, screenshot as shot, skipWithoutChromium } from './lib/browser.mjs';
import { startReceiver } from './lib/receiver.mjs';

const UI_TIMEOUT_MS = 10_000;
const PERSON_EVENTS = ['person.created', 'person.deleted', 'person.updated'];
const ALL_PERSONIO_EVENTS = [
  'absence-period.created',
  'absence-period.updated.status',
  'absence-period.updated.timerange',
  ...PERSON_EVENTS,
];

let context;
const receivers = [];
after(async () => {
  await context?.close().catch(() => {});
  await Promise.all(receivers.map((rx) => rx.close()));
  await stopAll();
});

async function receiver(tb, extra = {}) {
  const rx = await startReceiver({ secret: 'whsec_placeholder' });
  receivers.push(rx);
  const endpoint = await createEndpoint(tb, rx.url, extra);
  rx.setSecrets(endpoint.secret);
  return { rx, endpoint };
}

describe('dashboard', { skip: skipWithoutChromium }, () => {
  let tb;
  let sim;
  let integration;
  let ok; // a receiver that always answers 200
  let bad; // a receiver that answers 500 while `failing`
  let failing = true;
  let page;
  const pageErrors = [];
  const consoleErrors = [];
  const requestUrls = [];

  // Creates an employee in the simulator; resolves to the upstream log row Tributary recorded for it.
  async function personCreated(firstName) {
    const before = new Set((await upstreamLogs(tb)).map((r) => r.id));
    const created = await sim.ctl('POST', '/_sim/hris_employees', { first_name: firstName, last_name: 'Test' });
    assert.equal(created.status, 200, created.text);
    return waitUntil(
      async () => (await upstreamLogs(tb)).find((r) => !before.has(r.id) && r.vendor_event === 'person.created'),
      { timeoutMs: UI_TIMEOUT_MS, what: `the upstream request for ${firstName}` },
    );
  }

  // The remote-event-received event of the request open on the page (a change may also cause data-changed).
  const relayed = () => page.locator('article.downstream', { hasText: 'remote-event-received' });

  const nav = (name) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });

  before(async () => {
    [tb, sim] = await Promise.all([
      startTributary({ env: { TRIBUTARY_RETRY_MAX_RETRIES: '2' } }),
      startSim('personio'),
    ]);
    ok = await receiver(tb);
    integration = await createIntegration(tb, 'personio', sim.url, { upstream_webhooks: true });
    assert.equal(integration.subscriptions[0]?.status, 'active', JSON.stringify(integration.subscriptions));
    ({ context, page } = await launchBrowser({ timeoutMs: UI_TIMEOUT_MS, height: 860 }));
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    page.on('request', (r) => requestUrls.push(r.url()));
  });

  test('the page is served with a strict Content-Security-Policy and no API key', async () => {
    const res = await request('GET', `${tb.url}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/html/);
    assert.match(res.headers.get('content-security-policy'), /^default-src 'self';/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    assert.match(res.text, /<script type="module" src="\/app.js"><\/script>/);
    const js = await request('GET', `${tb.url}/app.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type'), /^text\/javascript/);
  });

  test('sign in with the API key, kept in sessionStorage and out of every URL', async () => {
    await page.goto(`${tb.url}/`);
    const keyInput = page.getByLabel('API key');
    await keyInput.waitFor();
    await shot(page, 'signin');

    await keyInput.fill('not-the-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That key was not accepted').waitFor();

    await keyInput.fill(tb.apiKey);
    await keyInput.press('Enter'); // the keyboard path
    await page.getByRole('heading', { name: 'Events', level: 1 }).waitFor();
    assert.equal(await nav('Events').getAttribute('aria-current'), 'page');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('tributary.apiKey')), tb.apiKey);
    assert.equal(await page.evaluate(() => localStorage.length), 0);
    assert.ok(!page.url().includes(tb.apiKey), page.url());
    // Nothing has been received yet: the empty state says what to do.
    await page.getByText('No upstream requests yet.').waitFor();
    await page.getByRole('link', { name: 'Integrations', exact: true }).last().waitFor();
    await shot(page, 'events-empty');
  });

  test('a change in the simulator appears in the events log within seconds, without a reload', async () => {
    await page.getByRole('heading', { name: 'Events', level: 1 }).waitFor();
    await page.evaluate(() => {
      window.__sameDocument = true;
    });
    const started = Date.now();
    const log = await personCreated('Ada');
    const row = page.locator(`tr[data-id="${log.id}"]`);
    await row.waitFor();
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds < 8, `the row took ${seconds} s`);
    assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the page was not reloaded');
    await assert.doesNotReject(row.getByText('person.created').waitFor());
    await row.getByText('accepted').waitFor(); // processed rows turn "accepted" in place
    await shot(page, 'events');
  });

  test('opening a request shows its story and the delivery attempts', async () => {
    const [log] = await upstreamLogs(tb, 'outcome=accepted');
    assert.ok(log, 'an accepted request');
    await page.locator(`tr[data-id="${log.id}"] a`).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/#/events/${log.id}`);
    await page.getByRole('heading', { name: 'Downstream events and deliveries' }).waitFor();
    const delivery = relayed().locator(`.delivery[data-endpoint="${ok.endpoint.id}"]`);
    await delivery.getByText('succeeded').waitFor();
    const attempt = delivery.locator('tr.attempt').first();
    await attempt.getByText('200', { exact: true }).waitFor();
    assert.match(await attempt.innerText(), /\d+(\.\d)? ms/);
    await page.getByRole('heading', { name: 'Unified events' }).waitFor();
    await page.locator('table.unified').getByText('hris_employees').waitFor();
    await page.locator('table.headers').first().waitFor();
    await page.getByText('Verification').waitFor();
    await shot(page, 'event-detail');
  });

  test('a failing endpoint shows its retries, and the redeliver button delivers', async () => {
    bad = await receiver(tb);
    bad.rx.setBehaviour(() => (failing ? { status: 500, body: 'receiver down for maintenance' } : { status: 200 }));

    await nav('Events').click();
    const log = await personCreated('Grace');
    await page.locator(`tr[data-id="${log.id}"]`).click();
    await page.waitForURL(`**/#/events/${log.id}`);
    const delivery = relayed().locator(`.delivery[data-endpoint="${bad.endpoint.id}"]`);
    // 1 attempt + 2 retries (TRIBUTARY_RETRY_MAX_RETRIES=2), all 500, then "failed".
    await delivery.locator('.badge', { hasText: /^failed$/ }).waitFor();
    await waitUntil(async () => (await delivery.locator('tr.attempt').count()) === 3, {
      timeoutMs: UI_TIMEOUT_MS,
      what: 'three attempts listed',
    });
    const attempts = await delivery.locator('tr.attempt').allInnerTexts();
    for (const text of attempts) assert.match(text, /\b500\b/);
    assert.match(attempts[0], /receiver down/);
    assert.match(await delivery.innerText(), /3 attempts, 2 retries/);
    await shot(page, 'event-detail-failed');

    // The events log finds the request under the "failed" outcome, marked on its row; back to its story.
    await page.evaluate(() => {
      location.hash = '#/events?outcome=failed';
    });
    const failedRow = page.locator(`tr[data-id="${log.id}"]`);
    await failedRow.getByText(/^\d+ deliver(y|ies) failed$/).waitFor();
    await shot(page, 'events-failed');
    await failedRow.click();
    await page.waitForURL(`**/#/events/${log.id}`);
    await delivery.locator('.badge', { hasText: /^failed$/ }).waitFor();

    failing = false;
    const eventId = await relayed().getAttribute('data-event');
    await relayed().getByRole('button', { name: 'Redeliver' }).click();
    await page.getByText('queued again').waitFor();
    await delivery.locator('.badge', { hasText: /^succeeded$/ }).waitFor();
    await delivery.locator('tr.attempt').nth(3).getByText('200', { exact: true }).waitFor();
    await bad.rx.waitFor((r) => r.eventsById.has(eventId), UI_TIMEOUT_MS);
    await shot(page, 'event-detail-redelivered');
  });

  test("turning a model off in the scope config shrinks the tool's subscription", async () => {
    const hooks = async () => (await sim.ctl('GET', '/_sim/subscriptions')).body;
    assert.deepEqual([...(await hooks())[0].enabled_events].sort(), ALL_PERSONIO_EVENTS);

    await nav('Integrations').click();
    const link = page.getByRole('link', { name: 'Acme GmbH' });
    await link.waitFor();
    await page.locator(`tr[data-id="${integration.id}"]`).getByText('active').waitFor();
    await shot(page, 'integrations');
    await link.click();
    await page.getByRole('heading', { name: 'Scope config' }).waitFor();
    const absences = page.getByRole('checkbox', { name: /Absences/ });
    assert.equal(await absences.isChecked(), true);
    await absences.uncheck();
    await page.getByRole('button', { name: 'Save scope' }).click();
    await page.getByText('Scope saved').waitFor();

    const remaining = await hooks();
    assert.equal(remaining.length, 1, JSON.stringify(remaining));
    assert.deepEqual([...remaining[0].enabled_events].sort(), PERSON_EVENTS);
    const card = page.locator('article.subscription[data-status="active"]');
    await card.getByText('person.created').waitFor();
    assert.equal(await card.getByText('absence-period.created').count(), 0);
    await page.getByRole('button', { name: 'Copy ingress URL' }).first().waitFor();
    await shot(page, 'integration');
  });

  test('a revoked permission shows missing_permission with its message', async () => {
    const res = await sim.ctl('POST', '/_sim/permissions', { webhooks: false });
    assert.equal(res.status, 200, res.text);
    // A scope change needs the tool's API, which now refuses; "Reconcile now" tries again and keeps the state.
    await page.getByRole('checkbox', { name: /Absences/ }).check();
    await page.getByRole('button', { name: 'Save scope' }).click();
    await page.getByText('Scope saved').waitFor();
    await page.getByRole('button', { name: 'Reconcile now' }).click();
    await page.getByText(/need(s)? attention/).waitFor();
    const card = page.locator('article.subscription[data-status="missing_permission"]');
    await card.waitFor();
    await card.getByText('Missing permission.').waitFor();
    assert.match(await card.innerText(), /grant the 'Webhooks' permission/);
    assert.match(await card.innerText(), /missing permission/i);
    await shot(page, 'integration-missing-permission');
  });

  test('the integration page lists its syncs, and "Sync now" runs one', async () => {
    const table = page.locator('table.syncs');
    await table.waitFor();
    // The first sync ran when the integration was created.
    await table.locator('tbody tr').first().getByText('SUCCEEDED').waitFor({ timeout: 15_000 });
    const before = await table.locator('tbody tr').count();
    await page.getByRole('button', { name: 'Sync now' }).click();
    await page.getByText(/sync (of this integration is already queued|queued)/i).waitFor();
    await page.waitForFunction(
      (n) => document.querySelectorAll('table.syncs tbody tr').length > n,
      before,
      { timeout: 15_000 },
    );
    await table.locator('tbody tr').first().getByText('SUCCEEDED').waitFor({ timeout: 15_000 });
    const syncs = await tb.api('GET', `/v1/integrations/${encodeURIComponent(integration.id)}/syncs`);
    assert.equal(syncs.status, 200, syncs.text);
    assert.equal(syncs.body.data.results.length, before + 1);
    assert.equal(syncs.body.data.results[0].type, 'FULL');
    await shot(page, 'integration-syncs');
  });

  test('the integration page shows the API budget and edits the rate limit', async () => {
    const section = page.locator('section.api-budget');
    await section.waitFor();
    const fact = (name) => section.locator(`[data-fact="${name}"] dd`);
    // The suite's override (SIM_RATE_LIMIT) is in force; Personio's connector declares 5 per second, 4 at once.
    assert.match(await fact('limit').innerText(), /1000 per 1\.0 s, 16 at once\s+overridden/);
    assert.equal(await fact('declared').innerText(), '5 per 1.0 s, 4 at once');
    assert.equal(await fact('effective').innerText(), '1000 per 1.0 s');
    assert.match(await fact('requests').innerText(), /^[1-9]\d*$/);  // the syncs called the tool
    assert.equal(await fact('throttled').innerText(), '0');
    assert.equal(await fact('fetches_waiting').innerText(), '0');
    assert.equal(await fact('oldest_wait').innerText(), '—');
    assert.equal(await fact('paused_until').innerText(), 'not paused');

    const form = page.getByRole('form', { name: 'Rate limit' });
    await form.getByLabel('Requests').fill('7');
    await form.getByLabel('Per window (ms)').fill('2000');
    await form.getByLabel('At once').fill('3');
    await form.getByRole('button', { name: 'Save limit' }).click();
    await page.getByText('Limit saved: 7 per 2.0 s, 3 at once.').waitFor();
    await fact('limit').getByText('7 per 2.0 s, 3 at once').waitFor();
    let got = await tb.api('GET', `/v1/integrations/${encodeURIComponent(integration.id)}`);
    assert.deepEqual(got.body.data.rate_limit, { requests: 7, window_ms: 2000, concurrency: 3 });
    await shot(page, 'integration-api-budget');

    // An invalid figure is not sent.
    await form.getByLabel('Requests').fill('0');
    assert.equal(await form.getByRole('button', { name: 'Save limit' }).isDisabled(), true);
    await form.getByText(/Requests 1–100000/).waitFor();

    await form.getByRole('button', { name: 'Use declared limits' }).click();
    await page.getByText('Back to the declared limit: 5 per 1.0 s, 4 at once.').waitFor();
    got = await tb.api('GET', `/v1/integrations/${encodeURIComponent(integration.id)}`);
    assert.equal(got.body.data.rate_limit, null);
    assert.match(await fact('limit').innerText(), /5 per 1\.0 s, 4 at once\s+declared/);
    assert.equal(await form.getByLabel('Requests').inputValue(), '5');

    // The rest of the suite runs at the simulator's speed again.
    const restored = await tb.api('PATCH', `/v1/integrations/${encodeURIComponent(integration.id)}`, {
      rate_limit: SIM_RATE_LIMIT,
    });
    assert.equal(restored.status, 200, restored.text);
  });

  test('endpoints: figures, recovery of failed deliveries, create with the secret once, disable', async () => {
    // One more event that the failing receiver refuses until it runs out of retries.
    // The earlier test left the data-changed of its request failed, so "some delivery failed" is true before
    // this one's events are even queued: wait for this request's own deliveries to the receiver to fail.
    failing = true;
    const linus = await personCreated('Linus');
    const linusSettled = async () => {
      const story = await tb.api('GET', `/v1/logs/upstream/${encodeURIComponent(linus.id)}`);
      assert.equal(story.status, 200, story.text);
      const toBad = (story.body.data.events ?? []).flatMap((e) =>
        e.deliveries.filter((d) => d.endpoint_id === bad.endpoint.id),
      );
      return toBad.length > 0 && toBad.every((d) => d.status === 'failed');
    };
    const stats = () => tb.api('GET', `/v1/webhook-endpoints/${bad.endpoint.id}/stats`);
    const { failed } = await waitUntil(
      async () => {
        if (!(await linusSettled())) return null;
        const d = (await stats()).body.data.deliveries;
        return d.failed >= 1 && d.pending + d.sending === 0 ? d : null;
      },
      { timeoutMs: UI_TIMEOUT_MS, what: 'failed deliveries to recover' },
    );
    const received = bad.rx.events.length;

    await nav('Endpoints').click();
    await page.getByRole('heading', { name: 'Endpoints', level: 1 }).waitFor();
    const okCard = page.locator(`article.endpoint[data-endpoint="${ok.endpoint.id}"]`);
    await okCard.getByText(/100% of \d+ attempts?/).waitFor();
    const badCard = page.locator(`article.endpoint[data-endpoint="${bad.endpoint.id}"]`);
    await badCard.getByText(`${failed} to recover`).waitFor();
    failing = false;
    await badCard.getByText('Recover failed deliveries').click();
    await badCard.getByRole('button', { name: 'Recover failed events' }).click();
    await page.getByText(`${failed} failed deliver${failed === 1 ? 'y' : 'ies'} queued again`).waitFor();
    await bad.rx.waitFor((r) => r.events.length >= received + failed, UI_TIMEOUT_MS);
    await badCard.getByText('0 to recover').waitFor();

    await page.getByLabel('URL').fill('http://127.0.0.1:9/new-receiver');
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    await page.getByText('Endpoint created').waitFor();
    const shown = await page.locator('.notice .copyable code').innerText();
    assert.match(shown, /^whsec_/);
    const card = page.locator('article.endpoint', { hasText: 'http://127.0.0.1:9/new-receiver' });
    await card.waitFor();
    await card.getByRole('button', { name: 'Reveal secret' }).click();
    await card.getByRole('button', { name: 'Show endpoint secret' }).click();
    assert.equal(await card.locator('.secret code').innerText(), shown, 'reveal shows the same secret');
    await card.getByRole('button', { name: 'Disable' }).click();
    await card.locator('.badge', { hasText: /^disabled$/ }).waitFor();
    await shot(page, 'endpoints');
  });

  test('a sync whose listing drops everything holds the deletions, and "Confirm deletions" applies them', async () => {
    // An integration of a tool of its own, without webhooks: only syncs keep its records.
    const tool = await startSim('personio');
    for (const name of ['Ada', 'Grace', 'Linus']) {
      const made = await tool.ctl('POST', '/_sim/hris_employees', { first_name: name, last_name: 'Quiet' });
      assert.equal(made.status, 200, made.text);
    }
    const quiet = await createIntegration(tb, 'personio', tool.url, { upstream_webhooks: false });
    await waitForFirstSync(tb, quiet.id);
    const live = async () => {
      const res = await tb.api('GET', '/v1/hris/employees?page_size=250', undefined, {
        headers: { 'X-Integration-Id': quiet.id },
      });
      assert.equal(res.status, 200, res.text);
      return res.body.data.results.length;
    };
    const stored = await live();
    assert.equal(stored, 3, 'the first sync stored the employees');
    // Every employee disappears from the tool's listing at once.
    const people = await tool.ctl('GET', '/_sim/hris_employees');
    for (const p of people.body) {
      const gone = await tool.ctl('DELETE', `/_sim/hris_employees/${p.id}`);
      assert.equal(gone.status, 200, gone.text);
    }
    await page.goto(`${tb.url}/#/integrations/${encodeURIComponent(quiet.id)}`);
    await page.getByRole('heading', { name: 'Syncs' }).waitFor();
    await page.getByRole('button', { name: 'Sync now' }).click();
    const banner = page.locator('.held-deletions');
    await banner.waitFor({ timeout: UI_TIMEOUT_MS });
    assert.match(await banner.innerText(), new RegExp(`hris_employees: ${stored} of ${stored} stored records`));
    assert.equal(await live(), stored, 'nothing was deleted');
    await shot(page, 'integration-held-deletions');
    await banner.getByRole('button', { name: 'Confirm deletions' }).click();
    await page.getByText(/applies the deletions is queued/).waitFor();
    await banner.waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
    await waitUntil(async () => (await live()) === 0, { timeoutMs: UI_TIMEOUT_MS, what: 'the confirmed deletions' });
    const syncs = await tb.api('GET', `/v1/integrations/${encodeURIComponent(quiet.id)}/syncs`);
    const [confirmed] = syncs.body.data.results;
    assert.equal(confirmed.confirm_deletions, true);
    assert.equal(confirmed.state, 'SUCCEEDED', JSON.stringify(confirmed.errors));
    assert.equal(confirmed.counts.deleted, stored);
  });

  test('the coverage grid lists the tools and their events', async () => {
    await nav('Coverage').click();
    const grid = page.locator('table.coverage');
    await grid.waitFor();
    await grid.getByRole('columnheader', { name: /Personio/ }).waitFor();
    await grid.getByRole('columnheader', { name: /Greenhouse/ }).waitFor();
    await grid.getByRole('rowheader', { name: 'employee created' }).waitFor();
    await shot(page, 'coverage');
  });

  test('signing out forgets the key; nothing leaked or broke on the way', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('tributary.apiKey')), null);

    assert.deepEqual(pageErrors, [], 'uncaught errors in the page');
    const blocked = consoleErrors.filter((m) => /Content Security Policy|Refused to/i.test(m));
    assert.deepEqual(blocked, [], 'Content-Security-Policy violations');
    assert.ok(requestUrls.length > 10, 'requests were observed');
    const leaks = requestUrls.filter((u) => u.includes(tb.apiKey));
    assert.deepEqual(leaks, [], 'the API key appeared in a URL');
    const secretsInUrls = requestUrls.filter((u) => /whsec_/.test(decodeURIComponent(u)));
    assert.deepEqual(secretsInUrls, [], 'a secret appeared in a URL');
  });
});
