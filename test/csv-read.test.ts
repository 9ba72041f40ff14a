import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { Utf8Checker, firstInvalidUtf8 } from '../src/csv/decode.js';
import { QuoteScanner, SwallowScanner } from '../src/csv/scan.js';
import {
  detectDelimiter,
  normaliseHeader,
  openCsv,
  resolveHeaderField,
  type CsvReadOptions,
  type CsvRecord,
  type CsvSource,
} from '../src/csv/read.js';
import { FileError, UsageError } from '../src/errors.js';
import { CSV_HEADER, countReads, createScratch } from './helpers.js';

const scratch = createScratch('csv-');
const write = scratch.write;

async function collect(source: CsvSource): Promise<CsvRecord[]> {
  const records: CsvRecord[] = [];
  for await (const record of source.records) records.push(record);
  return records;
}

async function read(
  content: string | Buffer,
  options?: CsvReadOptions,
): Promise<{ source: CsvSource; records: CsvRecord[] }> {
  const source = await openCsv(write(content), options);
  return { source, records: await collect(source) };
}

/** The error openCsv rejects with, for asserting on its fields. */
async function failure(content: string | Buffer, options?: CsvReadOptions): Promise<Error> {
  try {
    const source = await openCsv(write(content), options);
    source.close();
  } catch (error) {
    return error as Error;
  }
  throw new Error('openCsv resolved');
}

function rows(records: readonly CsvRecord[]): string[][] {
  return records.map((r) => r.cells);
}

describe('helpers', () => {
  it('normalises header names', () => {
    expect(normaliseHeader(' System ID ')).toBe('systemid');
    expect(normaliseHeader('E-mail_Address')).toBe('emailaddress');
  });

  it('resolves aliases', () => {
    const cases: [string, string | undefined][] = [
      ['System ID', 'system_id'],
      ['systemid', 'system_id'],
      ['SYSTEM_ID', 'system_id'],
      ['First Name', 'first_name'],
      ['Last Name', 'last_name'],
      ['Surname', 'last_name'],
      ['Email', 'email'],
      ['E-mail', 'email'],
      ['Email Address', 'email'],
      ['Job Title', 'job_title'],
      ['Title', 'job_title'],
      ['Mobile', 'mobile'],
      ['Mobile Phone', 'mobile'],
      ['mobile-number', 'mobile'],
      ['Notes', undefined],
    ];
    for (const [name, field] of cases) expect(resolveHeaderField(name), name).toBe(field);
  });

  it('detects the delimiter outside quotes, ties going to comma', () => {
    expect(detectDelimiter('a,b,c')).toBe(',');
    expect(detectDelimiter('a;b;c')).toBe(';');
    expect(detectDelimiter('a\tb\tc')).toBe('\t');
    expect(detectDelimiter('"a;b;c;d",e,f')).toBe(',');
    expect(detectDelimiter('a,b;c')).toBe(',');
    expect(detectDelimiter('system_id')).toBe(',');
    expect(detectDelimiter('a;b\nc,d,e,f')).toBe(';');
  });
});

describe('openCsv: dialects', () => {
  it('reads UTF-8 with a BOM and CRLF', async () => {
    const { source, records } = await read('\uFEFFsystem_id,email\r\n1,a@example.com\r\n2,b@example.com\r\n');
    expect(source.header.columns).toEqual(['system_id', 'email']);
    expect(source.header.encoding).toBe('utf8');
    expect(source.header.fields).toEqual({ system_id: 0, email: 1 });
    expect(records).toEqual([
      { line: 2, cells: ['1', 'a@example.com'] },
      { line: 3, cells: ['2', 'b@example.com'] },
    ]);
    expect(source.bytesRead()).toBe(source.bytesTotal);
  });

  it('reads a quoted first header after a BOM', async () => {
    const { source } = await read('\uFEFF"system_id","email"\n1,a\n');
    expect(source.header.columns).toEqual(['system_id', 'email']);
  });

  it('reads no BOM, LF, and no final newline', async () => {
    const { records } = await read('system_id,email\n1,a\n2,b');
    expect(records).toEqual([
      { line: 2, cells: ['1', 'a'] },
      { line: 3, cells: ['2', 'b'] },
    ]);
  });

  it('never keeps a trailing CR with mixed line endings', async () => {
    const { records } = await read('system_id,name\n1,x\r\n2,y\n3,z\r\n');
    expect(rows(records)).toEqual([
      ['1', 'x'],
      ['2', 'y'],
      ['3', 'z'],
    ]);
  });

  it('reads an old-Mac file with bare CR line ends', async () => {
    const { records } = await read('system_id,name\r1,x\r2,"a\rb"\r3,z\r');
    expect(records).toEqual([
      { line: 2, cells: ['1', 'x'] },
      { line: 3, cells: ['2', 'a\rb'] },
      { line: 5, cells: ['3', 'z'] },
    ]);
  });

  it('reads semicolon files, leaving commas inside values alone', async () => {
    const { source, records } = await read('system_id;name;note\n1;"a;b";c,d\n');
    expect(source.header.delimiter).toBe(';');
    expect(rows(records)).toEqual([['1', 'a;b', 'c,d']]);
  });

  it('reads tab files', async () => {
    const { source, records } = await read('system_id\tname\n1\ta,b;c\n');
    expect(source.header.delimiter).toBe('\t');
    expect(rows(records)).toEqual([['1', 'a,b;c']]);
  });

  it('reads a header-only file as no records', async () => {
    const { source, records } = await read('system_id,email\r\n');
    expect(source.header.columns).toEqual(['system_id', 'email']);
    expect(records).toEqual([]);
  });

  it('keeps cells verbatim: no trimming', async () => {
    const { records } = await read('system_id,name\n 1 ,  x\t\n');
    expect(rows(records)).toEqual([[' 1 ', '  x\t']]);
  });
});

