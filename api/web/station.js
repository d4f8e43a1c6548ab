// The technician's station: every drive present, live from the event
// stream; select, confirm and wipe; progress per drive; enrol, record
// custody events, issue certificates, print a batch sheet.
import { api, clear, el, errText, fmtBytes, fmtSeconds, say } from './util.js';

const METHODS = ['clear-zero', 'clear-random', 'dod-3pass', 'luks-crypto-erase', 'nvme-sanitize-crypto',
  'nvme-sanitize-block', 'nvme-sanitize-overwrite', 'nvme-format-crypto', 'nvme-format-user',
  'ata-sanitize-crypto', 'ata-sanitize-block', 'ata-sanitize-overwrite', 'ata-secure-erase',
  'ata-secure-erase-enhanced', 'scsi-sanitize-crypto', 'scsi-sanitize-block', 'scsi-sanitize-overwrite'];
const EVENTS = ['deployed', 'removed', 'retired', 'custody_transfer', 'note', 'shipped', 'destroyed'];
const EVENT_HINT = {
  deployed: '{"host": "web-17", "slot": 3}', removed: '{"reason": "decommissioned"}', retired: '{}',
  custody_transfer: '{"from": "bench 3", "to": "cage 2", "seal": "S-1"}', note: '{"text": "…"}',
  shipped: '{"carrier": "…", "tracking": "…"}', destroyed: '{"facility": "…", "method": "shred"}',
};
const LIVE = ['queued', 'running', 'verifying'];

function select(id, label, options, value) {
  return [el('label', { for: id }, label),
    el('select', { id }, options.map((o) => el('option', { value: o, selected: o === value }, o)))];
}

