// The console in a real browser (tests/t6000-console.sh runs this): headless
// Debian chromium driven by playwright-core.  Each check writes one line to
// $OUT/results.txt, "PASS name" or "FAIL name: why"; screenshots of each view
// go to $OUT.  Environment: URL, PORT, TECH, AUD, CUS (tenant acme), OTHER
// (tenant globex), ADMIN, IMG (a file to attach as a loop device; its
// /dev/loopN is written to $OUT/loopdev for the shell's cleanup), CHROMIUM,
// NODE_MODULES, OUT.
import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const env = process.env;
const require = createRequire(join(env.NODE_MODULES, 'x.js'));
const { chromium } = require('playwright-core');
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const OUT = env.OUT, URL = env.URL;
const results = join(OUT, 'results.txt');
writeFileSync(results, '');

const cspViolations = [];
const consoleErrors = [];
let failed = 0;

async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    appendFileSync(results, `PASS ${name} (${Date.now() - t0} ms)\n`);
  } catch (e) {
    failed++;
    appendFileSync(results, `FAIL ${name}: ${String(e && e.stack || e).split('\n').slice(0, 4).join(' | ')}\n`);
  }
}
function assert(c, msg) { if (!c) throw new Error(msg); }

async function api(method, path, token, body) {
  const r = await fetch(URL + path, {
    method, headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch (e) { json = null; }
  return { status: r.status, json, text, headers: r.headers };
}

const browser = await chromium.launch({
  executablePath: env.CHROMIUM,
  args: ['--no-sandbox', '--host-resolver-rules=MAP station.example 127.0.0.1'],
});

async function newPage(opts = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, ...opts });
  await ctx.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  const page = await ctx.newPage();
  page.on('console', (m) => {
    const t = m.text();
    if (/Content Security Policy|CSP violation|Refused to/i.test(t)) cspViolations.push(`${page.url()}: ${t}`);
    else if (m.type() === 'error' && !/status of 40[134]/.test(t)) consoleErrors.push(`${page.url()}: ${t}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
  return { ctx, page };
}

async function axe(page, name) {
  await page.evaluate(axeSource);
  const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert(!bad.length, `${name}: ${bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`).join('; ')}`);
}

// page.waitForFunction polls with eval, which the page's CSP forbids: poll with evaluate instead.
async function until(page, fn, arg, timeout = 10000) {
  const end = Date.now() + timeout;
  for (;;) {
    if (await page.evaluate(fn, arg)) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${String(fn).slice(0, 120)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Every visible, enabled control is reached by pressing Tab (issue 14: keyboard reachable).
async function tabReachesAll(page, scope) {
  const want = await page.evaluate((sc) => {
    const root = document.querySelector(sc);
    return [...root.querySelectorAll('button, a[href], input, select, textarea, summary')]
      .filter((e) => !e.disabled && e.offsetParent !== null && !e.closest('dialog:not([open])'))
      .map((e, i) => { e.dataset.tabProbe = String(i); return String(i); });
  }, scope);
  await page.evaluate(() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); });
  const seen = new Set();
  for (let i = 0; i < want.length * 2 + 20 && seen.size < want.length; i++) {
    await page.keyboard.press('Tab');
    const p = await page.evaluate(() => document.activeElement && document.activeElement.dataset.tabProbe);
    if (p !== undefined && p !== null) seen.add(p);
  }
  const missed = want.filter((w) => !seen.has(w));
  const names = await page.evaluate((m) => m.map((i) => {
    const e = document.querySelector(`[data-tab-probe="${i}"]`);
    return e ? `${e.tagName.toLowerCase()} ${(e.textContent || e.id || '').trim().slice(0, 30)}` : `control ${i}, since replaced`;
  }), missed);
  assert(!missed.length && want.length >= 3, `not reachable by Tab: ${names.join(', ')} (of ${want.length})`);
}

async function shot(page, name) {
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
}

async function signIn(page, token) {
  await page.goto(`${URL}/`);
  await page.waitForSelector('body[data-ready="1"]');
  await page.fill('#token', token);
  await page.press('#token', 'Enter');	// the keyboard, as a technician would
  await page.waitForSelector('#signout:not([hidden])', { timeout: 5000 });
}

const identity = `loop:${env.IMG}`;
const row = `#drives tr[data-key="${identity}"]`;
let certId = null, assetId = null, tech;

await check('sign in: the token becomes an HttpOnly SameSite=Strict session cookie, not kept by the page', async () => {
  tech = await newPage();
  await signIn(tech.page, env.TECH);
  await tech.page.waitForSelector('#view-station[data-loaded="1"]');
  const cookies = await tech.ctx.cookies();
  const s = cookies.find((c) => c.name === 'sz_session');
  assert(s && s.httpOnly && s.sameSite === 'Strict' && s.expires > Date.now() / 1000, `session cookie ${JSON.stringify(s)}`);
  const kept = await tech.page.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + document.cookie + document.body.innerHTML);
  assert(!kept.includes(env.TECH), 'the token is kept in the page');
  assert((await tech.page.evaluate(() => document.cookie)).includes('sz_csrf='), 'no CSRF cookie for the script');
});

await check('a loop device attached during the test appears in the station without a reload', async () => {
  const dev = execFileSync('losetup', ['--find', '--show', env.IMG]).toString().trim();
  writeFileSync(join(OUT, 'loopdev'), dev);
  await tech.page.waitForSelector(row, { timeout: 5000 });
  const text = await tech.page.textContent(row);
  assert(text.includes(dev) && text.includes('not enrolled'), `row: ${text}`);
});

await check('enrol it from its row and retire it', async () => {
  const p = tech.page;
  await p.click(`${row} button:has-text("Enrol ")`);
  await p.fill('#e-tenant', 'acme');
  await p.fill('#e-property', 'PN-4431');
  await p.click('#enrol-submit');
  await p.waitForSelector(`${row}[data-state="received"]`, { timeout: 5000 });
  await p.click(`${row} button:has-text("Retire")`);
  await p.waitForSelector(`${row}[data-state="retired"]`, { timeout: 5000 });
  const devs = await api('GET', '/v1/devices', env.TECH);
  assetId = devs.json.devices.find((d) => d.identity === identity).asset.id;
  assert(assetId, 'no asset');
});

await check('a change made with the cookie but without the CSRF token is refused (403), with it accepted', async () => {
  const r = await tech.page.evaluate(async (id) => {
    const post = (h) => fetch(`/v1/assets/${id}/events`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...h }, body: '{"type":"note","data":{"text":"csrf"}}' });
    const csrf = document.cookie.split('; ').find((c) => c.startsWith('sz_csrf=')).slice(8);
    return [(await post({})).status, (await post({ 'X-CSRF-Token': 'A'.repeat(43) })).status, (await post({ 'X-CSRF-Token': csrf })).status];
  }, assetId);
  assert(r[0] === 403 && r[1] === 403 && r[2] === 201, `statuses ${r}`);
});

await check('start a wipe: the confirmation names the drive, aria-valuenow rises to 100', async () => {
  const p = tech.page;
  await p.check(`${row} input[type="checkbox"]`);
  await p.selectOption('#method', 'nvme-sanitize-crypto');
  await p.click('#wipe');
  assert(!(await p.isVisible('#confirm-dialog')) && /not offered by/.test(await p.textContent('#status')),
    'a method the drive does not offer reached the confirmation');
  await p.selectOption('#method', 'dod-3pass');
  await p.click('#wipe');
  const list = await p.textContent('#confirm-list');
  assert(list.includes(identity) && list.includes(assetId), `confirmation: ${list}`);
  await shot(p, 'station-confirm');
  await p.evaluate((sel) => {
    const bar = document.querySelector(`${sel} [role="progressbar"]`);
    window.__seen = [Number(bar.getAttribute('aria-valuenow'))];
    new MutationObserver(() => window.__seen.push(Number(bar.getAttribute('aria-valuenow'))))
      .observe(bar, { attributes: true, attributeFilter: ['aria-valuenow'] });
  }, row);
  await p.click('#confirm-wipe');
  await until(p, () => window.__seen.some((v) => v > 0 && v < 100), null, 60000);
  await shot(p, 'station-progress');
  await p.waitForSelector(`${row} [role="progressbar"][aria-valuenow="100"]`, { timeout: 90000 });
  const seen = await p.evaluate(() => window.__seen);
  for (let i = 1; i < seen.length; i++) assert(seen[i] >= seen[i - 1], `aria-valuenow went back: ${seen}`);
  assert(seen.filter((v) => v > 0 && v < 100).length >= 1, `no value between 0 and 100: ${seen}`);
  await p.waitForSelector(`${row}[data-state="sanitized"]`, { timeout: 10000 });
});

await check('issue the certificate from the row', async () => {
  const p = tech.page;
  await p.click(`${row} button:has-text("Issue certificate")`);
  await p.waitForSelector(`${row} a.cert-link`, { timeout: 10000 });
  certId = (await p.getAttribute(`${row} a.cert-link`, 'href')).split('/').pop();
  assert(/^crt_[A-Za-z0-9_-]{12}$/.test(certId), `cert id ${certId}`);
  writeFileSync(join(OUT, 'certid'), certId);
  await p.click('#print-sheet');
  await p.waitForSelector('#sheet img.qr');
  await until(p, () => { const i = document.querySelector('#sheet img.qr'); return i.complete && i.naturalWidth > 0; }, null, 5000)
    .catch(() => { throw new Error('the batch sheet QR code does not load'); });
  await shot(p, 'station');
});

const identity2 = `loop:${env.IMG2}`;
const row2 = `#drives tr[data-key="${identity2}"]`;
await check('a second drive: Select all retired, wipe, and Cancel: the job ends cancelled, the drive retired', async () => {
  const p = tech.page;
  const dev = execFileSync('losetup', ['--find', '--show', env.IMG2]).toString().trim();
  writeFileSync(join(OUT, 'loopdev2'), dev);
  await p.waitForSelector(row2, { timeout: 5000 });
  await p.click(`${row2} button:has-text("Enrol ")`);
  await p.fill('#e-tenant', 'acme');
  await p.click('#enrol-submit');
  await p.waitForSelector(`${row2}[data-state="received"]`, { timeout: 5000 });
  await p.click(`${row2} button:has-text("Retire")`);
  await p.waitForSelector(`${row2}[data-state="retired"]`, { timeout: 5000 });
  await p.click('#select-retired');
  assert(await p.isChecked(`${row2} input[type="checkbox"]`), 'Select all retired did not select it');
  assert(!(await p.isChecked(`${row} input[type="checkbox"]`)) && await p.isDisabled(`${row} input[type="checkbox"]`),
    'a sanitized drive can be selected');
  await p.selectOption('#method', 'dod-3pass');
  await p.click('#wipe');
  const list = await p.textContent('#confirm-list');
  assert(list.includes(identity2) && !list.includes(identity), `confirmation: ${list}`);
  await p.click('#confirm-wipe');
  await p.waitForSelector(`${row2} button:has-text("Cancel wipe")`, { timeout: 10000 });
  await until(p, (sel) => Number(document.querySelector(`${sel} [role="progressbar"]`).getAttribute('aria-valuenow')) > 0, row2, 30000);
  await p.click(`${row2} button:has-text("Cancel wipe")`);
  await until(p, (sel) => /cancelled/.test(document.querySelector(`${sel} .ptext`).textContent), row2, 30000);
  await p.waitForSelector(`${row2}[data-state="retired"]`, { timeout: 10000 });
  assert(Number(await p.getAttribute(`${row2} [role="progressbar"]`, 'aria-valuenow')) < 100, 'a cancelled wipe shows 100');
});

await check('axe-core: the station has no serious or critical violation', async () => { await axe(tech.page, 'station'); });

await check('keyboard: every control of the station is reached with Tab', async () => { await tabReachesAll(tech.page, 'body'); });

await check('opened again later, the station shows the certified drive with its certificate', async () => {
  const { page } = await newPage();
  await page.context().addCookies(await tech.ctx.cookies());
  await page.goto(`${URL}/#station`);
  await page.waitForSelector(`${row}[data-state="certified"] a.cert-link`, { timeout: 10000 });
  assert((await page.getAttribute(`${row} a.cert-link`, 'href')) === `/verify/${certId}`, 'certificate link');
});

let vurl = null;
await check('the PDF QR code encodes <public-url>/verify/<cert_id>', async () => {
  const r = await fetch(`${URL}/v1/certificates/${certId}.pdf`, { headers: { Authorization: `Bearer ${env.AUD}` } });
  assert(r.status === 200, `pdf ${r.status}`);
  writeFileSync(join(OUT, 'cert.pdf'), Buffer.from(await r.arrayBuffer()));
  execFileSync('pdftoppm', ['-r', '150', '-png', '-f', '1', '-l', '1', join(OUT, 'cert.pdf'), join(OUT, 'cert')]);
  const png = execFileSync('ls', [OUT]).toString().split('\n').find((f) => /^cert-0*1\.png$/.test(f));
  vurl = execFileSync('zbarimg', ['--raw', '-q', join(OUT, png)]).toString().trim();
  assert(vurl === `http://station.example:${env.PORT}/verify/${certId}`, `QR: ${vurl}`);
});

await check('the QR target, opened anonymously, passes all three checks (in this browser)', async () => {
  const { page } = await newPage();
  await page.goto(`${URL}/verify/${certId}`);
  await page.waitForSelector('main[data-ready="1"]', { timeout: 10000 });
  for (const id of ['check-signature', 'check-inclusion', 'check-custody']) {
    const li = page.locator(`#${id}`);
    const res = await li.getAttribute('data-result'), text = await li.textContent();
    assert(res === 'pass' && text.includes('PASSED'), `${id}: ${res} ${text}`);
    if (id !== 'check-custody') assert(text.includes('checked in this browser'), `${id} not checked in the browser: ${text}`);
  }
  assert((await page.textContent('#checks-note')).includes('All three checks passed'), 'summary');
  await shot(page, 'verify');
  await axe(page, 'verify');
  await tabReachesAll(page, 'body');
});

await check('a .jws file chosen on the page is checked in the browser', async () => {
  const { page } = await newPage();
  const data = await api('GET', `/v1/verify/${certId}`);
  writeFileSync(join(OUT, 'cert.jws'), `${data.json.jws}\n`);
  await page.goto(`${URL}/verify`);
  await page.waitForSelector('main[data-ready="1"]');
  await page.setInputFiles('#jws-file', join(OUT, 'cert.jws'));
  await page.waitForSelector('#check-custody');
  await until(page, () => /checks? (passed|failed)/.test(document.getElementById('checks-note').textContent));
  for (const id of ['check-signature', 'check-inclusion', 'check-custody'])
    assert((await page.getAttribute(`#${id}`, 'data-result')) === 'pass', `${id} of the uploaded file`);
});

await check('at the QR code\'s own URL (no secure context) the page says so and falls back to the server', async () => {
  const { page } = await newPage();
  await page.goto(vurl);
  await page.waitForSelector('main[data-ready="1"]', { timeout: 10000 });
  const sig = await page.textContent('#check-signature');
  assert((await page.getAttribute('#check-signature', 'data-result')) === 'pass', sig);
  assert(sig.includes('checked by the server') && sig.includes('secure context'), sig);
  assert((await page.getAttribute('#check-inclusion', 'data-result')) === 'pass', 'inclusion');
});

await check('with WebCrypto turned off (?webcrypto=off) the page falls back to POST /v1/verify', async () => {
  const { page } = await newPage();
  const posts = [];
  page.on('request', (r) => { if (r.method() === 'POST') posts.push(r.url()); });
  await page.goto(`${URL}/verify/${certId}?webcrypto=off`);
  await page.waitForSelector('main[data-ready="1"]', { timeout: 10000 });
  const sig = await page.textContent('#check-signature');
  assert((await page.getAttribute('#check-signature', 'data-result')) === 'pass' && sig.includes('turned off'), sig);
  assert(posts.some((u) => u.endsWith('/v1/verify')), `no POST /v1/verify: ${posts}`);
});

function flip(jws) {
  const parts = jws.split('.');
  const s = parts[2], i = 20;
  parts[2] = s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
  return parts.join('.');
}

await check('one byte of the JWS flipped: the browser\'s signature check fails', async () => {
  const { page } = await newPage();
  const data = await api('GET', `/v1/verify/${certId}`);
  await page.goto(`${URL}/verify`);
  await page.waitForSelector('main[data-ready="1"]');
  await page.fill('#jws', flip(data.json.jws));
  await page.click('#verify-form button[type="submit"]');
  await until(page, () => /checks? (passed|failed)/.test(document.getElementById('checks-note')?.textContent || ''));
  const sig = await page.textContent('#check-signature');
  assert((await page.getAttribute('#check-signature', 'data-result')) === 'fail' && sig.includes('FAILED') && sig.includes('browser'), sig);
  assert((await page.getAttribute('#check-inclusion', 'data-result')) === 'fail', 'inclusion of a changed JWS passed');
  await shot(page, 'verify-tampered');
  // and the original, pasted, passes
  await page.fill('#jws', data.json.jws);
  await page.click('#verify-form button[type="submit"]');
  await page.waitForSelector('#check-signature[data-result="pass"]');
});

await check('without JavaScript the page and its form work, rendered by the server', async () => {
  const { page } = await newPage({ javaScriptEnabled: false });
  await page.goto(`${URL}/verify/${certId}`);
  for (const id of ['check-signature', 'check-inclusion', 'check-custody'])
    assert((await page.getAttribute(`#${id}`, 'data-result')) === 'pass', `${id} without JS`);
  const data = await api('GET', `/v1/verify/${certId}`);
  await page.fill('#jws', flip(data.json.jws));
  await page.click('#verify-form button[type="submit"]');
  await page.waitForURL(`${URL}/verify`);
  assert((await page.getAttribute('#check-signature', 'data-result')) === 'fail', 'flipped JWS passed without JS');
  await shot(page, 'verify-nojs');
});

await check('auditor: search, timeline, certificate detail with JWS and PDF, CSV and JSON Lines export', async () => {
  const { ctx, page } = await newPage();
  await signIn(page, env.AUD);
  await page.fill('#q-serial', env.IMG);
  await page.click('#search');
  await until(page, () => /asset\(s\) found/.test(document.getElementById('search-note').textContent));
  assert((await page.locator('#results tbody tr').count()) === 1, 'one result');
  const text = await page.textContent('#results tbody');
  assert(text.includes('dod-3pass') && text.includes('passed') && text.includes(certId), text);
  // the filters: a failed (cancelled) sanitization, a method, a date range
  const rows = async (fill) => {
    for (const [sel, v] of Object.entries(fill)) {
      if (sel === '#q-result') await page.selectOption(sel, v); else await page.fill(sel, v);
    }
    await page.evaluate(() => { document.getElementById('search-note').textContent = ''; });
    await page.click('#search');
    await until(page, () => /asset\(s\) found/.test(document.getElementById('search-note').textContent));
    return page.textContent('#results tbody');
  };
  let t = await rows({ '#q-serial': '', '#q-result': 'failed' });
  assert(t.includes(env.IMG2) && !t.includes(env.IMG) && !t.includes(certId), `result=failed: ${t}`);
  t = await rows({ '#q-result': '', '#q-method': 'clear-random' });
  assert(!t.includes(env.IMG2) && !t.includes(certId), `method=clear-random: ${t}`);
  t = await rows({ '#q-method': 'dod', '#q-to': '2001-01-01' });
  assert(!t.includes(certId), `until 2001: ${t}`);
  t = await rows({ '#q-to': '', '#q-cert': certId });
  assert(t.includes(certId) && !t.includes(env.IMG2), `cert id: ${t}`);
  await rows({ '#q-cert': '', '#q-method': '', '#q-serial': env.IMG });
  await page.click(`#results button:has-text("Timeline of")`);
  const tl = await page.textContent('#timeline');
  for (const t of ['enrolled', 'retired', 'sanitize_started', 'sanitize_completed', 'certificate_issued'])
    assert(tl.includes(t), `timeline lacks ${t}`);
  await page.click(`#results button:has-text("${certId}")`);
  await page.waitForSelector('#cert-detail:not([hidden])');
  const jws = await ctx.request.get(`${URL}${await page.getAttribute('#cert-detail a[download$=".jws"]', 'href')}`);
  assert(jws.status() === 200 && (await jws.text()).split('.').length === 3, 'JWS download');
  const pdf = await ctx.request.get(`${URL}${await page.getAttribute('#cert-detail a[download$=".pdf"]', 'href')}`);
  assert(pdf.status() === 200 && (await pdf.body()).subarray(0, 5).toString() === '%PDF-', 'PDF download');
  for (const [btn, want] of [['#export-csv', 'serial,'], ['#export-jsonl', '"serial":']]) {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click(btn)]);
    const body = readFileSync(await dl.path(), 'utf8');
    assert(body.includes(want) && body.includes(certId), `${btn}: ${body.slice(0, 200)}`);
  }
  await page.waitForSelector('#integrity dd[data-result="pass"]');
  const integ = await page.textContent('#integrity');
  assert(integ.includes('PASSED: signed by'), integ);
  await shot(page, 'ledger');
  await axe(page, 'ledger');
  await tabReachesAll(page, 'body');
  // more entries, a newer checkpoint: consistent with the one this browser kept
  await api('POST', `/v1/assets/${assetId}/events`, env.TECH, { type: 'note', data: { text: 'after' } });
  const before = JSON.parse(await page.evaluate(() => localStorage.getItem('sanitizerd.checkpoint')));
  for (let i = 0; i < 50; i++) {
    const cp = await api('GET', '/v1/ledger/checkpoint');
    if (Number(cp.text.split('\n')[1]) > before.size) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  await page.click('#integrity-again');
  await until(page, () => /Consistency/.test(document.getElementById('integrity').textContent) &&
    document.querySelectorAll('#integrity dd').length >= 5);
  const c = await page.textContent('#integrity');
  assert(c.includes(`PASSED: consistent with the checkpoint of ${before.size} entries`), c);
  // a forged memory of a different root: the check fails
  await page.evaluate((b) => localStorage.setItem('sanitizerd.checkpoint', JSON.stringify({ ...b, root: btoa('x'.repeat(32)) })), before);
  await page.click('#integrity-again');
  await until(page, () => document.querySelectorAll('#integrity dd').length >= 5);
  assert((await page.textContent('#integrity')).includes('FAILED: NOT consistent'), 'a forged earlier checkpoint passed');
});