describe('openCsv: quoting and line numbers', () => {
  it('reads quoted delimiters and newlines, with the line each record starts on', async () => {
    const { records } = await read(
      'system_id,note\n1,"a,b"\n2,"two\nlines"\n3,"three\r\nCRLF\r\nlines"\n\n\n4,x\n5,"\n"\n6,y\n',
    );
    expect(records).toEqual([
      { line: 2, cells: ['1', 'a,b'] },
      { line: 3, cells: ['2', 'two\nlines'] },
      { line: 5, cells: ['3', 'three\r\nCRLF\r\nlines'] },
      { line: 10, cells: ['4', 'x'] },
      { line: 11, cells: ['5', '\n'] },
      { line: 13, cells: ['6', 'y'] },
    ]);
  });

  it('reads a doubled quote inside a quoted field', async () => {
    const { records } = await read('system_id,title\n1,"Head of ""Ops"""\n2,""""\n3,""\n');
    expect(rows(records)).toEqual([
      ['1', 'Head of "Ops"'],
      ['2', '"'],
      ['3', ''],
    ]);
  });

  it('skips blank lines and rows of empty cells, keeping line numbers', async () => {
    const { records } = await read('\nsystem_id,a\n\n1,2\n,\n  ,  \r\n\r\n3,4\n');
    expect(records).toEqual([
      { line: 4, cells: ['1', '2'] },
      { line: 8, cells: ['3', '4'] },
    ]);
  });

  it('makes a bare CR in a CRLF or LF file a row error, never one merged value', async () => {
    const crlf = await read('system_id,a\r\n1,x\ry\r\n2,z\r\n');
    expect(crlf.records[0]).toMatchObject({ line: 2, error: { code: 'malformed_row' } });
    expect(crlf.records[0]!.error!.message).toContain('bare CR');
    expect(crlf.records[1]).toEqual({ line: 3, cells: ['2', 'z'] });
    // The delete file from issue 11: three ids on one LF line, split by bare CRs.
    const lf = await read('system_id\nA1\rA2\rA3\nB1\n');
    expect(lf.records.map((r) => [r.line, r.error?.code])).toEqual([
      [2, 'malformed_row'],
      [3, undefined],
    ]);
    // Inside quotes a CR is data, as the file wrote it.
    const quoted = await read('system_id,a\n1,"x\ry"\n');
    expect(quoted.records).toEqual([{ line: 2, cells: ['1', 'x\ry'] }]);
  });

  it('keeps a lone CR on the last line out of the record before it (a counterexample fast-check found)', async () => {
    // A quoted cell holding CRLF, then a last line that is only a CR: the record is whole and
    // good, and the CR line is blank. The flush path once read the CR as part of the record.
    const { records } = await read('system_id,b,c\n"\r\na"\n\r');
    expect(records).toEqual([{ line: 2, cells: ['\r\na', '', ''] }]);
    // A bare CR that does end the last record is still that record's error.
    const own = await read('system_id,b,c\nx,y\r');
    expect(own.records).toMatchObject([{ line: 2, error: { code: 'malformed_row' } }]);
    expect(own.records[0]!.error!.message).toContain('bare CR');
  });
});

