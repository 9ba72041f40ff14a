/**
 * Large sets of strings kept only as 64-bit fingerprints, each with the caller's numbers, in one
 * typed array off the JS heap: the in-file email check (run/email-index.ts), the person check
 * (run/person-index.ts), export's check for system_ids that GET all lists twice
 * (remote/repeated-ids.ts) and the ids a backup lists (execute/backup.ts) each hold one entry per
 * distinct key, up to a million and more. A Map of the strings was most of a dry run's memory at
 * a million rows, and its growth kept the garbage collector from returning memory (BENCHMARKS.md,
 * section 1).
 *
 * Open addressing with linear probing over one Int32Array: a slot is `stride` ints, the
 * fingerprint's two halves first, then the caller's fields, one of which is never 0 in a used
 * slot. Two different keys share a fingerprint with probability about n²/2⁶⁵ (3·10⁻⁸ for a
 * million keys).
 *
 * A growth holds the old table beside the new one, the dry run's peak memory at a million rows.
 * So a run sizes its tables once, from the number of line ends the pre-scan counted (an upper
 * bound of the rows, so of the entries): a CSV file never grows them. Without that count (a
 * workbook, GET all, a library caller) they grow by half at 70% full. The size given up front is
 * capped, so that a file of many rows of few keys cannot make it larger than what a million
 * distinct keys need (a used slot touches its page of memory, and keys spread over every page).
 */

/** A 32-bit FNV-1a of the UTF-16 units with a final avalanche. */
export function fnv1a(text: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return avalanche(h);
}

/**
 * `fnv1a` of the text lower-cased, without allocating a lower-cased copy of ASCII text: the
 * person check compares names case-insensitively on every row of a dry run.
 */
export function fnv1aCaseless(text: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit > 0x7f) return fnv1a(text.toLowerCase(), seed);
    h = Math.imul(h ^ (unit >= 0x41 && unit <= 0x5a ? unit | 0x20 : unit), 0x01000193);
  }
  return avalanche(h);
}

