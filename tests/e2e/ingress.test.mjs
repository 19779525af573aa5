// The ingress against hostile and odd requests, posted straight to the subscriptions' ingress URLs: bad or missing
// signatures, unknown URLs, oversized and malformed bodies, redeliveries. Every rejection is answered with the
// documented status, logged, and never forwarded; a redelivery is acknowledged, logged "duplicate" and delivered once.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import {
  createEndpoint,
  createIntegration,
  getIntegration,
  listAll,
  request,
  startSim,
  startTributary,
  stopAll,
  upstreamLogs,
  waitUntil,
} from './lib/harness.mjs';
import { startReceiver } from './lib/receiver.mjs';
import {
  greenhouseCandidateBody,
  greenhouseHeaders,
  greenhouseIngress,
  greenhouseSignature,
  personioBody,
  rawPost,
} from './lib/upstream.mjs';

after(stopAll);

const MAX_BODY = 4096;

let tb;
let rx;
let gh;
let nextCandidate = 700_000;
const newCandidateId = () => (nextCandidate += 1);

before(async () => {
  tb = await startTributary({ env: { TRIBUTARY_INGRESS_MAX_BODY_BYTES: String(MAX_BODY) } });
  rx = await startReceiver({ secret: 'whsec_placeholder' });
  const endpoint = await createEndpoint(tb, rx.url);
  rx.setSecrets(endpoint.secret);
  gh = await greenhouseIngress(tb);
});
after(async () => rx?.close());

const relayedCandidate = (id) => rx.events.some((e) => e.data?.events?.some((u) => u.remote_id === String(id)));

// Proves a rejected candidate was not relayed: a valid marker event sent afterwards reaches the receiver (so the
// pipeline ran past the rejected request), and neither the receiver nor the events API knows the rejected one.
async function assertNotRelayed(candidateId) {
  const marker = newCandidateId();
  const res = await gh.send(marker);
  assert.equal(res.status, 200, `the marker was refused: ${res.status} ${res.text}`);
  await rx.waitFor(() => relayedCandidate(marker), 5000);
  assert.ok(!relayedCandidate(candidateId), `candidate ${candidateId} must not be relayed`);
  const events = await listAll(tb, `/v1/events?integration_id=${encodeURIComponent(gh.integration.id)}`);
  assert.ok(
    !events.some((e) => e.payload?.data?.events?.some((u) => u.remote_id === String(candidateId))),
    `no event for candidate ${candidateId}`,
  );
}

// The rejected row whose stored body mentions `needle` (rejections are logged asynchronously: wait for it).
async function rejectedRowWith(needle, query = `integration_id=${encodeURIComponent(gh.integration.id)}`) {
  return waitUntil(
    async () => {
      for (const row of await upstreamLogs(tb, `outcome=rejected&${query}`)) {
        const detail = await tb.api('GET', `/v1/logs/upstream/${encodeURIComponent(row.id)}`);
        if (detail.status === 200 && String(detail.body.data.body ?? '').includes(needle)) return detail.body.data;
      }
      return null;
    },
    { timeoutMs: 5000, what: `a rejected upstream row with ${needle}` },
  );
}

