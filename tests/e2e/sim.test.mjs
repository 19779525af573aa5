// The `tributary sim` command line contract the harness and other scripts rely on.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { startSim, stopAll } from './lib/harness.mjs';

after(stopAll);

test('sim prints its base URL as the first stdout line', async () => {
  for (const tool of ['personio', 'greenhouse']) {
    const sim = await startSim(tool);
    assert.match(sim.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(sim.firstLine, sim.url, `${tool}: first stdout line ${JSON.stringify(sim.firstLine)}`);
  }
});

test('sim answers its control API at the printed URL', async () => {
  const sim = await startSim('personio', { env: { TRIBUTARY_LOG_LEVEL: 'warn' } });
  assert.equal(sim.firstLine, sim.url, 'with logging at warn the URL is the first line');
  const res = await sim.ctl('GET', '/_sim/subscriptions');
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, []);
  const perm = await sim.ctl('GET', '/_sim/permissions');
  assert.deepEqual(perm.body, { webhooks: true });
});

// The simulated tool enforces the tool's documented API limits out of the box (Workable: 10 requests per 10 s,
// X-Rate-Limit-* on every answer, 429 with Retry-After beyond), and POST /_sim/limits switches them off.
test('sim enforces the documented API limits until told otherwise', async () => {
  const sim = await startSim('workable', { env: { TRIBUTARY_LOG_LEVEL: 'warn' } });
  const began = Date.now();
  for (let i = 0; i < 10; i += 1) {
    const res = await sim.ctl('GET', '/spi/v3/jobs');
    assert.notEqual(res.status, 429, `request ${i}`);
    assert.equal(res.headers.get('x-rate-limit-limit'), '10');
    assert.equal(res.headers.get('x-rate-limit-remaining'), String(9 - i));
    assert.match(res.headers.get('x-rate-limit-reset'), /^\d+$/);
  }
  const refused = await sim.ctl('GET', '/spi/v3/jobs');
  if (Date.now() - began < 10_000) {
    assert.equal(refused.status, 429);
    const after = Number(refused.headers.get('retry-after'));
    assert.ok(after >= 1 && after <= 10, `Retry-After ${after}`);
    assert.equal(refused.headers.get('x-rate-limit-remaining'), '0');
  }
  const off = await sim.ctl('POST', '/_sim/limits', { enforce: false });
  assert.equal(off.status, 200);
  assert.equal(off.body.enforce, false);
  const free = await sim.ctl('GET', '/spi/v3/jobs');
  assert.notEqual(free.status, 429);
  assert.equal(free.headers.get('x-rate-limit-limit'), null);
});
