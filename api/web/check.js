// The checks a customer or auditor runs in the browser, so that neither
// needs to trust the server: Ed25519 signatures with WebCrypto (a JWS,
// RFC 7515 / RFC 8037, alg EdDSA or Ed25519 as RFC 9864 names it; a C2SP
// signed note), and RFC 9162 Merkle inclusion and consistency proofs.
import { b64Decode, b64urlDecode, concat, equal, hex, sha256, utf8 } from './util.js';

// RFC 8032 7.1 test 1's public key: a key every Ed25519 implementation takes.
const PROBE_KEY = new Uint8Array([
  0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
  0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a]);

let ready;

// {ok, why}: may this page check Ed25519 signatures itself?  ?webcrypto=off
// turns it off, to show (and test) the fallback to the server's check.
export function cryptoReady() {
  if (!ready) ready = probe();
  return ready;
}

async function probe() {
  if (new URLSearchParams(location.search).get('webcrypto') === 'off')
    return { ok: false, sha: false, why: 'WebCrypto was turned off for this page (webcrypto=off)' };
  if (!window.isSecureContext || !window.crypto || !crypto.subtle)
    return { ok: false, sha: false, why: 'this page is not in a secure context (HTTPS or this machine), so the browser offers no WebCrypto' };
  try {
    await crypto.subtle.importKey('raw', PROBE_KEY, { name: 'Ed25519' }, false, ['verify']);
    return { ok: true, sha: true, why: '' };
  } catch (e) {
    return { ok: false, sha: true, why: 'this browser has no Ed25519 in WebCrypto' };
  }
}

export async function ed25519Verify(pub, sig, msg) {
  const key = await crypto.subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
  return crypto.subtle.verify({ name: 'Ed25519' }, key, sig, msg);
}

function jsonPart(s) {
  return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(b64urlDecode(s)));
}

// The payload of a compact JWS without checking anything, or null.
export function jwsPayload(jws) {
  try { return jsonPart(jws.trim().split('.')[1]); } catch (e) { return null; }
}

// {ok, reason, kid, payload}: the JWS's signature against the JWKS.
export async function verifyJws(jws, jwks) {
  const parts = jws.trim().split('.');
  if (parts.length !== 3) return { ok: false, reason: 'not a compact JWS (three parts separated by dots)' };
  let header, payload = null, sig;
  try { header = jsonPart(parts[0]); } catch (e) { return { ok: false, reason: 'the header is not base64url JSON' }; }
  if (header.alg !== 'EdDSA' && header.alg !== 'Ed25519')
    return { ok: false, reason: `alg ${header.alg} is neither EdDSA nor Ed25519` };
  if (header.crit) return { ok: false, reason: 'the header has critical extensions this page does not know' };
  const key = (jwks.keys || []).find((k) => k.kid === header.kid && k.kty === 'OKP' && k.crv === 'Ed25519');
  if (!key) return { ok: false, reason: `no published key has kid ${header.kid}`, kid: header.kid };
  try { payload = jsonPart(parts[1]); } catch (e) { payload = null; }
  try { sig = b64urlDecode(parts[2]); } catch (e) { return { ok: false, reason: 'the signature is not base64url', kid: header.kid }; }
  if (sig.length !== 64) return { ok: false, reason: 'the signature is not 64 bytes', kid: header.kid };
  const ok = await ed25519Verify(b64urlDecode(key.x), sig, utf8(`${parts[0]}.${parts[1]}`));
  if (ok && !payload) return { ok: false, reason: 'signed, but the payload is not JSON', kid: header.kid };
  return { ok, reason: ok ? `signed by key ${header.kid}` : 'the signature does not match the published key', kid: header.kid, payload };
}

