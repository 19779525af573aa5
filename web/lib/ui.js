// Small shared pieces of the dashboard: loading, error and empty states, status badges, times, copy buttons,
// secrets that stay hidden until asked for, and hooks for loading and polling.
import { useCallback, useEffect, useRef, useState } from '../vendor/hooks.mjs';
import { html } from './html.js';

// ---------------------------------------------------------------------------------------------------------------
// Formatting

const pad = (n, w = 2) => String(n).padStart(w, '0');

// "2026-11-27 10:00:05" in the browser's time zone; `precise` adds milliseconds (retries can be that close).
export function formatTime(iso, { precise = false } = {}) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const ms = precise ? `.${pad(d.getMilliseconds(), 3)}` : '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${formatClock(iso)}${ms}`;
}

// "10:00:05"
export function formatClock(iso) {
  const d = new Date(iso);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// "12 s ago", "in 3 min"
export function relativeTime(iso, now = Date.now()) {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const diff = Math.round((t - now) / 1000);
  const abs = Math.abs(diff);
  let text;
  if (abs < 2) return 'just now';
  if (abs < 60) text = `${abs} s`;
  else if (abs < 3600) text = `${Math.round(abs / 60)} min`;
  else if (abs < 86400) text = `${Math.round(abs / 3600)} h`;
  else text = `${Math.round(abs / 86400)} d`;
  return diff < 0 ? `${text} ago` : `in ${text}`;
}

export function Time({ at, relative = false, precise = false, clock = false }) {
  if (!at) return html`<span class="muted">—</span>`;
  const label = relative ? relativeTime(at) : clock ? formatClock(at) : formatTime(at, { precise });
  const title = relative ? formatTime(at) : relativeTime(at);
  return html`<time datetime=${at} title=${title}>${label}</time>`;
}

export function formatMs(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms >= 1000) return `${(ms / 1000).toFixed(ms >= 10000 ? 0 : 1)} s`;
  return `${ms >= 100 ? Math.round(ms) : Math.round(ms * 10) / 10} ms`;
}

export function pretty(text) {
  if (text === null || text === undefined) return '';
  if (typeof text !== 'string') return JSON.stringify(text, null, 2);
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// States

export function Loading({ what = '' }) {
  return html`<p class="state loading" role="status"><span class="spinner" aria-hidden="true"></span> Loading${
    what ? ` ${what}` : ''
  }…</p>`;
}

// An error, in words, with what to do about it; never a stack trace.
export function ErrorState({ error, retry, what = '' }) {
  const status = error?.status;
  let hint = 'Try again in a moment.';
  if (status === 0) hint = 'Check that Tributary is running and reachable from this browser.';
  else if (status === 404) hint = 'It may have been deleted. Go back to the list.';
  else if (status >= 500) hint = 'The server log has the details.';
  else if (status === 400) hint = 'Check the values you entered.';
  return html`<div class="state error" role="alert">
    <p><strong>${what ? `Could not load ${what}.` : 'Something went wrong.'}</strong> ${error?.message ?? ''}</p>
    <p class="hint">${hint}</p>
    ${retry ? html`<button type="button" onClick=${retry}>Try again</button>` : null}
  </div>`;
}

export function Empty({ title, children }) {
  return html`<div class="state empty"><p><strong>${title}</strong></p>${children}</div>`;
}

// A transient message after an action: kind ok | warn | error.
export function Notice({ notice, onClose }) {
  if (!notice) return null;
  return html`<div class=${`notice ${notice.kind ?? 'ok'}`} role=${notice.kind === 'error' ? 'alert' : 'status'}>
    <div class="notice-body">${notice.text}</div>
    ${onClose
      ? html`<button type="button" class="link" onClick=${onClose} aria-label="Dismiss message">Dismiss</button>`
      : null}
  </div>`;
}

// ---------------------------------------------------------------------------------------------------------------
// Badges

const TONES = {
  active: 'ok',
  succeeded: 'ok',
  SUCCEEDED: 'ok',
  QUEUED: 'wait',
  RUNNING: 'wait',
  FAILED: 'bad',
  PARTIALLY_FAILED: 'warn',
  AUTHENTICATION_FAILED: 'bad',
  ACTIVE: 'ok',
  INVALID: 'bad',
  INACTIVE: 'muted',
  accepted: 'ok',
  enabled: 'ok',
  pending: 'wait',
  sending: 'wait',
  received: 'wait',
  missing_permission: 'warn',
  ignored: 'muted',
  duplicate: 'muted',
  ping: 'muted',
  disabled: 'muted',
  failed: 'bad',
  rejected: 'bad',
};

export function Badge({ value, tone, title }) {
  const t = tone ?? TONES[value] ?? 'muted';
  return html`<span class=${`badge ${t}`} title=${title}>${String(value).replaceAll('_', ' ')}</span>`;
}

// ---------------------------------------------------------------------------------------------------------------
// Copying and secrets

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Plain http on a non-local host: the Clipboard API is unavailable, the old way still works.
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.className = 'offscreen';
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('copy refused');
}

