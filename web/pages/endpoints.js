// Webhook endpoints: the operator's receivers. Create one (its secret is shown once, and can be revealed again
// on demand), enable or disable it, choose its event types, reveal or rotate its secret, resend its failed
// deliveries of a time range, and see its success rate and latency over the last hour.
import { useEffect, useState } from '../vendor/hooks.mjs';
import { api, enc } from '../lib/api.js';
import { html } from '../lib/html.js';
import {
  Badge,
  Copyable,
  Empty,
  ErrorState,
  Loading,
  Notice,
  Secret,
  Time,
  formatMs,
  useAction,
  useInterval,
  useLoad,
  useTitle,
} from '../lib/ui.js';

const EVENT_TYPES = [
  ['remote-event-received', 'a tool sent a change'],
  ['data-changed', 'unified data changed'],
  ['sync-finished', 'a sync ended'],
  ['endpoint-disabled', 'another endpoint was disabled after failing for long'],
];

// Disabled by Tributary itself (its deliveries kept failing), not by the operator: `missed` says which events
// it did not get.
const autoDisabled = (ep) => !ep.enabled && !!ep.missed && !ep.missed.until;

function TypeChoice({ idPrefix, value, onChange }) {
  const set = new Set(value);
  const toggle = (t, on) => {
    const next = new Set(set);
    if (on) next.add(t);
    else next.delete(t);
    onChange(EVENT_TYPES.map(([k]) => k).filter((k) => next.has(k)));
  };
  return html`<fieldset class="types">
    <legend>Event types <span class="muted small">(none ticked: every type)</span></legend>
    ${EVENT_TYPES.map(
      ([t, hint]) => html`<label class="check" key=${t}>
        <input type="checkbox" id=${`${idPrefix}-${t}`} checked=${set.has(t)} onChange=${(e) => toggle(t, e.currentTarget.checked)} />
        <span class="mono">${t}</span> <span class="muted small">${hint}</span>
      </label>`,
    )}
  </fieldset>`;
}

function CreateForm({ onCreated, setNotice }) {
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [types, setTypes] = useState([]);
  const [enabled, setEnabled] = useState(true);
  const [busy, run] = useAction(setNotice);
  const submit = (e) => {
    e.preventDefault();
    run('create', async () => {
      const body = { url: url.trim(), enabled };
      if (description.trim()) body.description = description.trim();
      if (types.length) body.event_types = types;
      const created = await api('POST', '/v1/webhook-endpoints', body);
      setUrl('');
      setDescription('');
      setTypes([]);
      setNotice({
        kind: 'ok',
        text: html`<p>Endpoint created for <span class="mono">${created.url}</span>. Its signing secret — store it with
          your receiver now (Reveal shows it again later):</p><${Copyable} value=${created.secret} what="new endpoint secret" />`,
      });
      onCreated();
    });
  };
  return html`<form class="card create" onSubmit=${submit} aria-labelledby="create-title">
    <h2 id="create-title">Add an endpoint</h2>
    <div class="row">
      <label class="grow">URL
        <input type="url" required placeholder="https://example.com/webhooks/tributary" value=${url}
          onInput=${(e) => setUrl(e.currentTarget.value)} />
      </label>
      <label class="grow"><span>Description <span class="muted small">(optional)</span></span>
        <input type="text" value=${description} onInput=${(e) => setDescription(e.currentTarget.value)} />
      </label>
    </div>
    <${TypeChoice} idPrefix="new" value=${types} onChange=${setTypes} />
    <label class="check"><input type="checkbox" checked=${enabled} onChange=${(e) => setEnabled(e.currentTarget.checked)} /> Enabled</label>
    <div class="actions"><button type="submit" class="primary" disabled=${busy !== null}>${busy ? 'Creating…' : 'Create endpoint'}</button></div>
  </form>`;
}

function Stats({ stats }) {
  if (!stats) return html`<p class="stats muted">Loading the last hour's figures…</p>`;
  const rate = stats.success_rate === null ? '—' : `${Math.round(stats.success_rate * 1000) / 10}%`;
  const tone = stats.success_rate === null ? '' : stats.success_rate >= 0.99 ? 'ok' : stats.success_rate >= 0.9 ? 'warn' : 'bad';
  return html`<dl class="stats" aria-label="Last hour">
    <div><dt>Success, last hour</dt><dd class=${tone}>${stats.attempts
      ? html`${rate} <span class="muted small">of ${stats.attempts} attempt${stats.attempts === 1 ? '' : 's'}</span>`
      : html`<span class="muted">no attempts</span>`}</dd></div>
    <div><dt>Latency p50 / p95</dt><dd>${formatMs(stats.latency_ms.p50)} / ${formatMs(stats.latency_ms.p95)}</dd></div>
    <div><dt>Waiting</dt><dd>${stats.deliveries.pending + stats.deliveries.sending} pending</dd></div>
    <div><dt>Failed</dt><dd class=${stats.deliveries.failed ? 'bad' : ''}>${stats.deliveries.failed} to recover</dd></div>
  </dl>`;
}

