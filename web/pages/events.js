// Events log: every upstream request received, newest first. The first page is fetched again every 2 s and
// merged by id, so new requests appear (and "received" ones turn "accepted") without a reload; older pages
// load on demand. Filters live in the URL's hash (#/events?outcome=failed), which is shareable and holds no
// secret.
import { useEffect, useMemo, useRef, useState } from '../vendor/hooks.mjs';
import { api, query } from '../lib/api.js';
import { html } from '../lib/html.js';
import { Badge, Empty, ErrorState, Loading, Time, formatTime, useInterval, useTitle } from '../lib/ui.js';

const PAGE_SIZE = 50;
const POLL_MS = 2000;
const OUTCOMES = ['accepted', 'ignored', 'rejected', 'failed', 'duplicate', 'ping', 'received'];
const RANGES = [
  ['', 'Any time'],
  ['15m', 'Last 15 minutes'],
  ['1h', 'Last hour'],
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
  ['custom', 'Custom range…'],
];
const RANGE_MS = { '15m': 15 * 60e3, '1h': 3600e3, '24h': 86400e3, '7d': 7 * 86400e3 };
const FILTER_KEYS = ['integration_id', 'tool', 'outcome', 'range', 'since', 'until', 'warnings'];

function filtersFrom(q) {
  const f = {};
  for (const k of FILTER_KEYS) f[k] = q.get(k) ?? '';
  return f;
}

// datetime-local value ("2026-11-27T10:00") ↔ ISO-8601 in UTC.
const localToIso = (v) => (v ? new Date(v).toISOString() : '');

function apiQuery(f, cursor) {
  const params = { page_size: PAGE_SIZE, integration_id: f.integration_id, tool: f.tool, outcome: f.outcome };
  if (RANGE_MS[f.range]) params.since = new Date(Date.now() - RANGE_MS[f.range]).toISOString();
  if (f.range === 'custom') {
    params.since = localToIso(f.since);
    params.until = localToIso(f.until);
  }
  if (cursor) params.cursor = cursor;
  return query(params);
}

// Newest first page merged over what is on screen: rows in the page replace theirs; older rows stay. A page
// that shares no row with the screen means more arrived than a page holds: start over from it.
function merge(rows, page) {
  if (rows.length === 0) return { rows: page.results, reset: true };
  const ids = new Set(page.results.map((r) => r.id));
  if (!rows.some((r) => ids.has(r.id))) return { rows: page.results, reset: true };
  return { rows: [...page.results, ...rows.filter((r) => !ids.has(r.id))], reset: false };
}

function unifiedSummary(events) {
  if (!Array.isArray(events) || events.length === 0) return html`<span class="muted">—</span>`;
  const first = events[0];
  const more = events.length > 1 ? ` +${events.length - 1}` : '';
  return html`<span>${first.model} <strong>${first.action}</strong>${more}</span>`;
}

function EventRow({ row, integrations, fresh }) {
  const href = `#/events/${encodeURIComponent(row.id)}`;
  const warnings = Array.isArray(row.warnings) ? row.warnings.length : 0;
  const integration = row.integration_id ? integrations.get(row.integration_id) : null;
  const open = (e) => {
    if (e.target.closest('a, button')) return;
    location.hash = href;
  };
  return html`<tr class=${`clickable ${fresh ? 'fresh' : ''}`} onClick=${open} data-id=${row.id}>
    <td><a href=${href} title=${`Open request ${row.id}`}>${formatTime(row.received_at)}</a></td>
    <td>${row.tool ?? html`<span class="muted">unknown</span>`}</td>
    <td class="truncate">${(integration?.end_user?.organization_name || row.integration_id) ?? html`<span class="muted">—</span>`}</td>
    <td class="mono truncate">${row.vendor_event ?? html`<span class="muted">${row.method} ${row.http_status}</span>`}</td>
    <td>
      <${Badge} value=${row.outcome} title=${row.reason ?? undefined} />
      ${warnings ? html` <span class="badge warn" title=${row.warnings.join('\n')}>${warnings} warning${warnings > 1 ? 's' : ''}</span>` : null}
      ${row.failed_deliveries > 0
        ? html` <span class="badge bad" title="Every retry of these deliveries failed: open the request to redeliver">${row.failed_deliveries} ${row.failed_deliveries > 1 ? 'deliveries' : 'delivery'} failed</span>`
        : null}
    </td>
    <td>${unifiedSummary(row.unified_events)}</td>
    <td class="num">${Array.isArray(row.event_ids) ? row.event_ids.length : 0}</td>
    <td class="num">${row.http_status}</td>
  </tr>`;
}

