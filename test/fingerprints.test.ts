/**
 * The table behind the in-file checks (src/fingerprints.ts): sized once from the row
 * count a run expects, it never grows (a growth holds two tables at once, the dry run's peak
 * memory); without a count it grows and still finds every key; the size given up front is capped.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FingerprintTable,
  PRESIZE_CAP,
  SEED_A,
  SEED_B,
  emailFingerprint,
  fnv1a,
  fnv1aCaseless,
  idFingerprint,
} from '../src/fingerprints.js';

/** Adds keys 0..n-1 (value at offset 2: key + 1, never 0) and returns the tables the slots lived in. */
function fill(table: FingerprintTable, n: number): Set<Int32Array> {
  const seen = new Set<Int32Array>([table.slots]);
  let taken = 0;
  for (let key = 0; key < n; key++) {
    const a = fnv1a(`k${key}`, 1);
    const b = fnv1a(`k${key}`, 2);
    const at = table.find(a, b);
    if (!table.isFree(at)) taken++;
    table.slots[at] = a;
    table.slots[at + 1] = b;
    table.slots[at + 2] = key + 1;
    table.added();
    seen.add(table.slots);
  }
  expect(taken).toBe(0);
  return seen;
}

function valueOf(table: FingerprintTable, key: number): number {
  const at = table.find(fnv1a(`k${key}`, 1), fnv1a(`k${key}`, 2));
  return table.isFree(at) ? 0 : (table.slots[at + 2] as number);
}

describe('fingerprint table', () => {
  it('sized for the rows it will hold, never grows; sized for none, grows and keeps every key', () => {
    const n = 50_000;
    const sized = new FingerprintTable(3, 2, n);
    expect(fill(sized, n).size).toBe(1);
    const grown = new FingerprintTable(3, 2, 0);
    expect(fill(grown, n).size).toBeGreaterThan(10);
    for (const table of [sized, grown]) {
      for (let key = 0; key < n; key += 97) expect(valueOf(table, key)).toBe(key + 1);
      expect(valueOf(table, n + 1)).toBe(0);
    }
    // At most 70% full either way: the sized one holds n in fewer slots than the grown one's last size.
    expect(sized.slots.length).toBeLessThanOrEqual(grown.slots.length);
    expect(sized.slots.length / 3).toBeGreaterThanOrEqual(n / 0.7);
  });

  it('caps the size given up front, and grows past it', () => {
    const table = new FingerprintTable(2, 1, 50 * PRESIZE_CAP);
    expect(table.slots.length).toBeLessThanOrEqual(2 * Math.ceil(PRESIZE_CAP / 0.7));
  });
});

describe('fnv1aCaseless', () => {
  it('is fnv1a of the lower-cased text, for ASCII and any other text', () => {
    expect(fnv1aCaseless('Sam LEE', 7)).toBe(fnv1a('sam lee', 7));
    expect(fnv1aCaseless('JOSÉ', 7)).toBe(fnv1a('josé', 7));
    expect(fnv1aCaseless('Sam', 7)).not.toBe(fnv1a('Sam', 7));
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.integer(), (text, seed) => {
        expect(fnv1aCaseless(text, seed)).toBe(fnv1a(text.toLowerCase(), seed));
      }),
    );
  });
});

describe('fingerprinters', () => {
  it('hash both halves in one pass as fnv1a does each: an email lower-cased, a system_id as it is', () => {
    const check = (text: string): void => {
      // Another text first: the fingerprinter keeps the last text's.
      emailFingerprint('-');
      expect({ ...emailFingerprint(text) }).toEqual({
        a: fnv1a(text.toLowerCase(), SEED_A),
        b: fnv1a(text.toLowerCase(), SEED_B),
      });
      idFingerprint('-');
      expect({ ...idFingerprint(text) }).toEqual({ a: fnv1a(text, SEED_A), b: fnv1a(text, 0x3c6ef372) });
    };
    check('Sam.Lee@Example.COM');
    check('josé@EXAMPLE.com');
    fc.assert(fc.property(fc.string({ unit: 'binary' }), check));
  });
});
