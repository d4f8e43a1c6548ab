// The console's shell: sign-in (a token exchanged for a session cookie),
// the views each role may use, sign-out.
import { api, el, errText, say } from './util.js';
import { station } from './station.js';
import { ledger } from './ledger.js';

const VIEWS = [
  { id: 'station', title: 'Station', roles: ['admin', 'technician'], mount: station },
  { id: 'ledger', title: 'Ledger', roles: ['admin', 'auditor', 'customer'], mount: ledger },
];
const mounted = {};
let session = null;

function show(id) {
  const allowed = VIEWS.filter((v) => v.roles.includes(session.role));
  const view = allowed.find((v) => v.id === id) || allowed[0];
  if (!view) { say(`the ${session.role} role has no view here`, true); return; }
  for (const v of VIEWS) document.getElementById(`view-${v.id}`).hidden = v !== view;
  for (const b of document.querySelectorAll('#nav button'))
    b.setAttribute('aria-current', b.dataset.view === view.id ? 'page' : 'false');
  if (!mounted[view.id]) mounted[view.id] = view.mount(document.getElementById(`view-${view.id}`), session);
  if (location.hash !== `#${view.id}`) history.replaceState(null, '', `#${view.id}`);
}

function signedIn(s) {
  session = s;
  document.getElementById('signin').hidden = true;
  const nav = document.getElementById('nav');
  nav.replaceChildren(...VIEWS.filter((v) => v.roles.includes(s.role)).map((v) =>
    el('button', { type: 'button', 'data-view': v.id, onclick: () => show(v.id) },
      s.role === 'customer' && v.id === 'ledger' ? 'Your drives' : v.title)));
  nav.hidden = false;
  document.getElementById('who').textContent =
    `${s.name || s.token_id} (${s.role}${s.tenant ? `, tenant ${s.tenant}` : ''})`;
  document.getElementById('signout').hidden = false;
  document.body.dataset.role = s.role;
  show(location.hash.slice(1));
}

async function start() {
  document.getElementById('signin-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const input = document.getElementById('token');
    const r = await api('POST', '/v1/session', { token: input.value.trim() });
    input.value = '';
    if (r.status !== 201) { say(`cannot sign in: ${errText(r)}`, true); return; }
    say('signed in');
    signedIn(r.body);
  });
  document.getElementById('signout').addEventListener('click', async () => {
    await api('DELETE', '/v1/session');
    location.replace('/');
  });
  window.addEventListener('hashchange', () => session && show(location.hash.slice(1)));
  const r = await api('GET', '/v1/session');
  if (r.status === 200) signedIn(r.body);
  else document.getElementById('token').focus();
  document.body.dataset.ready = '1';
}

start();