function Filters({ filters, setFilter, clear, integrations, tools }) {
  const active = FILTER_KEYS.some((k) => filters[k]);
  return html`<form class="filters" onSubmit=${(e) => e.preventDefault()} aria-label="Filter the events">
    <label>Integration
      <select value=${filters.integration_id} onChange=${(e) => setFilter('integration_id', e.currentTarget.value)}>
        <option value="">All integrations</option>
        ${[...integrations.values()].map(
          (i) => html`<option value=${i.id}>${i.end_user?.organization_name || i.id} (${i.id})</option>`,
        )}
      </select>
    </label>
    <label>Tool
      <select value=${filters.tool} onChange=${(e) => setFilter('tool', e.currentTarget.value)}>
        <option value="">All tools</option>
        ${tools.map((t) => html`<option value=${t}>${t}</option>`)}
      </select>
    </label>
    <label>Outcome
      <select value=${filters.outcome} onChange=${(e) => setFilter('outcome', e.currentTarget.value)}>
        <option value="">All outcomes</option>
        ${OUTCOMES.map((o) => html`<option value=${o}>${o === 'failed' ? 'failed (a delivery failed)' : o}</option>`)}
      </select>
    </label>
    <label>Time
      <select value=${filters.range} onChange=${(e) => setFilter('range', e.currentTarget.value)}>
        ${RANGES.map(([v, label]) => html`<option value=${v}>${label}</option>`)}
      </select>
    </label>
    ${filters.range === 'custom'
      ? html`<label>From <input type="datetime-local" value=${filters.since}
            onChange=${(e) => setFilter('since', e.currentTarget.value)} /></label>
          <label>To <input type="datetime-local" value=${filters.until}
            onChange=${(e) => setFilter('until', e.currentTarget.value)} /></label>`
      : null}
    <label class="check"><input type="checkbox" checked=${filters.warnings === '1'}
      onChange=${(e) => setFilter('warnings', e.currentTarget.checked ? '1' : '')} /> With warnings only</label>
    ${active ? html`<button type="button" class="link" onClick=${clear}>Clear filters</button>` : null}
  </form>`;
}

