/**
 * Reading the in-file checks' slots ahead (src/run/warm-tables.ts): each row of a batch has its
 * system_id's and email's slots read before the rows are judged, and the fingerprints computed
 * then are the ones the checks use, so nothing is hashed twice and nothing changes.
 */
import { describe, expect, it } from 'vitest';
import type { CsvRecord } from '../src/csv/read.js';
import { emailFingerprint, fnv1a, idFingerprint, SEED_A, SEED_B } from '../src/fingerprints.js';
import { createTableWarmer } from '../src/run/warm-tables.js';

const record = (line: number, id: string, email: string): CsvRecord => ({ line, cells: [id, 'Sam', email] });

/** A table that records which first halves were read ahead. */
function recorder(): { touched: number[]; touch(a: number): number } {
  const touched: number[] = [];
  return { touched, touch: (a) => (touched.push(a), 0) };
}

describe('table warmer', () => {
  it("reads ahead every row's system_id and email slot, in the batch's order", () => {
    const people = recorder();
    const emails = recorder();
    const warmer = createTableWarmer({ systemId: 0, email: 2 }, people, emails);
    const batch = [record(2, 'C1', 'Sam@Example.com'), record(3, 'C2', 'b@example.com')];
    warmer.warm(batch);
    expect(people.touched).toEqual([fnv1a('C1', SEED_A), fnv1a('C2', SEED_A)]);
    // Emails are compared lower-cased: the slot read is the lower-cased email's.
    expect(emails.touched).toEqual([fnv1a('sam@example.com', SEED_A), fnv1a('b@example.com', SEED_A)]);
  });

  it("hands each row's fingerprints to the checks, and only for the rows of the last batch, in order", () => {
    const warmer = createTableWarmer({ systemId: 0, email: 2 }, recorder(), recorder());
    const batch = [record(2, 'C1', 'a@example.com'), record(3, 'C2', 'b@example.com')];
    warmer.warm(batch);
    // A primed fingerprint is taken as is: a wrong one here shows the checks would not hash again.
    idFingerprint.prime('marker', 7, 8);
    expect(idFingerprint('marker')).toEqual({ a: 7, b: 8 });
    warmer.prime(batch[0] as CsvRecord);
    expect({ ...idFingerprint('C1') }).toEqual({ a: fnv1a('C1', SEED_A), b: fnv1a('C1', 0x3c6ef372) });
    expect({ ...emailFingerprint('a@example.com') }).toEqual({
      a: fnv1a('a@example.com', SEED_A),
      b: fnv1a('a@example.com', SEED_B),
    });
    // Out of order: nothing is primed, and the checks hash the text themselves.
    idFingerprint.prime('marker', 7, 8);
    warmer.prime(record(9, 'C9', 'z@example.com'));
    expect(idFingerprint('marker')).toEqual({ a: 7, b: 8 });
    warmer.prime(batch[1] as CsvRecord);
    expect({ ...idFingerprint('C2') }).toEqual({ a: fnv1a('C2', SEED_A), b: fnv1a('C2', 0x3c6ef372) });
  });

  it('goes on priming past the rows refused before their in-file checks', () => {
    const warmer = createTableWarmer({ systemId: 0, email: 2 }, recorder(), recorder());
    const batch = [record(2, 'C1', 'a@example.com'), record(3, 'C2', 'b@example.com')];
    warmer.warm(batch);
    idFingerprint.prime('marker', 7, 8);
    // The first row was refused (say, a bad mobile): only the second reaches the checks.
    warmer.prime(batch[1] as CsvRecord);
    // Primed: the fingerprinter now holds C2's, and hashes 'marker' afresh.
    expect({ ...idFingerprint('marker') }).toEqual({ a: fnv1a('marker', SEED_A), b: fnv1a('marker', 0x3c6ef372) });
  });

  it('reads no email slot without an email column', () => {
    const people = recorder();
    const emails = recorder();
    createTableWarmer({ systemId: 0, email: undefined }, people, emails).warm([record(2, 'C1', 'a@example.com')]);
    expect(people.touched).toHaveLength(1);
    expect(emails.touched).toHaveLength(0);
  });
});
