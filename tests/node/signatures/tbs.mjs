// PROTOCOL.md §5.2 TBS encodings, written independently of the C# code (Coffer.Protocol.Signatures).
// TBS = ASCII tag || len16(f1) || len16(f2) || ...; every field is validated before it is encoded.
import { createHash } from 'node:crypto';

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ACCOUNT = /^[23456789ABCDEFGHJKLMNPQRSTVWXYZ]{6}$/;
const INT = /^(0|[1-9][0-9]*)$/;
const TOKEN = /^[a-z][a-z0-9_.-]{0,63}$/;
const ENTRY = /^(issuer|member|group):([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):(0|[1-9][0-9]*)$/;

const oneOf = (...values) => ({ kind: 'oneOf', values });

// Field kinds: id, account (the 6-character account id of PROTOCOL.md §1), int, token, oneOf, bytes32 (fingerprints and hashes), ip, list (revocation entries).
// A trailing '?' marks an optional field: null is encoded as an empty field.
export const SIGNATURE_TYPES = {
  'org-root': [['orgId', 'id'], ['accountId', 'account'], ['rootFpr', 'bytes32'], ['createdAt', 'int']],
  'root-rotation': [['orgId', 'id'], ['oldRootFpr', 'bytes32'], ['newRootFpr', 'bytes32'], ['issuedAt', 'int']],
  'issuer': [['orgId', 'id'], ['issuerId', 'id'], ['role', oneOf('admin', 'provisioning')], ['holderId', 'id'],
    ['issuerFpr', 'bytes32'], ['issuedAt', 'int'], ['expiresAt', 'int']],
  'member-cert': [['orgId', 'id'], ['memberId', 'id'], ['baseGroup', oneOf('team_members', 'guests')],
    ['encFpr', 'bytes32'], ['sigFpr', 'bytes32'], ['keysetId', 'id'], ['keysetSerial', 'int'], ['issuerId', 'id'],
    ['issuedAt', 'int']],
  'group-cert': [['orgId', 'id'], ['groupId', 'id'],
    ['groupKind', oneOf('owners', 'administrators', 'team_members', 'guests', 'provision_managers', 'recovery', 'custom')],
    ['encFpr', 'bytes32'], ['sigFpr', 'bytes32'], ['keysetId', 'id'], ['keysetSerial', 'int'], ['issuerId', 'id'],
    ['issuedAt', 'int']],
  'wrap': [['objectKind', oneOf('vault', 'group', 'item', 'root', 'recovery')], ['objectId', 'id'], ['keySerial', 'int'],
    ['recipientId', 'id'], ['recipientEncFpr', 'bytes32'], ['wrapHash', 'bytes32'], ['signerId', 'id']],
  'revocation': [['orgId', 'id'], ['listVersion', 'int'], ['issuedAt', 'int'], ['entries', 'list']],
  'policy': [['orgId', 'id'], ['policyKind', 'token'], ['policyVersion', 'int'], ['bodyHash', 'bytes32'], ['issuedAt', 'int']],
  'recovery-request': [['orgId', 'id'], ['requestId', 'id'], ['memberId', 'id'], ['initiatorId', 'id'], ['expiresAt', 'int']],
  'recovery-approval': [['orgId', 'id'], ['requestId', 'id'], ['memberId', 'id'], ['newEncFpr', 'bytes32'],
    ['newSigFpr', 'bytes32'], ['approverId', 'id'], ['approvedAt', 'int']],
  'checkpoint': [['orgId', 'id'], ['seq', 'int'], ['chainHash', 'bytes32'], ['time', 'int']],
  'countersign': [['orgId', 'id'], ['seq', 'int'], ['chainHash', 'bytes32'], ['signerId', 'id'], ['time', 'int']],
  // docs/adr/0016: the root certifies the server's audit key (proposed for PROTOCOL.md §5.2).
  'audit-key': [['orgId', 'id'], ['auditFpr', 'bytes32'], ['issuedAt', 'int']],
};

export const AUDIT_EVENT_TAG = 'coffer/audit-event/v1';
export const AUDIT_EVENT_FIELDS = [['time', 'int'], ['actorMemberId', 'id?'], ['deviceId', 'id?'], ['sessionId', 'id?'],
  ['ip', 'ip?'], ['action', 'token'], ['targetKind', 'token?'], ['targetId', 'id?'], ['outcome', 'token'],
  ['detailsHash', 'bytes32?']];

export const signatureTag = (type) => `coffer/sig/${type}/v1`;

export function b64urlDecode(text) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw new Error(`not base64url: ${text}`);
  }
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) throw new Error(`non-canonical base64url: ${text}`);
  return bytes;
}