describe('openCsv: headers', () => {
  it('matches spaced and odd-case headers', async () => {
    const { source } = await read('System ID,FIRST NAME,surname,E-mail,Mobile Phone,Job Title,Notes\n1,a,b,c,d,e,f\n');
    expect(source.header.fields).toEqual({
      system_id: 0,
      first_name: 1,
      last_name: 2,
      email: 3,
      mobile: 4,
      job_title: 5,
    });
    expect(source.header.columnFields).toEqual([
      'system_id',
      'first_name',
      'last_name',
      'email',
      'mobile',
      'job_title',
      undefined,
    ]);
  });

  it('keeps duplicate header names as separate columns', async () => {
    const { source, records } = await read('system_id,Notes,Notes\n1,a,b\n');
    expect(source.header.columns).toEqual(['system_id', 'Notes', 'Notes']);
    expect(source.header.columnFields).toEqual(['system_id', undefined, undefined]);
    expect(rows(records)).toEqual([['1', 'a', 'b']]);
  });

  it('refuses two columns mapping to one field by equal right, naming both', async () => {
    const error = await failure('system_id,Email Address,E-mail Address\n1,a,b\n');
    expect(error).toBeInstanceOf(FileError);
    expect(error.message).toContain('columns 2 ("Email Address") and 3 ("E-mail Address") both map to email');
    expect(error.message).toContain(`--map 'E-mail Address='`);
    expect((error as FileError).line).toBe(1);
  });

  it('suggests a position to ignore one of two identical headers, and accepts it', async () => {
    const error = await failure('system_id,Email,Email\n1,a,b\n');
    expect(error.message).toContain(`--map '#3='`);
    const { source } = await read('system_id,Email,Email\n1,a,b\n', { map: ['#3='] });
    expect(source.header.fields).toEqual({ system_id: 0, email: 1 });
  });

  it('refuses a file with no system_id column, listing the headers', async () => {
    const error = await failure('Customer ID,Email\n1,a\n');
    expect(error).toBeInstanceOf(FileError);
    expect(error.message).toContain('no system_id column');
    expect(error.message).toContain('"Customer ID", "Email"');
    expect(error.message).toContain(`--map 'Customer ID=system_id'`);
    expect((error as FileError).file).toMatch(/\.csv$/);
  });

  it('checks the required fields it is given', async () => {
    const error = await failure('system_id,name\n1,a\n', { requiredFields: ['system_id', 'email'] });
    expect(error.message).toContain('no email column');
  });

  it('applies --map: override, loose match, ignore', async () => {
    const { source } = await read('Cust No,Work Email,Email,Title\n1,a,b,c\n', {
      map: ['Cust No=system_id', 'work_email=email', 'Email=', 'Title=first name'],
    });
    expect(source.header.fields).toEqual({ system_id: 0, email: 1, first_name: 3 });
    expect(source.header.columnFields).toEqual(['system_id', 'email', undefined, 'first_name']);
  });

  it('matches a --map header verbatim before normalising', async () => {
    const { source } = await read('system_id,e-mail,E Mail\n1,a,b\n', { map: ['E Mail=email', 'e-mail='] });
    expect(source.header.fields).toEqual({ system_id: 0, email: 2 });
  });

  it('refuses --map with an unknown field or header, or no =', async () => {
    await expect(failure('system_id\n1\n', { map: ['system_id=sysid'] })).resolves.toBeInstanceOf(UsageError);
    const missing = await failure('system_id\n1\n', { map: ['Customer=email'] });
    expect(missing).toBeInstanceOf(UsageError);
    expect(missing.message).toContain('no column "Customer"');
    await expect(failure('system_id\n1\n', { map: ['email'] })).resolves.toBeInstanceOf(UsageError);
  });
});

