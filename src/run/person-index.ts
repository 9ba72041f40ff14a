/**
 * One system_id, two people (README, "Uniqueness and order within the file"). Rows that share a
 * system_id but whose email or names differ hold different people: applied in file order, the
 * last would overwrite the others, which would vanish. They are all refused, each naming the
 * other's line. Repeats of the same person (a later row adding a job title, or fixing a name's
 * case) still apply. Values are compared as they would be sent (trimmed, NFC) and case-insensitively
 * (`Sam Lee` and `SAM LEE` are one person); a field that is empty in either row says nothing.
 *
 * Held in a fingerprint table (src/fingerprints.ts), keyed by a 64-bit fingerprint of the
 * system_id, holding the first row's line and a 32-bit fingerprint of each of its three values
 * (32 bytes a slot). Two different values share a fingerprint with probability 2⁻³²: such a
 * pair is taken for the same person and sent, as before this check existed.
 *
 * Two ways to feed it. When the run sends or predicts, a pre-pass adds every row first, so the
 * first row of a conflicting system_id is refused before anything is sent. A dry run adds and
 * checks in one pass, and the rows it already wrote `valid` are corrected afterwards (`earlier`).
 *
 * The pre-pass also learns which rows have a later row with the same system_id (`laterRows`, one bit
 * a row): only those can be superseded (run/supersede.ts), so the send executor keeps the outcome of
 * no other failed row.
 */
import type { ContactPatch } from '../contact/schema.js';
import {
  FingerprintTable,
  PRESIZE_CAP,
  SEED_B,
  emailFingerprint,
  fnv1aCaseless,
  idFingerprint,
} from '../fingerprints.js';

/** The fields that tell one person from another, as bits. */
export type PersonField = 'email' | 'first_name' | 'last_name';
const FIELDS: readonly PersonField[] = ['email', 'first_name', 'last_name'];

/** 0 means "no value"; a value that hashes to 0 becomes 1. The email's is its fingerprint's second half, lower-cased. */
function valueHash(value: string | null | undefined, email: boolean): number {
  if (typeof value !== 'string' || value === '') return 0;
  return (email ? emailFingerprint(value).b : fnv1aCaseless(value, SEED_B)) || 1;
}

/** A row that shares a system_id with another person: the other row's line, and a field that differs. */
export interface PersonConflict {
  line: number;
  field: PersonField;
}

export interface PersonIndex {
  /**
   * Records a row that passed every other local check, in file order: `none` while its system_id
   * holds one person, `made` when this row is the first to hold another, `shared` after that.
   */
  add(systemId: string, patch: ContactPatch, line: number, seq: number): 'none' | 'made' | 'shared';
  /** Brings the slot of a system_id fingerprint's first half into the cache (run/warm-tables.ts). */
  touch(a: number): number;
  /** How many system_ids are held by more than one person so far. */
  readonly conflicts: number;
  /** The conflict of this row, given what has been added so far. */
  conflictOf(systemId: string, patch: ContactPatch, line: number): PersonConflict | undefined;
  /**
   * One pass only: the rows added before the system_id's first conflict (they were written as
   * valid), oldest first. Call it once, after `add` returned true.
   */
  takeEarlier(systemId: string): { seq: number; line: number }[];
  /** After a pre-pass: which rows a later row with the same system_id follows, without the table (a delete keeps only this). */
  laterRows(): LaterRows;
}

/** Which rows of the file a later row with the same system_id follows: one bit a row. */
export interface LaterRows {
  hasLater(seq: number): boolean;
}

/** Made at module level, so it holds the bits and not the index's table. */
function laterView(bits: Uint8Array): LaterRows {
  return { hasLater: (seq) => ((bits[seq >> 3] ?? 0) & (1 << (seq & 7))) !== 0 };
}

/**
 * One slot: the system_id's two fingerprints, the first row's line (0: free), its three values, the
 * first conflicting line with the field that differed there (line × 4 + field; 0: none), and the
 * last row's seq + 1 (0: none).
 */
const [FIRST, VALUES, CONFLICT, LAST] = [2, 3, 6, 7];

/**
 * `expected`: about how many rows will be added (the pre-scan's count of line ends), 0 when
 * unknown; src/fingerprints.ts sizes the table for it once.
 */