export const b64urlEncode = (bytes) => Buffer.from(bytes).toString('base64url');

function ascii(text, pattern, name) {
  if (typeof text !== 'string' || !pattern.test(text)) throw new Error(`${name}: malformed value ${JSON.stringify(text)}`);
  return Buffer.from(text, 'ascii');
}

// Canonical IP text: dotted-quad IPv4 without leading zeros, or RFC 5952 IPv6 in hex groups only (lower case, first
// longest run of 2+ zero groups compressed) -- WHATWG URL serialisation. IPv4-mapped addresses are logged as IPv4.
function canonicalIp(text) {
  if (/^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/.test(text)) {
    return true;
  }
  try {
    return new URL(`http://[${text}]/`).hostname === `[${text}]` && !/^::ffff:[0-9a-f]{1,4}:[0-9a-f]{1,4}$/.test(text);
  } catch {
    return false;
  }
}

function encodeField(name, kind, value) {
  const optional = typeof kind === 'string' && kind.endsWith('?');
  const base = optional ? kind.slice(0, -1) : kind;
  if (value === null && optional) return [Buffer.alloc(0)];
  if (value === undefined || value === null) throw new Error(`${name}: missing`);
  if (typeof base === 'object') {
    if (!base.values.includes(value)) throw new Error(`${name}: ${JSON.stringify(value)} not in ${base.values.join('|')}`);
    return [Buffer.from(value, 'ascii')];
  }
  switch (base) {
    case 'id': return [ascii(value, ID, name)];
    case 'account': return [ascii(value, ACCOUNT, name)];
    case 'int': return [ascii(value, INT, name)];
    case 'token': return [ascii(value, TOKEN, name)];
    case 'ip':
      if (typeof value !== 'string' || !canonicalIp(value)) throw new Error(`${name}: not a canonical IP ${value}`);
      return [Buffer.from(value, 'ascii')];
    case 'bytes32': {
      const bytes = b64urlDecode(value);
      if (bytes.length !== 32) throw new Error(`${name}: ${bytes.length} bytes, want 32`);
      return [bytes];
    }
    case 'list': {
      if (!Array.isArray(value)) throw new Error(`${name}: not a list`);
      const seen = new Set();
      const entries = value.map((entry) => {
        const m = ENTRY.exec(entry);
        if (!m) throw new Error(`${name}: malformed entry ${entry}`);
        if (m[1] === 'issuer' && m[3] !== '0') throw new Error(`${name}: issuer entry with serial ${m[3]}`);
        if (seen.has(entry)) throw new Error(`${name}: repeated entry ${entry}`);
        seen.add(entry);
        return Buffer.from(entry, 'ascii');
      });
      return [Buffer.from(String(value.length), 'ascii'), ...entries];
    }
    default: throw new Error(`unknown field kind ${base}`);
  }
}

export function buildTbs(tag, spec, fields) {
  const names = new Set(spec.map(([name]) => name));
  for (const key of Object.keys(fields)) {
    if (!names.has(key)) throw new Error(`unexpected field ${key}`);
  }
  const parts = [Buffer.from(tag, 'ascii')];
  for (const [name, kind] of spec) {
    for (const field of encodeField(name, kind, fields[name])) {
      if (field.length > 0xffff) throw new Error(`${name}: longer than 65535 bytes`);
      const len = Buffer.alloc(2);
      len.writeUInt16BE(field.length);
      parts.push(len, field);
    }
  }
  return Buffer.concat(parts);
}

export const signatureTbs = (type, fields) => {
  const spec = SIGNATURE_TYPES[type];
  if (!spec) throw new Error(`unknown signature type ${type}`);
  return buildTbs(signatureTag(type), spec, fields);
};

export const auditEventTbs = (fields) => buildTbs(AUDIT_EVENT_TAG, AUDIT_EVENT_FIELDS, fields);

export const sha256 = (bytes) => createHash('sha256').update(bytes).digest();

// PROTOCOL.md §11: hash_i = SHA-256("coffer/audit/v1" || u64be(seq_i) || hash_{i-1} || TBS(event_i)).
export function auditChainHash(previous, seq, eventTbs) {
  const seqBytes = Buffer.alloc(8);
  seqBytes.writeBigUInt64BE(BigInt(seq));
  return sha256(Buffer.concat([Buffer.from('coffer/audit/v1', 'ascii'), seqBytes, previous, eventTbs]));
}

// RFC 4648 base32 without padding, upper case.
export function base32(bytes) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const b of bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += alphabet[(buffer >> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += alphabet[(buffer << (5 - bits)) & 31];
  return out;
}

export const displayFingerprint = (text) => text.match(/.{1,4}/g).join(' ');
