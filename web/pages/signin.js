// Sign-in: the operator pastes an API key; it is checked against the API, then kept in sessionStorage for this
// tab only. The input has no name and the form never submits, so the key cannot end up in a URL.
import { useState } from '../vendor/hooks.mjs';
import { checkKey } from '../lib/api.js';
import { html } from '../lib/html.js';
import { useTitle } from '../lib/ui.js';

export function SignIn({ reason, onSignedIn }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  useTitle('Sign in');
  const submit = async (e) => {
    e.preventDefault();
    const key = value.trim();
    if (!key) {
      setError('Paste an API key first.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await checkKey(key);
      setValue('');
      onSignedIn(key);
    } catch (err) {
      setError(
        err.status === 401
          ? 'That key was not accepted. Use the TRIBUTARY_API_KEY the server runs with, or create one with `tributary keys create`.'
          : err.message,
      );
    } finally {
      setBusy(false);
    }
  };
  return html`<main class="signin" id="main">
    <form method="post" action="#" onSubmit=${submit} aria-describedby="signin-help">
      <h1>Tributary</h1>
      <p id="signin-help">
        Sign in with an API key: the <code>TRIBUTARY_API_KEY</code> the server was started with, or a key made with${' '}
        <code>tributary keys create</code>. The key stays in this browser tab (session storage) and is sent only in
        the Authorization header.
      </p>
      ${reason ? html`<p class="notice warn" role="status">${reason}</p>` : null}
      <label for="api-key">API key</label>
      <input id="api-key" type="password" autocomplete="off" spellcheck="false" value=${value}
        onInput=${(e) => setValue(e.currentTarget.value)} autofocus required />
      ${error ? html`<p class="field-error" role="alert">${error}</p>` : null}
      <button type="submit" class="primary" disabled=${busy}>${busy ? 'Checking…' : 'Sign in'}</button>
    </form>
  </main>`;
}
