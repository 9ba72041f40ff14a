/**
 * A table of strings kept only as 64-bit fingerprints, each with one number, in a typed array off
 * the JS heap: the in-file email check (run/email-index.ts) and export's check for system_ids
 * that GET all lists twice (remote/repeated-ids.ts) both hold one entry per distinct key, up to a
 * million and more. A Map of the strings was most of a dry run's memory at a million rows, and
 * its growth kept the garbage collector from returning memory (BENCHMARKS.md, section 1).
 *
 * Open addressing with linear probing; a slot is three 32-bit numbers (the two fingerprints and
 * the value, 0 meaning empty), twelve bytes, and the table doubles when it is half full, so a
 * million keys take 2²¹ slots (24 MB), and 36 MB for the moment a growth holds both tables. Two
 * different keys share a fingerprint with probability about n²/2⁶⁵ (3·10⁻⁸ for a million keys).
 */

/** A 32-bit FNV-1a of the UTF-16 units with a final avalanche. */
export function fnv1a(text: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  // A final avalanche (murmur3's fmix32), so that nearby keys spread across the table.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/** The seeds of a key's two fingerprints. */
export const SEED_A = 0x811c9dc5;
export const SEED_B = 0x9747b28c;

export interface FingerprintTable {
  /**
   * The value stored under the fingerprint (a, b); when there is none, stores `value` (never 0)
   * under it and returns 0.
   */
  claim(a: number, b: number, value: number): number;
  /** The value stored under the fingerprint (a, b), or 0 when there is none. */
  get(a: number, b: number): number;
  /** Replaces the value (never 0) under a fingerprint that `claim` stored. */
  replace(a: number, b: number, value: number): void;
  /** Distinct fingerprints held. */
  readonly size: number;
  /** The table's own memory, in bytes. */
  readonly bytes: number;
}

export function createFingerprintTable(initialCapacity = 1 << 12): FingerprintTable {
  let capacity = initialCapacity;
  let mask = capacity - 1;
  // Three parallel arrays rather than one interleaved: the dry run's email check measured no
  // faster interleaved, and this is the layout its benchmarks were made with.
  let hashA = new Int32Array(capacity);
  let hashB = new Int32Array(capacity);
  let values = new Int32Array(capacity);
  let size = 0;

  /** The slot holding (a, b), or the free slot where it goes. */
  const slotOf = (a: number, b: number): number => {
    let slot = a & mask;
    while (values[slot] !== 0 && (hashA[slot] !== a || hashB[slot] !== b)) slot = (slot + 1) & mask;
    return slot;
  };

  function grow(): void {
    const oldA = hashA;
    const oldB = hashB;
    const oldValues = values;
    capacity *= 2;
    mask = capacity - 1;
    hashA = new Int32Array(capacity);
    hashB = new Int32Array(capacity);
    values = new Int32Array(capacity);
    for (let i = 0; i < oldValues.length; i++) {
      const value = oldValues[i] ?? 0;
      if (value === 0) continue;
      const slot = slotOf(oldA[i] ?? 0, oldB[i] ?? 0);
      hashA[slot] = oldA[i] ?? 0;
      hashB[slot] = oldB[i] ?? 0;
      values[slot] = value;
    }
  }

  return {
    claim(a, b, value) {
      const slot = slotOf(a, b);
      const held = values[slot] ?? 0;
      if (held !== 0) return held;
      hashA[slot] = a;
      hashB[slot] = b;
      values[slot] = value;
      size++;
      if (size * 2 > capacity) grow();
      return 0;
    },
    get(a, b) {
      return values[slotOf(a, b)] ?? 0;
    },
    replace(a, b, value) {
      values[slotOf(a, b)] = value;
    },
    get size() {
      return size;
    },
    get bytes() {
      return hashA.byteLength + hashB.byteLength + values.byteLength;
    },
  };
}