/** murmur3's fmix32, so that nearby keys spread across the table. */
function avalanche(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/** The seeds of a key's two fingerprints. */
export const SEED_A = 0x811c9dc5;
export const SEED_B = 0x9747b28c;

/** A key's 64-bit fingerprint, as two halves. */
export interface Fingerprint {
  a: number;
  b: number;
}

/**
 * Fingerprints text, keeping the last text's: both in-file checks ask for the same row's system_id
 * and email, one after the other, and each is hashed once. The object returned is reused: read it at once.
 */
export interface Fingerprinter {
  (text: string): Readonly<Fingerprint>;
  /**
   * Remembers a fingerprint computed ahead (run/warm-tables.ts) as the last text's, so the row's
   * checks do not hash it again.
   */
  prime(text: string, a: number, b: number): void;
}

function createFingerprinter(seedA: number, seedB: number, caseless: boolean): Fingerprinter {
  let lastText: string | undefined;
  const last: Fingerprint = { a: 0, b: 0 };
  /** Both halves in one pass over the text; lower-cases ASCII letters as it goes when `caseless`. */
  const hash = (text: string): void => {
    let a = seedA;
    let b = seedB;
    for (let i = 0; i < text.length; i++) {
      let unit = text.charCodeAt(i);
      if (caseless) {
        // Other text is lower-cased whole, as String.prototype.toLowerCase does it.
        if (unit > 0x7f) return hash2(text.toLowerCase());
        if (unit >= 0x41 && unit <= 0x5a) unit |= 0x20;
      }
      a = Math.imul(a ^ unit, 0x01000193);
      b = Math.imul(b ^ unit, 0x01000193);
    }
    last.a = avalanche(a);
    last.b = avalanche(b);
  };
  const hash2 = (key: string): void => {
    last.a = fnv1a(key, seedA);
    last.b = fnv1a(key, seedB);
  };
  const fingerprint = (text: string): Readonly<Fingerprint> => {
    if (text !== lastText) {
      hash(text);
      lastText = text;
    }
    return last;
  };
  return Object.assign(fingerprint, {
    prime(text: string, a: number, b: number): void {
      lastText = text;
      last.a = a;
      last.b = b;
    },
  });
}

export const idFingerprint = createFingerprinter(SEED_A, 0x3c6ef372, false);
/** Emails are compared case-insensitively (README, "Uniqueness and order within the file"). */
export const emailFingerprint = createFingerprinter(SEED_A, SEED_B, true);

/** At most this share of the slots is used: linear probing stays at about two probes a lookup. */
const MAX_LOAD = 0.7;
const GROWTH = 1.5;
/** The most entries a table is sized for up front; past them it grows. */
export const PRESIZE_CAP = 1 << 20;
const MIN_CAPACITY = 64;

function capacityFor(entries: number): number {
  return Math.max(MIN_CAPACITY, Math.ceil(entries / MAX_LOAD));
}

export class FingerprintTable {
  /** Slot after slot; replaced by a growth, so read it again after `added`. */
  slots: Int32Array;
  private capacity: number;
  /** capacity / 2³²: a fingerprint's first half times this is its home slot. */
  private scale: number;
  private used = 0;

  /**
   * @param stride ints a slot
   * @param usedAt the offset in a slot of a field that is 0 only in a free slot
   * @param expected how many entries to size for (capped at PRESIZE_CAP); 0 when unknown
   */
  constructor(
    private readonly stride: number,
    private readonly usedAt: number,
    expected: number,
  ) {
    this.capacity = capacityFor(Math.min(expected, PRESIZE_CAP));
    this.scale = this.capacity / 2 ** 32;
    this.slots = new Int32Array(this.capacity * stride);
  }

  /** The offset in `slots` of the slot that holds this fingerprint, or of the free slot where it goes. */
  find(a: number, b: number): number {
    const { slots, stride, usedAt, capacity } = this;
    let slot = this.home(a);
    for (;;) {
      const at = slot * stride;
      if (slots[at + usedAt] === 0 || (slots[at] === a && slots[at + 1] === b)) return at;
      slot = slot + 1 === capacity ? 0 : slot + 1;
    }
  }

  /**
   * Reads the first int of the slot where the search for this fingerprint starts, to bring its
   * memory into the cache ahead of `find` (run/warm-tables.ts).
   */
  touch(a: number): number {
    return this.slots[this.home(a) * this.stride] as number;
  }

  /**
   * The slot where the search for a fingerprint starts: its first half scaled to the capacity, a
   * multiplication where `%` on an unsigned 32-bit number is a floating-point remainder in V8, in
   * the hot loop of every row's check. Always below the capacity: the product is at most
   * capacity − capacity / 2³², far above a double's rounding step there.
   */
  private home(a: number): number {
    return Math.floor((a >>> 0) * this.scale);
  }

  /** Used slots. */
  get size(): number {
    return this.used;
  }

  isFree(at: number): boolean {
    return this.slots[at + this.usedAt] === 0;
  }

  /** A free slot from `find` was filled (fingerprint and fields): count it, and grow when full. */
  added(): void {
    this.used++;
    if (this.used > this.capacity * MAX_LOAD) this.grow();
  }

  private grow(): void {
    const old = this.slots;
    const { stride, usedAt } = this;
    this.capacity = Math.ceil(this.capacity * GROWTH);
    this.scale = this.capacity / 2 ** 32;
    this.slots = new Int32Array(this.capacity * stride);
    for (let from = 0; from < old.length; from += stride) {
      if (old[from + usedAt] === 0) continue;
      const to = this.find(old[from] as number, old[from + 1] as number);
      // Int by int: a subarray per slot would allocate a view for each of a million slots.
      for (let k = 0; k < stride; k++) this.slots[to + k] = old[from + k] as number;
    }
  }
}

/** One number under each key: the simple use of the table (remote/repeated-ids.ts, execute/backup.ts). */
export interface FingerprintMap {
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

/** `expected`: how many keys to size for, 0 when unknown. */
export function createFingerprintTable(expected = 0): FingerprintMap {
  const table = new FingerprintTable(3, 2, expected);
  return {
    claim(a, b, value) {
      const at = table.find(a, b);
      const { slots } = table;
      const held = slots[at + 2] as number;
      if (held !== 0) return held;
      slots[at] = a;
      slots[at + 1] = b;
      slots[at + 2] = value;
      table.added();
      return 0;
    },
    get(a, b) {
      // A free slot's value is 0.
      return table.slots[table.find(a, b) + 2] as number;
    },
    replace(a, b, value) {
      table.slots[table.find(a, b) + 2] = value;
    },
    get size() {
      return table.size;
    },
    get bytes() {
      return table.slots.byteLength;
    },
  };
}
