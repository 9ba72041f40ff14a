/**
 * One system_id, two people (README, "Order and uniqueness within the file"). Rows that share a
 * system_id but whose email or names differ hold different people: applied in file order, the
 * last would overwrite the others, which would vanish. They are all refused, each naming the
 * other's line. Repeats of the same person (a later row adding a job title) still apply. Values
 * are compared as they would be sent (trimmed, NFC), the email case-insensitively; a field that
 * is empty in either row says nothing.
 *
 * Memory stays flat-ish as in email-index.ts: an open-addressing table in typed arrays, off the JS
 * heap, keyed by a 64-bit fingerprint of the system_id, holding the first row's line and a 32-bit
 * fingerprint of each of its three values (28 bytes a slot). Two different values share a
 * fingerprint with probability 2⁻³²: such a pair is taken for the same person and sent, as
 * before this check existed.
 *
 * Two ways to feed it. When the run sends or predicts, a pre-pass adds every row first, so the
 * first row of a conflicting system_id is refused before anything is sent. A dry run adds and
 * checks in one pass, and the rows it already wrote `valid` are corrected afterwards (`earlier`).
 */
import type { ContactPatch } from '../contact/schema.js';

/** The fields that tell one person from another, as bits. */
export type PersonField = 'email' | 'first_name' | 'last_name';
const FIELDS: readonly PersonField[] = ['email', 'first_name', 'last_name'];

