// Makes testdata/vectors/signatures.json, audit-chain.json and fingerprints.json (PROTOCOL.md §5, §5.2, §11)
// with Node.js WebCrypto. Field values are fixed; keys are fresh on every run, so re-running changes
// spki/signature values but never tbs, hashes or the shape. Usage: node tests/node/signatures/make-signatures.mjs
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import {
  signatureTbs, auditEventTbs, auditChainHash, sha256, b64urlEncode, base32, displayFingerprint, SIGNATURE_TYPES,
} from './tbs.mjs';

const { subtle } = globalThis.crypto;
const vectorsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../testdata/vectors');
const ECDSA = { name: 'ECDSA', hash: 'SHA-256' };

// A UUIDv7-shaped id: 48-bit ms timestamp (2026-01-01 plus n), version 7, variant 10, the rest from SHA-256(label).
function id(label, n) {
  const b = Buffer.from(sha256(Buffer.from(`coffer test id ${label}`)).subarray(0, 16));
  b.writeUIntBE(1767225600000 + n, 0, 6);
  b[6] = 0x70 | (b[6] & 0x0f);
  b[8] = 0x80 | (b[8] & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
const label32 = (label) => b64urlEncode(sha256(Buffer.from(`coffer test ${label}`)));

const orgId = id('org', 1);
const owner = id('owner', 2);
const admin = id('admin', 3);
const issuerId = id('issuer', 4);
const member = id('member', 5);
const group = id('group', 6);
const vault = id('vault', 7);
const requestId = id('recovery request', 8);
const keyset = id('member keyset', 9);
const groupKeyset = id('group keyset', 10);
const device = id('device', 11);
const session = id('session', 12);
const item = id('item', 13);
const bridge = id('scim bridge', 14);

async function main() {
  const signer = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const spki = Buffer.from(await subtle.exportKey('spki', signer.publicKey));
  const signerFpr = b64urlEncode(sha256(spki));
  const sign = async (tbs) => Buffer.from(await subtle.sign(ECDSA, signer.privateKey, tbs));

  // Deterministic field values; the org-root and root-rotation vectors name the signing key's own fingerprint.
  const t0 = 1767225600000;
  const fields = {
    'org-root': { orgId, accountId: 'ABC234', rootFpr: signerFpr, createdAt: String(t0) },
    'root-rotation': { orgId, oldRootFpr: signerFpr, newRootFpr: label32('new root'), issuedAt: String(t0 + 86400000) },
    'issuer': {
      orgId, issuerId, role: 'admin', holderId: admin, issuerFpr: label32('issuer key'),
      issuedAt: String(t0 + 1000), expiresAt: String(t0 + 1000 + 90 * 86400000),
    },
    'member-cert': {
      orgId, memberId: member, baseGroup: 'team_members', encFpr: label32('member enc'), sigFpr: label32('member sig'),
      keysetId: keyset, keysetSerial: '1', issuerId, issuedAt: String(t0 + 2000),
    },
    'group-cert': {
      orgId, groupId: group, groupKind: 'provision_managers', encFpr: label32('group enc'), sigFpr: label32('group sig'),
      keysetId: groupKeyset, keysetSerial: '12', issuerId, issuedAt: String(t0 + 3000),
    },
    'wrap': {
      objectKind: 'vault', objectId: vault, keySerial: '3', recipientId: group, recipientEncFpr: label32('group enc'),
      wrapHash: label32('wrap ciphertext'), signerId: admin,
    },
    'revocation': {
      orgId, listVersion: '7', issuedAt: String(t0 + 4000),
      entries: [`member:${member}:1`, `group:${group}:11`, `issuer:${bridge}:0`],
    },
    'policy': {
      orgId, policyKind: 'web_signing', policyVersion: '2',
      bodyHash: b64urlEncode(sha256(Buffer.from('{"enabled":false}'))), issuedAt: String(t0 + 5000),
    },
    'recovery-request': { orgId, requestId, memberId: member, initiatorId: admin, expiresAt: String(t0 + 6000 + 86400000) },
    'recovery-approval': {
      orgId, requestId, memberId: member, newEncFpr: label32('member enc 2'), newSigFpr: label32('member sig 2'),
      approverId: owner, approvedAt: String(t0 + 7000),
    },
    'checkpoint': { orgId, seq: '1000', chainHash: label32('chain 1000'), time: String(t0 + 8000) },
    'countersign': { orgId, seq: '1000', chainHash: label32('chain 1000'), signerId: admin, time: String(t0 + 9000) },
    'audit-key': { orgId, auditFpr: label32('audit key'), issuedAt: String(t0 + 9500) },
  };

  const vectors = [];
  for (const type of Object.keys(SIGNATURE_TYPES)) {
    const tbs = signatureTbs(type, fields[type]);
    vectors.push({
      type, fields: fields[type], tbs: tbs.toString('hex'), spki: b64urlEncode(spki), signature: b64urlEncode(await sign(tbs)),
    });
  }
  write('signatures.json', {
    _source: 'Coffer PROTOCOL.md §5.2; made by tests/node/signatures/make-signatures.mjs (Node.js WebCrypto, ECDSA P-256 SHA-256, '
      + 'IEEE P1363 signatures) and checked by check-signatures.mjs and the C# suite.',
    _note: 'fields: ids, integers, times and kinds as strings; fingerprints and hashes base64url; revocation entries as an array '
      + '(the count field is implied). tbs is hex. Every vector is signed by the same fresh key; the org-root rootFpr and '
      + 'root-rotation oldRootFpr are that key\'s fingerprint.',
    vectors,
  });

  // Activity log (§11): four events, with absent (null) values, IPv4 and IPv6, and details.
  const details = Buffer.from('{"fields":["password"]}');
  const events = [
    { time: String(t0 + 10000), actorMemberId: null, deviceId: null, sessionId: null, ip: '203.0.113.7',
      action: 'auth.sign_in', targetKind: null, targetId: null, outcome: 'failure', detailsHash: null },
    { time: String(t0 + 11000), actorMemberId: member, deviceId: device, sessionId: session, ip: '2001:db8::7',
      action: 'auth.sign_in', targetKind: 'member', targetId: member, outcome: 'success', detailsHash: null },
    { time: String(t0 + 12000), actorMemberId: member, deviceId: device, sessionId: session, ip: '2001:db8::7',
      action: 'item.update', targetKind: 'item', targetId: item, outcome: 'success', detailsHash: b64urlEncode(sha256(details)) },
    { time: String(t0 + 13000), actorMemberId: null, deviceId: null, sessionId: null, ip: null,
      action: 'audit.purge', targetKind: null, targetId: null, outcome: 'success', detailsHash: null },
  ];
  let previous = Buffer.alloc(32);
  const chain = events.map((event, i) => {
    const tbs = auditEventTbs(event);
    const hash = auditChainHash(previous, i + 1, tbs);
    previous = hash;
    return { seq: String(i + 1), fields: event, tbs: tbs.toString('hex'), hash: hash.toString('hex') };
  });
  const checkpointFields = { orgId, seq: String(chain.length), chainHash: b64urlEncode(previous), time: String(t0 + 14000) };
  const checkpointTbs = signatureTbs('checkpoint', checkpointFields);
  write('audit-chain.json', {
    _source: 'Coffer PROTOCOL.md §11 (chain) and §5.2 (event TBS); made by tests/node/signatures/make-signatures.mjs.',
    _note: 'hash_i = SHA-256("coffer/audit/v1" || u64be(seq_i) || hash_{i-1} || tbs_i), hash_0 = genesis. null is an absent '
      + 'value (an empty field). details of seq 3 are the bytes of detailsJson. checkpoint signs the head.',
    genesis: Buffer.alloc(32).toString('hex'),
    events: chain,
    detailsJson: details.toString('utf8'),
    checkpoint: {
      type: 'checkpoint', fields: checkpointFields, tbs: checkpointTbs.toString('hex'), spki: b64urlEncode(spki),
      signature: b64urlEncode(await sign(checkpointTbs)),
    },
  });

  write('fingerprints.json', await fingerprintVectors(spki));
}

// DER helpers for building the non-canonical SPKIs below.
function derLength(n) {
  if (n < 0x80) return Buffer.from([n]);
  const bytes = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag, content, length = derLength(content.length)) => Buffer.concat([Buffer.from([tag]), length, content]);
const seq = (...parts) => tlv(0x30, Buffer.concat(parts));
const EC_ALG = seq(Buffer.from('06072a8648ce3d0201', 'hex'), Buffer.from('06082a8648ce3d030107', 'hex'));

async function fingerprintVectors(ecSpki) {
  const rsa = await subtle.generateKey(
    { name: 'RSA-OAEP', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['encrypt', 'decrypt']);
  const rsaSpki = Buffer.from(await subtle.exportKey('spki', rsa.publicKey));
  const p384 = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, ['sign', 'verify']);
  const p384Spki = Buffer.from(await subtle.exportKey('spki', p384.publicKey));

  const accept = [['ec-p256', ecSpki], ['rsa-2048', rsaSpki]].map(([algorithm, spki]) => {
    const text = base32(sha256(spki));
    return { algorithm, spki: b64urlEncode(spki), fingerprint: b64urlEncode(sha256(spki)), text, display: displayFingerprint(text) };
  });

  // EC P-256: 30 59 | 30 13 <alg> | 03 42 00 04 X Y.
  const point = ecSpki.subarray(ecSpki.length - 65);
  const x = point.subarray(1, 33);
  const y = point.subarray(33);
  const compressed = seq(EC_ALG, tlv(0x03, Buffer.concat([Buffer.from([0x00, 0x02 | (y[31] & 1)]), x])));
  const offCurve = Buffer.from(ecSpki);
  offCurve[offCurve.length - 1] ^= 0x01;
  const longLength = Buffer.concat([Buffer.from([0x30, 0x81]), ecSpki.subarray(1)]);
  const unusedBits = Buffer.from(ecSpki);
  unusedBits[ecSpki.length - 66] = 0x01;

  // RSA: 30 82 01 22 | 30 0d 06 09 <rsaEncryption> 05 00 | 03 82 01 0f 00 <RSAPublicKey>.
  const rsaKey = rsaSpki.subarray(rsaSpki.length - 270);
  const rsaOid = Buffer.from('06092a864886f70d010101', 'hex');
  const noNull = seq(seq(rsaOid), tlv(0x03, Buffer.concat([Buffer.from([0]), rsaKey])));
  // RSAPublicKey = 30 82 01 0a 02 82 01 01 00 <n> 02 03 01 00 01; prefix the modulus with a redundant zero byte.
  const n = rsaKey.subarray(9, 9 + 256);
  const paddedKey = seq(tlv(0x02, Buffer.concat([Buffer.from([0, 0]), n])), Buffer.from('0203010001', 'hex'));
  const paddedModulus = seq(seq(rsaOid, Buffer.from('0500', 'hex')), tlv(0x03, Buffer.concat([Buffer.from([0]), paddedKey])));

  const reject = [
    ['ec-p256', 'compressed point', compressed],
    ['ec-p256', 'point not on the curve (last byte of y flipped)', offCurve],
    ['ec-p256', 'outer length in long form (BER, not DER)', longLength],
    ['ec-p256', 'trailing zero byte after the SPKI', Buffer.concat([ecSpki, Buffer.from([0])])],
    ['ec-p256', 'BIT STRING with 1 unused bit', unusedBits],
    ['ec-p256', 'P-384 key where P-256 is required', p384Spki],
    ['rsa', 'AlgorithmIdentifier without NULL parameters', noNull],
    ['rsa', 'modulus INTEGER with a redundant leading zero byte', paddedModulus],
    ['rsa', 'trailing zero byte after the SPKI', Buffer.concat([rsaSpki, Buffer.from([0])])],
  ].map(([algorithm, reason, spki]) => ({ algorithm, reason, spki: b64urlEncode(spki) }));

  return {
    _source: 'Coffer PROTOCOL.md §5 (fingerprint); made by tests/node/signatures/make-signatures.mjs with Node.js WebCrypto.',
    _note: 'fingerprint = SHA-256 of the DER SPKI, which must re-export byte for byte (import with the expected algorithm, export '
      + 'spki, compare). text is RFC 4648 base32 without padding; display is text in groups of 4. Every reject entry must fail.',
    accept,
    reject,
  };
}

function write(name, value) {
  writeFileSync(path.join(vectorsDir, name), `${JSON.stringify(value, null, 2)}\n`);
  console.log(`wrote testdata/vectors/${name}`);
}

await main();