await check('check.js against the daemon\'s proofs: inclusion of every leaf, consistency of every size (RFC 9162)', async () => {
  const { page } = await newPage();
  await signIn(page, env.AUD);
  const r = await page.evaluate(async () => {
    const c = await import('/console/check.js');
    const u = await import('/console/util.js');
    const cp = c.parseCheckpoint(await (await fetch('/v1/ledger/checkpoint')).text());
    const n = cp.size, leaves = [];
    for (let i = 0; i < n; i++) leaves.push(Uint8Array.from((await (await fetch(`/v1/ledger/entries/${i}`)).json()).leaf_hash.match(/../g), (x) => parseInt(x, 16)));
    // the tree's root computed here from the leaves (RFC 9162 2.1.1), independent of the proofs
    const mth = async (l) => {
      if (l.length === 1) return l[0];
      let k = 1;
      while (k * 2 < l.length) k *= 2;
      return u.sha256(u.concat(new Uint8Array([1]), await mth(l.slice(0, k)), await mth(l.slice(k))));
    };
    const roots = [null];
    for (let m = 1; m <= n; m++) roots.push(await mth(leaves.slice(0, m)));
    const bad = [];
    if (!u.equal(roots[n], cp.root)) bad.push('root');
    const dec = (j) => j.hashes.map(u.b64Decode);
    for (let m = 1; m <= n; m++) {
      for (let i = 0; i < m; i++) {
        const pr = await (await fetch(`/v1/ledger/proof/inclusion?seq=${i}&size=${m}`)).json();
        const got = await c.rootFromInclusion(i, m, leaves[i], dec(pr));
        if (!got || !u.equal(got, roots[m])) bad.push(`inclusion ${i}/${m}`);
        if (pr.hashes.length) {
          const t = dec(pr); t[0] = t[0].map((b, j) => (j ? b : b ^ 1));
          const forged = await c.rootFromInclusion(i, m, leaves[i], t);
          if (forged && u.equal(forged, roots[m])) bad.push(`forged inclusion ${i}/${m} passed`);
        }
      }
      const pc = await (await fetch(`/v1/ledger/proof/consistency?from=${m}&to=${n}`)).json();
      if (!await c.verifyConsistency(m, n, roots[m], roots[n], dec(pc))) bad.push(`consistency ${m}->${n}`);
      if (m < n && await c.verifyConsistency(m, n, roots[m === 1 ? 2 : 1], roots[n], dec(pc))) bad.push(`consistency ${m}->${n} with a wrong old root passed`);
    }
    return { n, bad };
  });
  assert(r.n >= 10 && !r.bad.length, `tree of ${r.n}: ${r.bad.slice(0, 8).join(', ')}`);
});

