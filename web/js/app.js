// The console shell: sign-in with an API key (kept in sessionStorage), who is signed in, the navigation the user's
// permissions allow, and a hash router (#/screen/...) that hands each screen its container.
import { call, onUnauthorized, session } from './api.js';
import { clear, errorBox, h } from './dom.js';
import { auditScreen } from './screens/audit.js';
import { decisionsScreen } from './screens/decisions.js';
import { fraudScreen } from './screens/fraud.js';
import { governanceScreen } from './screens/governance.js';
import { loansScreen } from './screens/loans.js';
import { variablesScreen } from './screens/variables.js';

/** Screens by the first segment of the hash; `any` lists the permissions of which the user needs one to see it. */
const SCREENS = [
  { path: 'decisions', label: 'Decisions', any: ['decisions:read'], render: decisionsScreen },
  { path: 'governance', label: 'Flows & models', any: ['objects:read'], render: governanceScreen },
  { path: 'fraud', label: 'Fraud', any: ['fraud:investigate', 'watchlists:read'], render: fraudScreen },
  { path: 'loans', label: 'Loans', any: ['decisions:read', 'funding:read'], render: loansScreen },
  { path: 'variables', label: 'Variables', any: ['objects:read'], render: variablesScreen },
  { path: 'audit', label: 'Audit log', any: ['audit:read'], render: auditScreen },
];

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
let me = null;
let stopScreen = null;

function can(permission) {
  return Boolean(me?.permissions?.includes(permission));
}

function visibleScreens() {
  return SCREENS.filter((screen) => screen.any.some(can));
}

/** `#/fraud/cases/abc?x=1` -> { segments: ['fraud', 'cases', 'abc'], query: URLSearchParams }. */
function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, search] = raw.split('?');
  return { segments: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(search ?? '') };
}

export function navigate(path, query) {
  const qs = query ? new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== '')).toString() : '';
  location.hash = '#/' + path + (qs ? '?' + qs : '');
}

function renderNav(active) {
  clear(nav);
  for (const screen of visibleScreens()) {
    nav.append(h('a', { href: `#/${screen.path}`, class: screen.path === active ? 'active' : undefined }, screen.label));
  }
}

function renderWho() {
  clear(who);
  if (!me) return;
  who.append(
    h('span', { class: 'user', title: `user ${me.userId}, key ${me.keyId}` }, me.userName),
    h('span', { class: 'roles' }, me.roles.length ? me.roles.map((r) => h('span', { class: 'role' }, r)) : h('span', { class: 'role none' }, 'no role')),
    h('button', { type: 'button', class: 'link', onclick: signOut }, 'Sign out'),
  );
}

function route() {
  if (!me) return;
  stopScreen?.();
  stopScreen = null;
  const { segments, query } = parseHash();
  const screens = visibleScreens();
  const screen = screens.find((s) => s.path === segments[0]);
  renderNav(screen?.path);
  clear(main);
  if (!screen) {
    if (!screens.length) {
      main.append(h('section', { class: 'panel' }, h('h2', {}, 'Nothing to show'), h('p', {}, `The roles of ${me.userName} (${me.roles.join(', ') || 'none'}) give no permission that a console screen uses.`)));
      return;
    }
    navigate(screens[0].path);
    return;
  }
  const view = h('div', { class: 'screen' });
  main.append(view);
  const stop = screen.render(view, { me, can, navigate, segments: segments.slice(1), query });
  if (typeof stop === 'function') stopScreen = stop;
}

function showSignIn(err) {
  me = null;
  renderWho();
  clear(nav);
  clear(main);
  const input = h('input', { type: 'password', name: 'apiKey', autocomplete: 'off', spellcheck: 'false', placeholder: 'mj_…', required: true });
  const out = h('div');
  const form = h(
    'form',
    { class: 'signin panel' },
    h('h2', {}, 'Sign in'),
    h('p', {}, 'Paste your Mingjian API key. It is kept in this browser tab only (sessionStorage) and sent as a Bearer token with each request.'),
    h('label', { class: 'field' }, h('span', {}, 'API key'), input),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
    out,
  );
  if (err) out.append(errorBox(err));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(out);
    const key = input.value.trim();
    try {
      me = await call('whoami', { key });
      session.key = key;
      input.value = '';
      renderWho();
      route();
    } catch (error) {
      out.append(errorBox(error));
    }
  });
  main.append(form);
  input.focus();
}

function signOut() {
  session.key = null;
  stopScreen?.();
  stopScreen = null;
  showSignIn();
}

async function start() {
  onUnauthorized((err) => {
    session.key = null;
    showSignIn(err);
  });
  window.addEventListener('hashchange', route);
  if (!session.key) return showSignIn();
  try {
    me = await call('whoami');
    renderWho();
    route();
  } catch (err) {
    if (err.status !== 401) showSignIn(err);
  }
}

void start();
