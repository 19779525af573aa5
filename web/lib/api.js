// The dashboard's only way to the server: the management API, same origin, with the API key the operator
// signed in with. The key lives in sessionStorage (this browser tab only), goes only into the Authorization
// header, and never into a URL, a log line or an error message.

const STORAGE_KEY = 'tributary.apiKey';
const signOutListeners = new Set();

export function apiKey() {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function signIn(key) {
  sessionStorage.setItem(STORAGE_KEY, key);
}

// Forgets the key; `reason` (optional) is shown on the sign-in page.
export function signOut(reason = null) {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage unavailable: nothing was kept.
  }
  for (const fn of signOutListeners) fn(reason);
}

export function onSignOut(fn) {
  signOutListeners.add(fn);
  return () => signOutListeners.delete(fn);
}

// An answer the dashboard can show: the API's own error message, or a plain description of what went wrong.
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

async function send(method, path, body, key, signal, extraHeaders = {}) {
  const headers = { ...extraHeaders, Accept: 'application/json', Authorization: `Bearer ${key}` };
  const init = { method, headers, cache: 'no-store', credentials: 'omit', signal };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    if (err?.name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK', 'Tributary did not answer. Check that the server is running, then try again.');
  }
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (res.ok && json?.status === 'success') return { status: res.status, data: json.data };
  const error = json?.error;
  throw new ApiError(
    res.status,
    error?.code ?? `HTTP_${res.status}`,
    error?.message ?? `The server answered ${res.status} ${res.statusText || ''}`.trim() + '.',
  );
}

// One API call with the signed-in key; resolves to the envelope's data. A 401 signs out (the key was revoked
// or the server restarted with another key).
// `headers` adds request headers (X-Integration-Id for the Kombo-shaped routes).
export async function api(method, path, body, { signal, headers } = {}) {
  const key = apiKey();
  if (!key) {
    signOut(null);
    throw new ApiError(401, 'UNAUTHORIZED', 'Not signed in.');
  }
  try {
    return (await send(method, path, body, key, signal, headers)).data;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      signOut('The server did not accept the API key any more (revoked, or the server restarted with another key). Sign in again.');
    }
    throw err;
  }
}

// Checks a key before keeping it: resolves when the API accepts it, throws ApiError otherwise.
export async function checkKey(key) {
  await send('GET', '/v1/coverage', undefined, key);
}

export const enc = encodeURIComponent;

// {a: 'x', b: '', c: null} → "?a=x"
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}
