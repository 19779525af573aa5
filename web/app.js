// The Tributary dashboard: a hash-routed single page (#/events, #/integrations/<id>, …) so that every view has a
// link and nothing but ids and filters ever appears in a URL. Signing in keeps the API key in sessionStorage.
import { render } from './vendor/preact.mjs';
import { useEffect, useRef, useState } from './vendor/hooks.mjs';
import { apiKey, onSignOut, signIn, signOut } from './lib/api.js';
import { html } from './lib/html.js';
import { SignIn } from './pages/signin.js';
import { EventsPage } from './pages/events.js';
import { EventDetailPage } from './pages/event_detail.js';
import { IntegrationsPage } from './pages/integrations.js';
import { IntegrationPage } from './pages/integration.js';
import { EndpointsPage } from './pages/endpoints.js';
import { CoveragePage } from './pages/coverage.js';

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/events';
  const [path, q = ''] = raw.split('?');
  const parts = path
    .split('/')
    .filter(Boolean)
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  return { parts, query: new URLSearchParams(q), key: path };
}

function useRoute() {
  const [route, setRoute] = useState(parseHash);
  useEffect(() => {
    const on = () => setRoute(parseHash());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

const NAV = [
  ['events', 'Events'],
  ['integrations', 'Integrations'],
  ['endpoints', 'Endpoints'],
  ['coverage', 'Coverage'],
];

function Page({ route }) {
  const [section, id] = route.parts;
  switch (section ?? 'events') {
    case 'events':
      return id ? html`<${EventDetailPage} id=${id} />` : html`<${EventsPage} query=${route.query} />`;
    case 'integrations':
      return id ? html`<${IntegrationPage} id=${id} />` : html`<${IntegrationsPage} />`;
    case 'endpoints':
      return html`<${EndpointsPage} />`;
    case 'coverage':
      return html`<${CoveragePage} />`;
    default:
      return html`<section><h1>Not found</h1>
        <p>There is no page at <code>#${route.key}</code>. <a href="#/events">Go to the events log</a>.</p></section>`;
  }
}

function Shell({ route }) {
  const main = useRef(null);
  const section = route.parts[0] ?? 'events';
  // Move focus to the new page (not on filter changes), so keyboard and screen-reader users start at its top.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [route.key]);
  return html`
    <a class="skip" href="#main" onClick=${(e) => {
      e.preventDefault();
      main.current?.focus();
    }}>Skip to content</a>
    <header class="top">
      <a class="brand" href="#/events">Tributary</a>
      <nav aria-label="Main">
        <ul>
          ${NAV.map(
            ([k, label]) => html`<li key=${k}>
              <a href=${`#/${k}`} aria-current=${section === k ? 'page' : undefined}>${label}</a>
            </li>`,
          )}
        </ul>
      </nav>
      <button type="button" class="signout" onClick=${() => signOut(null)}>Sign out</button>
    </header>
    <main id="main" ref=${main} tabindex="-1">
      <${Page} route=${route} />
    </main>`;
}

function App() {
  const [key, setKey] = useState(apiKey);
  const [reason, setReason] = useState(null);
  const route = useRoute();
  useEffect(
    () =>
      onSignOut((why) => {
        setKey(null);
        setReason(why);
      }),
    [],
  );
  if (!key) {
    return html`<${SignIn}
      reason=${reason}
      onSignedIn=${(k) => {
        signIn(k);
        setReason(null);
        setKey(k);
      }}
    />`;
  }
  return html`<${Shell} route=${route} />`;
}

const root = document.getElementById('app');
root.textContent = ''; // the boot message
render(html`<${App} />`, root);