describe('openCsv: row errors', () => {
  it('reads a short row as if its missing trailing cells were empty; a long row is an error unless the extras are empty', async () => {
    const { records } = await read('system_id,a,b\n1,x\n2,x,y,extra,"more, stuff"\n3,x,y\n4\n5,x,y,, \n');
    expect(records[0]).toEqual({ line: 2, cells: ['1', 'x', ''] });
    expect(records[1]).toMatchObject({ line: 3, cells: ['2', 'x', 'y'], error: { code: 'ragged_row' } });
    expect(records[1]!.error!.message).toContain('line 3 has 5 cells but the header has 3');
    expect(records[1]!.error!.message).toContain('"extra", "more, stuff"');
    expect(records[2]).toEqual({ line: 4, cells: ['3', 'x', 'y'] });
    expect(records[3]).toEqual({ line: 5, cells: ['4', '', ''] });
    expect(records[4]).toEqual({ line: 6, cells: ['5', 'x', 'y'] });
  });

  it('turns a row that breaks the quoting rules into a malformed_row record without swallowing the next rows', async () => {
    const { records } = await read('system_id,b\n1,"abc"def,x\n2,b\n3,"c"\n4,d\n5,6" screen\n\n6,"multi\nline"\n7,e\n');
    expect(records.map((r) => [r.line, r.error?.code])).toEqual([
      [2, 'malformed_row'],
      [3, undefined],
      [4, undefined],
      [5, undefined],
      [6, 'malformed_row'],
      [8, undefined],
      [10, undefined],
    ]);
    // The raw line as typed, not JavaScript-escaped.
    expect(records[0]!.error!.message).toContain('the row reads: 1,"abc"def,x');
    expect(records[0]!.error!.message).not.toContain('\\"');
    expect(records[0]!.cells).toEqual(['1', 'abcdef']);
    expect(records[4]!.cells).toEqual(['5', '6" screen']);
    expect(records[5]!.cells).toEqual(['6', 'multi\nline']);
  });

  it('keeps every row after a stray quote (issue 11: "Lee" followed by a space)', async () => {
    const lines = ['id,first,last,email,title', 'Q1,Ann,"Lee" ,q1@x.com,Dev'];
    for (let i = 2; i <= 9; i++) lines.push(`Q${i},N${i},L${i},q${i}@x.com,T`);
    lines.push(
      'Q10,Bob,"Smith, Jr",q10@x.com,Dev',
      'Q11,C,D,q11@x.com,T',
      'Q12,E,F,q12@x.com,T',
      'Q13,G,H,q13@x.com,T',
    );
    const { records } = await read(`${lines.join('\n')}\n`, { map: ['id=system_id'] });
    expect(records).toHaveLength(13);
    expect(records[0]).toMatchObject({ line: 2, error: { code: 'malformed_row' } });
    expect(records[0]!.error!.message).toContain('line 2: ');
    expect(records[0]!.error!.message).toContain('Q1,Ann,"Lee" ,q1@x.com,Dev');
    expect(records.slice(1).every((r) => r.error === undefined)).toBe(true);
    expect(records.map((r) => r.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(records[9]!.cells).toEqual(['Q10', 'Bob', 'Smith, Jr', 'q10@x.com', 'Dev']);
  });

  it('keeps line numbers after a malformed row in a CRLF file', async () => {
    const lf = 'system_id,b\n1,"abc"def,x\n2,b\n3,"c"\n4,"d\ne"\n5,f\n';
    const crlf = lf.replace(/\n/g, '\r\n');
    const a = await read(lf);
    const b = await read(crlf);
    expect(b.records.map((r) => r.line)).toEqual(a.records.map((r) => r.line));
    expect(b.records.map((r) => r.line)).toEqual([2, 3, 4, 5, 7]);
  });
});

describe('openCsv: whole-file errors', () => {
  it('refuses an unclosed quote, naming the line it opened on', async () => {
    const error = await failure('system_id,note\n1,ok\n2,"never closed\n3,x\n4,y\n');
    expect(error).toBeInstanceOf(FileError);
    expect((error as FileError).line).toBe(3);
    expect(error.message).toContain('line 3');
  });

  it('refuses invalid UTF-8, suggesting windows-1252', async () => {
    const file = Buffer.concat([
      Buffer.from('system_id,name\n1,ok\n2,Caf'),
      Buffer.from([0xe9]),
      Buffer.from('\n3,x\n'),
    ]);
    const error = await failure(file);
    expect(error).toBeInstanceOf(FileError);
    expect((error as FileError).line).toBe(3);
    expect(error.message).toContain('line 3 is not valid UTF-8');
    expect(error.message).toContain('--encoding windows-1252');
    expect(error.message).toContain('Café');
  });

  it('refuses a file cut inside a multi-byte character', async () => {
    const error = await failure(Buffer.concat([Buffer.from('system_id,name\n1,Zo'), Buffer.from([0xc3])]));
    expect((error as FileError).line).toBe(2);
  });

  it('refuses a missing file, a directory, an empty file, a blank file', async () => {
    await expect(openCsv(path.join(scratch.dir, 'nope.csv'))).rejects.toThrow(/does not exist/);
    await expect(openCsv(scratch.dir)).rejects.toThrow(/is a directory/);
    expect((await failure('')).message).toContain('is empty');
    expect((await failure('\uFEFF\n\r\n')).message).toContain('is empty');
  });

  it('refuses files that are not CSV', async () => {
    expect((await failure(Buffer.from([0x73, 0x79, 0x73, 0, 1, 2, 0x0a]))).message).toContain('binary');
    expect((await failure(Buffer.from('PK\x03\x04\x14\x00rest', 'latin1'))).message).toContain('Excel workbook');
    expect((await failure('{"contacts": [{"a": 1}, {"b": 2}]}\n')).message).toContain('JSON');
    expect((await failure('<!DOCTYPE html><html>\n')).message).toContain('HTML');
  });

  it('refuses an unknown encoding', async () => {
    await expect(failure('system_id\n1\n', { encoding: 'ebcdic' as never })).resolves.toBeInstanceOf(UsageError);
  });
});

describe('openCsv: encodings', () => {
  it('decodes windows-1252, including € at 0x80', async () => {
    // "system_id,name\n1,Café\n2,Zoë\n3,€5\n" as Excel on Windows writes it.
    const file = Buffer.from([
      ...Buffer.from('system_id,name\n1,Caf'),
      0xe9,
      ...Buffer.from('\n2,Zo'),
      0xeb,
      ...Buffer.from('\n3,'),
      0x80,
      ...Buffer.from('5\n'),
    ]);
    for (const encoding of ['windows-1252', 'latin1'] as const) {
      const { source, records } = await read(file, { encoding });
      expect(source.header.encoding).toBe('windows-1252');
      expect(rows(records)).toEqual([
        ['1', 'Café'],
        ['2', 'Zoë'],
        ['3', '€5'],
      ]);
    }
  });

  it('decodes UTF-16LE with a BOM whatever --encoding says', async () => {
    const text = 'System ID,Name\r\n1,Zoë €\r\n2,"a,\r\nb"\r\n3,😀\r\n';
    const file = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const { source, records } = await read(file, { encoding: 'windows-1252' });
    expect(source.header.encoding).toBe('utf16le');
    expect(source.header.columns).toEqual(['System ID', 'Name']);
    expect(records).toEqual([
      { line: 2, cells: ['1', 'Zoë €'] },
      { line: 3, cells: ['2', 'a,\r\nb'] },
      { line: 5, cells: ['3', '😀'] },
    ]);
  });

  it('decodes UTF-16BE with a BOM, and UTF-16LE without one when asked', async () => {
    const text = 'system_id,name\n1,Zoë\n';
    const be = Buffer.from(text, 'utf16le').swap16();
    const a = await read(Buffer.concat([Buffer.from([0xfe, 0xff]), be]));
    expect(a.source.header.encoding).toBe('utf16be');
    expect(rows(a.records)).toEqual([['1', 'Zoë']]);
    const b = await read(Buffer.from(text, 'utf16le'), { encoding: 'utf16le' });
    expect(rows(b.records)).toEqual([['1', 'Zoë']]);
  });

  it('refuses UTF-16 with a lone surrogate, naming its line', async () => {
    const good = Buffer.from('system_id,name\n1,a\n2,', 'utf16le');
    const file = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      good,
      Buffer.from([0x3d, 0xd8]),
      Buffer.from('x\n', 'utf16le'),
    ]);
    const error = await failure(file);
    expect(error).toBeInstanceOf(FileError);
    expect((error as FileError).line).toBe(3);
  });
});

