// The auditor's ledger (and a customer's view of its own tenant): search,
// an asset's custody timeline, certificate detail, export of a search, and
// the integrity panel that checks the latest checkpoint in the browser.
import { api, b64Decode, b64Encode, clear, download, el, errText, say } from './util.js';
import { cryptoReady, parseCheckpoint, verifyConsistency, verifyNote } from './check.js';
import { equal } from './util.js';

const EVENTS_CAP = 200;		// assets whose custody chains one search reads
const SEEN_KEY = 'sanitizerd.checkpoint';	// the last checkpoint this browser verified

function input(id, label, attrs) {
  return el('p', {}, el('label', { for: id }, label), el('input', { id, ...attrs }));
}

// What one asset's chain says: the last sanitization and the certificates.
function summarise(asset, events) {
  const s = { ...asset, method: '', result: '', sanitized_at: '', certificates: [], events };
  for (const e of events) {
    if (e.type === 'sanitize_completed' || e.type === 'sanitize_failed') {
      s.method = (e.data && e.data.method) || '';
      s.result = e.type === 'sanitize_completed' ? ((e.data.verification && e.data.verification.result) || 'completed') : 'failed';
      s.sanitized_at = e.time;
    }
    if (e.type === 'certificate_issued' && e.data) s.certificates.push(e.data.cert_id);
  }
  return s;
}