export function createPersonIndex(options: { trackEarlier: boolean }, expected = 0): PersonIndex {
  const table = new FingerprintTable(8, FIRST, expected);
  const rows = Math.max(64, Math.min(expected, PRESIZE_CAP));
  // One pass: for each seq, the previous seq + 1 of the same system_id (0: none), and its line, side by side.
  let chain = new Int32Array(options.trackEarlier ? 2 * rows : 0);
  // A pre-pass: bit `seq` is set once a later row with the same system_id is added.
  let later = new Uint8Array(options.trackEarlier ? 0 : (rows >> 3) + 1);

  /** The slot of a system_id, found or free. */
  const find = (systemId: string): number => {
    const { a, b } = idFingerprint(systemId);
    return table.find(a, b);
  };
  /** A row's three value hashes, in FIELDS order; filled again for every row, never allocated. */
  const hashes = new Int32Array(3);
  const hashValues = (patch: ContactPatch): Int32Array => {
    hashes[0] = valueHash(patch.email, true);
    hashes[1] = valueHash(patch.first_name, false);
    hashes[2] = valueHash(patch.last_name, false);
    return hashes;
  };

  /** The first field whose values are both present and differ, as an index into FIELDS, or -1. */
  const differs = (slots: Int32Array, at: number, hashes: Int32Array): number => {
    for (let f = 0; f < 3; f++) {
      const mine = hashes[f] as number;
      const first = slots[at + VALUES + f] as number;
      if (mine !== 0 && first !== 0 && mine !== first) return f;
    }
    return -1;
  };

  function track(slots: Int32Array, at: number, seq: number, line: number): void {
    if (2 * seq >= chain.length) {
      const grown = new Int32Array(Math.max(2 * seq + 2, chain.length * 2));
      grown.set(chain);
      chain = grown;
    }
    chain[2 * seq] = slots[at + LAST] as number;
    chain[2 * seq + 1] = line;
    slots[at + LAST] = seq + 1;
  }

  /** A pre-pass: the system_id's last row so far has a later one now, and `seq` is its last. */
  function follow(slots: Int32Array, at: number, seq: number): void {
    const last = slots[at + LAST] as number;
    if (last > 0) {
      if (last - 1 >= later.length * 8) {
        const grown = new Uint8Array(Math.max(later.length * 2, ((last - 1) >> 3) + 1));
        grown.set(later);
        later = grown;
      }
      const byte = (last - 1) >> 3;
      later[byte] = (later[byte] as number) | (1 << ((last - 1) & 7));
    }
    slots[at + LAST] = seq + 1;
  }

  let conflicts = 0;
  return {
    touch: (a) => table.touch(a),
    get conflicts() {
      return conflicts;
    },
    add(systemId, patch, line, seq) {
      // Both fingerprints once: they find the slot and, for a new id, fill it.
      const { a, b } = idFingerprint(systemId);
      const at = table.find(a, b);
      const { slots } = table;
      const hashes = hashValues(patch);
      if (slots[at + FIRST] === 0) {
        slots[at] = a;
        slots[at + 1] = b;
        slots[at + FIRST] = line;
        slots.set(hashes, at + VALUES);
        if (options.trackEarlier) track(slots, at, seq, line);
        else follow(slots, at, seq);
        table.added();
        return 'none';
      }
      // Once a system_id conflicts, every later row of it is refused as it comes: nothing to track.
      if (slots[at + CONFLICT] !== 0) return 'shared';
      const field = differs(slots, at, hashes);
      if (field !== -1) {
        slots[at + CONFLICT] = line * 4 + field;
        conflicts++;
        return 'made';
      }
      // Values the first row left empty are learnt from the first row that gives them.
      for (let f = 0; f < 3; f++) if (slots[at + VALUES + f] === 0) slots[at + VALUES + f] = hashes[f] as number;
      if (options.trackEarlier) track(slots, at, seq, line);
      else follow(slots, at, seq);
      return 'none';
    },

    conflictOf(systemId, patch, line) {
      const at = find(systemId);
      const { slots } = table;
      const packed = slots[at + CONFLICT] as number;
      const conflict = packed >>> 2;
      const first = slots[at + FIRST] as number;
      if (first === 0 || conflict === 0) return undefined;
      const field = differs(slots, at, hashValues(patch));
      // The rows of the first person name the first row that differs; the others, the first row.
      if (line !== first && field !== -1) return { line: first, field: FIELDS[field] ?? 'email' };
      return { line: conflict === line ? first : conflict, field: FIELDS[packed & 3] ?? 'email' };
    },

    takeEarlier(systemId) {
      const at = find(systemId);
      const { slots } = table;
      const earlier: { seq: number; line: number }[] = [];
      if (slots[at + FIRST] === 0 || slots[at + CONFLICT] === 0) return earlier;
      // Walk back from the last row before the conflicting one; then forget the chain.
      for (let next = slots[at + LAST] as number; next > 0; next = chain[2 * (next - 1)] as number)
        earlier.push({ seq: next - 1, line: chain[2 * (next - 1) + 1] as number });
      slots[at + LAST] = 0;
      return earlier.reverse();
    },

    laterRows: () => laterView(later),
  };
}
