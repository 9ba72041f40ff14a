/**
 * The `full_name` target (issue 23, item 10): one name column split into first_name and
 * last_name by the rule in src/contact/name.ts, and a one-word name refused as a row error that
 * names its column.
 */
import { describe, expect, it } from 'vitest';
import { splitFullName } from '../src/contact/name.js';
import { openCsv } from '../src/csv/read.js';
import { createPreparer, isPrepared } from '../src/run/prepare.js';
import type { ResultRow } from '../src/run/results.js';
import { tempDir, writeFile } from './helpers.js';

describe('splitFullName', () => {
  it.each([
    ['Jack van der Berg', 'Jack', 'van der Berg'],
    ['Ana de la Cruz', 'Ana', 'de la Cruz'],
    ['Ludwig von Mises', 'Ludwig', 'von Mises'],
    ['Seán Ní Bhriain', 'Seán', 'Ní Bhriain'],
    ['Priya Raman', 'Priya', 'Raman'],
    ['Mary Ann Smith', 'Mary Ann', 'Smith'],
    ['Ana Maria de la Cruz', 'Ana Maria', 'de la Cruz'],
    ['Van Morrison', 'Van', 'Morrison'],
    ['Martin Luther King Jr', 'Martin Luther', 'King Jr'],
    ['  Zoë   Martin ', 'Zoë', 'Martin'],
    ['van der Berg, Jack', 'Jack', 'van der Berg'],
    ['Bob Smith, Jr', 'Bob', 'Smith, Jr'],
  ])('%s → %s / %s', (full, first, last) => {
    expect(splitFullName(full)).toEqual({ ok: true, first, last });
  });

  it('refuses one word instead of inventing the other half', () => {
    const split = splitFullName('Rania');
    expect(split.ok).toBe(false);
    expect(split.ok ? '' : split.message).toContain('"Rania" is one word');
  });
});

describe('--map "Name=full_name"', () => {
  async function prepareAll(
    content: string,
    map: string[],
  ): Promise<ReturnType<ReturnType<typeof createPreparer>['prepare']>[]> {
    const file = writeFile(tempDir('fullname-'), 'in.csv', content);
    const source = await openCsv(file, { map });
    const preparer = createPreparer({ header: source.header, isDelete: false });
    const out = [];
    let seq = 0;
    for await (const record of source.records) out.push(preparer.prepare(record, seq++));
    return out;
  }

  it('sends first_name and last_name split by the rule; a one-word name is one_word_name naming the column', async () => {
    const rows = await prepareAll('ID,Name,Email\n1,Jack van der Berg,j@x.com\n2,Rania,r@x.com\n3,,e@x.com\n', [
      'ID=system_id',
      'Name=full_name',
    ]);
    const [first, oneWord, empty] = rows;
    expect(first !== undefined && isPrepared(first) ? first.patch : undefined).toEqual({
      first_name: 'Jack',
      last_name: 'van der Berg',
      email: 'j@x.com',
    });
    const refused = oneWord as ResultRow;
    expect(refused.status).toBe('invalid');
    expect(refused.errors?.[0]?.code).toBe('one_word_name');
    expect(refused.errors?.[0]?.message).toMatch(/^column "Name" "Rania" is one word/);
    // An empty name cell is an empty cell for both parts: left alone, as any empty cell is.
    expect(empty !== undefined && isPrepared(empty) ? empty.patch : undefined).toEqual({ email: 'e@x.com' });
  });

  it('is never taken by itself from a header, and refuses a file that also maps the name it would fill', async () => {
    const dir = tempDir('fullname-');
    const plain = await openCsv(writeFile(dir, 'a.csv', 'system_id,Full Name,email\n1,A B,a@x.com\n'));
    expect(plain.header.fields.full_name).toBeUndefined();
    await expect(
      openCsv(writeFile(dir, 'b.csv', 'system_id,Name,first_name,email\n1,A B,A,a@x.com\n'), {
        map: ['Name=full_name'],
      }),
    ).rejects.toThrow(/column 2 \("Name"\) \(full_name\) and column 3 \("first_name"\) both give first_name/);
  });
});
