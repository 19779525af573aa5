// One integration: its scope config (models and upstream webhooks, saved through the API so the reconciler
// acts at once), its subscriptions at the tool with their state and what to do about a problem, the manual
// setup for tools without a subscription API (ingress URL and secret, with copy buttons, or a field for the
// secret the tool generated), "Reconcile now", its API budget with the form that overrides the tool's limits,
// its syncs with "Sync now", and its state (ACTIVE / INVALID / INACTIVE) with "Disable/Enable integration".
import { useEffect, useState } from '../vendor/hooks.mjs';
import { api, enc } from '../lib/api.js';
import { html } from '../lib/html.js';
import {
  Badge,
  Copyable,
  ErrorState,
  Loading,
  Notice,
  Secret,
  Time,
  useAction,
  useInterval,
  useLoad,
  useTitle,
  formatMs,
} from '../lib/ui.js';

const MODEL_LABELS = {
  hris_employees: 'Employees',
  hris_absences: 'Absences',
  hris_teams: 'Teams',
  hris_employments: 'Employments',
  ats_candidates: 'Candidates',
  ats_jobs: 'Jobs',
  ats_applications: 'Applications',
};

const modelLabel = (m) => MODEL_LABELS[m] ?? m.replace(/^(hris|ats)_/, '').replaceAll('_', ' ');

// The scope's models the tool offers: its category's, plus any other model it relays or reads (Workable's
// employees), as GET /v1/coverage declares.
function availableModels(integration, coverage) {
  const prefix = `${String(integration.category).toLowerCase()}_`;
  const tool = coverage?.tools?.find((t) => t.tool === integration.tool.id);
  const extra = new Set([...(tool?.records ?? []), ...(tool?.events ?? []).filter((e) => e.supported).map((e) => e.model)]);
  return Object.keys(integration.scope?.models ?? {}).filter((m) => m.startsWith(prefix) || extra.has(m));
}

function ScopeForm({ integration, coverage, onSaved, setNotice }) {
  const models = availableModels(integration, coverage);
  const saved = integration.scope ?? { models: {}, upstream_webhooks: false };
  const [draft, setDraft] = useState(saved);
  const [busy, run] = useAction(setNotice);
  useEffect(() => setDraft(integration.scope ?? saved), [JSON.stringify(integration.scope)]);
  const dirty =
    draft.upstream_webhooks !== saved.upstream_webhooks ||
    models.some((m) => Boolean(draft.models?.[m]) !== Boolean(saved.models?.[m]));
  const setModel = (m, on) => setDraft({ ...draft, models: { ...draft.models, [m]: on } });
  const save = (e) => {
    e.preventDefault();
    run('save', async () => {
      const scope = { upstream_webhooks: draft.upstream_webhooks, models: {} };
      for (const m of models) scope.models[m] = Boolean(draft.models?.[m]);
      const updated = await api('PATCH', `/v1/integrations/${enc(integration.id)}`, { scope });
      const live = updated.subscriptions.filter((s) => s.status !== 'disabled');
      setNotice({
        kind: 'ok',
        text: `Scope saved. ${live.length
          ? `Subscriptions now cover ${live.reduce((n, s) => n + s.event_types.length, 0)} vendor event types.`
          : 'No subscription is active at the tool.'}`,
      });
      onSaved(updated);
    });
  };
  return html`<form class="card scope" onSubmit=${save} aria-labelledby="scope-title">
    <h2 id="scope-title">Scope config</h2>
    <p class="muted">Which models Tributary keeps for this customer, and whether the tool should send webhooks. Saving
      makes the tool's subscriptions match: exactly the vendor events that feed the enabled models.</p>
    <fieldset>
      <legend>Models</legend>
      ${models.map(
        (m) => html`<label class="check" key=${m}>
          <input type="checkbox" name=${m} checked=${Boolean(draft.models?.[m])}
            onChange=${(e) => setModel(m, e.currentTarget.checked)} />
          ${modelLabel(m)} <span class="muted mono small">${m}</span>
        </label>`,
      )}
    </fieldset>
    <fieldset>
      <legend>Upstream webhooks</legend>
      <label class="check switch">
        <input type="checkbox" name="upstream_webhooks" role="switch" checked=${Boolean(draft.upstream_webhooks)}
          onChange=${(e) => setDraft({ ...draft, upstream_webhooks: e.currentTarget.checked })} />
        Receive the tool's webhooks and relay them in real time
      </label>
    </fieldset>
    <div class="actions">
      <button type="submit" class="primary" disabled=${!dirty || busy !== null}>${busy ? 'Saving…' : 'Save scope'}</button>
      ${dirty ? html`<button type="button" class="link" onClick=${() => setDraft(saved)}>Undo changes</button>` : null}
    </div>
  </form>`;
}

