// Tests of the e2e webhook receiver. Requests are signed here with node:crypto, independently of both the receiver's
// own check and the standardwebhooks library, following shared/DESIGN.md §2.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { afterEach, test } from 'node:test';

import { startReceiver } from './receiver.mjs';

const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

const komboSignature = (secret, body) => createHmac('sha256', secret).update(body).digest('base64url');

function standardSignature(secret, id, ts, body) {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64')}`;
}

function signedHeaders({ secrets, id, body, ts = Math.floor(Date.now() / 1000) }) {
  return {
    'Content-Type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(ts),
    'webhook-signature': secrets.map((s) => standardSignature(s, id, ts, body)).join(' '),
    'X-Kombo-Signature': komboSignature(secrets[0], body),
    'User-Agent': 'Tributary/0.1',
  };
}

const envelope = (id, type = 'data-changed') =>
  JSON.stringify({ id, type, data: { integration_id: 'int_1', changed_models: [{ name: 'hris_employees' }] } });

async function post(url, headers, body) {
  const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(5000) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

let receiver;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

test('the independent signer reproduces the Standard Webhooks specification example', () => {
  assert.equal(
    standardSignature(
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      1614265330,
      '{"test": 2432232314}',
    ),
    'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  );
});

test('a correctly signed delivery verifies with both schemes and is recorded', async () => {
  const secret = newSecret();
  receiver = await startReceiver({ secret });
  assert.match(receiver.url, /^http:\/\/127\.0\.0\.1:\d+\//);
  const body = envelope('evt_1');
  const res = await post(receiver.url, signedHeaders({ secrets: [secret], id: 'evt_1', body }), body);
  assert.equal(res.status, 200);
  assert.equal(receiver.attempts.length, 1);
  const [attempt] = receiver.attempts;
  assert.equal(attempt.kombo_ok, true);
  assert.equal(attempt.standard_ok, true);
  assert.equal(attempt.id, 'evt_1');
  assert.equal(attempt.status, 200);
  assert.deepEqual(attempt.body, JSON.parse(body));
  assert.equal(receiver.events.length, 1);
  assert.equal(receiver.events[0].type, 'data-changed');
  assert.equal(receiver.events[0].count, 1);
});

test('tampering with the body, either signature or the timestamp gets 401 and no event', async () => {
  const secret = newSecret();
  receiver = await startReceiver({ secret });
  const body = envelope('evt_2');
  const good = signedHeaders({ secrets: [secret], id: 'evt_2', body });

  let res = await post(receiver.url, good, body.replace('int_1', 'int_2'));
  assert.equal(res.status, 401);
  assert.equal(receiver.attempts.at(-1).kombo_ok, false);
  assert.equal(receiver.attempts.at(-1).standard_ok, false);

  res = await post(receiver.url, { ...good, 'X-Kombo-Signature': komboSignature(newSecret(), body) }, body);
  assert.equal(res.status, 401);
  assert.equal(receiver.attempts.at(-1).kombo_ok, false);
  assert.equal(receiver.attempts.at(-1).standard_ok, true);

  res = await post(receiver.url, { ...good, 'webhook-id': 'evt_other' }, body);
  assert.equal(res.status, 401);
  assert.equal(receiver.attempts.at(-1).kombo_ok, true);
  assert.equal(receiver.attempts.at(-1).standard_ok, false);

  // Older than the library's 5-minute tolerance, though correctly signed.
  const stale = signedHeaders({ secrets: [secret], id: 'evt_2', body, ts: Math.floor(Date.now() / 1000) - 3600 });
  res = await post(receiver.url, stale, body);
  assert.equal(res.status, 401);
  assert.equal(receiver.attempts.at(-1).standard_ok, false);

  const { 'webhook-signature': _omitted, ...unsigned } = good;
  res = await post(receiver.url, unsigned, body);
  assert.equal(res.status, 401);

  assert.equal(receiver.attempts.length, 5);
  assert.equal(receiver.events.length, 0);
  // The untampered request still goes through afterwards.
  res = await post(receiver.url, good, body);
  assert.equal(res.status, 200);
  assert.equal(receiver.events.length, 1);
});

test('failTimes fails the first attempts with the scripted status and Retry-After, then accepts', async () => {
  const secret = newSecret();
  receiver = await startReceiver({ secret });
  receiver.setBehaviour({ failTimes: 2, status: 503, retryAfter: 2 });
  const body = envelope('evt_3');
  const headers = signedHeaders({ secrets: [secret], id: 'evt_3', body });

  const statuses = [];
  for (let i = 0; i < 4; i += 1) {
    const res = await post(receiver.url, headers, body);
    statuses.push(res.status);
    if (i < 2) assert.equal(res.headers.get('retry-after'), '2');
  }
  assert.deepEqual(statuses, [503, 503, 200, 200]);
  assert.deepEqual(
    receiver.attempts.map((a) => a.status),
    [503, 503, 200, 200],
  );
  // One event; the second acknowledged delivery of the same id is counted as a duplicate.
  assert.equal(receiver.events.length, 1);
  assert.equal(receiver.events[0].count, 2);
  await receiver.waitFor((r) => r.eventsById.get('evt_3')?.count === 2, 1000);
});

test('status, function behaviours and a hanging endpoint', async () => {
  const secret = newSecret();
  receiver = await startReceiver({ secret });
  const body = envelope('evt_4');
  const headers = signedHeaders({ secrets: [secret], id: 'evt_4', body });

  receiver.setBehaviour({ status: 410 });
  assert.equal((await post(receiver.url, headers, body)).status, 410);
  assert.equal((await post(receiver.url, headers, body)).status, 410);
  assert.equal(receiver.events.length, 0);

  const seen = [];
  receiver.setBehaviour((attempt) => {
    seen.push(attempt.nForId);
    return { status: 202, headers: { 'X-Test': 'yes' }, body: 'queued', delayMs: 20 };
  });
  const res = await post(receiver.url, headers, body);
  assert.equal(res.status, 202);
  assert.equal(res.headers.get('x-test'), 'yes');
  assert.equal(res.text, 'queued');
  assert.deepEqual(seen, [1]);
  assert.equal(receiver.events.length, 1);

  receiver.setBehaviour({ hang: true });
  await assert.rejects(
    fetch(receiver.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(200) }),
    (err) => err.name === 'TimeoutError' || err.name === 'AbortError',
  );
  await receiver.waitFor((r) => r.attempts.length === 4, 1000);
  assert.equal(receiver.attempts.at(-1).status, null);
  // A hanging request left open must not keep close() from finishing.
  const pending = fetch(receiver.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(5000) }).catch(
    (err) => err,
  );
  await receiver.waitFor((r) => r.attempts.length === 5, 1000);
  await receiver.close();
  assert.ok((await pending) instanceof Error);
});

test('rotation: both secrets are accepted, a third is not', async () => {
  const current = newSecret();
  const previous = newSecret();
  receiver = await startReceiver({ secret: [current, previous] });
  const body = envelope('evt_5');

  let res = await post(receiver.url, signedHeaders({ secrets: [current, previous], id: 'evt_5', body }), body);
  assert.equal(res.status, 200);
  const sig = receiver.attempts.at(-1).headers['webhook-signature'];
  assert.equal(sig.split(' ').length, 2);

  res = await post(receiver.url, signedHeaders({ secrets: [previous], id: 'evt_6', body }), body);
  assert.equal(res.status, 200);
  res = await post(receiver.url, signedHeaders({ secrets: [current], id: 'evt_7', body }), body);
  assert.equal(res.status, 200);
  res = await post(receiver.url, signedHeaders({ secrets: [newSecret()], id: 'evt_8', body }), body);
  assert.equal(res.status, 401);
  assert.deepEqual(
    receiver.events.map((e) => e.id),
    ['evt_5', 'evt_6', 'evt_7'],
  );

  // After the rotation window only the current secret remains.
  receiver.setSecrets(current);
  res = await post(receiver.url, signedHeaders({ secrets: [previous], id: 'evt_9', body }), body);
  assert.equal(res.status, 401);
});

test('waitFor gives up at its deadline', async () => {
  receiver = await startReceiver({ secret: newSecret() });
  const started = Date.now();
  await assert.rejects(receiver.waitFor(() => false, 100), /not met within 100 ms/);
  assert.ok(Date.now() - started < 2000);
});

test('non-POST requests are refused and not recorded', async () => {
  receiver = await startReceiver({ secret: newSecret() });
  const res = await fetch(receiver.url, { signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 405);
  await res.text();
  assert.equal(receiver.attempts.length, 0);
});

test('events the Kombo SDK schema rejects are listed in schemaErrors, with the reason', async () => {
  const secret = newSecret();
  receiver = await startReceiver({ secret });
  const data = {
    sync_id: 'sync_1',
    sync_state: 'SUCCEEDED',
    sync_started_at: '2026-12-07T10:00:00.000Z',
    sync_ended_at: '2026-12-07T10:00:02.500Z',
    sync_duration_seconds: 2,
    integration_id: 'int_1',
    integration_tool: 'personio',
    integration_category: 'HRIS',
    end_user: { organization_name: 'Acme', creator_email: null, origin_id: null },
    log_url: 'http://127.0.0.1/v1/syncs/sync_1',
  };
  const bodies = {
    evt_ok: JSON.stringify({ id: 'evt_ok', type: 'sync-finished', data }),
    evt_fraction: JSON.stringify({
      id: 'evt_fraction',
      type: 'sync-finished',
      data: { ...data, sync_duration_seconds: 2.5 },
    }),
    evt_null_org: JSON.stringify({
      id: 'evt_null_org',
      type: 'sync-finished',
      data: { ...data, end_user: { organization_name: null, creator_email: null, origin_id: null } },
    }),
    evt_model: JSON.stringify({
      id: 'evt_model',
      type: 'data-changed',
      data: { integration_id: 'int_1', integration_tool: 'x', integration_category: 'ATS', changed_models: [{}] },
    }),
  };
  for (const [id, body] of Object.entries(bodies)) {
    const res = await post(receiver.url, signedHeaders({ secrets: [secret], id, body }), body);
    assert.equal(res.status, 200);
  }
  assert.equal(receiver.events.length, 4, 'rejected by the schema, still acknowledged and recorded');
  assert.deepEqual(
    receiver.schemaErrors.map((e) => e.id),
    ['evt_fraction', 'evt_null_org', 'evt_model'],
  );
  assert.match(receiver.schemaErrors[0].error, /sync_duration_seconds|integer/i);
});
