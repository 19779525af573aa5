// Test receiver for Tributary's downstream webhooks (shared/DESIGN.md §2): a node:http server on 127.0.0.1 that
// verifies both signature schemes, records every attempt and answers as the test scripts it. See receiver.test.mjs.
//
//   const rx = await startReceiver({ secret });          // or secret: [current, previous] during a rotation
//   rx.setBehaviour({ failTimes: 3, status: 500 });      // first 3 verified attempts get 500, then 200
//   ... point an endpoint at rx.url ...
//   await rx.waitFor((r) => r.events.length === 1, 10_000);
//   await rx.close();
//
// attempts: every POST, verified or not: {n, id, path, headers, raw, body, kombo_ok, standard_ok, at, status}
//           (`status` is what the receiver answered; null while the answer is pending or never given).
// events:   one entry per webhook-id that the receiver acknowledged with 2xx after both signatures verified:
//           {id, type, data, body, headers, first_at, count}; `count` > 1 means the same event was delivered and
//           acknowledged more than once (a duplicate).
//
// Behaviour specs (setBehaviour):
//   {}                                   answer 200 (the default)
//   {status: 410}                        always answer 410
//   {failTimes: 3, status: 500}          the first 3 verified attempts get `status` (default 500), later ones 200
//   {retryAfter: 2}                      failing answers carry "Retry-After: 2" (status defaults to 429)
//   {hang: true}                         never answer (until close); combine with failTimes to hang only at first
//   {perEvent: true}                     count failTimes per webhook-id instead of across all attempts
//   {delayMs: 100, body: "...", headers: {...}}  applies to every answer
//   (attempt) => ({status, headers, body, delayMs, hang})   a function, may be async; `attempt` is the record above
//                                        plus `nForId` (the 1-based count of verified attempts for its id).
// schemaErrors: one {id, type, error} per acknowledged event that the official Kombo SDK's webhook schema for
//           its type rejects (SDK_PARSERS: data-changed, sync-finished and the integration lifecycle types; the SDK
//           has no schema for remote-event-received, nor for endpoint-disabled, which is ours).
// Signature failures are answered 401 before any behaviour applies and do not count as attempts for failTimes.

import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import {
  connectionFlowFailedWebhookPayloadFromJSON,
  dataChangedWebhookPayloadFromJSON,
  integrationCreatedWebhookPayloadFromJSON,
  integrationDeletedWebhookPayloadFromJSON,
  integrationStateChangedWebhookPayloadFromJSON,
  syncFinishedWebhookPayloadFromJSON,
} from '@kombo-api/sdk/models';
import { Webhook } from 'standardwebhooks';

const MAX_BODY_BYTES = 8 * 1024 * 1024;
const POLL_INTERVAL_MS = 10;
const DEFAULT_WAIT_MS = 5000;

function toList(secret) {
  const list = Array.isArray(secret) ? secret : [secret];
  if (list.length === 0 || list.some((s) => typeof s !== 'string' || s.length === 0)) {
    throw new TypeError('startReceiver: secret must be a non-empty string or a non-empty list of them');
  }
  return [...list];
}