export function station(root, session) {
  const rows = new Map();		// key: identity (or name) -> row; insertion order is the display order
  const byAsset = new Map();	// asset id -> row
  let lastBatch = null;

  const tbody = el('tbody');
  const confirmDlg = el('dialog', { id: 'confirm-dialog', 'aria-labelledby': 'confirm-h' });
  const enrolDlg = el('dialog', { id: 'enrol-dialog', 'aria-labelledby': 'enrol-h' });
  const eventDlg = el('dialog', { id: 'event-dialog', 'aria-labelledby': 'event-h' });
  const sheet = el('section', { id: 'sheet', 'aria-labelledby': 'sheet-h', hidden: true });
  root.append(
    el('h1', { id: 'station-h' }, 'Station'),
    el('div', { class: 'toolbar' },
      select('method', 'Method', METHODS, 'clear-zero'),
      select('verify-mode', 'Verification', ['full', 'sample'], 'full'),
      el('button', { type: 'button', id: 'select-retired', onclick: selectRetired }, 'Select all retired'),
      el('button', { type: 'button', id: 'wipe', onclick: confirmWipe }, 'Wipe selected…'),
      el('button', { type: 'button', id: 'print-sheet', onclick: printSheet }, 'Batch sheet')),
    el('table', { id: 'drives' },
      el('caption', {}, 'Drives present (rows keep their place as drives come and go)'),
      el('thead', {}, el('tr', {}, ['Select', 'Drive', 'Identity', 'Asset', 'Size', 'Transport', 'Health', 'State',
        'Progress', 'Actions'].map((h) => el('th', { scope: 'col' }, h)))),
      tbody),
    confirmDlg, enrolDlg, eventDlg, sheet);

  function rowFor(d) {
    const key = d.identity || d.name;
    let r = rows.get(key);
    if (r) return r;
    r = { key, dev: d, job: null, cert: null, tr: el('tr', { 'data-key': key }) };
    r.cells = {};
    for (const c of ['sel', 'drive', 'identity', 'asset', 'size', 'transport', 'health', 'state', 'progress', 'actions'])
      r.tr.append(r.cells[c] = el('td', { class: `c-${c}` }));
    r.check = el('input', { type: 'checkbox', 'aria-label': `select ${d.name}` });
    r.cells.sel.append(r.check);
    r.bar = el('div', { class: 'bar' });
    r.ptext = el('span', { class: 'ptext' }, '—');
    r.progress = el('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100,
      'aria-valuenow': 0, 'aria-label': `wipe progress of ${d.name}` }, r.bar);
    r.cells.progress.append(r.progress, r.ptext);
    rows.set(key, r);
    tbody.append(r.tr);
    return r;
  }

  function render(r) {
    const d = r.dev, a = d.asset, c = r.cells, j = r.job;
    if (a) byAsset.set(a.id, r);
    r.tr.dataset.present = r.present ? '1' : '0';
    r.tr.dataset.state = a ? a.state : 'unknown';
    c.drive.textContent = r.present ? d.path : `${d.path} (removed)`;
    c.identity.textContent = d.identity || '—';
    c.asset.textContent = a ? `${a.id} · tenant ${a.tenant}` : 'not enrolled';
    c.size.textContent = fmtBytes(d.size_bytes);
    c.transport.textContent = d.transport || '—';
    c.health.textContent = d.health && d.health.available ? (d.health.failure_predicted ? 'failure predicted' : 'ok')
      : (d.system ? 'system disk' : d.mounted ? 'mounted' : 'not reported');
    const live = j && LIVE.includes(j.state);
    c.state.textContent = !r.present ? 'removed' : live ? `wiping (${j.state})` : a ? a.state : 'unknown drive';
    r.check.disabled = !(r.present && a && a.state === 'retired' && !live);
    if (r.check.disabled) r.check.checked = false;
    // rebuild the buttons only when they change, so a refresh never takes the keyboard focus away
    const sig = [r.present, a && a.state, d.system, live, r.cert].join('|');
    if (sig === r.actionsSig) return;
    r.actionsSig = sig;
    clear(c.actions);
    if (!r.present) return;
    if (!a && d.system) c.actions.append(el('span', {}, 'system disk: never wiped'));
    else if (!a) c.actions.append(el('button', { type: 'button', onclick: () => enrol(r) }, `Enrol ${d.name}`));
    if (a && ['received', 'removed'].includes(a.state))
      c.actions.append(el('button', { type: 'button', onclick: () => postEvent(r, 'retired', {}) }, 'Retire'));
    if (live) c.actions.append(el('button', { type: 'button', onclick: () => cancel(r) }, `Cancel wipe of ${d.name}`));
    if (a && a.state === 'sanitized')
      c.actions.append(el('button', { type: 'button', onclick: () => issue(r) }, 'Issue certificate'));
    if (!r.cert && a && ['certified', 'in_transit', 'destroyed'].includes(a.state) && !r.certAsked) findCert(r);
    if (r.cert) c.actions.append(el('a', { href: `/verify/${r.cert}`, class: 'cert-link' }, `Certificate ${r.cert}`));
    if (a) c.actions.append(el('button', { type: 'button', onclick: () => eventForm(r) }, 'Record event'));
  }

  function progress(r, j) {
    r.job = j;
    const f = j.overall && j.overall.total ? j.overall.fraction : (j.bytes_total ? j.bytes_done / j.bytes_total : 0);
    const pct = j.state === 'completed' ? 100 : Math.min(100, Math.floor(f * 100));
    r.progress.setAttribute('aria-valuenow', String(pct));
    r.progress.setAttribute('aria-valuetext', `${pct} percent, ${j.state}`);
    r.bar.style.width = `${pct}%`;
    r.bar.dataset.state = j.state;
    r.ptext.textContent = LIVE.includes(j.state)
      ? `${j.state}, pass ${j.pass}/${j.passes}, ${pct}%, ${fmtBytes(j.bytes_done)} of ${fmtBytes(j.bytes_total)}, ${fmtBytes(j.rate_bytes_per_s)}/s, ETA ${fmtSeconds(j.eta_s)}`
      : `${j.state}${j.reason ? ` (${j.reason})` : ''}${j.error ? `: ${j.error}` : ''}`;
  }

  let pending = null;
  async function refresh() {
    const res = await api('GET', '/v1/devices');
    if (res.status !== 200) { say(`cannot list devices: ${errText(res)}`, true); return; }
    const seen = new Set();
    for (const d of res.body.devices.filter((x) => !x.partition)) {
      const r = rowFor(d);
      r.dev = d;
      r.present = true;
      seen.add(r.key);
    }
    for (const r of rows.values()) {
      if (!seen.has(r.key)) r.present = false;
      render(r);
    }
    root.dataset.loaded = '1';
  }
  function soon() {
    clearTimeout(pending);
    pending = setTimeout(refresh, 150);
  }

  function stream() {
    const es = new EventSource('/v1/stream');
    for (const t of ['device.added', 'device.changed', 'device.removed', 'reset']) es.addEventListener(t, soon);
    es.addEventListener('job.progress', (e) => {
      const j = JSON.parse(e.data), r = byAsset.get(j.asset_id);
      if (r) { progress(r, j); if (!r.liveShown) { r.liveShown = true; render(r); } }
    });
    es.addEventListener('job.ended', (e) => {
      const j = JSON.parse(e.data), r = byAsset.get(j.asset_id);
      if (r) { progress(r, j); r.liveShown = false; say(`wipe of ${r.dev.name}: ${j.state}`, j.state !== 'completed'); }
      soon();
    });
    es.onerror = () => say('the event stream was interrupted; reconnecting');
  }

  function selectRetired() {
    for (const r of rows.values()) if (!r.check.disabled) r.check.checked = true;
  }

  function confirmWipe() {
    const chosen = [...rows.values()].filter((r) => r.check.checked && !r.check.disabled);
    if (!chosen.length) { say('select one or more retired drives first', true); return; }
    const method = root.querySelector('#method').value, verify = root.querySelector('#verify-mode').value;
    // the daemon refuses a method a drive cannot do; say so before anything starts
    const cannot = chosen.filter((r) => Array.isArray(r.dev.methods) && !r.dev.methods.includes(method));
    if (cannot.length) {
      say(`${method} is not offered by ${cannot.map((r) => `${r.dev.name} (offers ${r.dev.methods.join(', ') || 'none'})`).join('; ')}`, true);
      return;
    }
    clear(confirmDlg).append(
      el('h2', { id: 'confirm-h' }, `Wipe ${chosen.length} drive${chosen.length > 1 ? 's' : ''}?`),
      el('p', {}, `Method ${method}, ${verify} verification. Everything on these drives is destroyed:`),
      el('ul', { id: 'confirm-list' }, chosen.map((r) => el('li', {},
        `${r.dev.path} — ${r.dev.identity} (asset ${r.dev.asset.id}, tenant ${r.dev.asset.tenant}, ${fmtBytes(r.dev.size_bytes)})`))),
      el('form', { method: 'dialog' },
        el('button', { type: 'submit', value: 'cancel' }, 'Cancel'),
        el('button', { type: 'submit', value: 'wipe', id: 'confirm-wipe', class: 'danger' },
          `Wipe ${chosen.length} drive${chosen.length > 1 ? 's' : ''}`)));
    confirmDlg.onclose = () => { if (confirmDlg.returnValue === 'wipe') startBatch(chosen, method, verify); };
    confirmDlg.returnValue = '';
    say(`confirm the wipe of ${chosen.length} drive${chosen.length > 1 ? 's' : ''}`);
    confirmDlg.showModal();
  }

  async function startBatch(chosen, method, verify) {
    const res = await api('POST', '/v1/batches', { asset_ids: chosen.map((r) => r.dev.asset.id), method, verify });
    if (res.status !== 202) { say(`cannot start the wipe: ${errText(res)}`, true); return; }
    lastBatch = res.body;
    for (const d of res.body.drives) {
      const r = byAsset.get(d.asset_id);
      if (!r) continue;
      if (d.job) progress(r, d.job);
      else r.ptext.textContent = `refused: ${d.refusal ? d.refusal.message || d.refusal.reason : 'unknown'}`;
      render(r);
    }
    say(`batch ${res.body.id} started: ${res.body.drives.length} drive(s)`);
  }

  async function cancel(r) {
    const res = await api('DELETE', `/v1/jobs/${r.job.id}`);
    say(res.status < 300 ? `cancelling the wipe of ${r.dev.name}` : `cannot cancel: ${errText(res)}`, res.status >= 300);
  }

  async function issue(r) {
    const body = session.name ? { performed_by: { name: session.name } } : {};
    const res = await api('POST', `/v1/assets/${r.dev.asset.id}/certificate`, body);
    if (res.status !== 201) { say(`cannot issue the certificate: ${errText(res)}`, true); return; }
    r.cert = res.body.id;
    say(`certificate ${r.cert} issued for ${r.dev.identity}`);
    await refresh();
  }

  // A drive certified before this page was opened: its certificate from the custody chain.
  async function findCert(r) {
    r.certAsked = true;
    const res = await api('GET', `/v1/assets/${r.dev.asset.id}/events?limit=1000`);
    const issued = res.status === 200 ? res.body.events.filter((e) => e.type === 'certificate_issued') : [];
    if (issued.length) { r.cert = issued[issued.length - 1].data.cert_id; render(r); }
  }

  async function postEvent(r, type, data) {
    const res = await api('POST', `/v1/assets/${r.dev.asset.id}/events`, { type, data });
    say(res.status === 201 ? `${type} recorded for ${r.dev.identity}` : `cannot record ${type}: ${errText(res)}`, res.status !== 201);
    await refresh();
    return res.status === 201;
  }

  function field(id, label, attrs) {
    return el('p', {}, el('label', { for: id }, label), el('input', { id, ...attrs }));
  }

  function enrol(r) {
    const d = r.dev;
    clear(enrolDlg).append(
      el('h2', { id: 'enrol-h' }, `Enrol ${d.path}`),
      el('form', { method: 'dialog', id: 'enrol-form' },
        field('e-serial', 'Serial (the drive\'s identity)', { value: d.identity, readonly: true }),
        field('e-model', 'Model', { value: d.model || 'unknown', required: true }),
        el('p', {}, ...select('e-media', 'Media type', ['hdd', 'ssd', 'nvme', 'usb', 'tape', 'other'],
          d.transport === 'nvme' ? 'nvme' : d.rotational ? 'hdd' : 'ssd')),
        field('e-capacity', 'Capacity (bytes)', { value: d.size_bytes, readonly: true }),
        field('e-tenant', 'Tenant', { required: true }),
        field('e-property', 'Property number (optional)', {}),
        el('button', { type: 'submit', value: 'cancel', formnovalidate: true }, 'Cancel'),
        el('button', { type: 'submit', value: 'enrol', id: 'enrol-submit' }, 'Enrol')));
    enrolDlg.onclose = async () => {
      if (enrolDlg.returnValue !== 'enrol') return;
      const v = (id) => enrolDlg.querySelector(`#${id}`).value.trim();
      const body = { serial: d.identity, model: v('e-model'), media_type: v('e-media'),
        capacity_bytes: d.size_bytes, tenant: v('e-tenant') };
      if (v('e-property')) body.property_number = v('e-property');
      const res = await api('POST', '/v1/assets', body);
      say(res.status === 201 ? `enrolled ${d.identity} as asset ${res.body.id}` : `cannot enrol: ${errText(res)}`, res.status !== 201);
      await refresh();
    };
    enrolDlg.returnValue = '';
    enrolDlg.showModal();
  }

  function eventForm(r) {
    const area = el('textarea', { id: 'ev-data', rows: 3 }, EVENT_HINT.note);
    const kind = el('select', { id: 'ev-type', onchange: () => { area.value = EVENT_HINT[kind.value]; } },
      EVENTS.map((t) => el('option', { value: t }, t)));
    kind.value = 'note';
    clear(eventDlg).append(
      el('h2', { id: 'event-h' }, `Record a custody event for ${r.dev.identity}`),
      el('form', { method: 'dialog' },
        el('p', {}, el('label', { for: 'ev-type' }, 'Event'), kind),
        el('p', {}, el('label', { for: 'ev-data' }, 'Details (JSON object)'), area),
        el('button', { type: 'submit', value: 'cancel' }, 'Cancel'),
        el('button', { type: 'submit', value: 'record' }, 'Record')));
    eventDlg.onclose = () => {
      if (eventDlg.returnValue !== 'record') return;
      let data;
      try { data = JSON.parse(area.value || '{}'); } catch (e) { say('the details are not a JSON object', true); return; }
      postEvent(r, kind.value, data);
    };
    eventDlg.returnValue = '';
    eventDlg.showModal();
  }

  function printSheet() {
    const list = lastBatch ? lastBatch.drives.map((d) => byAsset.get(d.asset_id)).filter(Boolean)
      : [...rows.values()].filter((r) => r.cert);
    if (!list.length) { say('no batch or certificate yet for a sheet', true); return; }
    clear(sheet).append(
      el('h2', { id: 'sheet-h' }, lastBatch ? `Batch ${lastBatch.id} (${lastBatch.method}, ${lastBatch.verify} verification)` : 'Certificates'),
      el('table', {}, el('thead', {}, el('tr', {}, ['Drive', 'Asset', 'Result', 'Certificate', 'QR code'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, list.map((r) => el('tr', {},
          el('td', {}, r.dev.identity), el('td', {}, r.dev.asset ? r.dev.asset.id : '—'),
          el('td', {}, r.job ? r.job.state : '—'), el('td', {}, r.cert || 'not issued'),
          el('td', {}, r.cert ? el('img', { src: `/verify/${r.cert}/qr.svg`, alt: `QR code of the verification page of ${r.cert}`, class: 'qr' }) : '—'))))),
      el('button', { type: 'button', onclick: () => window.print() }, 'Print'));
    sheet.hidden = false;
    sheet.querySelector('button').focus();
  }

  refresh().then(stream);
  return { refresh };
}