/** Resolves once bytesRead() is unchanged over 50 thread-pool round trips (at most 100_000 of them). */
async function readingSettles(source: { bytesRead(): number }): Promise<void> {
  let last = -1;
  let same = 0;
  for (let round = 0; round < 100_000; round++) {
    await fs.promises.stat(import.meta.filename);
    const now = source.bytesRead();
    same = now === last ? same + 1 : 0;
    if (same === 50) return;
    last = now;
  }
  throw new Error('the reader never stopped reading');
}

describe('openCsv: streaming', () => {
  let big: string;
  const ROWS = 200_000;

  beforeAll(() => {
    const lines = [CSV_HEADER];
    for (let i = 0; i < ROWS; i++) {
      lines.push(
        `C${i},First${i},Last${i % 977},user${i}@example.com,${i % 7 === 0 ? '"Head of ""Ops"", EMEA"' : 'Analyst'},+6141${String(i).padStart(7, '0')}`,
      );
    }
    big = write(lines.join('\n') + '\n', 'big.csv');
  });

  it('streams 200k rows with flat memory', async () => {
    const source = await openCsv(big);
    const start = process.memoryUsage().rss;
    let peak = start;
    let count = 0;
    let wrongLines = 0;
    for await (const record of source.records) {
      count++;
      if (record.line !== count + 1 || record.error !== undefined) wrongLines++;
      if (count % 10_000 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    }
    expect(count).toBe(ROWS);
    expect(wrongLines).toBe(0);
    expect(source.bytesRead()).toBe(source.bytesTotal);
    expect(peak - start).toBeLessThan(100 * 1024 * 1024);
  });

  it('applies backpressure: a consumer that stops stops the reading', async () => {
    const source = await openCsv(big);
    const iterator = source.records[Symbol.asyncIterator]();
    for (let i = 0; i < 10; i++) await iterator.next();
    // Wait for the reading to settle rather than for a guessed time: each round trip through the
    // thread pool lets reads queued before it finish. A reader without backpressure settles only
    // at the end of the file, so the bound below then fails whatever the machine's speed.
    await readingSettles(source);
    expect(source.bytesRead()).toBeLessThan(2 * 1024 * 1024);
    expect(source.bytesTotal).toBeGreaterThan(10 * 1024 * 1024);
    // And the reading goes on when the consumer does.
    expect((await iterator.next()).value).toMatchObject({
      line: 12,
      cells: ['C10', 'First10', 'Last10', 'user10@example.com', 'Analyst', '+61410000010'],
    });
    await iterator.return?.();
  });

  it('stops cleanly when the consumer breaks out', async () => {
    const source = await openCsv(big);
    let count = 0;
    for await (const _record of source.records) if (++count === 5) break;
    expect(count).toBe(5);
  });

  it('finds malformed rows across chunk boundaries, with exact lines', async () => {
    // Enough bytes for many parse chunks; a malformed row every 997 rows, some spanning lines.
    const lines = ['system_id,note'];
    const expected: [number, string | undefined][] = [];
    for (let i = 0; i < 60_000; i++) {
      const line = lines.length + 1;
      if (i % 997 === 5) {
        lines.push(`${i},"bad"quote`, 'not swallowed"');
        expected.push([line, 'malformed_row'], [line + 1, 'malformed_row']);
      } else if (i % 997 === 9) {
        lines.push(`${i},5" screen`);
        expected.push([line, 'malformed_row']);
      } else if (i % 13 === 0) {
        lines.push(`${i},"multi`, `line ${'x'.repeat(i % 50)}"`);
        expected.push([line, undefined]);
      } else {
        lines.push(`${i},${'y'.repeat(i % 70)}`);
        expected.push([line, undefined]);
      }
    }
    const source = await openCsv(write(lines.join('\r\n') + '\r\n'));
    const got = (await collect(source)).map((r): [number, string | undefined] => [r.line, r.error?.code]);
    expect(got).toEqual(expected);
  });
});

describe('pre-scan helpers', () => {
  it('QuoteScanner gives the same answer however the bytes are chunked', () => {
    const token = fc.constantFrom('a', ',', '"', '""', '\n', '\r\n', '\r');
    fc.assert(
      fc.property(fc.array(token, { maxLength: 40 }), fc.array(fc.nat(), { maxLength: 8 }), (tokens, cuts) => {
        const bytes = Buffer.from(tokens.join(''));
        const dialect = { delimiter: 0x2c, mac: false };
        const whole = new QuoteScanner(dialect);
        whole.feed(bytes);
        const expected = whole.finish();
        const pieces = new QuoteScanner(dialect);
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((x, y) => x - y);
        let from = 0;
        for (const p of [...points, bytes.length]) {
          pieces.feed(bytes.subarray(from, p));
          from = p;
        }
        expect(pieces.finish()).toBe(expected);
      }),
    );
  });

  it('SwallowScanner finds a bad closing quote that csv-parse would read on past the limit, however chunked', () => {
    const dialect = { delimiter: 0x2c, mac: false };
    const text = Buffer.from(`id,a\n1,"Lee" ,x\n${'2,b\n'.repeat(20)}3,"c"\n`);
    const stray = text.indexOf('" ,');
    for (const [limit, expected] of [
      [40, stray],
      [1000, -1],
    ] as const) {
      for (const size of [1, 3, 7, text.length]) {
        const scanner = new SwallowScanner(dialect, limit);
        for (let i = 0; i < text.length; i += size) scanner.feed(text.subarray(i, i + size));
        expect(scanner.finish()).toBe(expected);
      }
    }
    // A well-formed quoted value, however long, is no stray.
    const long = new SwallowScanner(dialect, 10);
    long.feed(Buffer.from(`id,a\n1,"${'x'.repeat(100)}"\n`));
    expect(long.finish()).toBe(-1);
  });

  it('refuses up front a stray quote that would make the reader hold more than 16 MiB', async () => {
    const error = await failure(`id,a\n1,"Lee" ,x\n${'2,bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n'.repeat(540_000)}`, {
      map: ['id=system_id'],
    });
    expect(error).toBeInstanceOf(FileError);
    expect((error as FileError).line).toBe(2);
    expect(error.message).toContain('line 2: a closing quote is followed by more text');
  });

  it('Utf8Checker finds the first bad byte however the bytes are chunked', () => {
    const broken = [[0xe9], [0xf0, 0x9f], [0xed, 0xa0, 0x80], [0xc0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80]];
    const piece = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 4 }).map((s) => Buffer.from(s)),
      fc.constantFrom(...broken).map((b) => Buffer.from(b)),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 6 }), (pieces, cuts) => {
        const bytes = Buffer.concat(pieces);
        const expected = firstInvalidUtf8(bytes);
        let valid = true;
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(bytes);
        } catch {
          valid = false;
        }
        expect(expected === -1).toBe(valid);
        const checker = new Utf8Checker();
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((x, y) => x - y);
        let from = 0;
        let bad = -1;
        for (const p of [...points, bytes.length]) {
          if (bad === -1) bad = checker.check(bytes.subarray(from, p));
          from = p;
        }
        if (bad === -1) bad = checker.end();
        expect(bad).toBe(expected);
      }),
    );
  });
});

