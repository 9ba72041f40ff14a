/**
 * The one-system_id-two-people table (src/run/person-index.ts) across many growths of its table:
 * every repeat of the same person is `none`, every other person under a used id is a conflict that
 * names the first row and the field that differs, and a dry run gets back exactly the rows it wrote.
 */
import { describe, expect, it } from 'vitest';
import { createPersonIndex } from '../src/run/person-index.js';

const person = (i: number, variant = 0) => ({
  email: `p${i}@example.com`,
  first_name: variant === 0 ? `First${i}` : `Other${i}`,
  last_name: `Last${i}`,
});

describe('person index', () => {
  it('takes names that differ only in case for one person, and names that differ for two', () => {
    const index = createPersonIndex({ trackEarlier: false }, 16);
    expect(index.add('S1', { email: 'sam@example.com', first_name: 'Sam', last_name: 'de la Cruz' }, 2, 0)).toBe(
      'none',
    );
    expect(index.add('S1', { email: 'SAM@example.com', first_name: 'SAM', last_name: 'De La Cruz' }, 3, 1)).toBe(
      'none',
    );
    expect(index.add('S1', { first_name: 'josé', last_name: 'DE LA CRUZ' }, 4, 2)).toBe('made');
    expect(index.add('S2', { first_name: 'José', last_name: 'Núñez' }, 5, 3)).toBe('none');
    expect(index.add('S2', { first_name: 'JOSÉ', last_name: 'NÚÑEZ' }, 6, 4)).toBe('none');
    expect(index.conflicts).toBe(1);
  });

  it('after a pre-pass, marks exactly the rows that a later row with the same system_id follows', () => {
    const index = createPersonIndex({ trackEarlier: false }, 16);
    const rows = 10_000;
    // Row seq holds id seq % 3000: ids 0-999 four times, the rest three times.
    for (let seq = 0; seq < rows; seq++) index.add(`ID${seq % 3000}`, person(seq % 3000), seq + 2, seq);
    const later = index.laterRows();
    for (let seq = 0; seq < rows; seq++) expect(later.hasLater(seq), `seq ${seq}`).toBe(seq + 3000 < rows);
    expect(later.hasLater(rows + 100)).toBe(false);
  });

  it('keeps every id through its growths, and finds each conflict with its line and field', () => {
    const index = createPersonIndex({ trackEarlier: true }, 16);
    const ids = 20_000;
    for (let i = 0; i < ids; i++) expect(index.add(`ID${i}`, person(i), i + 2, i)).toBe('none');
    // The same person again: still none, and tracked for the dry run's corrections.
    for (let i = 0; i < ids; i += 7) expect(index.add(`ID${i}`, person(i), ids + i + 2, ids + i)).toBe('none');
    expect(index.conflicts).toBe(0);
    // Another person under every 10th id.
    for (let i = 0; i < ids; i += 10) {
      const line = 3 * ids + i;
      expect(index.add(`ID${i}`, person(i, 1), line, line)).toBe('made');
      expect(index.conflictOf(`ID${i}`, person(i, 1), line)).toEqual({ line: i + 2, field: 'first_name' });
      expect(index.conflictOf(`ID${i}`, person(i), i + 2)).toEqual({ line, field: 'first_name' });
      const earlier = index.takeEarlier(`ID${i}`).map((e) => e.line);
      expect(earlier).toEqual(i % 7 === 0 ? [i + 2, ids + i + 2] : [i + 2]);
    }
    expect(index.conflicts).toBe(ids / 10);
    expect(index.conflictOf('ID1', person(1), 3)).toBeUndefined();
  });
});