export function ledger(root, session) {
  const customer = session.role === 'customer';
  let results = [];
  const tbody = el('tbody');
  const note = el('p', { id: 'search-note' });
  const timeline = el('section', { id: 'timeline', 'aria-labelledby': 'timeline-h', hidden: true });
  const detail = el('section', { id: 'cert-detail', 'aria-labelledby': 'cert-h', hidden: true });
  const integrity = el('section', { id: 'integrity', 'aria-labelledby': 'integrity-h' });
  const form = el('form', { id: 'search-form', class: 'search' },
    input('q-serial', 'Serial', {}), input('q-property', 'Property number', {}),
    input('q-cert', 'Certificate id', {}),
    customer ? null : input('q-tenant', 'Tenant', {}),
    el('p', {}, el('label', { for: 'q-state' }, 'State'), el('select', { id: 'q-state' },
      ['', 'received', 'deployed', 'removed', 'retired', 'sanitizing', 'sanitized', 'certified', 'in_transit', 'destroyed']
        .map((s) => el('option', { value: s }, s || 'any')))),
    input('q-method', 'Method', { placeholder: 'e.g. clear-zero' }),
    el('p', {}, el('label', { for: 'q-result' }, 'Result'), el('select', { id: 'q-result' },
      ['', 'passed', 'failed'].map((s) => el('option', { value: s }, s || 'any')))),
    input('q-from', 'Sanitized from', { type: 'date' }), input('q-to', 'Sanitized until', { type: 'date' }),
    el('p', { class: 'buttons' },
      el('button', { type: 'submit', id: 'search' }, 'Search'),
      el('button', { type: 'button', id: 'export-csv', onclick: () => exportAs('csv') }, 'Export CSV'),
      el('button', { type: 'button', id: 'export-jsonl', onclick: () => exportAs('jsonl') }, 'Export JSON Lines')));
  root.append(
    el('h1', { id: 'ledger-h' }, customer ? `Drives of tenant ${session.tenant}` : 'Ledger'),
    form, note,
    el('table', { id: 'results' }, el('caption', {}, 'Search results'),
      el('thead', {}, el('tr', {}, ['Serial', 'Property number', 'Model', 'Tenant', 'State', 'Method', 'Result',
        'Sanitized', 'Certificates', 'Custody'].map((h) => el('th', { scope: 'col' }, h)))), tbody),
    timeline, detail, integrity);
  form.addEventListener('submit', (e) => { e.preventDefault(); search(); });

  async function allAssets() {
    const out = [];
    let after = '';
    for (let page = 0; page < 20; page++) {
      const r = await api('GET', `/v1/assets?limit=1000${after ? `&after=${encodeURIComponent(after)}` : ''}`);
      if (r.status !== 200) throw new Error(errText(r));
      out.push(...r.body.assets);
      if (!r.body.next) break;
      after = r.body.next;
    }
    return out;
  }

  async function events(id) {
    const out = [];
    let after = '';
    for (let page = 0; page < 10; page++) {
      const r = await api('GET', `/v1/assets/${id}/events?limit=1000${after ? `&after=${encodeURIComponent(after)}` : ''}`);
      if (r.status !== 200) break;
      out.push(...r.body.events);
      if (!r.body.next) break;
      after = r.body.next;
    }
    return out;
  }

  async function search() {
    const v = (id) => { const e = root.querySelector(`#${id}`); return e ? e.value.trim() : ''; };
    note.textContent = 'Searching…';
    let assets;
    try { assets = await allAssets(); } catch (e) { note.textContent = `cannot search: ${e.message}`; return; }
    const has = (x, q) => !q || (x || '').toLowerCase().includes(q.toLowerCase());
    let cand = assets.filter((a) => has(a.serial, v('q-serial')) && has(a.property_number, v('q-property')) &&
      (!v('q-tenant') || a.tenant === v('q-tenant')) && (!v('q-state') || a.state === v('q-state')));
    const capped = cand.length > EVENTS_CAP;
    cand = cand.slice(0, EVENTS_CAP);
    const rich = [];
    for (const a of cand) rich.push(summarise(a, await events(a.id)));
    const from = v('q-from'), to = v('q-to');
    results = rich.filter((s) => (!v('q-cert') || s.certificates.includes(v('q-cert'))) &&
      has(s.method, v('q-method')) && (!v('q-result') || (v('q-result') === 'failed' ? s.result === 'failed' : s.result === 'passed')) &&
      (!from || (s.sanitized_at && s.sanitized_at.slice(0, 10) >= from)) &&
      (!to || (s.sanitized_at && s.sanitized_at.slice(0, 10) <= to)));
    clear(tbody);
    for (const s of results) {
      tbody.append(el('tr', {},
        el('td', {}, s.serial), el('td', {}, s.property_number || '—'), el('td', {}, s.model),
        el('td', {}, s.tenant), el('td', {}, s.state), el('td', {}, s.method || '—'),
        el('td', {}, s.result || '—'), el('td', {}, s.sanitized_at || '—'),
        el('td', {}, s.certificates.length ? s.certificates.map((c) =>
          el('button', { type: 'button', class: 'link', onclick: () => showCert(c) }, c)) : '—'),
        el('td', {}, el('button', { type: 'button', onclick: () => showTimeline(s) }, `Timeline of ${s.serial}`))));
    }
    note.textContent = `${results.length} asset(s) found${capped ? ` (custody chains read for the first ${EVENTS_CAP} matches only)` : ''}.`;
    say(note.textContent);
  }

  // An entry's data in a line; the whole of a long one behind a disclosure.
  function brief(data) {
    const text = JSON.stringify(data || {});
    if (text.length <= 160) return el('code', {}, text);
    return el('details', {}, el('summary', {}, el('code', {}, `${text.slice(0, 120)}…`)), el('pre', {}, JSON.stringify(data, null, 2)));
  }

  function showTimeline(s) {
    clear(timeline).append(el('h2', { id: 'timeline-h' }, `Custody timeline of ${s.serial}`),
      el('ol', { class: 'timeline' }, s.events.map((e) => el('li', {},
        el('time', { datetime: e.time }, e.time), ' ', el('strong', {}, e.type), ` (entry ${e.seq}, by ${e.actor}) `,
        brief(e.data)))));
    timeline.hidden = false;
    timeline.querySelector('h2').setAttribute('tabindex', '-1');
    timeline.querySelector('h2').focus();
  }

  async function showCert(id) {
    const r = await api('GET', `/v1/certificates/${id}`);
    if (r.status !== 200) { say(`cannot read certificate ${id}: ${errText(r)}`, true); return; }
    const c = r.body, p = c.payload || {}, m = p.media || {}, s = p.sanitization || {};
    const row = (k, val) => [el('dt', {}, k), el('dd', {}, val === undefined || val === null || val === '' ? '—' : String(val))];
    clear(detail).append(el('h2', { id: 'cert-h' }, `Certificate ${id}`),
      el('dl', { class: 'summary' },
        row('Drive', `${m.model || ''} ${m.serial || ''}`), row('Tenant', m.tenant), row('Property number', m.property_number),
        row('Method', s.method), row('Category', s.method_type), row('Verification', s.verification && s.verification.result),
        row('Outcome', s.outcome), row('Issued', p.issued_at), row('Status', c.status && `${c.status.state}, drive ${c.status.asset_state}`),
        row('Ledger entry', c.ledger && c.ledger.seq)),
      el('p', { class: 'buttons' },
        el('a', { href: `/v1/certificates/${id}.jws`, download: `${id}.jws` }, 'Download JWS'), ' ',
        el('a', { href: `/v1/certificates/${id}.pdf`, download: `${id}.pdf` }, 'Download PDF'), ' ',
        el('a', { href: `/verify/${id}` }, 'Open the verification page')),
      el('details', {}, el('summary', {}, 'Payload (JSON)'), el('pre', {}, JSON.stringify(p, null, 2))));
    detail.hidden = false;
    detail.querySelector('h2').setAttribute('tabindex', '-1');
    detail.querySelector('h2').focus();
  }

  // Built in the browser from the search's JSON (GET /v1/certificates?format= is another issue's).
  function exportAs(kind) {
    if (!results.length) { say('search first: the export is of the results shown', true); return; }
    const cols = ['id', 'serial', 'property_number', 'model', 'media_type', 'capacity_bytes', 'tenant', 'state',
      'method', 'result', 'sanitized_at', 'certificates'];
    const val = (s, k) => (k === 'certificates' ? s.certificates.join(' ') : s[k] === undefined ? '' : String(s[k]));
    if (kind === 'csv') {
      // RFC 4180; a leading = + - @ is quoted with ' so a spreadsheet does not run it
      const q = (x) => { if (/^[=+\-@]/.test(x)) x = `'${x}`; return /[",\r\n]/.test(x) ? `"${x.replace(/"/g, '""')}"` : x; };
      download('search.csv', 'text/csv', [cols.join(','), ...results.map((s) => cols.map((k) => q(val(s, k))).join(','))].join('\r\n') + '\r\n');
    } else {
      download('search.jsonl', 'application/jsonl', results.map((s) => JSON.stringify(Object.fromEntries(cols.map((k) =>
        [k, k === 'certificates' ? s.certificates : s[k] === undefined ? null : s[k]])))).join('\n') + '\n');
    }
    say(`exported ${results.length} row(s) as ${kind === 'csv' ? 'CSV' : 'JSON Lines'}`);
  }

  async function checkIntegrity() {
    const out = el('dl', { class: 'summary', id: 'integrity-result' });
    const put = (k, ok, text) => out.append(el('dt', {}, k),
      el('dd', { 'data-result': ok === null ? 'info' : ok ? 'pass' : 'fail' }, ok === null ? text : `${ok ? 'PASSED' : 'FAILED'}: ${text}`));
    clear(integrity).append(el('h2', { id: 'integrity-h' }, 'Ledger integrity'), out,
      el('button', { type: 'button', id: 'integrity-again', onclick: checkIntegrity }, 'Check again'));
    const cr = await cryptoReady();
    const [cpr, keys] = await Promise.all([api('GET', '/v1/ledger/checkpoint'), api('GET', '/v1/keys')]);
    let cp;
    try { cp = parseCheckpoint(cpr.body); } catch (e) { put('Checkpoint', false, e.message); return; }
    put('Origin', null, cp.origin);
    put('Tree size', null, String(cp.size));
    put('Root', null, b64Encode(cp.root));
    if (!cr.ok) { put('Signature', false, `not checked in this browser: ${cr.why}`); return; }
    const ns = await verifyNote(cp, keys.body.note_verifier);
    put('Signature', ns.ok, ns.reason);
    if (!ns.ok) return;
    let seen = null;
    try { seen = JSON.parse(localStorage.getItem(SEEN_KEY) || 'null'); } catch (e) { seen = null; }
    if (!seen || seen.origin !== cp.origin) {
      put('Consistency', null, 'this browser has seen no earlier checkpoint of this ledger; this one is kept for the next check');
    } else if (seen.size > cp.size) {
      put('Consistency', false, `the ledger shrank: this browser saw ${seen.size} entries, now ${cp.size}`);
      return;
    } else {
      let ok;
      if (seen.size === cp.size) ok = equal(b64Decode(seen.root), cp.root);
      else {
        const pr = await api('GET', `/v1/ledger/proof/consistency?from=${seen.size}&to=${cp.size}`);
        ok = pr.status === 200 && await verifyConsistency(seen.size, cp.size, b64Decode(seen.root), cp.root, pr.body.hashes.map(b64Decode));
      }
      put('Consistency', ok, ok ? `consistent with the checkpoint of ${seen.size} entries this browser saw at ${seen.seen_at}`
        : `NOT consistent with the checkpoint of ${seen.size} entries this browser saw at ${seen.seen_at}`);
      if (!ok) return;	// keep the old one: the evidence
    }
    localStorage.setItem(SEEN_KEY, JSON.stringify({ origin: cp.origin, size: cp.size, root: b64Encode(cp.root), seen_at: new Date().toISOString() }));
  }

  checkIntegrity();
  search();
  return { search };
}