// A C2SP tlog-checkpoint in a signed note: {origin, size, root, body, sigs}.
export function parseCheckpoint(text) {
  const cut = text.indexOf('\n\n');
  if (cut < 0) throw new Error('not a signed note');
  const body = text.slice(0, cut + 1);
  const lines = body.split('\n');
  if (lines.length < 4 || !/^[0-9]+$/.test(lines[1])) throw new Error('not a checkpoint');
  const sigs = [];
  for (const line of text.slice(cut + 2).split('\n')) {
    if (!line) continue;
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m) throw new Error('a malformed signature line');
    const raw = b64Decode(m[2]);
    if (raw.length < 5) throw new Error('a short signature');
    sigs.push({ name: m[1], keyid: raw.slice(0, 4), sig: raw.slice(4) });
  }
  return { origin: lines[0], size: Number(lines[1]), root: b64Decode(lines[2]), body, sigs };
}

// {ok, reason}: the note is signed by the key of this verifier string
// ("<name>+<key id hex>+<base64(0x01 || public key)>", C2SP signed-note).
export async function verifyNote(cp, vkey) {
  const i = vkey.indexOf('+');
  const name = vkey.slice(0, i), idHex = vkey.slice(i + 1, i + 9);
  const kb = b64Decode(vkey.slice(i + 10));
  if (i < 1 || vkey[i + 9] !== '+' || kb.length !== 33 || kb[0] !== 1) return { ok: false, reason: 'the verifier key is malformed' };
  const pub = kb.slice(1);
  const id = (await sha256(concat(utf8(name), new Uint8Array([0x0a, 0x01]), pub))).slice(0, 4);
  if (hex(id) !== idHex) return { ok: false, reason: 'the verifier key\'s id does not match its key' };
  const s = cp.sigs.find((x) => x.name === name && equal(x.keyid, id));
  if (!s) return { ok: false, reason: `no signature by ${name} on the checkpoint` };
  if (s.sig.length !== 64) return { ok: false, reason: 'the signature is not 64 bytes' };
  const ok = await ed25519Verify(pub, s.sig, utf8(cp.body));
  return { ok, reason: ok ? `signed by ${name}` : 'the checkpoint signature does not verify' };
}

// RFC 9162 2.1.1: leaf and interior node hashes.
export function leafHash(bytes) {
  return sha256(concat(new Uint8Array([0]), bytes));
}

function node(l, r) {
  return sha256(concat(new Uint8Array([1]), l, r));
}

const lsb = (n) => n % 2 === 1;
const half = (n) => Math.floor(n / 2);

// RFC 9162 2.1.3.2: the root an inclusion proof leads to, or null if it cannot be one.
export async function rootFromInclusion(index, size, leaf, path) {
  if (index >= size) return null;
  let fn = index, sn = size - 1, r = leaf;
  for (const p of path) {
    if (sn === 0) return null;
    if (lsb(fn) || fn === sn) {
      r = await node(p, r);
      if (!lsb(fn)) while (!(lsb(fn) || fn === 0)) { fn = half(fn); sn = half(sn); }
    } else {
      r = await node(r, p);
    }
    fn = half(fn); sn = half(sn);
  }
  return sn === 0 ? r : null;
}

// RFC 9162 2.1.4.2: does the consistency proof take the tree of size first
// and root firstRoot to the tree of size second and root secondRoot?
export async function verifyConsistency(first, second, firstRoot, secondRoot, path) {
  if (first > second || first === 0) return false;
  if (first === second) return path.length === 0 && equal(firstRoot, secondRoot);
  if (path.length === 0) return false;
  if (Number.isInteger(Math.log2(first))) path = [firstRoot, ...path];
  let fn = first - 1, sn = second - 1;
  while (lsb(fn)) { fn = half(fn); sn = half(sn); }
  let fr = path[0], sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (lsb(fn) || fn === sn) {
      fr = await node(c, fr);
      sr = await node(c, sr);
      if (!lsb(fn)) while (!(lsb(fn) || fn === 0)) { fn = half(fn); sn = half(sn); }
    } else {
      sr = await node(sr, c);
    }
    fn = half(fn); sn = half(sn);
  }
  return sn === 0 && equal(fr, firstRoot) && equal(sr, secondRoot);
}