// datetime-local default values: an hour ago and now, in local time.
function localInput(ms) {
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function EndpointCard({ endpoint, onChanged, setNotice }) {
  const ep = endpoint;
  const [types, setTypes] = useState(ep.event_types);
  const [secret, setSecret] = useState(null);
  const [stats, setStats] = useState(null);
  // After an automatic disabling the range to recover is the one it missed: from its first failure on.
  const [since, setSince] = useState(() => localInput(ep.missed ? Date.parse(ep.missed.since) : Date.now() - 24 * 3600e3));
  const [until, setUntil] = useState(() => (ep.missed?.until ? localInput(Date.parse(ep.missed.until) + 60e3) : ''));
  const [undelivered, setUndelivered] = useState(!!ep.missed);
  useEffect(() => {
    if (!ep.missed) return;
    setSince(localInput(Date.parse(ep.missed.since)));
    setUntil(ep.missed.until ? localInput(Date.parse(ep.missed.until) + 60e3) : '');
    setUndelivered(true);
  }, [ep.missed?.since, ep.missed?.until]);
  const [busy, run] = useAction(setNotice);
  useEffect(() => setTypes(ep.event_types), [ep.event_types.join(',')]);
  const loadStats = async () => {
    try {
      setStats(await api('GET', `/v1/webhook-endpoints/${enc(ep.id)}/stats`));
    } catch {
      // The card still works without figures; the next refresh tries again.
    }
  };
  useEffect(() => {
    loadStats();
  }, [ep.id, ep.updated_at]);
  useInterval(loadStats, 5000);

  const path = `/v1/webhook-endpoints/${enc(ep.id)}`;
  const typesDirty = types.join(',') !== ep.event_types.join(',');
  const recoverMissed = (offer) =>
    run('recover', async () => {
      const r = await api('POST', `${path}/recover`, offer);
      setNotice({ kind: 'ok', text: `${r.recovered} missed deliver${r.recovered === 1 ? 'y' : 'ies'} queued for ${ep.url}.` });
      onChanged();
    });
  const toggle = () =>
    run('toggle', async () => {
      const updated = await api('PATCH', path, { enabled: !ep.enabled });
      if (updated.recovery) {
        // Re-enabled after an automatic disabling: offer what it missed meanwhile.
        const offer = updated.recovery;
        setNotice({
          kind: 'ok',
          text: html`<p>${ep.url} enabled. It missed the events from ${new Date(offer.since).toLocaleString()} to${' '}
            ${new Date(offer.until).toLocaleString()}.</p>
            <button type="button" class="primary" onClick=${() => recoverMissed(offer)}>Recover missed events</button>`,
        });
      } else {
        setNotice({ kind: 'ok', text: `${ep.url} ${ep.enabled ? 'disabled: nothing is sent to it' : 'enabled'}.` });
      }
      onChanged();
    });
  const saveTypes = () =>
    run('types', async () => {
      await api('PATCH', path, { event_types: types });
      setNotice({ kind: 'ok', text: `${ep.url} now receives ${types.length ? types.join(', ') : 'every event type'}.` });
      onChanged();
    });
  const reveal = () =>
    run('reveal', async () => {
      if (secret) {
        setSecret(null);
        return;
      }
      setSecret((await api('GET', `${path}/secret`)).secret);
    });
  const rotate = () => {
    if (!window.confirm(`Rotate the signing secret of ${ep.url}? The current secret keeps signing for 24 hours.`)) return;
    run('rotate', async () => {
      const r = await api('POST', `${path}/rotate-secret`);
      setSecret(r.secret);
      setNotice({
        kind: 'ok',
        text: html`<p>New secret for <span class="mono">${ep.url}</span>; the previous one keeps signing until${' '}
          ${new Date(r.previous_secret_valid_until).toLocaleString()}.</p><${Copyable} value=${r.secret} what="rotated secret" />`,
      });
      onChanged();
    });
  };
  const recover = (e) => {
    e.preventDefault();
    run('recover', async () => {
      const body = {};
      if (since) body.since = new Date(since).toISOString();
      if (until) body.until = new Date(until).toISOString();
      if (undelivered) body.include_undelivered = true;
      const r = await api('POST', `${path}/recover`, body);
      setNotice({
        kind: r.warning ? 'warn' : 'ok',
        text: `${r.recovered} failed deliver${r.recovered === 1 ? 'y' : 'ies'} queued again for ${ep.url}.${r.warning ? ` ${r.warning}.` : ''}`,
      });
      loadStats();
    });
  };
  return html`<article class=${`card endpoint ${ep.enabled ? '' : 'off'}`} data-endpoint=${ep.id}>
    <header class="card-head">
      <h3 class="mono url">${ep.url}</h3>
      <${Badge} value=${ep.enabled ? 'enabled' : 'disabled'} />
    </header>
    <p class="muted small"><span class="mono">${ep.id}</span>${ep.description ? ` · ${ep.description}` : ''} · created <${Time} at=${ep.created_at} /></p>
    ${autoDisabled(ep)
      ? html`<p class="notice error banner" role="alert">Disabled automatically <${Time} at=${ep.disabled_at} />:${' '}
          ${ep.disabled_reason}. Events since <${Time} at=${ep.missed.since} /> were not delivered: enable it once it
          answers again, then recover them.</p>`
      : !ep.enabled && ep.disabled_reason ? html`<p class="notice warn">Disabled: ${ep.disabled_reason}.</p>` : null}
    <${Stats} stats=${stats} />
    <div class="actions">
      <button type="button" onClick=${toggle} disabled=${busy !== null}>${ep.enabled ? 'Disable' : 'Enable'}</button>
      <button type="button" onClick=${reveal} disabled=${busy !== null} aria-expanded=${!!secret}>${secret ? 'Hide secret' : 'Reveal secret'}</button>
      <button type="button" onClick=${rotate} disabled=${busy !== null}>Rotate secret</button>
    </div>
    ${secret ? html`<div class="field-block"><span class="label">Signing secret</span><${Secret} value=${secret} what="endpoint secret" /></div>` : null}
    <details>
      <summary>Event types: ${ep.event_types.length ? ep.event_types.join(', ') : 'every type'}</summary>
      <${TypeChoice} idPrefix=${ep.id} value=${types} onChange=${setTypes} />
      <button type="button" onClick=${saveTypes} disabled=${!typesDirty || busy !== null}>Save event types</button>
    </details>
    <details open=${autoDisabled(ep)}>
      <summary>Recover failed deliveries</summary>
      <form class="inline-form" onSubmit=${recover}>
        <p class="muted small">Sends again every delivery to this endpoint that ran out of retries, for events created in the range.${
          ep.missed ? ' The range is the one it missed after it was disabled automatically.' : ''}</p>
        <label>From <input type="datetime-local" value=${since} onChange=${(e) => setSince(e.currentTarget.value)} /></label>
        <label>To <span class="muted small">(empty: now)</span> <input type="datetime-local" value=${until} onChange=${(e) => setUntil(e.currentTarget.value)} /></label>
        <label class="check"><input type="checkbox" checked=${undelivered} onChange=${(e) => setUndelivered(e.currentTarget.checked)} />
          Also events it never got while disabled</label>
        <button type="submit" disabled=${busy !== null}>${busy === 'recover' ? 'Queuing…' : 'Recover failed events'}</button>
      </form>
    </details>
  </article>`;
}

export function EndpointsPage() {
  useTitle('Endpoints');
  const { data, error, loading, reload } = useLoad((signal) => api('GET', '/v1/webhook-endpoints', undefined, { signal }), []);
  const [notice, setNotice] = useState(null);
  useInterval(reload, 10000, !!data);
  let body;
  if (loading && !data) body = html`<${Loading} what="the endpoints" />`;
  else if (error && !data) body = html`<${ErrorState} error=${error} what="the endpoints" retry=${reload} />`;
  else if (!data.results.length) {
    body = html`<${Empty} title="No endpoints yet.">
      <p>Add the URL that should receive Tributary's webhooks above. Every event is signed (Standard Webhooks and
      X-Kombo-Signature) with the endpoint's secret.</p></${Empty}>`;
  } else {
    body = data.results.map((ep) => html`<${EndpointCard} key=${ep.id} endpoint=${ep} onChanged=${reload} setNotice=${setNotice} />`);
  }
  const disabled = (data?.results ?? []).filter(autoDisabled);
  return html`<section class="page endpoints">
    <div class="page-head"><h1>Endpoints</h1></div>
    <p class="lead">Your receivers of Tributary's webhooks: signed, retried with backoff, every attempt logged.</p>
    ${disabled.length
      ? html`<div class="notice error banner endpoint-disabled-banner" role="alert">
          <p><strong>${disabled.length === 1 ? 'An endpoint was' : `${disabled.length} endpoints were`} disabled automatically</strong>${' '}
            because every delivery to ${disabled.length === 1 ? 'it' : 'them'} kept failing:</p>
          <ul>${disabled.map((ep) => html`<li key=${ep.id}><span class="mono">${ep.url}</span>: ${ep.disabled_reason}.</li>`)}</ul>
          <p>Nothing is sent to ${disabled.length === 1 ? 'it' : 'them'} until enabled again; the missed events can then be recovered.</p>
        </div>`
      : null}
    <${Notice} notice=${notice} onClose=${() => setNotice(null)} />
    <${CreateForm} onCreated=${reload} setNotice=${setNotice} />
    <h2>Your endpoints</h2>
    ${body}
  </section>`;
}
