// Checks testdata/vectors/signatures.json, audit-chain.json and fingerprints.json with Node.js WebCrypto:
// recomputes every tbs from its fields (PROTOCOL.md §5.2), every chain hash (§11) and every fingerprint (§5),
// verifies every signature, and makes sure every non-canonical SPKI is refused. Exits non-zero on any mismatch.
// Usage: node tests/node/signatures/check-signatures.mjs [vectors directory]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import {
  signatureTbs, auditEventTbs, auditChainHash, sha256, b64urlDecode, base32, displayFingerprint, SIGNATURE_TYPES,
} from './tbs.mjs';

const { subtle } = globalThis.crypto;
const vectorsDir = process.argv[2]
  ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../testdata/vectors');
const read = (name) => JSON.parse(readFileSync(path.join(vectorsDir, name), 'utf8'));

let failures = 0;
let checks = 0;
function check(ok, what) {
  checks += 1;
  if (!ok) {
    failures += 1;
    console.error(`FAIL ${what}`);
  }
}
function attempt(what, fn) {
  try {
    return fn();
  } catch (e) {
    check(false, `${what}: ${e.message}`);
    return null;
  }
}

const ALGORITHMS = {
  'ec-p256': { name: 'ECDSA', namedCurve: 'P-256' },
  'rsa': { name: 'RSA-OAEP', hash: 'SHA-256' },
  'rsa-2048': { name: 'RSA-OAEP', hash: 'SHA-256' },
};

// The fingerprint rule of §5: import with the expected algorithm, re-export, require identical bytes.
async function canonicalSpki(bytes, algorithm) {
  try {
    const usages = algorithm.name === 'ECDSA' ? ['verify'] : ['encrypt'];
    const key = await subtle.importKey('spki', bytes, algorithm, true, usages);
    return Buffer.from(await subtle.exportKey('spki', key)).equals(bytes);
  } catch {
    return false;
  }
}

async function verifySigned(vector, where) {
  const tbs = attempt(`${where} fields`, () => signatureTbs(vector.type, vector.fields));
  if (tbs === null) return;
  check(tbs.toString('hex') === vector.tbs, `${where} tbs`);
  const spki = b64urlDecode(vector.spki);
  check(await canonicalSpki(spki, ALGORITHMS['ec-p256']), `${where} spki canonical`);
  const key = await subtle.importKey('spki', spki, ALGORITHMS['ec-p256'], false, ['verify']);
  const signature = b64urlDecode(vector.signature);
  check(signature.length === 64, `${where} signature length`);
  const ecdsa = { name: 'ECDSA', hash: 'SHA-256' };
  check(await subtle.verify(ecdsa, key, signature, Buffer.from(vector.tbs, 'hex')), `${where} signature`);
  // A signature must not verify over a TBS with one bit changed.
  const flipped = Buffer.from(vector.tbs, 'hex');
  flipped[flipped.length - 1] ^= 1;
  check(!(await subtle.verify(ecdsa, key, signature, flipped)), `${where} signature over altered tbs`);
}

async function main() {
  const signatures = read('signatures.json');
  const types = signatures.vectors.map((v) => v.type);
  check(JSON.stringify([...types].sort()) === JSON.stringify(Object.keys(SIGNATURE_TYPES).sort()),
    'signatures.json has exactly one vector per type');
  for (const vector of signatures.vectors) {
    await verifySigned(vector, `signatures.json ${vector.type}`);
  }

  const chain = read('audit-chain.json');
  let previous = Buffer.from(chain.genesis, 'hex');
  check(previous.equals(Buffer.alloc(32)), 'audit-chain.json genesis is 32 zero bytes');
  chain.events.forEach((event, i) => {
    const where = `audit-chain.json seq ${event.seq}`;
    check(event.seq === String(i + 1), `${where} is in order`);
    const tbs = attempt(`${where} fields`, () => auditEventTbs(event.fields));
    if (tbs === null) return;
    check(tbs.toString('hex') === event.tbs, `${where} tbs`);
    const hash = auditChainHash(previous, BigInt(event.seq), tbs);
    check(hash.toString('hex') === event.hash, `${where} hash`);
    previous = Buffer.from(event.hash, 'hex');
  });
  const withDetails = chain.events.find((e) => e.fields.detailsHash !== null);
  check(withDetails !== undefined
    && sha256(Buffer.from(chain.detailsJson, 'utf8')).equals(b64urlDecode(withDetails.fields.detailsHash)),
  'audit-chain.json detailsHash is SHA-256 of detailsJson');
  check(chain.checkpoint.fields.seq === chain.events.at(-1).seq
    && b64urlDecode(chain.checkpoint.fields.chainHash).equals(previous), 'audit-chain.json checkpoint names the head');
  await verifySigned(chain.checkpoint, 'audit-chain.json checkpoint');

  const fingerprints = read('fingerprints.json');
  for (const vector of fingerprints.accept) {
    const where = `fingerprints.json accept ${vector.algorithm}`;
    const spki = b64urlDecode(vector.spki);
    check(await canonicalSpki(spki, ALGORITHMS[vector.algorithm]), `${where} canonical`);
    const fpr = sha256(spki);
    check(fpr.equals(b64urlDecode(vector.fingerprint)), `${where} fingerprint`);
    check(base32(fpr) === vector.text && vector.text.length === 52, `${where} text`);
    check(displayFingerprint(vector.text) === vector.display, `${where} display`);
  }
  for (const vector of fingerprints.reject) {
    const spki = b64urlDecode(vector.spki);
    check(!(await canonicalSpki(spki, ALGORITHMS[vector.algorithm])), `fingerprints.json reject ${vector.reason}`);
  }

  console.log(`${checks - failures} of ${checks} checks passed`);
  process.exitCode = failures === 0 ? 0 : 1;
}

await main();