function Problem({ sub }) {
  if (sub.status === 'missing_permission') {
    return html`<div class="notice warn problem">
      <p><strong>Missing permission.</strong> ${sub.last_error ?? 'The end customer has not granted the permission needed to manage webhooks.'}</p>
      <p>Ask the customer to grant it in the tool, then press <em>Reconcile now</em>.${sub.next_attempt_at
        ? html` Tributary also tries again by itself <${Time} at=${sub.next_attempt_at} relative />.`
        : null}</p>
    </div>`;
  }
  if (sub.status === 'failed') {
    return html`<div class="notice error problem">
      <p><strong>Failed.</strong> ${sub.last_error ?? 'The tool refused the change.'}</p>
      <p>${sub.next_attempt_at
        ? html`Tributary tries again <${Time} at=${sub.next_attempt_at} relative />, or press <em>Reconcile now</em>.`
        : html`Fix the cause, then press <em>Reconcile now</em>.`}</p>
    </div>`;
  }
  if (sub.last_error) return html`<p class="error-text">Last error: ${sub.last_error}</p>`;
  return null;
}

function ToolSecretForm({ integration, sub, onSaved, setNotice }) {
  const [value, setValue] = useState('');
  const [busy, run] = useAction(setNotice);
  const save = (e) => {
    e.preventDefault();
    if (!value.trim()) return;
    run('secret', async () => {
      const updated = await api(
        'PATCH',
        `/v1/integrations/${enc(integration.id)}/subscriptions/${enc(sub.id)}`,
        { secret: value.trim() },
      );
      setValue('');
      setNotice({ kind: 'ok', text: 'Secret stored. Requests signed with it are verified from now on.' });
      onSaved(updated);
    });
  };
  const id = `secret-${sub.id}`;
  return html`<form class="inline-form" onSubmit=${save}>
    <label for=${id}>Secret generated by the tool</label>
    <input id=${id} type="password" autocomplete="off" spellcheck="false" value=${value}
      onInput=${(e) => setValue(e.currentTarget.value)} placeholder="Paste the secret the tool shows" />
    <button type="submit" disabled=${!value.trim() || busy !== null}>${busy ? 'Saving…' : 'Store secret'}</button>
  </form>`;
}

function Subscription({ integration, sub, onSaved, setNotice }) {
  const setup = sub.setup;
  return html`<article class=${`card subscription ${sub.status}`} data-subscription=${sub.id} data-status=${sub.status}>
    <header class="card-head">
      <h3>${sub.mode === 'manual' ? 'Manual webhook' : 'Webhook subscription'} <span class="muted mono small">${sub.id}</span></h3>
      <${Badge} value=${sub.status} />
    </header>
    <${Problem} sub=${sub} />
    ${sub.status === 'disabled'
      ? html`<p class="muted">Not active at the tool: upstream webhooks are off, or no enabled model needs these events.</p>`
      : null}
    <dl class="facts">
      <div class="field"><dt>Mode</dt><dd>${sub.mode === 'manual' ? 'manual (set up in the tool by the customer)' : 'through the tool’s API'}</dd></div>
      <div class="field"><dt>Remote id</dt><dd class="mono">${sub.remote_id ?? '—'}</dd></div>
      <div class="field"><dt>Updated</dt><dd><${Time} at=${sub.updated_at} /></dd></div>
    </dl>
    <div class="field-block"><span class="label">Vendor events</span>
      ${sub.event_types.length
        ? html`<ul class="tags">${sub.event_types.map((t) => html`<li class="mono">${t}</li>`)}</ul>`
        : html`<span class="muted">none</span>`}
    </div>
    <div class="field-block"><span class="label">Ingress URL</span><${Copyable} value=${sub.ingress_url} what="ingress URL" /></div>
    ${setup
      ? html`<div class="setup">
          <h4>Setup in the tool</h4>
          <p class="instructions">${setup.instructions}</p>
          ${setup.secret_chosen_by === 'tributary'
            ? html`<div class="field-block"><span class="label">Secret to paste</span>
                <${Secret} value=${setup.secret} what="webhook secret" /></div>`
            : html`<p>${setup.secret_stored
                  ? html`<${Badge} value="secret stored" tone="ok" /> Paste a new one below if the customer regenerated it.`
                  : html`<${Badge} value="no secret yet" tone="warn" /> The tool generates the secret: paste it here once the customer has it.`}</p>
                <${ToolSecretForm} integration=${integration} sub=${sub} onSaved=${onSaved} setNotice=${setNotice} />`}
        </div>`
      : null}
  </article>`;
}