function fnv1a(text: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/** 0 means "no value"; a value that hashes to 0 becomes 1. */
function valueHash(value: string | null | undefined, lower: boolean): number {
  if (typeof value !== 'string' || value === '') return 0;
  return fnv1a(lower ? value.toLowerCase() : value, 0x9747b28c) || 1;
}

function personHashes(patch: ContactPatch): [number, number, number] {
  return [valueHash(patch.email, true), valueHash(patch.first_name, false), valueHash(patch.last_name, false)];
}

/** A row that shares a system_id with another person: the other row's line, and a field that differs. */
export interface PersonConflict {
  line: number;
  field: PersonField;
}

export interface PersonIndex {
  /**
   * Records a row that passed every other local check, in file order. True when this row is the
   * first to hold another person for its system_id.
   */
  add(systemId: string, patch: ContactPatch, line: number, seq: number): boolean;
  /** The conflict of this row, given what has been added so far. */
  conflictOf(systemId: string, patch: ContactPatch, line: number): PersonConflict | undefined;
  /**
   * One pass only: the rows added before the system_id's first conflict (they were written as
   * valid), oldest first. Call it once, after `add` returned true.
   */
  takeEarlier(systemId: string): { seq: number; line: number }[];
}

export function createPersonIndex(options: { trackEarlier: boolean }, initialCapacity = 1 << 12): PersonIndex {
  let capacity = initialCapacity;
  let mask = capacity - 1;
  let size = 0;
  // Per slot: the system_id's fingerprint, the first row's line (0: empty) and values, the first
  // conflicting line (0: none yet) and the field that differed there, and the last row's seq.
  let idA = new Int32Array(capacity);
  let idB = new Int32Array(capacity);
  let firstLine = new Int32Array(capacity);
  let values = new Int32Array(capacity * 3);
  let conflictLine = new Int32Array(capacity);
  let conflictField = new Int8Array(capacity);
  let lastSeq = new Int32Array(capacity).fill(-1);
  // One pass: for each seq, the previous seq of the same system_id, and its line.
  let previous = new Int32Array(options.trackEarlier ? 1 << 12 : 0);
  let lineOf = new Int32Array(options.trackEarlier ? 1 << 12 : 0);

  const slotOf = (a: number, b: number): number => {
    let slot = a & mask;
    while (firstLine[slot] !== 0 && (idA[slot] !== a || idB[slot] !== b)) slot = (slot + 1) & mask;
    return slot;
  };

  function grow(): void {
    const old = { idA, idB, firstLine, values, conflictLine, conflictField, lastSeq };
    capacity *= 2;
    mask = capacity - 1;
    idA = new Int32Array(capacity);
    idB = new Int32Array(capacity);
    firstLine = new Int32Array(capacity);
    values = new Int32Array(capacity * 3);
    conflictLine = new Int32Array(capacity);
    conflictField = new Int8Array(capacity);
    lastSeq = new Int32Array(capacity).fill(-1);
    for (let i = 0; i < old.firstLine.length; i++) {
      if (old.firstLine[i] === 0) continue;
      const slot = slotOf(old.idA[i] ?? 0, old.idB[i] ?? 0);
      idA[slot] = old.idA[i] ?? 0;
      idB[slot] = old.idB[i] ?? 0;
      firstLine[slot] = old.firstLine[i] ?? 0;
      values.set(old.values.subarray(i * 3, i * 3 + 3), slot * 3);
      conflictLine[slot] = old.conflictLine[i] ?? 0;
      conflictField[slot] = old.conflictField[i] ?? 0;
      lastSeq[slot] = old.lastSeq[i] ?? -1;
    }
  }

  const find = (systemId: string): number => slotOf(fnv1a(systemId, 0x811c9dc5), fnv1a(systemId, 0x3c6ef372));

  /** The first field whose values are both present and differ, as an index into FIELDS, or -1. */
  const differs = (slot: number, hashes: readonly number[]): number => {
    for (let f = 0; f < 3; f++) {
      const mine = hashes[f] ?? 0;
      const first = values[slot * 3 + f] ?? 0;
      if (mine !== 0 && first !== 0 && mine !== first) return f;
    }
    return -1;
  };

  function track(seq: number, line: number, before: number): void {
    if (seq >= previous.length) {
      const grownPrevious = new Int32Array(Math.max(seq + 1, previous.length * 2));
      const grownLines = new Int32Array(grownPrevious.length);
      grownPrevious.set(previous);
      grownLines.set(lineOf);
      previous = grownPrevious;
      lineOf = grownLines;
    }
    previous[seq] = before;
    lineOf[seq] = line;
  }

  return {
    add(systemId, patch, line, seq) {
      const slot = find(systemId);
      const hashes = personHashes(patch);
      if (firstLine[slot] === 0) {
        idA[slot] = fnv1a(systemId, 0x811c9dc5);
        idB[slot] = fnv1a(systemId, 0x3c6ef372);
        firstLine[slot] = line;
        values.set(hashes, slot * 3);
        if (options.trackEarlier) {
          track(seq, line, -1);
          lastSeq[slot] = seq;
        }
        size++;
        if (size * 2 > capacity) grow();
        return false;
      }
      // Once a system_id conflicts, every later row of it is refused as it comes: nothing to track.
      if (conflictLine[slot] !== 0) return false;
      const field = differs(slot, hashes);
      if (field !== -1) {
        conflictLine[slot] = line;
        conflictField[slot] = field;
        return true;
      }
      // Values the first row left empty are learnt from the first row that gives them.
      for (let f = 0; f < 3; f++) if (values[slot * 3 + f] === 0) values[slot * 3 + f] = hashes[f] ?? 0;
      if (options.trackEarlier) {
        track(seq, line, lastSeq[slot] ?? -1);
        lastSeq[slot] = seq;
      }
      return false;
    },

    conflictOf(systemId, patch, line) {
      const slot = find(systemId);
      const conflict = conflictLine[slot] ?? 0;
      if (firstLine[slot] === 0 || conflict === 0) return undefined;
      const first = firstLine[slot] ?? 0;
      const field = differs(slot, personHashes(patch));
      // The rows of the first person name the first row that differs; the others, the first row.
      if (line !== first && field !== -1) return { line: first, field: FIELDS[field] ?? 'email' };
      return { line: conflict === line ? first : conflict, field: FIELDS[conflictField[slot] ?? 0] ?? 'email' };
    },

    takeEarlier(systemId) {
      const slot = find(systemId);
      const conflict = conflictLine[slot] ?? 0;
      const earlier: { seq: number; line: number }[] = [];
      if (firstLine[slot] === 0 || conflict === 0) return earlier;
      // Walk back from the last row before the conflicting one; then forget the chain.
      for (let seq = lastSeq[slot] ?? -1; seq >= 0; seq = previous[seq] ?? -1)
        earlier.push({ seq, line: lineOf[seq] ?? 0 });
      lastSeq[slot] = -1;
      return earlier.reverse();
    },
  };
}