await check('the customer of the tenant sees the drive and its certificate', async () => {
  const { page } = await newPage();
  await signIn(page, env.CUS);
  await until(page, () => /asset\(s\) found/.test(document.getElementById('search-note')?.textContent || ''));
  assert((await page.textContent('#results tbody')).includes(certId), 'the customer does not see its certificate');
  await page.click(`#results button:has-text("${certId}")`);
  await page.waitForSelector('#cert-detail:not([hidden])');
  await shot(page, 'customer');
  await axe(page, 'customer');
});

await check('a customer of another tenant sees nothing of it', async () => {
  const { page } = await newPage();
  await signIn(page, env.OTHER);
  await until(page, () => /asset\(s\) found/.test(document.getElementById('search-note')?.textContent || ''));
  const n = await page.locator('#results tbody tr').count();
  const body = await page.textContent('body');
  assert(n === 0 && !body.includes(certId) && !body.includes(env.IMG), `rows ${n}`);
  const st = await page.evaluate(async ([c, a]) => [
    (await fetch(`/v1/certificates/${c}`)).status, (await fetch(`/v1/certificates/${c}.pdf`)).status,
    (await fetch(`/v1/assets/${a}`)).status, (await fetch(`/v1/assets/${a}/events`)).status,
    (await fetch('/v1/stream')).status], [certId, assetId]);
  assert(st.every((s) => s === 404), `statuses ${st}`);
});

