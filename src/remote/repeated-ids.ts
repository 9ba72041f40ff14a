/**
 * System_ids that GET all lists more than once. The API document calls a system_id "a unique
 * identifier for the Contact", so a listing that repeats one is the API's own inconsistency, and
 * which copy is current cannot be told from the listing. The snapshot (snapshot.ts) keeps the last
 * copy and says so; export writes every copy and says on which lines. Both word it through
 * `repeatedIdsWarning`.
 *
 * Export holds no map of the ids it has written, so its check is a fingerprint table
 * (src/fingerprints.ts, twelve bytes a slot, off the JS heap): each system_id's fingerprint and
 * the line of its first copy. Two different ids share a fingerprint with probability about
 * n²/2⁶⁵; such a pair would be named as repeated, and `get` shows the truth.
 */
import { createFingerprintTable, idFingerprint } from '../fingerprints.js';

/** How many repeated system_ids a warning names; the rest are counted. */
export const NAMED_REPEATS = 3;
/** Lines named for one repeated system_id. */
const NAMED_LINES = 5;

/** One repeated system_id: how many copies, and the lines (or rows) of the first few. */
export interface RepeatedId {
  systemId: string;
  copies: number;
  lines: number[];
}

export interface RepeatedIds {
  /** Distinct system_ids listed more than once. */
  count: number;
  /** The first few of them, in the order their second copy came. */
  examples: RepeatedId[];
}

export interface RepeatTracker {
  /** One record's system_id (not empty) and its line; lines count up from 1. */
  add(systemId: string, line: number): void;
  readonly repeated: RepeatedIds;
  /** The table's memory, in bytes. */
  readonly bytes: number;
}

export function createRepeatTracker(): RepeatTracker {
  // Fingerprint → the first copy's line; negated once the id has been counted as repeated.
  const firstLines = createFingerprintTable();
  const repeated: RepeatedIds = { count: 0, examples: [] };
  return {
    repeated,
    get bytes() {
      return firstLines.bytes;
    },
    add(systemId, line) {
      const { a, b } = idFingerprint(systemId);
      const first = firstLines.claim(a, b, line);
      if (first === 0) return;
      if (first > 0) {
        repeated.count++;
        firstLines.replace(a, b, -first);
        if (repeated.examples.length < NAMED_REPEATS)
          repeated.examples.push({ systemId, copies: 2, lines: [first, line] });
        return;
      }
      const example = repeated.examples.find((e) => e.systemId === systemId);
      if (example === undefined) return;
      example.copies++;
      if (example.lines.length < NAMED_LINES) example.lines.push(line);
    },
  };
}

/** One example as a warning names it: `D1 on lines 2 and 9`, `D2 on lines 3, 4, 5, 6, 7 and 2 more`. */
export function describeRepeat(example: RepeatedId, word: 'line' | 'row'): string {
  const shown = example.lines.map(String);
  const more = example.copies - shown.length;
  if (more > 0) shown.push(`${more} more`);
  return `${example.systemId} on ${word}s ${shown.slice(0, -1).join(', ')} and ${shown.at(-1) ?? ''}`;
}

/** The one wording of "GET all listed a system_id twice"; `then` says what was done about it. */
export function repeatedIdsWarning(count: number, named: readonly string[], then: string): string {
  return `the API listed ${count} system_id${count === 1 ? '' : 's'} more than once (${named.join(', ')}${count > named.length ? ', …' : ''}); ${then}`;
}
