/**
 * The `full_name` target: one name column (Zendesk's "Name", Freshdesk's "Full Name") split into
 * the API's first_name and last_name (README, "CSV rules"). The rule, kept small so that a person
 * can predict it:
 *
 * 1. Runs of whitespace count as one space; the name is trimmed.
 * 2. "Last, First" (one comma, and what follows is not a suffix such as Jr): split at the comma.
 * 3. Otherwise the last word is the last name, and so are the particles just before it
 *    (`van der`, `de la`, `von`, `Ní`...), and a suffix after it (`King Jr`). Everything before is
 *    the first name, middle names included: `Mary Ann Smith` → `Mary Ann` / `Smith`. The first
 *    word is always the first name, so `Van Morrison` is `Van` / `Morrison`.
 * 4. One word cannot be split: the row is refused (`one_word_name`), never sent with a made-up half.
 *
 * A maintained parser was considered (parse-full-name, humanparser); both drop particles into a
 * middle name or strip titles, which would change what people called themselves.
 */
import { ROW_ERRORS } from './row-messages.js';

/** Lower-cased words that belong to the last name when they come right before it. */
const PARTICLES: ReadonlySet<string> = new Set([
  'van',
  'von',
  'der',
  'den',
  'de',
  'del',
  'della',
  'dela',
  'di',
  'da',
  'du',
  'dos',
  'das',
  'do',
  'la',
  'le',
  'ten',
  'ter',
  'bin',
  'binti',
  'bint',
  'al',
  'el',
  'ibn',
  'ní',
  'nic',
  'ó',
  'ua',
  'mac',
  'mc',
  'st.',
  'saint',
]);

/** Generational and degree suffixes that stay with the last name. */
const SUFFIXES: ReadonlySet<string> = new Set(['jr', 'jr.', 'sr', 'sr.', 'ii', 'iii', 'iv', 'phd', 'md']);

export type NameSplit = { ok: true; first: string; last: string } | { ok: false; message: string };

function isSuffix(word: string): boolean {
  return SUFFIXES.has(word.toLowerCase());
}

/** Splits a non-empty full name by the rule above. */
export function splitFullName(text: string): NameSplit {
  const name = text.trim().replace(/\s+/g, ' ');
  const comma = name.split(',');
  if (comma.length === 2) {
    const [before, after] = [comma[0]!.trim(), comma[1]!.trim()];
    if (before !== '' && after !== '' && !after.split(' ').every(isSuffix))
      return { ok: true, first: after, last: before };
  }
  const words = name.split(' ');
  let end = words.length;
  // A trailing suffix ("King Jr") is kept with the word before it.
  while (end > 2 && isSuffix(words[end - 1]!.replace(/,$/, ''))) end--;
  if (end < 2) {
    return { ok: false, message: ROW_ERRORS.one_word_name.oneWord(name) };
  }
  let start = end - 1;
  while (start > 1 && PARTICLES.has(words[start - 1]!.toLowerCase())) start--;
  return {
    ok: true,
    first: words.slice(0, start).join(' '),
    last: words.slice(start).join(' '),
  };
}
