// Recomputes testdata/vectors/coffer-sas.json with WebCrypto and BigInt, independently of the C#
// code: the short authentication string of PROTOCOL.md §5.1 as docs/adr/0002 specifies it.
// Usage: node tests/node/check-sas.mjs   (exit 0: every case matches; 1: a mismatch, printed)

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const vectors = JSON.parse(readFileSync(join(root, 'testdata', 'vectors', 'coffer-sas.json'), 'utf8'));
const listBytes = readFileSync(join(root, vectors.wordlist));
const words = listBytes.toString('ascii').split('\n');
if (words.at(-1) === '') {
  words.pop();
}

const subtle = globalThis.crypto.subtle;
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const fromHex = (text) => Uint8Array.from(Buffer.from(text, 'hex'));
const failures = [];

const listHash = hex(await subtle.digest('SHA-256', listBytes));
if (listHash !== vectors.wordlist_sha256 || words.length !== vectors.wordlist_size || new Set(words).size !== words.length) {
  failures.push(`word list: sha256 ${listHash}, ${words.length} lines`);
}

for (const c of vectors.cases) {
  const parts = [
    new TextEncoder().encode(vectors.context),
    fromHex(c.orgFpr),
    new TextEncoder().encode(c.memberId),
    fromHex(c.encFpr),
    fromHex(c.sigFpr),
  ];
  if (![1, 3, 4].every((i) => parts[i].length === 32) || !/^[\x21-\x7e]+$/.test(c.memberId)) {
    failures.push(`${c.name}: malformed inputs`);
    continue;
  }
  const message = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    message.set(p, offset);
    offset += p.length;
  }
  const digest = new Uint8Array(await subtle.digest('SHA-256', message));

  let n = BigInt('0x' + hex(digest));
  const indices = [];
  for (let i = 0; i < 6; i++) {
    indices.push(Number(n % 7776n));
    n /= 7776n;
  }
  const got = indices.map((i) => words[i]);

  const problems = [];
  if (message.length !== c.input_len) problems.push(`input length ${message.length}`);
  if (hex(digest) !== c.sha256) problems.push(`sha256 ${hex(digest)}`);
  if (indices.join() !== c.indices.join()) problems.push(`indices ${indices.join()}`);
  if (got.join() !== c.words.join()) problems.push(`words ${got.join(' ')}`);
  if (got.join(' ') !== c.display) problems.push(`display ${got.join(' ')}`);
  if (problems.length > 0) {
    failures.push(`${c.name}: ${problems.join('; ')}`);
  }
}

if (failures.length > 0) {
  for (const f of failures) {
    console.error(`mismatch: ${f}`);
  }
  process.exit(1);
}
console.log(`coffer-sas.json: ${vectors.cases.length} cases match (WebCrypto SHA-256, BigInt base-7776 digits)`);