const formatLimit = (l) =>
  l ? `${l.requests} per ${formatMs(l.window_ms)}${l.concurrency ? `, ${l.concurrency} at once` : ''}` : '—';

// The integration's API budget (every call to the tool takes a grant from it) and its rate_limit override:
// requests per window and concurrency, saved with PATCH /v1/integrations/{id}; "Use declared limits" saves null.
function ApiBudget({ integration, onSaved, setNotice }) {
  const b = integration.api_budget ?? {};
  const override = integration.rate_limit;
  const initial = () => ({
    requests: String(b.limit?.requests ?? ''),
    window_ms: String(b.limit?.window_ms ?? ''),
    concurrency: b.limit?.concurrency ? String(b.limit.concurrency) : '',
  });
  const [draft, setDraft] = useState(initial);
  const [busy, run] = useAction(setNotice);
  useEffect(() => setDraft(initial()), [JSON.stringify(b.limit)]);
  const wanted = {
    requests: Number(draft.requests),
    window_ms: Number(draft.window_ms),
    ...(draft.concurrency.trim() ? { concurrency: Number(draft.concurrency) } : {}),
  };
  const valid =
    Number.isInteger(wanted.requests) && wanted.requests >= 1 && wanted.requests <= 100000 &&
    Number.isInteger(wanted.window_ms) && wanted.window_ms >= 1 && wanted.window_ms <= 3600000 &&
    (wanted.concurrency === undefined ||
      (Number.isInteger(wanted.concurrency) && wanted.concurrency >= 1 && wanted.concurrency <= 1000));
  const dirty =
    String(b.limit?.requests ?? '') !== draft.requests || String(b.limit?.window_ms ?? '') !== draft.window_ms ||
    (b.limit?.concurrency ? String(b.limit.concurrency) : '') !== draft.concurrency;
  const save = (rateLimit) =>
    run('save', async () => {
      const updated = await api('PATCH', `/v1/integrations/${enc(integration.id)}`, { rate_limit: rateLimit });
      setNotice({
        kind: 'ok',
        text: rateLimit
          ? `Limit saved: ${formatLimit(updated.api_budget?.limit)}. Every node uses it from now on.`
          : `Back to the declared limit: ${formatLimit(updated.api_budget?.limit)}.`,
      });
      onSaved(updated);
    });
  const submit = (e) => {
    e.preventDefault();
    if (valid) save(wanted);
  };
  const field = (name, label, hint) => html`<label>
      ${label}
      <input name=${name} type="number" min="0" step="1" inputmode="numeric" value=${draft[name]}
        placeholder=${hint} onInput=${(e) => setDraft({ ...draft, [name]: e.currentTarget.value })} />
    </label>`;
  const oldest = b.oldest_wait_seconds;
  return html`<section class="card api-budget" aria-labelledby="budget-title">
    <h2 id="budget-title">API budget</h2>
    <p class="muted">Every call to the tool (fetches, syncs, reconciles) takes a grant from this budget, so Tributary
      stays inside the tool's API limits. The call figures are this node's since it started.</p>
    <dl class="facts">
      <div class="field" data-fact="limit"><dt>Limit</dt><dd>${formatLimit(b.limit)}
        ${override
          ? html` <${Badge} value="overridden" tone="warn" />`
          : html` <${Badge} value="declared" tone="ok" />`}</dd></div>
      <div class="field" data-fact="declared"><dt>Declared by the tool</dt><dd>${formatLimit(b.declared)}</dd></div>
      <div class="field" data-fact="effective"><dt>Allowed now</dt><dd>${b.effective_requests ?? '—'}${b.limit
        ? ` per ${formatMs(b.limit.window_ms)}` : ''}</dd></div>
      <div class="field" data-fact="in_use"><dt>In use</dt><dd>${b.in_use ?? 0}${b.waiting ? ` (${b.waiting} waiting)` : ''}</dd></div>
      <div class="field" data-fact="requests"><dt>Requests made</dt><dd>${b.requests ?? 0}</dd></div>
      <div class="field" data-fact="throttled"><dt>429s received</dt><dd>${b.throttled ?? 0}</dd></div>
      <div class="field" data-fact="fetches_waiting"><dt>Fetches waiting</dt><dd>${b.fetches_waiting ?? 0}</dd></div>
      <div class="field" data-fact="oldest_wait"><dt>Oldest wait</dt><dd>${oldest == null ? '—' : formatMs(oldest * 1000)}</dd></div>
      <div class="field" data-fact="paused_until"><dt>Paused until</dt><dd>${b.paused_until
        ? html`<${Time} at=${b.paused_until} />`
        : 'not paused'}</dd></div>
    </dl>
    <form class="inline-form rate-limit" onSubmit=${submit} aria-label="Rate limit">
      ${field('requests', 'Requests', String(b.declared?.requests ?? ''))}
      ${field('window_ms', 'Per window (ms)', String(b.declared?.window_ms ?? ''))}
      ${field('concurrency', 'At once', b.declared?.concurrency ? String(b.declared.concurrency) : 'declared')}
      <button type="submit" class="primary" disabled=${!dirty || !valid || busy !== null}>${busy === 'save' ? 'Saving…' : 'Save limit'}</button>
      <button type="button" disabled=${!override || busy !== null} onClick=${() => save(null)}>Use declared limits</button>
      ${dirty && !valid ? html`<p class="field-error">Requests 1–100000, window 1–3600000 ms, at once 1–1000 (or empty).</p>` : null}
    </form>
  </section>`;
}

