// One upstream request, the whole story: what arrived (headers redacted by the server, body), how it was
// verified and what it became (outcome, reason, warnings, unified events), and the downstream events it caused
// with every delivery attempt. Refreshed every 2 s so retries show up as they happen; "Redeliver" sends an
// event again to its endpoints.
import { useEffect, useState } from '../vendor/hooks.mjs';
import { api, enc } from '../lib/api.js';
import { html } from '../lib/html.js';
import {
  Badge,
  ErrorState,
  Loading,
  Notice,
  Time,
  formatMs,
  pretty,
  useAction,
  useInterval,
  useLoad,
  useTitle,
} from '../lib/ui.js';

const POLL_MS = 2000;

function Field({ label, children }) {
  return html`<div class="field"><dt>${label}</dt><dd>${children}</dd></div>`;
}

function Summary({ log, integration }) {
  return html`<dl class="facts">
    <${Field} label="Outcome"><${Badge} value=${log.outcome} /></${Field}>
    <${Field} label="Received"><${Time} at=${log.received_at} /></${Field}>
    <${Field} label="Processed"><${Time} at=${log.processed_at} /></${Field}>
    <${Field} label="Tool">${log.tool ?? '—'}</${Field}>
    <${Field} label="Integration">${log.integration_id
      ? html`<a href=${`#/integrations/${enc(log.integration_id)}`}>${integration?.end_user?.organization_name || log.integration_id}</a>`
      : '—'}</${Field}>
    <${Field} label="Vendor event"><span class="mono">${log.vendor_event ?? '—'}</span></${Field}>
    <${Field} label="Delivery id"><span class="mono">${log.delivery_id ?? '—'}</span></${Field}>
    <${Field} label="Verification">${log.verification ?? '—'}</${Field}>
    <${Field} label="Answered">HTTP ${log.http_status}</${Field}>
    <${Field} label="Body size">${log.body_size} bytes</${Field}>
  </dl>`;
}

function AttemptLog({ attempts }) {
  if (!attempts.length) return html`<p class="muted">No attempt yet.</p>`;
  const sorted = [...attempts].sort((a, b) => Date.parse(a.attempted_at) - Date.parse(b.attempted_at));
  return html`<table class="attempts">
    <caption class="sr-only">Delivery attempts, oldest first</caption>
    <thead><tr><th scope="col">#</th><th scope="col">Attempted</th><th scope="col">Status</th>
      <th scope="col" class="num">Latency</th><th scope="col">Response</th><th scope="col">Error</th>
      <th scope="col">Next retry</th></tr></thead>
    <tbody>${sorted.map(
      (a, i) => html`<tr class="attempt">
        <td>${i + 1}</td>
        <td><${Time} at=${a.attempted_at} precise /></td>
        <td>${a.status_code === null
          ? html`<span class="badge bad">no answer</span>`
          : html`<span class=${`badge ${a.status_code >= 200 && a.status_code < 300 ? 'ok' : 'bad'}`}>${a.status_code}</span>`}</td>
        <td class="num">${formatMs(a.latency_ms)}</td>
        <td class="excerpt">${a.response_excerpt
          ? html`<details><summary>${a.response_excerpt.slice(0, 60)}${a.response_excerpt.length > 60 ? '…' : ''}</summary>
              <pre>${a.response_excerpt}</pre></details>`
          : html`<span class="muted">—</span>`}</td>
        <td>${a.error ?? html`<span class="muted">—</span>`}</td>
        <td>${a.next_retry_at ? html`<${Time} at=${a.next_retry_at} precise />` : html`<span class="muted">—</span>`}</td>
      </tr>`,
    )}</tbody>
  </table>`;
}

function Delivery({ delivery, endpoint }) {
  const d = delivery;
  return html`<div class="delivery" data-endpoint=${d.endpoint_id}>
    <div class="delivery-head">
      <span>To <a href="#/endpoints" title=${d.endpoint_id}>${endpoint?.url ?? d.endpoint_id}</a></span>
      <${Badge} value=${d.status} />
      <span>${d.attempts} attempt${d.attempts === 1 ? '' : 's'}, ${d.retries} retr${d.retries === 1 ? 'y' : 'ies'}</span>
      ${d.status === 'pending' && d.next_attempt_at
        ? html`<span>next attempt <${Time} at=${d.next_attempt_at} relative /></span>`
        : null}
    </div>
    ${d.last_error ? html`<p class="error-text">Last error: ${d.last_error}</p>` : null}
    <${AttemptLog} attempts=${d.attempt_log ?? []} />
  </div>`;
}

