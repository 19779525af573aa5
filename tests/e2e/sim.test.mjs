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
