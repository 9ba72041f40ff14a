/**
 * GET all read through jsonrepair (src/remote/walk.ts): an unquoted system_id is kept as text
 * when it is a plain word (`CONTACT456`, as in the API document's own listing example), but
 * jsonrepair reads `True`, `False`, `None` and `undefined` as JSON literals, so the contact comes
 * out with the id `true` or an empty one. This scans the raw text as it streams by (a short carry
 * between chunks, so memory stays flat) and names each such id as the answer wrote it.
 */
import { jsonrepair } from 'jsonrepair';
import { normaliseKey } from './listing.js';

/** A key, a colon, then a bare (unquoted) word or number. */
const BARE_VALUE = /"([^"\\]{1,64})"\s*:\s*([A-Za-z_$][\w$.-]*|[-+]?\d[\w.+-]*)/g;
/** Kept from one chunk to the next, so a key and value split by a chunk boundary are still seen. */
const CARRY = 256;
/** Named one by one up to this many; the rest are counted. */
const NAMED = 10;

export interface BareIdScanner {
  scan(text: string): void;
  finish(): void;
}

/** The value a bare word became through jsonrepair, when that is not the word as text; else undefined. */
function misread(word: string): string | undefined {
  try {
    JSON.parse(word);
    return undefined; // valid JSON as it stands (`null`, `12`): not a repair.
  } catch {
    // Not JSON: what the repair made of it follows.
  }
  let value: unknown;
  try {
    value = (JSON.parse(jsonrepair(`[${word}]`)) as unknown[])[0];
  } catch {
    return undefined;
  }
  if (typeof value === 'string' && value !== '') return undefined;
  return value === null || value === '' ? 'empty' : JSON.stringify(value);
}

export function createBareIdScanner(onWarning: (message: string) => void): BareIdScanner {
  let carry = '';
  /** Characters at the start of `carry` already scanned to the end of a match. */
  let scanned = 0;
  let misreads = 0;
  return {
    scan(chunk) {
      const text = carry + chunk;
      let end = scanned;
      for (const match of text.matchAll(BARE_VALUE)) {
        const stop = match.index + match[0].length;
        // A word at the very end may go on in the next chunk: seen again then.
        if (match.index < scanned || stop >= text.length) continue;
        end = stop;
        const [, key = '', word = ''] = match;
        if (normaliseKey(key) !== 'system_id') continue;
        const became = misread(word);
        if (became === undefined) continue;
        misreads++;
        if (misreads <= NAMED)
          onWarning(
            `GET all: the unquoted system_id ${word} was read by the JSON repair as ${became}; check that contact`,
          );
      }
      carry = text.slice(-CARRY);
      scanned = Math.max(0, end - (text.length - carry.length));
    },
    finish() {
      if (misreads > NAMED)
        onWarning(
          `GET all: ${misreads - NAMED} more unquoted system_ids were changed by the JSON repair; check those contacts`,
        );
    },
  };
}