export function EventsPage({ query: hashQuery }) {
  useTitle('Events');
  const filters = useMemo(() => filtersFrom(hashQuery), [hashQuery.toString()]);
  const filterKey = JSON.stringify(filters);
  const [state, setState] = useState({ rows: [], next: null, loading: true, error: null });
  const [live, setLive] = useState(true);
  const [pollError, setPollError] = useState(null);
  const [updatedAt, setUpdatedAt] = useState(null);
  const [fresh, setFresh] = useState(new Set());
  const [olderBusy, setOlderBusy] = useState(false);
  const [integrations, setIntegrations] = useState(new Map());
  const [tools, setTools] = useState([]);
  const [reloads, setReloads] = useState(0);
  const generation = useRef(0);
  const rowsRef = useRef(state.rows);
  rowsRef.current = state.rows;

  const setFilter = (k, v) => {
    const q = new URLSearchParams(hashQuery);
    if (v) q.set(k, v);
    else q.delete(k);
    if (k === 'range' && v !== 'custom') {
      q.delete('since');
      q.delete('until');
    }
    const s = q.toString();
    history.replaceState(null, '', `#/events${s ? `?${s}` : ''}`);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  };
  const clear = () => {
    history.replaceState(null, '', '#/events');
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  };

  useEffect(() => {
    const c = new AbortController();
    api('GET', '/v1/integrations', undefined, { signal: c.signal })
      .then((d) => setIntegrations(new Map(d.results.map((i) => [i.id, i]))))
      .catch(() => {});
    api('GET', '/v1/coverage', undefined, { signal: c.signal })
      .then((d) => setTools(d.tools.map((t) => t.tool)))
      .catch(() => {});
    return () => c.abort();
  }, []);

  // First load for these filters.
  useEffect(() => {
    const gen = ++generation.current;
    setState({ rows: [], next: null, loading: true, error: null });
    setFresh(new Set());
    api('GET', `/v1/logs/upstream${apiQuery(filters)}`)
      .then((page) => {
        if (gen !== generation.current) return;
        setState({ rows: page.results, next: page.next, loading: false, error: null });
        setUpdatedAt(new Date().toISOString());
      })
      .catch((error) => {
        if (gen === generation.current) setState((s) => ({ ...s, loading: false, error }));
      });
  }, [filterKey, reloads]);

  const refresh = async () => {
    const gen = generation.current;
    try {
      const page = await api('GET', `/v1/logs/upstream${apiQuery(filters)}`);
      if (gen !== generation.current) return;
      const before = rowsRef.current;
      const known = new Set(before.map((r) => r.id));
      const m = merge(before, page);
      setFresh(new Set(before.length ? page.results.filter((r) => !known.has(r.id)).map((r) => r.id) : []));
      setState((s) => ({ rows: m.rows, next: m.reset ? page.next : s.next, loading: false, error: null }));
      setPollError(null);
      setUpdatedAt(new Date().toISOString());
    } catch (err) {
      if (gen === generation.current) setPollError(err);
    }
  };
  useInterval(refresh, POLL_MS, live && !state.loading && !state.error);

  const loadOlder = async () => {
    const gen = generation.current;
    setOlderBusy(true);
    try {
      const page = await api('GET', `/v1/logs/upstream${apiQuery(filters, state.next)}`);
      if (gen !== generation.current) return;
      setState((s) => {
        const known = new Set(s.rows.map((r) => r.id));
        return { ...s, rows: [...s.rows, ...page.results.filter((r) => !known.has(r.id))], next: page.next };
      });
    } catch (err) {
      setPollError(err);
    } finally {
      setOlderBusy(false);
    }
  };

  const shown = filters.warnings === '1'
    ? state.rows.filter((r) => Array.isArray(r.warnings) && r.warnings.length > 0)
    : state.rows;
  const filtered = FILTER_KEYS.some((k) => filters[k]);

  let body;
  if (state.loading) body = html`<${Loading} what="the events" />`;
  else if (state.error) {
    body = html`<${ErrorState} error=${state.error} what="the events" retry=${() => setReloads((n) => n + 1)} />`;
  } else if (shown.length === 0) {
    body = filtered
      ? html`<${Empty} title="No requests match these filters.">
          <p>Widen the time range or <button type="button" class="link" onClick=${clear}>clear the filters</button>.
          ${filters.warnings === '1' && state.next ? ' Only the loaded rows are checked for warnings: load older rows to look further back.' : ''}</p>
        </${Empty}>`
      : html`<${Empty} title="No upstream requests yet.">
          <p>When a tool sends a webhook to one of your integrations' ingress URLs, it shows up here within a couple of
          seconds. Connect a tool and turn on upstream webhooks on the <a href="#/integrations">Integrations</a> page; a
          manual tool (such as Greenhouse) needs its ingress URL and secret pasted into the tool's settings.</p>
        </${Empty}>`;
  } else {
    body = html`<div class="table-wrap"><table class="events">
      <caption class="sr-only">Upstream requests, newest first</caption>
      <thead><tr>
        <th scope="col">Received</th><th scope="col">Tool</th><th scope="col">Integration</th>
        <th scope="col">Vendor event</th><th scope="col">Outcome</th><th scope="col">Unified events</th>
        <th scope="col" class="num" title="Downstream events caused">Events</th><th scope="col" class="num">HTTP</th>
      </tr></thead>
      <tbody>
        ${shown.map((row) => html`<${EventRow} key=${row.id} row=${row} integrations=${integrations} fresh=${fresh.has(row.id)} />`)}
      </tbody>
    </table></div>`;
  }

  return html`<section class="page">
    <div class="page-head">
      <h1>Events</h1>
      <div class="live" aria-live="off">
        ${live
          ? html`<span class="dot on" aria-hidden="true"></span> Live${updatedAt ? html`, updated <${Time} at=${updatedAt} clock />` : ''}`
          : html`<span class="dot" aria-hidden="true"></span> Paused`}
        <button type="button" class="small" onClick=${() => setLive(!live)} aria-pressed=${!live}>
          ${live ? 'Pause' : 'Resume'}
        </button>
      </div>
    </div>
    <p class="lead">Every request the tools sent to Tributary, newest first. Open one for its headers, body, verification,
      the unified events it became and every downstream delivery attempt.</p>
    <${Filters} filters=${filters} setFilter=${setFilter} clear=${clear} integrations=${integrations} tools=${tools} />
    ${pollError && !state.error
      ? html`<p class="notice warn" role="status">Could not refresh: ${pollError.message} Retrying every ${POLL_MS / 1000} s.</p>`
      : null}
    ${body}
    ${!state.loading && !state.error && state.next
      ? html`<p class="more"><button type="button" onClick=${loadOlder} disabled=${olderBusy}>
          ${olderBusy ? 'Loading…' : 'Load older requests'}</button></p>`
      : null}
  </section>`;
}
