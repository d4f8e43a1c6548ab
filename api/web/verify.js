// The public verification page (/verify/{cert_id} and /verify): the three
// checks, each shown on its own.  The server rendered its own results into
// the page (the no-JavaScript path); this replaces them with the browser's,
// or says why it fell back to the server's.
import { api, b64Decode, clear, el, hex, sha256, utf8 } from './util.js';
import { cryptoReady, jwsPayload, leafHash, parseCheckpoint, rootFromInclusion, verifyJws, verifyNote } from './check.js';
import { equal } from './util.js';

const TITLES = {
  'check-signature': 'Signature against the published keys (JWKS)',
  'check-inclusion': 'Included in the ledger under a signed checkpoint',
  'check-custody': 'Custody status of the drive',
};

const main = document.getElementById('verify');

function checksList() {
  let ul = document.getElementById('checks');
  if (!ul) {
    const limits = main.querySelector('section');
    const h = el('h2', {}, 'Checks');
    const note = el('p', { id: 'checks-note', role: 'status', 'aria-live': 'polite' });
    ul = el('ul', { class: 'checks', id: 'checks' });
    main.insertBefore(h, limits);
    main.insertBefore(note, limits);
    main.insertBefore(ul, limits);
  }
  return ul;
}

// result: true passed, false failed; by: who checked it and, for a fallback, why.
function setCheck(id, result, detail, by) {
  const ul = checksList();
  let li = document.getElementById(id);
  if (!li) { li = el('li', { class: 'check', id }); ul.append(li); }
  clear(li);
  li.dataset.result = result ? 'pass' : 'fail';
  li.append(el('span', { class: 'verdict' }, result ? 'PASSED' : 'FAILED'), ' ',
    el('strong', {}, TITLES[id]), ' ', el('span', { class: 'detail' }, detail), ' ',
    el('span', { class: 'by' }, `(${by})`));
  return result;
}

async function getJson(path) {
  const r = await api('GET', path);
  return r.status === 200 ? r.body : null;
}

// The certificate_issued entry holds this JWS's SHA-256, and is a leaf of the
// tree whose root the signed checkpoint names.
async function inclusion(jws, id, data) {
  const led = data.ledger || {};
  let entry;
  try { entry = JSON.parse(led.entry); } catch (e) { return [false, 'the ledger entry is not JSON']; }
  if (entry.type !== 'certificate_issued' || !entry.data || entry.data.cert_id !== id)
    return [false, 'the ledger entry is not this certificate\'s issue'];
  if (entry.data.sha256 !== hex(await sha256(utf8(jws))))
    return [false, 'the ledger recorded a different JWS for this certificate (its SHA-256 differs)'];
  let cp;
  try { cp = parseCheckpoint(led.checkpoint || ''); } catch (e) { return [false, `the checkpoint: ${e.message}`]; }
  const inc = led.inclusion || {};
  if (inc.tree_size !== cp.size) return [false, 'the proof is not for the checkpoint\'s tree'];
  const leaf = await leafHash(utf8(led.entry));
  const root = await rootFromInclusion(inc.seq, inc.tree_size, leaf, (inc.hashes || []).map(b64Decode));
  if (!root || !equal(root, cp.root)) return [false, 'the inclusion proof does not lead to the checkpoint\'s root'];
  const keys = await getJson('/v1/keys');
  const ns = keys ? await verifyNote(cp, keys.note_verifier) : { ok: false, reason: 'no verifier key published' };
  if (!ns.ok) return [false, ns.reason];
  return [true, `entry ${inc.seq} is in the tree of ${cp.size} entries of the checkpoint ${ns.reason}`];
}

function custodyText(st) {
  const parts = [`certificate ${st.state}`, `drive ${st.asset_state}`];
  if (st.shipped) parts.push(`shipped ${st.shipped.date || ''} by ${st.shipped.carrier || '?'}`);
  if (st.destroyed) parts.push(`destroyed ${st.destroyed.date || ''} at ${st.destroyed.facility || '?'}`);
  return parts.join(', ');
}

async function checkAll(jws, certId) {
  const note = () => document.getElementById('checks-note');
  checksList();
  note().textContent = 'Checking…';
  const cr = await cryptoReady();
  let server;
  const serverVerdict = async () => {
    if (!server) server = (await api('POST', '/v1/verify', { jws })).body || {};
    return server;
  };
  const fallback = `checked by the server: ${cr.why}`;
  const results = [];

  if (cr.ok) {
    const jwks = await getJson('/.well-known/jwks.json');
    const s = jwks ? await verifyJws(jws, jwks) : { ok: false, reason: 'the published keys cannot be read' };
    results.push(setCheck('check-signature', s.ok, s.reason, 'checked in this browser'));
  } else {
    const v = await serverVerdict();
    results.push(setCheck('check-signature', !!v.valid, v.valid ? `signed by key ${v.kid}` : (v.reason || 'not valid'), fallback));
  }

  const payload = jwsPayload(jws);
  const id = certId || (payload && payload.cert_id);
  const data = id && /^[A-Za-z0-9_-]{1,128}$/.test(id) ? await getJson(`/v1/verify/${id}`) : null;
  if (!data) {
    results.push(setCheck('check-inclusion', false, 'the ledger holds no certificate of this id', cr.ok ? 'checked in this browser' : fallback));
  } else if (cr.ok) {
    const [ok, why] = await inclusion(jws, id, data);
    results.push(setCheck('check-inclusion', ok, why, 'checked in this browser'));
  } else {
    const v = await serverVerdict();
    results.push(setCheck('check-inclusion', !!v.in_ledger, v.in_ledger ? 'its certificate_issued entry is in the ledger' : 'no ledger entry holds this JWS', fallback));
  }

  const st = data && data.status;
  const known = !!(st && st.state);
  results.push(setCheck('check-custody', known && results[1], known ? custodyText(st) : 'no custody record for this certificate',
    'as the ledger records it'));

  const failed = results.filter((r) => !r).length;
  note().textContent = failed ? `${failed} of 3 checks failed.` : 'All three checks passed.';
  if (!cr.ok) note().textContent += ` The signature and inclusion were checked by the server, not this browser: ${cr.why}.`;
}

async function start() {
  const form = document.getElementById('verify-form');
  const area = document.getElementById('jws');
  const file = document.getElementById('jws-file');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const jws = area.value.trim();
    if (jws) checkAll(jws, null);
  });
  file.addEventListener('change', async () => {
    const f = file.files[0];
    if (!f || f.size > 65536) return;
    area.value = (await f.text()).trim();
    checkAll(area.value, null);
  });
  const id = main.dataset.cert;
  if (id && !area.value) {
    const data = await getJson(`/v1/verify/${id}`);
    if (data) await checkAll(data.jws, id);
  }
  main.dataset.ready = '1';
}

start();