describe('openCsv: properties', () => {
  it('reads back whatever csv-stringify writes', async () => {
    const piece = fc.oneof(
      fc.constantFrom(',', ';', '"', '\n', '\r', '\t', '\r\n', ' ', '""', 'é', '€', '😀', '\u2028'),
      fc.string({ unit: 'binary', maxLength: 4 }).filter((s) => !s.includes('\u0000')),
    );
    const cell = fc.array(piece, { maxLength: 6 }).map((p) => p.join(''));
    const table = fc.array(fc.array(cell, { minLength: 3, maxLength: 3 }), { maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(table, fc.constantFrom<'unix' | 'windows'>('unix', 'windows'), async (cells, eol) => {
        // A non-blank system_id, since rows of blank cells are skipped on purpose.
        const data = cells.map((row, i) => [`id${i}`, ...row]);
        // quoted_match: with CRLF records csv-stringify leaves a bare LF unquoted, which every reader splits on.
        const text = stringify([['system_id', 'a', 'b', 'c'], ...data], {
          record_delimiter: eol,
          quoted_match: /[\r\n]/,
        });
        const { records } = await read(text);
        expect(rows(records)).toEqual(data);
        expect(records.every((r) => r.error === undefined)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('reads messy input as a strict reading does: every record once, at its line, good ones intact', async () => {
    const token = fc.constantFrom('a', 'b', ',', '"', '""', '\n', '\n', '\r\n', '\r', ' ');
    await fc.assert(
      fc.asyncProperty(fc.array(token, { maxLength: 40 }), async (tokens) => {
        const text = `system_id,b,c\n${tokens.join('')}`;
        const reference = strictReading(text);
        let records: CsvRecord[];
        try {
          records = (await read(text)).records;
        } catch (error) {
          expect(error).toBeInstanceOf(FileError);
          expect(reference).toBe('unclosed');
          return;
        }
        expect(reference).not.toBe('unclosed');
        if (reference === 'unclosed') return;
        const expected = reference
          .slice(1)
          .filter((r) => r.bad || r.cells.some((c) => c.trim() !== ''))
          .map((r) => {
            if (r.bad || r.bareCr) return { line: r.line, code: 'malformed_row' };
            const long = r.cells.slice(3).some((c) => c.trim() !== '');
            return { line: r.line, code: long ? 'ragged_row' : undefined, cells: [...r.cells, '', '', ''].slice(0, 3) };
          });
        const got = records.map((r) =>
          r.error?.code === 'malformed_row'
            ? { line: r.line, code: 'malformed_row' }
            : { line: r.line, code: r.error?.code, cells: r.cells },
        );
        expect(got).toEqual(expected);
        // Variety across CRLF: the same lines and verdicts.
        const crlf = (await read(text.replace(/\r?\n/g, '\r\n'))).records;
        expect(crlf.map((r) => [r.line, r.error?.code])).toEqual(records.map((r) => [r.line, r.error?.code]));
      }),
      { numRuns: 300 },
    );
  });

  it('loses no row to stray quotes and spaces: one row per record, every good record intact', async () => {
    const cell = fc.stringMatching(/^[a-z ,"\n]{0,6}$/);
    const record = fc.record({
      cells: fc.tuple(cell, cell),
      damage: fc.constantFrom('none', 'none', 'space', 'stray'),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 25 }), async (input) => {
        let line = 2;
        const expected: { line: number; damaged: boolean; cells: string[] }[] = [];
        const lines = input.map(({ cells, damage }, k) => {
          const id = `S${k}`;
          // Damage only one-line records, so that the damage has one line to stay on.
          const damaged = damage !== 'none' && !cells.some((c) => c.includes('\n'));
          let text = stringify([[id, ...cells]], damaged ? { quoted: true, quoted_empty: true } : {}).replace(
            /\n$/,
            '',
          );
          if (damaged && damage === 'space') text = text.replace(/^("S\d+"|S\d+),"((?:[^"]|"")*)"/, '$1,"$2" ');
          if (damaged && damage === 'stray') text = `${id},x"y${text.slice(text.indexOf(','))}`;
          expected.push({ line, damaged, cells: [id, ...cells] });
          line += text.split('\n').length;
          return text;
        });
        const { records } = await read(`system_id,a,b\n${lines.join('\n')}\n`);
        expect(records).toHaveLength(input.length);
        records.forEach((r, k) => {
          const want = expected[k]!;
          expect(r.line).toBe(want.line);
          if (want.damaged) expect(r.error?.code).toBe('malformed_row');
          else expect(r).toEqual({ line: want.line, cells: want.cells });
        });
      }),
      { numRuns: 200 },
    );
  });
});

interface StrictRecord {
  line: number;
  cells: string[];
  /** Broken quoting. */
  bad: boolean;
  /** A bare CR outside quotes: a line end that is not the file's (a blank line with one is still blank). */
  bareCr: boolean;
}

/**
 * An independent, strict reading of a comma/LF file: a quote opens a field only at its start,
 * `""` is a literal, any other quote ends the quoted part (and the record is bad unless a
 * delimiter or line end follows), a quote elsewhere or a bare CR makes the record bad. Blank
 * lines are skipped. 'unclosed' when a quoted field runs to the end of the data.
 */
function strictReading(text: string): StrictRecord[] | 'unclosed' {
  const out: StrictRecord[] = [];
  const n = text.length;
  const eolAt = (i: number): number => (text[i] === '\n' ? 1 : text[i] === '\r' && text[i + 1] === '\n' ? 2 : 0);
  let i = 0;
  let line = 1;
  while (i < n) {
    const blank = eolAt(i);
    if (blank > 0) {
      i += blank;
      line++;
      continue;
    }
    const start = line;
    const cells: string[] = [];
    let cell = '';
    let quoted = false;
    let wasQuoted = false;
    let bad = false;
    let bareCr = false;
    for (;;) {
      if (i >= n) {
        if (quoted) return 'unclosed';
        cells.push(cell);
        break;
      }
      const c = text[i]!;
      if (quoted) {
        if (c === '"' && text[i + 1] === '"') {
          cell += '"';
          i += 2;
        } else if (c === '"') {
          quoted = false;
          wasQuoted = true;
          i++;
          if (!(i >= n || text[i] === ',' || eolAt(i) > 0)) bad = true;
        } else {
          if (c === '\n') line++;
          cell += c;
          i++;
        }
        continue;
      }
      const eol = eolAt(i);
      if (eol > 0) {
        cells.push(cell);
        i += eol;
        line++;
        break;
      }
      if (c === '"' && cell === '' && !wasQuoted) quoted = true;
      else if (c === ',') {
        cells.push(cell);
        cell = '';
        wasQuoted = false;
      } else {
        if (c === '"') bad = true;
        if (c === '\r') bareCr = true;
        cell += c;
      }
      i++;
    }
    out.push({ line: start, cells, bad, bareCr });
  }
  return out;
}

describe('a file that changes while it is read (issue 22 item 6)', () => {
  const big = (): string => {
    const lines = [CSV_HEADER];
    for (let i = 0; i < 60_000; i++) lines.push(`C${i},Ann,Lee,c${i}@example.com,Dev,`);
    return `${lines.join('\n')}\n`;
  };

  /** Reads the first batch, lets `change` act on the file, then reads on: the error it ends with. */
  async function readWhile(change: (file: string) => void): Promise<unknown> {
    const file = write(big());
    const source = await openCsv(file);
    let changed = false;
    try {
      for await (const batch of source.batches) {
        expect(batch.length).toBeGreaterThan(0);
        if (!changed) change(file);
        changed = true;
      }
    } catch (error) {
      return error;
    } finally {
      source.close();
    }
    return undefined;
  }

  it('stops with a FileError when the file shrinks, or is rewritten at the same size', async () => {
    const cut = await readWhile((file) => fs.truncateSync(file, 100_000));
    expect(cut).toBeInstanceOf(FileError);
    expect((cut as FileError).message).toMatch(/the file changed while it was read/);
    const rewritten = await readWhile((file) => {
      const bytes = fs.readFileSync(file);
      bytes[bytes.length - 3] = 0x58;
      fs.writeFileSync(file, bytes);
      fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
    });
    expect((rewritten as FileError).message).toMatch(/the file changed while it was read/);
  });

  it('a file left alone reads to the end without complaint', async () => {
    expect(await readWhile(() => undefined)).toBeUndefined();
  });

  /** Every record of a second open handed the first one's pre-scan; how many times the file was read. */
  async function reopen(file: string, change: () => void): Promise<{ rows: number; reads: number }> {
    const first = await openCsv(file);
    first.close();
    change();
    const { result, reads } = await countReads(file, async () => {
      const second = await openCsv(file, { prescanned: first.prescan });
      let rows = 0;
      for await (const record of second.records) if (record.error === undefined) rows++;
      return rows;
    });
    return { rows: result, reads };
  }

  it("a second open of the same file takes the first one's pre-scan: it reads the file once, for the rows", async () => {
    const file = write(big());
    expect(await reopen(file, () => undefined)).toEqual({ rows: 60_000, reads: 1 });
    // Without it, the pre-scan reads the file again.
    expect((await countReads(file, async () => (await openCsv(file)).close())).reads).toBe(2);
  });

  it('a file changed between the two opens is refused by the second, before a row is read', async () => {
    const file = write(big());
    const touched = reopen(file, () => fs.utimesSync(file, new Date(), new Date(Date.now() + 5000)));
    await expect(touched).rejects.toThrow(/the file changed while it was read/);
    const replaced = write(big());
    const moved = reopen(replaced, () => {
      // The same size and mtime, another inode: not the file that was scanned.
      const stat = fs.statSync(replaced);
      fs.copyFileSync(replaced, `${replaced}.new`);
      fs.renameSync(`${replaced}.new`, replaced);
      fs.utimesSync(replaced, stat.atime, stat.mtime);
    });
    await expect(moved).rejects.toThrow(/the file changed while it was read/);
  });
});