const SYNC_STATE_HELP = {
  AUTHENTICATION_FAILED: 'The tool refused the credentials: update them on the integration, then sync again.',
  FAILED: 'The sync failed; see the errors. Tributary tries again at the next scheduled sync.',
  PARTIALLY_FAILED: 'Some models synced, others failed; see the errors.',
};

function SyncRow({ sync }) {
  const c = sync.counts ?? {};
  const errors = sync.errors ?? [];
  return html`<tr>
    <td><${Time} at=${sync.started_at ?? sync.queued_at} relative /></td>
    <td>${sync.type}</td>
    <td><${Badge} value=${sync.state} title=${SYNC_STATE_HELP[sync.state]} /></td>
    <td class="num">${sync.duration_seconds != null ? formatMs(sync.duration_seconds * 1000) : '—'}</td>
    <td class="num">${c.created ?? 0}</td><td class="num">${c.updated ?? 0}</td>
    <td class="num">${c.deleted ?? 0}</td><td class="num">${c.unchanged ?? 0}</td>
    <td>${errors.length
      ? html`<ul class="errors">${errors.slice(0, 3).map((e, k) => html`<li key=${k}>${typeof e === 'string' ? e : e.message ?? JSON.stringify(e)}</li>`)}</ul>`
      : html`<span class="muted">—</span>`}</td>
  </tr>`;
}

