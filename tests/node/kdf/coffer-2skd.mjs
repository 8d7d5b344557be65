// An independent implementation of Coffer's account-password preprocessing and
// 2SKD (PROTOCOL.md §1–2) with Node's WebCrypto, to check testdata/vectors/coffer-2skd.json.
//   node coffer-2skd.mjs            verify every vector; exit 1 on any mismatch
//   node coffer-2skd.mjs --write    recompute outputs for the inputs in the file and rewrite it
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const subtle = globalThis.crypto.subtle;
const here = path.dirname(fileURLToPath(import.meta.url));
const file = path.resolve(here, '../../../testdata/vectors/coffer-2skd.json');
const enc = new TextEncoder();
const hex = (b) => Buffer.from(b).toString('hex');

function preprocess(password) {
  if (!password.isWellFormed()) throw new Error('lone surrogate');
  const trim = /^[\u0009-\u000D\u0020\u00A0\uFEFF]+|[\u0009-\u000D\u0020\u00A0\uFEFF]+$/g;
  const trimmed = password.replace(trim, '');
  if (trimmed.length === 0) throw new Error('empty');
  return enc.encode(trimmed.normalize('NFKD'));
}

function parseSecretKey(text) {
  const compact = text.replace(/[ -]/g, '').replace(/[a-z]/g, (c) => c.toUpperCase());
  if (!/^C1[23456789ABCDEFGHJKLMNPQRSTVWXYZ]{32}$/.test(compact)) throw new Error('bad secret key');
  return { accountId: compact.slice(2, 8), secret: compact.slice(8) };
}

async function hkdf(ikm, salt, info, bits = 256) {
  const key = await subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits']);
  return new Uint8Array(await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info: enc.encode(info) }, key, bits));
}

async function pbkdf2(password, salt, iterations) {
  const key = await subtle.importKey('raw', password, 'PBKDF2', false, ['deriveBits']);
  return new Uint8Array(await subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, 256));
}

async function derive(v) {
  const pwd = preprocess(v.password);
  const sk = parseSecretKey(v.secretKey);
  const salt = Buffer.from(v.salt, 'hex');
  const sPrime = await hkdf(salt, enc.encode(v.memberId), 'coffer/2skd/v1');
  const km = await pbkdf2(pwd, sPrime, v.iterations);
  const ka = await hkdf(enc.encode(sk.secret), enc.encode(sk.accountId), 'C1');
  const k = km.map((b, i) => b ^ ka[i]);
  return {
    preprocessed: hex(pwd),
    auk: hex(await hkdf(k, new Uint8Array(0), 'coffer/auk/v1')),
    srpX: hex(await hkdf(k, new Uint8Array(0), 'coffer/srp-x/v1')),
  };
}

const doc = JSON.parse(await readFile(file, 'utf8'));
let failures = 0;
for (const v of doc.vectors) {
  const out = await derive(v);
  if (process.argv.includes('--write')) {
    Object.assign(v, out);
  } else {
    for (const k of Object.keys(out)) {
      if (out[k] !== v[k]) {
        failures++;
        console.error(`coffer-2skd: ${v.name}: ${k} differs`);
      }
    }
  }
}
for (const bad of doc.rejected ?? []) {
  let threw = false;
  try { preprocess(bad.password); } catch { threw = true; }
  if (!threw) { failures++; console.error(`coffer-2skd: rejected case ${bad.name} was accepted`); }
}
if (process.argv.includes('--write')) {
  await writeFile(file, JSON.stringify(doc, null, 2) + '\n');
  console.log(`wrote ${doc.vectors.length} vectors`);
} else if (failures) {
  process.exit(1);
} else {
  console.log(`coffer-2skd: ${doc.vectors.length} vectors and ${(doc.rejected ?? []).length} rejections agree`);
}