describe('greenhouse ingress', () => {
  test('a valid signature is accepted with 200 (control)', async () => {
    const cand = newCandidateId();
    const res = await gh.send(cand);
    assert.equal(res.status, 200, res.text);
    assert.equal(JSON.parse(res.text).status, 'success');
    await rx.waitFor(() => relayedCandidate(cand), 5000);
  });

  test('a bad signature gets 401, is logged rejected and is not forwarded', async () => {
    const cand = newCandidateId();
    const body = greenhouseCandidateBody(cand);
    const wrong = greenhouseSignature(`${gh.secret}-not`, body);
    const res = await rawPost(gh.url, greenhouseHeaders(gh.secret, body, { signature: wrong }), body);
    assert.equal(res.status, 401, res.text);
    const err = JSON.parse(res.text);
    assert.equal(err.status, 'error');
    assert.ok(err.error.code, 'an error code');

    const row = await rejectedRowWith(`"id":${cand}`);
    assert.equal(row.http_status, 401);
    assert.equal(row.outcome, 'rejected');
    assert.equal(row.integration_id, gh.integration.id);
    assert.equal(row.subscription_id, gh.sub.id);
    assert.deepEqual(row.event_ids, []);
    assert.ok(row.reason, 'the reason is logged');
    const sig = row.headers.find(([k]) => k.toLowerCase() === 'signature');
    assert.ok(sig, 'the Signature header is listed');
    assert.equal(sig[1], '[redacted]');
    await assertNotRelayed(cand);
  });

  test('a signature for a different body (tampered payload) gets 401', async () => {
    const signedBody = greenhouseCandidateBody(newCandidateId());
    const tamperedId = newCandidateId();
    const tampered = greenhouseCandidateBody(tamperedId);
    const headers = greenhouseHeaders(gh.secret, signedBody);
    const res = await rawPost(gh.url, headers, tampered);
    assert.equal(res.status, 401, res.text);
    await assertNotRelayed(tamperedId);
  });

  test('a missing or malformed Signature header gets 401', async () => {
    const cand = newCandidateId();
    const body = greenhouseCandidateBody(cand);
    const noSig = await rawPost(gh.url, { 'Content-Type': 'application/json', 'Greenhouse-Event-ID': 'x1' }, body);
    assert.equal(noSig.status, 401, noSig.text);
    const hex = greenhouseSignature(gh.secret, body).slice('sha256 '.length);
    for (const signature of [hex, `sha1 ${hex}`, 'sha256 ', `sha256 ${hex.slice(0, 32)}`, `sha256 ${hex}zz`]) {
      const res = await rawPost(gh.url, greenhouseHeaders(gh.secret, body, { signature }), body);
      assert.equal(res.status, 401, `Signature "${signature}" → ${res.status}`);
    }
    await rejectedRowWith(`"id":${cand}`);
    await assertNotRelayed(cand);
  });

  test('an unknown ingress URL gets 404 and is logged', async () => {
    const cand = newCandidateId();
    const body = greenhouseCandidateBody(cand);
    const token = randomBytes(16).toString('hex');
    const url = `${tb.url}/ingress/greenhouse/${token}`;
    const res = await rawPost(url, greenhouseHeaders(gh.secret, body), body);
    assert.equal(res.status, 404, res.text);
    const row = await waitUntil(
      async () => (await upstreamLogs(tb, 'outcome=rejected')).find((r) => r.path.includes(token)),
      { timeoutMs: 5000, what: 'the 404 in the upstream log' },
    );
    assert.equal(row.http_status, 404);
    assert.equal(row.integration_id, null);

    // A real token under another tool's path is unknown too.
    const token2 = gh.url.split('/').pop();
    const other = await rawPost(`${tb.url}/ingress/personio/${token2}`, greenhouseHeaders(gh.secret, body), body);
    assert.equal(other.status, 404, other.text);
    await assertNotRelayed(cand);
  });

  test(`a body over ${MAX_BODY} bytes gets 413 and is logged; one just under the limit is accepted`, async () => {
    const pad = (cand, size) => {
      const base = JSON.parse(greenhouseCandidateBody(cand));
      base.payload.padding = '';
      const without = JSON.stringify(base).length;
      base.payload.padding = 'p'.repeat(size - without);
      const text = JSON.stringify(base);
      assert.equal(Buffer.byteLength(text), size);
      return text;
    };
    const small = newCandidateId();
    const okBody = pad(small, MAX_BODY);
    const ok = await rawPost(gh.url, greenhouseHeaders(gh.secret, okBody), okBody);
    assert.equal(ok.status, 200, `a body of exactly ${MAX_BODY} bytes: ${ok.status} ${ok.text}`);

    const big = newCandidateId();
    const bigBody = pad(big, MAX_BODY * 4);
    const res = await rawPost(gh.url, greenhouseHeaders(gh.secret, bigBody), bigBody);
    assert.equal(res.status, 413, res.text ?? res.error);
    const row = await waitUntil(
      async () =>
        (await upstreamLogs(tb, 'outcome=rejected')).find((r) => r.http_status === 413 && gh.url.endsWith(r.path)),
      { timeoutMs: 5000, what: 'the 413 in the upstream log' },
    );
    assert.equal(row.outcome, 'rejected');
    // The same without Content-Length (chunked): the limit applies to what is read, not to what is announced.
    const bigChunked = newCandidateId();
    const chunkedBody = pad(bigChunked, MAX_BODY * 4);
    const chunked = await rawPost(gh.url, greenhouseHeaders(gh.secret, chunkedBody), chunkedBody, { chunked: true });
    assert.equal(chunked.status, 413, chunked.text ?? chunked.error);
    await rx.waitFor(() => relayedCandidate(small), 5000);
    await assertNotRelayed(big);
    await assertNotRelayed(bigChunked);
  });

  test('malformed JSON with a valid signature gets 400 and is logged', async () => {
    const marker = `malformed-${randomBytes(6).toString('hex')}`;
    for (const body of [`{"action": "new_candidate_application", "payload": {${marker}`, `["${marker}"]`]) {
      const res = await rawPost(gh.url, greenhouseHeaders(gh.secret, body), body);
      assert.equal(res.status, 400, `${body} → ${res.status} ${res.text}`);
    }
    // Valid JSON without the candidate id the event needs is malformed too.
    const noId = JSON.stringify({
      action: 'new_candidate_application',
      payload: { application: { id: 1, m: marker } },
    });
    const res = await rawPost(gh.url, greenhouseHeaders(gh.secret, noId), noId);
    assert.equal(res.status, 400, res.text);
    const row = await rejectedRowWith(marker);
    assert.equal(row.http_status, 400);
    assert.ok(row.verification, 'the signature was verified before the body was parsed');
  });

  test('the same delivery twice (same Greenhouse-Event-ID): 2xx twice, logged duplicate, delivered once', async () => {
    const cand = newCandidateId();
    const body = greenhouseCandidateBody(cand);
    const eventId = `dup-${randomBytes(8).toString('hex')}`;
    const first = await rawPost(gh.url, greenhouseHeaders(gh.secret, body, { eventId }), body);
    assert.equal(first.status, 200, first.text);
    const second = await rawPost(gh.url, greenhouseHeaders(gh.secret, body, { eventId }), body);
    assert.ok(second.status >= 200 && second.status < 300, `${second.status} ${second.text}`);
    assert.equal(JSON.parse(second.text).data?.duplicate, true);

    await rx.waitFor(() => relayedCandidate(cand), 5000);
    // A later event gets through, so the duplicate had its chance to be (wrongly) forwarded.
    const marker = newCandidateId();
    assert.equal((await gh.send(marker)).status, 200);
    await rx.waitFor(() => relayedCandidate(marker), 5000);

    const forCand = rx.events.filter((e) => e.data?.events?.some((u) => u.remote_id === String(cand)));
    assert.equal(forCand.length, 1, 'one downstream event');
    assert.equal(forCand[0].count, 1, 'delivered once');
    const events = await listAll(tb, `/v1/events?integration_id=${encodeURIComponent(gh.integration.id)}`);
    assert.equal(events.filter((e) => e.payload?.data?.events?.some((u) => u.remote_id === String(cand))).length, 1);

    const rows = (await upstreamLogs(tb, `integration_id=${encodeURIComponent(gh.integration.id)}`)).filter(
      (r) => r.delivery_id === eventId,
    );
    assert.deepEqual(rows.map((r) => r.outcome).sort(), ['accepted', 'duplicate'], JSON.stringify(rows));
    const dup = rows.find((r) => r.outcome === 'duplicate');
    assert.deepEqual(dup.event_ids, []);
    assert.ok(dup.http_status >= 200 && dup.http_status < 300);
  });

  test('GET on an ingress URL is answered without being logged or forwarded', async () => {
    const res = await request('GET', gh.url);
    assert.equal(res.status, 200);
    const put = await request('PUT', gh.url, { body: '{}' });
    assert.equal(put.status, 405);
  });
});