// The integration's syncs, newest first, refreshed while one is queued or running; "Sync now" queues a full sync
// (POST /v1/force-sync, as Kombo's API does).
function Syncs({ integration, setNotice }) {
  const { data, error, loading, reload } = useLoad(
    (signal) => api('GET', `/v1/integrations/${enc(integration.id)}/syncs?page_size=10`, undefined, { signal }),
    [integration.id],
  );
  const [busy, run] = useAction(setNotice);
  const syncs = data?.results ?? [];
  const active = syncs.some((s) => s.state === 'QUEUED' || s.state === 'RUNNING');
  // The mass-deletion guard's word in the newest finished sync: deletions it did not apply.
  const lastEnded = syncs.find((s) => s.state !== 'QUEUED' && s.state !== 'RUNNING');
  const held = (lastEnded?.errors ?? []).filter((e) => typeof e === 'object' && e && e.held_deletions > 0);
  const confirmDeletions = () =>
    run('confirm', async () => {
      await api('POST', `/v1/integrations/${enc(integration.id)}/confirm-deletions`, {});
      setNotice({ kind: 'ok', text: 'A full sync that applies the deletions is queued; it starts within seconds.' });
      reload();
    });
  useInterval(reload, active ? 1000 : 5000, busy === null);
  const syncNow = () =>
    run('sync', async () => {
      const queued = await api('POST', '/v1/force-sync', { type: 'FULL' }, { headers: { 'X-Integration-Id': integration.id } });
      setNotice({
        kind: 'ok',
        text: queued.already_queued
          ? 'A sync of this integration is already queued; it starts within seconds.'
          : 'Full sync queued; it starts within seconds and appears below.',
      });
      reload();
    });
  let body;
  if (loading && !data) body = html`<${Loading} what="the syncs" />`;
  else if (error && !data) body = html`<${ErrorState} error=${error} what="the syncs" retry=${reload} />`;
  else if (!syncs.length) body = html`<p class="state empty">No sync yet. The first one runs right after the integration is created; press Sync now to start one.</p>`;
  else
    body = html`<div class="table-wrap"><table class="syncs">
      <caption class="sr-only">Syncs, newest first</caption>
      <thead><tr>
        <th scope="col">Started</th><th scope="col">Type</th><th scope="col">State</th><th scope="col" class="num">Took</th>
        <th scope="col" class="num">Created</th><th scope="col" class="num">Updated</th><th scope="col" class="num">Deleted</th>
        <th scope="col" class="num">Unchanged</th><th scope="col">Errors</th>
      </tr></thead>
      <tbody>${syncs.map((s) => html`<${SyncRow} key=${s.id} sync=${s} />`)}</tbody>
    </table></div>`;
  return html`<section class="syncs" aria-labelledby="syncs-title">
    <div class="section-head">
      <h2 id="syncs-title">Syncs</h2>
      <button type="button" onClick=${syncNow} disabled=${busy !== null}>${busy ? 'Queueing…' : 'Sync now'}</button>
    </div>
    ${held.length
      ? html`<div class="notice warn held-deletions" role="alert">
          <p><strong>Deletions held back.</strong> ${held.map((e) => `${e.model}: ${e.held_deletions} of ${e.stored} stored records would have been marked deleted`).join('; ')}.
            The tool's listing looks broken rather than emptied, so nothing was deleted. If these records are really gone at the tool, confirm.</p>
          <button type="button" onClick=${confirmDeletions} disabled=${busy !== null || active}>${busy === 'confirm' ? 'Queueing…' : 'Confirm deletions'}</button>
        </div>`
      : null}
    ${body}
  </section>`;
}