function headerValue(headers, name) {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

// X-Kombo-Signature: base64url without padding of HMAC-SHA256 keyed with the secret string itself.
function verifyKombo(secrets, raw, header) {
  if (typeof header !== 'string' || header.length === 0) return false;
  const given = Buffer.from(header, 'utf8');
  let ok = false;
  for (const secret of secrets) {
    const expected = Buffer.from(createHmac('sha256', secret).update(raw).digest('base64url'), 'utf8');
    // timingSafeEqual throws on a length mismatch; a length difference reveals nothing about the secret.
    if (expected.length === given.length && timingSafeEqual(expected, given)) ok = true;
  }
  return ok;
}

// Standard Webhooks, checked with the reference library (which also enforces its 5-minute timestamp tolerance).
function verifyStandard(secrets, raw, headers) {
  for (const secret of secrets) {
    try {
      new Webhook(secret).verify(raw, headers, { jsonParse: false });
      return true;
    } catch {
      // Wrong secret, malformed secret, missing headers or a stale timestamp: try the next secret.
    }
  }
  return false;
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

// The SDK's parser for each event type it describes (@kombo-api/sdk src/models/*webhookpayload.ts).
export const SDK_PARSERS = {
  'data-changed': dataChangedWebhookPayloadFromJSON,
  'sync-finished': syncFinishedWebhookPayloadFromJSON,
  'integration-created': integrationCreatedWebhookPayloadFromJSON,
  'integration-deleted': integrationDeletedWebhookPayloadFromJSON,
  'integration-state-changed': integrationStateChangedWebhookPayloadFromJSON,
  'connection-flow-failed': connectionFlowFailedWebhookPayloadFromJSON,
};

function sdkError(type, raw) {
  const parse = SDK_PARSERS[type];
  if (!parse) return null;
  const parsed = parse(raw);
  return parsed.ok ? null : String(parsed.error?.message ?? parsed.error);
}

function specToFunction(spec) {
  const failing =
    spec.hang === true || spec.status !== undefined || spec.retryAfter !== undefined || spec.failTimes !== undefined;
  return (attempt) => {
    const common = { delayMs: spec.delayMs, body: spec.body, headers: { ...(spec.headers ?? {}) } };
    const n = spec.perEvent ? attempt.nForId : attempt.verifiedN;
    if (!failing || (spec.failTimes !== undefined && n > spec.failTimes)) return { ...common, status: 200 };
    if (spec.hang) return { ...common, hang: true };
    const status = spec.status ?? (spec.retryAfter !== undefined ? 429 : 500);
    if (spec.retryAfter !== undefined) common.headers['Retry-After'] = String(spec.retryAfter);
    return { ...common, status };
  };
}

function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startReceiver({ secret, port = 0 } = {}) {
  let secrets = toList(secret);
  let behaviour = specToFunction({});
  let verifiedCount = 0;
  const perId = new Map();
  const events = [];
  const eventsById = new Map();
  const attempts = [];
  const schemaErrors = [];
  const hanging = new Set();
  const timers = new Map();
  let closed = false;

  const answer = (res, status, headers = {}, body = '') => {
    if (res.writableEnded || res.destroyed) return;
    res.writeHead(status, { 'Content-Type': 'text/plain', ...headers });
    res.end(body);
  };

  // Delays of answers; close() cuts them short so no handler outlives the server.
  const sleep = (ms) =>
    new Promise((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.set(t, resolve);
    });

  async function handle(req, res) {
    if (req.method !== 'POST') return answer(res, 405, { Allow: 'POST' });
    let raw;
    try {
      raw = await readBody(req, MAX_BODY_BYTES);
    } catch {
      return answer(res, 413);
    }
    const text = raw.toString('utf8');
    const attempt = {
      n: attempts.length + 1,
      id: headerValue(req.headers, 'webhook-id') ?? null,
      path: req.url,
      headers: { ...req.headers },
      raw: text,
      body: parseJson(text),
      kombo_ok: verifyKombo(secrets, raw, headerValue(req.headers, 'x-kombo-signature')),
      standard_ok: verifyStandard(secrets, raw, req.headers),
      at: Date.now(),
      status: null,
    };
    attempts.push(attempt);
    const reply = (status, headers, body) => {
      attempt.status = status;
      answer(res, status, headers, body);
    };
    if (!attempt.kombo_ok || !attempt.standard_ok) return reply(401, {}, 'signature verification failed');

    verifiedCount += 1;
    const nForId = (perId.get(attempt.id) ?? 0) + 1;
    perId.set(attempt.id, nForId);
    let plan;
    try {
      plan = (await behaviour({ ...attempt, verifiedN: verifiedCount, nForId })) ?? {};
    } catch (err) {
      return reply(500, {}, `behaviour threw: ${err?.message ?? err}`);
    }
    if (plan.hang) {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return undefined;
    }
    if (plan.delayMs > 0) await sleep(plan.delayMs);
    if (closed) return undefined;
    const status = plan.status ?? 200;
    if (status >= 200 && status <= 299) {
      const existing = eventsById.get(attempt.id);
      if (existing) {
        existing.count += 1;
      } else {
        const body = attempt.body ?? {};
        const event = {
          id: attempt.id,
          type: body.type ?? null,
          data: body.data ?? null,
          body: attempt.body,
          headers: attempt.headers,
          first_at: attempt.at,
          count: 1,
        };
        eventsById.set(attempt.id, event);
        events.push(event);
        const error = sdkError(event.type, attempt.raw);
        if (error) schemaErrors.push({ id: event.id, type: event.type, error });
      }
    }
    return reply(status, plan.headers ?? {}, plan.body ?? '');
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => answer(res, 500));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = server.address().port;

  const receiver = {
    url: `http://127.0.0.1:${actualPort}/webhook`,
    port: actualPort,
    events,
    attempts,
    eventsById,
    schemaErrors,
    // A spec object or a function; resets the failTimes counters.
    setBehaviour(next) {
      behaviour = typeof next === 'function' ? next : specToFunction(next ?? {});
      verifiedCount = 0;
      perId.clear();
    },
    // Replace the accepted secrets (e.g. after a rotation through the management API).
    setSecrets(next) {
      secrets = toList(next);
    },
    // Resolves with the predicate's first truthy result; rejects once timeoutMs has passed.
    async waitFor(predicate, timeoutMs = DEFAULT_WAIT_MS) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const result = await predicate(receiver);
        if (result) return result;
        if (Date.now() >= deadline) {
          throw new Error(
            `waitFor: condition not met within ${timeoutMs} ms ` +
              `(${attempts.length} attempts, ${events.length} events)`,
          );
        }
        const pause = Math.min(POLL_INTERVAL_MS, Math.max(1, deadline - Date.now()));
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const [t, resolve] of timers) {
        clearTimeout(t);
        resolve();
      }
      timers.clear();
      for (const res of hanging) res.destroy();
      hanging.clear();
      const done = new Promise((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await done;
    },
  };
  return receiver;
}
