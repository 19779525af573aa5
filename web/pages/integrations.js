// Integrations at a glance: who is connected, whether upstream webhooks are on, the state of each tool-side
// subscription and when the last event came in.
import { html } from '../lib/html.js';
import { api, enc } from '../lib/api.js';
import { Badge, Empty, ErrorState, Loading, Time, useInterval, useLoad, useTitle } from '../lib/ui.js';

const ORDER = ['failed', 'missing_permission', 'pending', 'active', 'disabled'];

export function subscriptionCounts(subs) {
  const counts = new Map();
  for (const s of subs ?? []) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => ORDER.indexOf(a[0]) - ORDER.indexOf(b[0]));
}

export function Health({ integration }) {
  const subs = integration.subscriptions ?? [];
  if (!integration.scope?.upstream_webhooks) return html`<span class="muted">webhooks off</span>`;
  if (!subs.length) return html`<span class="badge warn">no subscription</span>`;
  return html`<span class="health">${subscriptionCounts(subs).map(
    ([status, n]) => html`<${Badge} value=${status} /> ${n > 1 ? html`<span class="small">×${n}</span> ` : null}`,
  )}</span>`;
}

const EXAMPLE = `curl -X POST "$TRIBUTARY_URL/v1/integrations" \\
  -H "Authorization: Bearer $TRIBUTARY_API_KEY" -H "Content-Type: application/json" \\
  -d '{"tool": "personio",
       "end_user": {"organization_name": "Acme GmbH", "creator_email": "it@acme.example", "origin_id": "acme"},
       "credentials": {"client_id": "…", "client_secret": "…"},
       "scope": {"upstream_webhooks": true}}'`;

export function IntegrationsPage() {
  useTitle('Integrations');
  const { data, error, loading, reload } = useLoad((signal) => api('GET', '/v1/integrations', undefined, { signal }), []);
  useInterval(reload, 5000, !!data);

  let body;
  if (loading && !data) body = html`<${Loading} what="the integrations" />`;
  else if (error && !data) body = html`<${ErrorState} error=${error} what="the integrations" retry=${reload} />`;
  else if (!data.results.length) {
    body = html`<${Empty} title="No integrations yet.">
      <p>An integration connects one customer's tool (Personio, Greenhouse, …). Create one through the API; it shows up
      here with its webhook subscriptions. The tools and what they support are on the <a href="#/coverage">Coverage</a> page.</p>
      <pre class="example">${EXAMPLE}</pre>
    </${Empty}>`;
  } else {
    body = html`<div class="table-wrap"><table class="integrations">
      <caption class="sr-only">Integrations</caption>
      <thead><tr><th scope="col">Customer</th><th scope="col">Tool</th><th scope="col">Category</th>
        <th scope="col">Subscriptions</th><th scope="col">Last event</th><th scope="col">Last sync</th><th scope="col">Created</th></tr></thead>
      <tbody>${data.results.map(
        (i) => html`<tr key=${i.id} data-id=${i.id}>
          <td><a href=${`#/integrations/${enc(i.id)}`}>${i.end_user?.organization_name || i.id}</a>
            <div class="muted small mono">${i.id}</div></td>
          <td>${i.tool.label} ${i.status !== 'ACTIVE' ? html`<${Badge} value=${i.status} />` : null}</td>
          <td>${i.category}</td>
          <td><${Health} integration=${i} /></td>
          <td>${i.last_event_at ? html`<${Time} at=${i.last_event_at} relative />` : html`<span class="muted">none yet</span>`}</td>
          <td>${i.last_sync
            ? html`<${Badge} value=${i.last_sync.state} /> ${i.last_sync.ended_at ? html`<${Time} at=${i.last_sync.ended_at} relative />` : null}`
            : html`<span class="muted">none yet</span>`}</td>
          <td><${Time} at=${i.created_at} /></td>
        </tr>`,
      )}</tbody>
    </table></div>`;
  }
  return html`<section class="page">
    <div class="page-head"><h1>Integrations</h1></div>
    <p class="lead">Connected tools, their scope config and the webhook subscriptions Tributary keeps at each tool.</p>
    ${error && data ? html`<p class="notice warn" role="status">Could not refresh: ${error.message}</p>` : null}
    ${body}
  </section>`;
}