export function IntegrationPage({ id }) {
  const { data: integration, error, loading, reload, setData } = useLoad(
    (signal) => api('GET', `/v1/integrations/${enc(id)}`, undefined, { signal }),
    [id],
  );
  const { data: coverage } = useLoad((signal) => api('GET', '/v1/coverage', undefined, { signal }), []);
  const [notice, setNotice] = useState(null);
  const [busy, run] = useAction(setNotice);
  useTitle(integration?.end_user?.organization_name || id);
  // Subscription states change in the background (the reconciler retries): refresh quietly, not mid-action.
  useInterval(reload, 5000, !!integration && busy === null);

  const back = html`<p class="crumbs"><a href="#/integrations">← Integrations</a></p>`;
  if (loading && !integration) return html`<section class="page">${back}<h1>Integration</h1><${Loading} what="the integration" /></section>`;
  if (error && !integration) {
    return html`<section class="page">${back}<h1>Integration</h1>
      <${ErrorState} error=${error} what=${`integration ${id}`} retry=${reload} /></section>`;
  }
  // Kombo's setIntegrationEnabled: a disabled integration (INACTIVE) has no syncs and no remote subscriptions.
  const toggleEnabled = () =>
    run('enable', async () => {
      await api('PUT', `/v1/integrations/${enc(id)}/enabled`, { value: !integration.enabled });
      await reload();
      setNotice({ kind: 'ok', text: integration.enabled ? 'Disabled: no syncs, subscriptions removed at the tool.' : 'Enabled: subscribing and syncing again.' });
    });
  const reconcile = () =>
    run('reconcile', async () => {
      const updated = await api('POST', `/v1/integrations/${enc(id)}/reconcile`);
      setData(updated);
      const problems = updated.subscriptions.filter((s) => s.status === 'failed' || s.status === 'missing_permission');
      setNotice({
        kind: problems.length ? 'warn' : 'ok',
        text: problems.length
          ? `Reconciled. ${problems.length} subscription${problems.length > 1 ? 's need' : ' needs'} attention (see below).`
          : 'Reconciled: the subscriptions at the tool match the scope config.',
      });
    });
  const i = integration;
  const subs = [...i.subscriptions].sort((a, b) => (a.status === 'disabled') - (b.status === 'disabled'));
  return html`<section class="page integration">
    ${back}
    <div class="page-head">
      <h1>${i.end_user?.organization_name || i.id} <span class="muted small">${i.tool.label}</span> <${Badge} value=${i.status} /></h1>
      <a class="button" href=${`#/events?integration_id=${enc(i.id)}`}>View its events</a>
    </div>
    <${Notice} notice=${notice} onClose=${() => setNotice(null)} />
    <dl class="facts">
      <div class="field"><dt>Id</dt><dd class="mono">${i.id}</dd></div>
      <div class="field"><dt>Tool</dt><dd>${i.tool.label} (${i.category})</dd></div>
      <div class="field"><dt>Status</dt><dd><${Badge} value=${i.status} />${i.invalid_since ? html` credentials rejected since <${Time} at=${i.invalid_since} relative />` : null}</dd></div>
      <div class="field"><dt>Contact</dt><dd>${i.end_user?.creator_email ?? '—'}</dd></div>
      <div class="field"><dt>Customer id</dt><dd class="mono">${i.end_user?.origin_id ?? '—'}</dd></div>
      <div class="field"><dt>Tool API</dt><dd class="mono">${i.remote_base_url ?? 'default'}</dd></div>
      <div class="field"><dt>Last event</dt><dd>${i.last_event_at ? html`<${Time} at=${i.last_event_at} relative />` : 'none yet'}</dd></div>
      <div class="field"><dt>Created</dt><dd><${Time} at=${i.created_at} /></dd></div>
      <div class="field"><dt>Last sync</dt><dd>${i.last_sync
        ? html`<${Badge} value=${i.last_sync.state} /> ${i.last_sync.ended_at ? html`<${Time} at=${i.last_sync.ended_at} relative />` : null}`
        : 'none yet'}</dd></div>
    </dl>
    <${ScopeForm} integration=${i} coverage=${coverage} onSaved=${setData} setNotice=${setNotice} />
    <section class="subscriptions" aria-labelledby="subs-title">
      <div class="section-head">
        <h2 id="subs-title">Subscriptions</h2>
        <button type="button" onClick=${reconcile} disabled=${busy !== null}>${busy === 'reconcile' ? 'Reconciling…' : 'Reconcile now'}</button>
        <button type="button" onClick=${toggleEnabled} disabled=${busy !== null}>${i.enabled ? 'Disable integration' : 'Enable integration'}</button>
      </div>
      ${subs.length
        ? subs.map((s) => html`<${Subscription} key=${s.id} integration=${i} sub=${s} onSaved=${setData} setNotice=${setNotice} />`)
        : html`<p class="state empty">${i.scope?.upstream_webhooks
            ? 'No subscription yet: press Reconcile now to create it at the tool.'
            : 'No subscription: turn on upstream webhooks in the scope config above and save; Tributary then subscribes at the tool.'}</p>`}
    </section>
    <${ApiBudget} integration=${i} onSaved=${setData} setNotice=${setNotice} />
    <${Syncs} integration=${i} setNotice=${setNotice} />
  </section>`;
}