describe('personio ingress', () => {
  let sim;
  let integration;
  let sub;
  let token;

  before(async () => {
    sim = await startSim('personio');
    integration = await createIntegration(tb, 'personio', sim.url, { upstream_webhooks: true });
    [sub] = integration.subscriptions;
    assert.equal(sub.status, 'active', sub.last_error);
    // The token Tributary chose, read back through the simulated Personio API (as an admin could).
    const auth = await request('POST', `${sim.url}/v2/auth/token`, {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=e2e&client_secret=e2e',
    });
    assert.equal(auth.status, 200, auth.text);
    const hooks = await request('GET', `${sim.url}/v2/webhooks`, {
      headers: { Authorization: `Bearer ${auth.body.access_token}` },
    });
    assert.equal(hooks.status, 200, hooks.text);
    token = hooks.body._data.find((w) => w.url === sub.ingress_url)?.token;
    assert.ok(token, 'the webhook carries a token');
  });

  const post = (authorization, body) =>
    rawPost(
      sub.ingress_url,
      authorization === undefined
        ? { 'Content-Type': 'application/json' }
        : { 'Content-Type': 'application/json', Authorization: authorization },
      body,
    );

  test('the right token is accepted (control)', async () => {
    const res = await post(token, personioBody('person.created', '90001'));
    assert.equal(res.status, 200, res.text);
    await rx.waitFor(() => relayedCandidate('90001'), 5000);
  });

  test('a wrong or missing Authorization token gets 401 and is not forwarded', async () => {
    const body = personioBody('person.created', '90002');
    for (const authorization of [`${token}x`, token.slice(0, -1), `Bearer ${token}x`, 'Basic abc', '', undefined]) {
      const res = await post(authorization, body);
      assert.equal(res.status, 401, `Authorization ${JSON.stringify(authorization)} → ${res.status} ${res.text}`);
    }
    const rows = await waitUntil(
      async () => {
        const r = await upstreamLogs(tb, `outcome=rejected&integration_id=${encodeURIComponent(integration.id)}`);
        return r.length >= 6 ? r : null;
      },
      { timeoutMs: 5000, what: 'six rejected personio rows' },
    );
    assert.ok(rows.every((r) => r.http_status === 401));
    // Nothing from 90002 reaches the receiver, while a later valid event does.
    assert.equal((await post(token, personioBody('person.created', '90003'))).status, 200);
    await rx.waitFor(() => relayedCandidate('90003'), 5000);
    assert.ok(!relayedCandidate('90002'));
    const current = await getIntegration(tb, integration.id);
    assert.equal(current.subscriptions[0].status, 'active', 'rejections do not change the subscription');
  });
});
