// Makes testdata/webauthn/fixtures.json: WebAuthn Level 2 registration (§7.1) and assertion (§7.2)
// responses as an authenticator and a browser would produce them, for what Chromium's virtual
// authenticator does not produce (RS256 keys, packed self attestation) and for every refusal Coffer
// must make. Node.js WebCrypto does the keys and signatures; CBOR (RFC 8949, CTAP2 canonical map
// order) and DER are encoded by hand here so that no CBOR package is involved. Keys and challenges
// are fresh on every run. Usage: node tests/node/webauthn/make-fixtures.mjs [output.json]
// (default: testdata/webauthn/fixtures.json; the C# suite also writes a fresh set elsewhere and verifies it).
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const { subtle } = globalThis.crypto;
const outFile = process.argv[2]
  ? path.resolve(process.argv[2])
  : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../testdata/webauthn/fixtures.json');

const RP_ID = 'localhost';
const ORIGIN = 'http://localhost:8443';

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;
const FLAG_ED = 0x80;

const sha256 = (bytes) => createHash('sha256').update(bytes).digest();
const b64url = (bytes) => Buffer.from(bytes).toString('base64url');
const fromB64url = (text) => Buffer.from(text, 'base64url');

// ---- CBOR (RFC 8949 §3): the head with the shortest argument (§4.2.1), definite lengths only.
function head(major, value) {
  const v = BigInt(value);
  if (v < 24n) return Buffer.from([(major << 5) | Number(v)]);
  if (v < 0x100n) return Buffer.from([(major << 5) | 24, Number(v)]);
  if (v < 0x10000n) { const b = Buffer.alloc(3); b[0] = (major << 5) | 25; b.writeUInt16BE(Number(v), 1); return b; }
  if (v < 0x100000000n) { const b = Buffer.alloc(5); b[0] = (major << 5) | 26; b.writeUInt32BE(Number(v), 1); return b; }
  const b = Buffer.alloc(9); b[0] = (major << 5) | 27; b.writeBigUInt64BE(v, 1); return b;
}

// CTAP2 canonical key order: lower major type, then shorter encoding, then bytewise.
function compareKeys(a, b) {
  if ((a[0] >> 5) !== (b[0] >> 5)) return (a[0] >> 5) - (b[0] >> 5);
  if (a.length !== b.length) return a.length - b.length;
  return Buffer.compare(a, b);
}

function cbor(value) {
  if (value === null) return Buffer.from([0xf6]);
  if (value === false) return Buffer.from([0xf4]);
  if (value === true) return Buffer.from([0xf5]);
  if (typeof value === 'number' || typeof value === 'bigint') {
    const v = BigInt(value);
    return v >= 0n ? head(0, v) : head(1, -1n - v);
  }
  if (typeof value === 'string') { const u = Buffer.from(value, 'utf8'); return Buffer.concat([head(3, u.length), u]); }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value]);
  if (Array.isArray(value)) return Buffer.concat([head(4, value.length), ...value.map(cbor)]);
  if (value instanceof Map) {
    const entries = [...value].map(([k, v]) => [cbor(k), cbor(v)]).sort((x, y) => compareKeys(x[0], y[0]));
    return Buffer.concat([head(5, entries.length), ...entries.flat()]);
  }
  throw new Error('cannot encode ' + typeof value);
}

