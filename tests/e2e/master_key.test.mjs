// The master key held against the database, with the real binary: a node whose key file is gone, or that is given
// another key, exits at start with a message saying what to set, instead of serving with secrets it cannot open.
// Runs on SQLite, or on PostgreSQL with TRIBUTARY_E2E_BACKEND=postgres.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { createEndpoint, startTributary, stopAll } from './lib/harness.mjs';

after(stopAll);

test('a lost key file or another key stops the start; the right key starts again', async () => {
  const tb = await startTributary();
  const keyFile = join(tb.dir, 'master.key');
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  await createEndpoint(tb, 'http://127.0.0.1:9/hook');
  await tb.kill();

  // The key file is lost: no new key is made, the node does not start.
  const saved = `${keyFile}.saved`;
  rmSync(saved, { force: true });
  renameSync(keyFile, saved);
  await assert.rejects(tb.restart(), /does not exist.*none is generated/s);
  assert.equal(existsSync(keyFile), false);

  // Another key, as a second node in another working directory would have with TRIBUTARY_MASTER_KEY.
  await assert.rejects(
    startTributary({
      env: { TRIBUTARY_DATABASE: tb.database, TRIBUTARY_MASTER_KEY: randomBytes(32).toString('base64') },
    }),
    /master key mismatch.*TRIBUTARY_MASTER_KEY/s,
  );

  // The key restored: it starts, and the endpoint's secret opens.
  renameSync(saved, keyFile);
  await tb.restart();
  const endpoints = await tb.api('GET', '/v1/webhook-endpoints');
  const id = endpoints.body.data.results[0].id;
  const secret = await tb.api('GET', `/v1/webhook-endpoints/${id}/secret`);
  assert.equal(secret.status, 200);
  assert.match(secret.body.data.secret, /^whsec_/);
});