await check('sign-out ends the session: the old cookie is refused', async () => {
  const p = tech.page;
  const sid = (await tech.ctx.cookies()).find((c) => c.name === 'sz_session').value;
  await p.click('#signout');
  await p.waitForSelector('#signin:not([hidden])');
  const r = await fetch(`${URL}/v1/session`, { headers: { Cookie: `sz_session=${sid}` } });
  assert(r.status === 401, `old cookie: ${r.status}`);
  await shot(p, 'signin');
  await axe(p, 'sign-in');
});

await check('a session dies with its token: revoked, the next request is 401', async () => {
  const t = await api('POST', '/v1/tokens', env.ADMIN, { role: 'auditor', name: 'short-lived' });
  const { page } = await newPage();
  await signIn(page, t.json.token);
  assert(await page.evaluate(async () => (await fetch('/v1/session')).status) === 200, 'session');
  assert((await api('DELETE', `/v1/tokens/${t.json.id}`, env.ADMIN)).status === 200, 'revoke');
  const s = await page.evaluate(async () => [(await fetch('/v1/session')).status, (await fetch('/v1/jobs')).status]);
  assert(s[0] === 401 && s[1] === 401, `after revocation ${s}`);
});

await check('no Content-Security-Policy violation and no script error in any page', async () => {
  assert(!cspViolations.length, cspViolations.join(' | '));
  assert(!consoleErrors.length, consoleErrors.join(' | '));
});

await browser.close();
process.exit(failed ? 1 : 0);