// ---- DER (X.690) for ECDSA signatures: SEQUENCE { INTEGER r, INTEGER s } (WebAuthn L2 §6.5.6).
function derInteger(bytes) {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  let v = Buffer.from(bytes.subarray(i));
  if (v[0] & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
  return Buffer.concat([Buffer.from([0x02, v.length]), v]);
}
function p1363ToDer(sig) {
  const body = Buffer.concat([derInteger(sig.subarray(0, 32)), derInteger(sig.subarray(32))]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

// ---- Credentials: COSE_Key (RFC 9052 §7; EC2 RFC 9053 §7.1.1, RSA RFC 8230 §4).
async function es256Credential() {
  const pair = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const jwk = await subtle.exportKey('jwk', pair.publicKey);
  const cose = cbor(new Map([[1, 2], [3, -7], [-1, 1], [-2, fromB64url(jwk.x)], [-3, fromB64url(jwk.y)]]));
  const sign = async (data) => p1363ToDer(Buffer.from(await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, data)));
  return { alg: -7, cose, sign, id: randomBytes(32) };
}
async function rs256Credential() {
  const algorithm = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
  const pair = await subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const jwk = await subtle.exportKey('jwk', pair.publicKey);
  const cose = cbor(new Map([[1, 3], [3, -257], [-1, fromB64url(jwk.n)], [-2, fromB64url(jwk.e)]]));
  const sign = async (data) => Buffer.from(await subtle.sign({ name: 'RSASSA-PKCS1-v1_5' }, pair.privateKey, data));
  return { alg: -257, cose, sign, id: randomBytes(48) };
}

// ---- WebAuthn structures.
// Authenticator data (L2 §6.1): rpIdHash ‖ flags ‖ signCount (big-endian) ‖ attested credential data ‖ extensions.
function authData({ rpId = RP_ID, flags, signCount = 0, credential = null, extensions = null }) {
  const counter = Buffer.alloc(4);
  counter.writeUInt32BE(signCount);
  const parts = [sha256(Buffer.from(rpId, 'utf8')), Buffer.from([flags]), counter];
  if (credential) {
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credential.id.length);
    // Attested credential data (L2 §6.5.1): AAGUID (zeros, as browsers send under "none") ‖ L ‖ id ‖ key.
    parts.push(Buffer.alloc(16), idLength, credential.id, credential.cose);
  }
  if (extensions) parts.push(cbor(extensions));
  return Buffer.concat(parts);
}

// CollectedClientData (L2 §5.8.1), serialised the way browsers do (§5.8.1.1: type, challenge, origin, crossOrigin).
function clientData({ type, challenge, origin = ORIGIN, crossOrigin = false }) {
  return Buffer.from(`{"type":"${type}","challenge":"${b64url(challenge)}","origin":"${origin}","crossOrigin":${crossOrigin}}`, 'utf8');
}

const signedData = (auth, client) => Buffer.concat([auth, sha256(client)]);

async function registration(name, expect, credential, options = {}) {
  const {
    fmt = 'none', flags = FLAG_UP | FLAG_AT, signCount = 0, rpId, origin, type = 'webauthn.create', crossOrigin,
    challengeOverride = null, requireUserVerification = false, extensions = null, attested = true, statement = null,
    corruptSignature = false,
  } = options;
  const challenge = randomBytes(32);
  const client = clientData({ type, challenge: challengeOverride ?? challenge, origin, crossOrigin });
  const auth = authData({ rpId, flags, signCount, credential: attested ? credential : null, extensions });
  let attStmt = new Map();
  if (fmt === 'packed') {
    const sig = await credential.sign(signedData(auth, client));
    if (corruptSignature) sig[sig.length - 1] ^= 0x01;
    attStmt = new Map([['alg', credential.alg], ['sig', sig]]);
  }
  if (statement) attStmt = statement(attStmt);
  const attestationObject = cbor(new Map([['fmt', fmt], ['attStmt', attStmt], ['authData', auth]]));
  return {
    name, expect, requireUserVerification, challenge: b64url(challenge),
    clientDataJSON: b64url(client), attestationObject: b64url(attestationObject),
    credentialId: b64url(credential.id), credentialPublicKey: b64url(credential.cose), signCount,
  };
}

async function assertion(name, expect, credential, options = {}) {
  const {
    flags = FLAG_UP, signCount = 1, storedSignCount = 0, rpId, origin, type = 'webauthn.get', crossOrigin,
    challengeOverride = null, requireUserVerification = false, signer = credential, corruptSignature = false,
  } = options;
  const challenge = randomBytes(32);
  const client = clientData({ type, challenge: challengeOverride ?? challenge, origin, crossOrigin });
  const auth = authData({ rpId, flags, signCount });
  const signature = await signer.sign(signedData(auth, client));
  if (corruptSignature) signature[signature.length - 1] ^= 0x01;
  return {
    name, expect, requireUserVerification, challenge: b64url(challenge),
    credentialId: b64url(credential.id), credentialPublicKey: b64url(credential.cose), storedSignCount,
    clientDataJSON: b64url(client), authenticatorData: b64url(auth), signature: b64url(signature), signCount,
  };
}

const es = await es256Credential();
const rs = await rs256Credential();
const other = await es256Credential();
const foreignOrigin = 'http://localhost:9443';

const registrations = [
  await registration('es256-none', 'None', es),
  await registration('es256-packed-self', 'None', es, { fmt: 'packed', flags: FLAG_UP | FLAG_UV | FLAG_AT, signCount: 1, requireUserVerification: true }),
  await registration('rs256-packed-self', 'None', rs, { fmt: 'packed' }),
  await registration('rs256-none', 'None', rs),
  await registration('es256-none-backed-up', 'None', es, { flags: FLAG_UP | FLAG_UV | FLAG_BE | FLAG_BS | FLAG_AT }),
  await registration('es256-none-extensions', 'None', es, { flags: FLAG_UP | FLAG_AT | FLAG_ED, extensions: new Map([['credProtect', 2]]) }),
  await registration('es256-none-cross-origin-false', 'None', es, { crossOrigin: false }),
  await registration('wrong-origin', 'OriginMismatch', es, { origin: foreignOrigin }),
  await registration('wrong-scheme-origin', 'OriginMismatch', es, { origin: 'https://localhost:8443' }),
  await registration('wrong-challenge', 'ChallengeMismatch', es, { challengeOverride: randomBytes(32) }),
  await registration('wrong-rp-id', 'RpIdMismatch', es, { rpId: 'evil.example' }),
  await registration('up-missing', 'UserNotPresent', es, { flags: FLAG_AT }),
  await registration('uv-required-missing', 'UserNotVerified', es, { requireUserVerification: true }),
  await registration('wrong-type', 'TypeMismatch', es, { type: 'webauthn.get' }),
  await registration('cross-origin', 'CrossOrigin', es, { crossOrigin: true }),
  await registration('no-attested-credential-data', 'MissingCredentialData', es, { flags: FLAG_UP, attested: false }),
  await registration('es256-packed-bad-signature', 'SignatureInvalid', es, { fmt: 'packed', corruptSignature: true }),
  await registration('rs256-packed-bad-signature', 'SignatureInvalid', rs, { fmt: 'packed', corruptSignature: true }),
  await registration('packed-alg-mismatch', 'AlgorithmMismatch', es, { fmt: 'packed', statement: (s) => new Map([['alg', -257], ['sig', s.get('sig')]]) }),
  await registration('packed-full-attestation-x5c', 'UnsupportedAttestation', es, { fmt: 'packed', statement: (s) => new Map([...s, ['x5c', [randomBytes(64)]]]) }),
  await registration('fido-u2f-format', 'UnsupportedAttestation', es, { fmt: 'fido-u2f', statement: () => new Map([['sig', randomBytes(70)], ['x5c', [randomBytes(64)]]]) }),
  await registration('none-with-statement', 'Malformed', es, { statement: () => new Map([['alg', -7]]) }),
];

const assertions = [
  await assertion('es256', 'None', es, { signCount: 1 }),
  await assertion('es256-zero-counters', 'None', es, { signCount: 0, storedSignCount: 0 }),
  await assertion('es256-counter-grows', 'None', es, { signCount: 8, storedSignCount: 7 }),
  await assertion('es256-uv', 'None', es, { flags: FLAG_UP | FLAG_UV, requireUserVerification: true }),
  await assertion('rs256', 'None', rs, { signCount: 5 }),
  await assertion('wrong-origin', 'OriginMismatch', es, { origin: foreignOrigin }),
  await assertion('wrong-challenge', 'ChallengeMismatch', es, { challengeOverride: randomBytes(32) }),
  await assertion('wrong-rp-id', 'RpIdMismatch', es, { rpId: 'evil.example' }),
  await assertion('up-missing', 'UserNotPresent', es, { flags: 0 }),
  await assertion('uv-required-missing', 'UserNotVerified', es, { requireUserVerification: true }),
  await assertion('wrong-type', 'TypeMismatch', es, { type: 'webauthn.create' }),
  await assertion('cross-origin', 'CrossOrigin', es, { crossOrigin: true }),
  await assertion('counter-regression-equal', 'CounterRegression', es, { signCount: 7, storedSignCount: 7 }),
  await assertion('counter-regression-lower', 'CounterRegression', es, { signCount: 3, storedSignCount: 7 }),
  await assertion('counter-regression-to-zero', 'CounterRegression', es, { signCount: 0, storedSignCount: 7 }),
  await assertion('es256-bad-signature', 'SignatureInvalid', es, { corruptSignature: true }),
  await assertion('rs256-bad-signature', 'SignatureInvalid', rs, { corruptSignature: true }),
  await assertion('signed-by-another-key', 'SignatureInvalid', es, { signer: other }),
];

const fixtures = {
  _source: 'WebAuthn Level 2 §7.1 (registration) and §7.2 (assertion) responses made by tests/node/webauthn/make-fixtures.mjs (Node.js WebCrypto: ECDSA P-256 SHA-256 with DER signatures, RSASSA-PKCS1-v1_5 SHA-256 2048-bit; CBOR and DER encoded by hand). Keys and challenges are fresh on every run.',
  _note: 'bytes are base64url without padding. expect is the WebAuthnFailure the relying party must report (None = verified). Verify with rpId and origin below; requireUserVerification is the policy input. An assertion names the credential (id, COSE key) and the stored counter it is checked against; signCount is the new counter on success.',
  rpId: RP_ID,
  origin: ORIGIN,
  registrations,
  assertions,
};
writeFileSync(outFile, JSON.stringify(fixtures, null, 2) + '\n');
console.log(`wrote ${registrations.length} registrations and ${assertions.length} assertions to ${path.relative(process.cwd(), outFile)}`);