export function CopyButton({ text, label = 'Copy', what = '' }) {
  const [state, setState] = useState('idle');
  const timer = useRef(null);
  useEffect(() => () => clearTimeout(timer.current), []);
  const onClick = async () => {
    try {
      await copyText(text);
      setState('copied');
    } catch {
      setState('failed');
    }
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setState('idle'), 2000);
  };
  const shown = state === 'copied' ? 'Copied' : state === 'failed' ? 'Select and copy by hand' : label;
  return html`<button type="button" class="small" onClick=${onClick} aria-label=${what ? `${label} ${what}` : label}>
    ${shown}
  </button>`;
}

// A value shown in a code box with a copy button.
export function Copyable({ value, what }) {
  return html`<div class="copyable"><code>${value}</code><${CopyButton} text=${value} what=${what} /></div>`;
}

// A secret: masked until "Show"; can be copied without showing it.
export function Secret({ value, what = 'secret' }) {
  const [shown, setShown] = useState(false);
  if (!value) return html`<span class="muted">—</span>`;
  const masked = value.startsWith('whsec_') ? 'whsec_••••••••••••••••' : '••••••••••••••••';
  return html`<div class="copyable secret">
    <code>${shown ? value : masked}</code>
    <button type="button" class="small" onClick=${() => setShown(!shown)} aria-pressed=${shown}
      aria-label=${shown ? `Hide ${what}` : `Show ${what}`}>${shown ? 'Hide' : 'Show'}</button>
    <${CopyButton} text=${value} what=${what} />
  </div>`;
}

// ---------------------------------------------------------------------------------------------------------------
// Hooks

// Loads with `fn(signal)` when `deps` change. Returns {data, error, loading, reload, setData}; a reload keeps
// the previous data on screen while it runs.
export function useLoad(fn, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const controller = useRef(null);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const run = useCallback(async (quiet) => {
    controller.current?.abort();
    const c = new AbortController();
    controller.current = c;
    if (!quiet) setState((s) => ({ ...s, loading: true }));
    try {
      const data = await fnRef.current(c.signal);
      if (!c.signal.aborted) setState({ data, error: null, loading: false });
    } catch (error) {
      if (c.signal.aborted || error?.name === 'AbortError') return;
      setState((s) => ({ ...s, error, loading: false }));
    }
  }, []);
  useEffect(() => {
    setState({ data: null, error: null, loading: true });
    run(false);
    return () => controller.current?.abort();
  }, deps);
  const setData = useCallback((data) => setState({ data, error: null, loading: false }), []);
  return { ...state, reload: () => run(true), setData };
}

// Calls `fn` every `ms` while the page is visible (and `enabled`); never two calls at once.
export function useInterval(fn, ms, enabled = true) {
  const fnRef = useRef(fn);
  fnRef.current = fn;
  useEffect(() => {
    if (!enabled) return undefined;
    let busy = false;
    const id = setInterval(async () => {
      if (busy || document.visibilityState === 'hidden') return;
      busy = true;
      try {
        await fnRef.current();
      } finally {
        busy = false;
      }
    }, ms);
    return () => clearInterval(id);
  }, [ms, enabled]);
}

// Runs an action, tracking that it is busy; resolves to its result, or null after showing its error.
export function useAction(setNotice) {
  const [busy, setBusy] = useState(null);
  const run = async (name, fn) => {
    setBusy(name);
    try {
      return await fn();
    } catch (err) {
      if (err?.status !== 401) setNotice({ kind: 'error', text: err?.message ?? 'The action failed.' });
      return null;
    } finally {
      setBusy(null);
    }
  };
  return [busy, run];
}

export function useTitle(title) {
  useEffect(() => {
    document.title = title ? `${title} · Tributary` : 'Tributary';
  }, [title]);
}
