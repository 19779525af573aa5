// Upstream requests signed the way the vendors sign them (shared/vendors.md), written here independently of the
// connectors and the simulators, for tests that post straight to an ingress URL.

import { createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';

import { createIntegration } from './harness.mjs';

// Greenhouse: `Signature: sha256 <hex HMAC-SHA256(secret, raw body)>`.
export function greenhouseSignature(secret, body) {
  return `sha256 ${createHmac('sha256', secret).update(body).digest('hex')}`;
}

// A new_candidate_application body for candidate `candidateId` (and application `applicationId`).
export function greenhouseCandidateBody(candidateId, applicationId = candidateId + 1_000_000) {
  return JSON.stringify({
    action: 'new_candidate_application',
    payload: {
      application: {
        id: applicationId,
        candidate: { id: candidateId, first_name: 'Grace', last_name: 'Hopper' },
        jobs: [],
      },
    },
  });
}

export function greenhouseHeaders(secret, body, { eventId = randomUUID(), signature } = {}) {
  return {
    'Content-Type': 'application/json',
    Signature: signature ?? greenhouseSignature(secret, body),
    'Greenhouse-Event-ID': eventId,
  };
}

// Personio: the subscription's token verbatim in Authorization; a dataless body with the record id.
export function personioBody(eventName, id) {
  return JSON.stringify({
    company_id: 98765,
    event_name: eventName,
    occurred_at: new Date().toISOString(),
    payload: { id },
  });
}

// POST with node:http and a fresh connection (agent: false), so a test can fire many requests at once and see every
// outcome, including connection errors when the server dies. Resolves {status, text} or {status: 0, error}.
// chunked: true sends the body with Transfer-Encoding: chunked (no Content-Length), in two chunks.
export function rawPost(url, headers, body, { timeoutMs = 10_000, chunked = false } = {}) {
  return new Promise((resolve) => {
    const u = new URL(url);
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method: 'POST',
        headers: chunked ? { ...headers } : { ...headers, 'Content-Length': Buffer.byteLength(body) },
        agent: false,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (err) => resolve({ status: 0, error: err.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: 0, error: err.message }));
    if (chunked) {
      const half = Math.floor(body.length / 2);
      req.write(body.slice(0, half));
      req.end(body.slice(half));
    } else {
      req.end(body);
    }
  });
}

// A greenhouse integration on `tb` whose ingress a test posts to directly (no simulator: a manual subscription
// needs no call to the tool). Returns {integration, sub, secret, url, send(candidateId, opts)}; send signs a
// new_candidate_application for that candidate and resolves the ingress's answer {status, text}.
export async function greenhouseIngress(tb, { scope = { upstream_webhooks: true } } = {}) {
  const integration = await createIntegration(tb, 'greenhouse', 'http://127.0.0.1:9', scope);
  const sub = integration.subscriptions[0];
  if (!sub?.setup?.secret) throw new Error(`greenhouse subscription without a secret: ${JSON.stringify(sub)}`);
  const secret = sub.setup.secret;
  return {
    integration,
    sub,
    secret,
    url: sub.ingress_url,
    send(candidateId, { eventId, timeoutMs } = {}) {
      const body = greenhouseCandidateBody(candidateId);
      return rawPost(sub.ingress_url, greenhouseHeaders(secret, body, { eventId }), body, { timeoutMs });
    },
  };
}