function DownstreamEvent({ event, endpoints, onRedelivered, setNotice }) {
  const [busy, run] = useAction(setNotice);
  const redeliver = () =>
    run('redeliver', async () => {
      const r = await api('POST', `/v1/events/${enc(event.id)}/redeliver`);
      setNotice({
        kind: r.deliveries_queued ? 'ok' : 'warn',
        text: r.deliveries_queued
          ? `Event ${event.id}: ${r.deliveries_queued} deliver${r.deliveries_queued === 1 ? 'y' : 'ies'} queued again.`
          : `Event ${event.id}: no enabled endpoint takes ${event.type} events, so nothing was queued.`,
      });
      onRedelivered();
    });
  return html`<article class="card downstream" data-event=${event.id}>
    <header class="card-head">
      <h3><span class="mono">${event.type}</span> <span class="muted mono small">${event.id}</span></h3>
      <button type="button" onClick=${redeliver} disabled=${busy !== null}>
        ${busy ? 'Queuing…' : 'Redeliver'}
      </button>
    </header>
    <p class="muted">Created <${Time} at=${event.created_at} /></p>
    <details><summary>Payload sent downstream</summary><pre>${pretty(event.payload)}</pre></details>
    ${event.deliveries.length
      ? event.deliveries.map((d) => html`<${Delivery} key=${d.endpoint_id} delivery=${d} endpoint=${endpoints.get(d.endpoint_id)} />`)
      : html`<p class="muted">No delivery: no enabled endpoint takes ${event.type} events. Add one on the${' '}
          <a href="#/endpoints">Endpoints</a> page, then redeliver.</p>`}
  </article>`;
}

export function EventDetailPage({ id }) {
  useTitle(`Request ${id}`);
  const { data: log, error, loading, reload } = useLoad(
    (signal) => api('GET', `/v1/logs/upstream/${enc(id)}`, undefined, { signal }),
    [id],
  );
  const [endpoints, setEndpoints] = useState(new Map());
  const [integration, setIntegration] = useState(null);
  const [notice, setNotice] = useState(null);
  useInterval(reload, POLL_MS, !!log);
  useEffect(() => {
    const c = new AbortController();
    api('GET', '/v1/webhook-endpoints', undefined, { signal: c.signal })
      .then((d) => setEndpoints(new Map(d.results.map((e) => [e.id, e]))))
      .catch(() => {});
    return () => c.abort();
  }, []);
  useEffect(() => {
    if (!log?.integration_id) return undefined;
    const c = new AbortController();
    api('GET', `/v1/integrations/${enc(log.integration_id)}`, undefined, { signal: c.signal })
      .then(setIntegration)
      .catch(() => {});
    return () => c.abort();
  }, [log?.integration_id]);

  const back = html`<p class="crumbs"><a href="#/events">← Events</a></p>`;
  if (loading && !log) return html`<section class="page">${back}<h1>Request</h1><${Loading} what="the request" /></section>`;
  if (error && !log) {
    return html`<section class="page">${back}<h1>Request</h1>
      <${ErrorState} error=${error} what=${`request ${id}`} retry=${reload} /></section>`;
  }
  const warnings = Array.isArray(log.warnings) ? log.warnings : [];
  const unified = Array.isArray(log.unified_events) ? log.unified_events : [];
  return html`<section class="page event-detail">
    ${back}
    <h1>${log.method} request <span class="mono small muted">${log.id}</span></h1>
    ${error ? html`<p class="notice warn" role="status">Could not refresh: ${error.message}</p>` : null}
    <${Notice} notice=${notice} onClose=${() => setNotice(null)} />
    <${Summary} log=${log} integration=${integration} />
    ${log.reason ? html`<p class="reason"><strong>Reason:</strong> ${log.reason}</p>` : null}
    ${warnings.length
      ? html`<div class="notice warn"><strong>Warnings</strong><ul>${warnings.map((w) => html`<li>${w}</li>`)}</ul></div>`
      : null}

    <h2>Unified events</h2>
    ${unified.length
      ? html`<table class="unified"><thead><tr><th scope="col">Model</th><th scope="col">Action</th>
          <th scope="col">Remote id</th><th scope="col">Unified id</th></tr></thead>
          <tbody>${unified.map((u) => html`<tr><td>${u.model}</td><td>${u.action}</td>
            <td class="mono">${u.remote_id ?? '—'}</td><td class="mono">${u.id ?? '—'}</td></tr>`)}</tbody></table>`
      : html`<p class="muted">${log.outcome === 'received' ? 'Not processed yet.' : 'None: this request did not become a unified event.'}</p>`}

    <h2>Downstream events and deliveries</h2>
    ${log.events?.length
      ? log.events.map((e) => html`<${DownstreamEvent} key=${e.id} event=${e} endpoints=${endpoints}
          onRedelivered=${reload} setNotice=${setNotice} />`)
      : html`<p class="muted">${log.outcome === 'received'
          ? 'Waiting to be processed…'
          : 'None: only accepted requests are relayed downstream.'}</p>`}

    <h2>Request as received</h2>
    <p class="muted"><span class="mono">${log.method} ${log.path}</span></p>
    ${log.pruned_at
      ? html`<p class="notice info pruned" role="note">Headers and body pruned <${Time} at=${log.pruned_at} />:${' '}
          requests are kept whole for the retention period (<span class="mono">retention.days</span>). What is above — outcome,
          verification, the events it caused — stays.</p>`
      : html`<h3>Headers <span class="muted small">(secrets redacted)</span></h3>
    <table class="headers"><tbody>${(log.headers ?? []).map(
      ([k, v]) => html`<tr><th scope="row" class="mono">${k}</th><td class="mono">${v}</td></tr>`,
    )}</tbody></table>
    <h3>Body</h3>
    ${log.body ? html`<pre class="body">${pretty(log.body)}</pre>` : html`<p class="muted">Empty.</p>`}`}
  </section>`;
}
