/**
 * Column mapping, rule by rule, in-process (issue 13 §1 and §3): exact names beat aliases,
 * the mapping description printed before a run, `--map-file`, every whole-file problem at once,
 * columns with no name, and an explicit --encoding over a UTF-8 BOM.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createScratch } from './helpers.js';
import { formatMapping } from '../src/cli/mapping.js';
import { shellQuote } from '../src/shell.js';
import { systemIdSchema } from '../src/contact/schema.js';
import { openCsv, readMapFile, type CsvReadOptions, type CsvSource } from '../src/csv/read.js';
import { FileError } from '../src/errors.js';

const scratch = createScratch('csv-map-');
const write = scratch.write;

async function open(content: string | Buffer, options?: CsvReadOptions): Promise<CsvSource> {
  const source = await openCsv(write(content), options);
  source.close();
  return source;
}

async function failure(content: string | Buffer, options?: CsvReadOptions): Promise<FileError> {
  try {
    (await openCsv(write(content), options)).close();
  } catch (error) {
    expect(error).toBeInstanceOf(FileError);
    return error as FileError;
  }
  throw new Error('openCsv resolved');
}

describe('mapping: exact beats alias', () => {
  it.each(['Job Title', 'job_title', 'JobTitle'])(
    'sends %s as job_title and leaves Outlook\'s "Title" unsent',
    async (exact) => {
      const source = await open(`Title,First Name,${exact},system_id\nMs,Ann,Engineer,A1\nMr,Bob,Manager,A2\n`);
      expect(source.header.fields.job_title).toBe(2);
      expect(source.header.columnFields[0]).toBeUndefined();
      expect(source.header.mapping.unsent[0]).toEqual({
        column: 0,
        label: '"Title"',
        reason: 'shadowed',
        shadowedBy: { label: JSON.stringify(exact), field: 'job_title' },
      });
      // No hint suggests dropping the exact match: nothing suggests anything for Title.
      expect(formatMapping(source.header.mapping)).not.toMatch(/--map ".*Job/);
    },
  );

  it('lets --map beat an exact name, and still refuses two columns of equal right', async () => {
    const source = await open('system_id,Email,Work Email\n1,a@x.com,b@x.com\n', { map: ['Work Email=email'] });
    expect(source.header.fields.email).toBe(2);
    expect(source.header.mapping.unsent).toEqual([
      { column: 1, label: '"Email"', reason: 'shadowed', shadowedBy: { label: '"Work Email"', field: 'email' } },
    ]);
    const error = await failure('system_id,job_title,Job Title\n1,a,b\n');
    expect(error.message).toContain('columns 2 ("job_title") and 3 ("Job Title") both map to job_title');
  });
});

describe('mapping: the description printed before anything is sent', () => {
  it('gives each field its column and two sample values from the first rows', async () => {
    const source = await open(
      'ID,First Name,Mobile Phone\nA1,Ann,\nA2, Bob ,+61412000001\nA3,Cy,+61412000002\nA4,Di,+61412000003\n',
      { map: ['ID=system_id'] },
    );
    expect(source.header.mapping.fields).toEqual([
      { field: 'system_id', column: 0, label: '"ID"', by: 'map', samples: ['A1', 'A2'] },
      { field: 'first_name', column: 1, label: '"First Name"', by: 'exact', samples: ['Ann', 'Bob'] },
      { field: 'mobile', column: 2, label: '"Mobile Phone"', by: 'alias', samples: ['+61412000001', '+61412000002'] },
    ]);
  });

  it('suggests a pasteable --map for a column whose name is close to a field', async () => {
    const source = await open(
      'system_id,Cell,E-mail 1 - Value,Position,Given name,Notes\n1,+61412000001,a@x.com,Dev,Ann,n\n',
    );
    const suggestions = source.header.mapping.unsent.map((u) => [u.label, u.suggestion?.map]);
    expect(suggestions).toEqual([
      ['"Cell"', 'Cell=mobile'],
      ['"E-mail 1 - Value"', 'E-mail 1 - Value=email'],
      ['"Position"', 'Position=job_title'],
      ['"Notes"', undefined],
    ]);
    // "Given name" is an alias of first_name already.
    expect(source.header.fields.first_name).toBe(4);
    const block = formatMapping(source.header.mapping);
    expect(block).toContain('"Cell": looks like mobile; to send it: --map Cell=mobile');
    expect(block).toContain(`--map 'E-mail 1 - Value=email'`);
    const phone = await open('system_id,Phone (Mobile)\n1,+61412000001\n');
    expect(phone.header.mapping.unsent[0]?.suggestion?.map).toBe('Phone (Mobile)=mobile');
  });

  it('quotes a suggestion for a POSIX shell as every other suggested command is quoted (issue 21, item 2)', async () => {
    // One rule (src/shell.ts): bare when nothing in the word is special, else single quotes.
    expect(shellQuote('Cell=mobile')).toBe('Cell=mobile');
    expect(shellQuote(`Ann's $cell=mobile`)).toBe(`'Ann'\\''s $cell=mobile'`);
    const source = await open(`system_id,Ann's $cell\n1,+61412000001\n`);
    expect(formatMapping(source.header.mapping)).toContain(`to send it: --map 'Ann'\\''s $cell=mobile'`);
    const error = await failure('Customer ID,Name\n1,a\n');
    expect(error.message).toContain(`pass --map 'Customer ID=system_id'`);
  });

  it('describes a column with no name as "column N (no header)", and maps it by position', async () => {
    const source = await open('system_id,,Notes,\n1,+61412000001,n,x\n');
    expect(source.header.mapping.unsent.map((u) => u.label)).toEqual([
      'column 2 (no header)',
      '"Notes"',
      'column 4 (no header)',
    ]);
    const error = await failure('system_id,,\n1,a,b\n', { map: ['#2=email', '#3=email'] });
    expect(error.message).toContain('columns 2 (no header) and 3 (no header) both map to email');
    const missing = await failure(',Notes\n1,a\n');
    expect(missing.message).toContain('the headers are column 1 (no header), "Notes"');
    expect(missing.message).not.toContain('""');
  });
});

describe('mapping: --map-file', () => {
  it('reads one header=field a line, with # comments, and a --map flag wins over it', async () => {
    const mapFile = write(
      '# Outlook\n\nOrganizational ID Number=system_id\r\n  # indented comment\nTitle=\n#3=mobile\nCell=email\n',
      'm1.map',
    );
    const source = await open('Organizational ID Number,Title,Cell,Job Title\nO1,Ms,+61412000001,Dev\n', {
      mapFile,
      map: ['Cell='],
    });
    expect(source.header.fields).toEqual({ system_id: 0, job_title: 3 });
    expect(source.header.mapping.unsent.map((u) => [u.label, u.reason])).toEqual([
      ['"Title"', 'ignored'],
      ['"Cell"', 'ignored'],
    ]);
  });

  it('names the file and the line of every bad mapping, and a missing file', async () => {
    const mapFile = write('ok=system_id\nno equals sign\nJob=jobtitel\n', 'm2.map');
    const error = await readMapFile(mapFile).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileError);
    expect((error as FileError).problems).toEqual([
      `${mapFile} line 2 must look like "CSV header=field" (or "CSV header=" to ignore the column)`,
      expect.stringContaining(`${mapFile} line 3: unknown field "jobtitel"`),
    ]);
    const gone = await readMapFile(path.join(scratch.dir, 'nope.map')).catch((e: unknown) => e);
    expect((gone as Error).message).toMatch(/cannot read --map-file .*nope\.map: it does not exist \(ENOENT\)/);
    const noColumn = await openCsv(write('system_id\n1\n'), { mapFile: write('Customer=email\n', 'm3.map') }).catch(
      (e: unknown) => e,
    );
    expect((noColumn as Error).message).toMatch(/m3\.map line 1: .* has no column "Customer"/);
  });
});

describe('whole-file problems, all at once', () => {
  it('reports wrong encoding, a missing system_id and two colliding columns together', async () => {
    const file = Buffer.concat([
      Buffer.from('Customer,Email Address,E-mail Address\n1,a@x.com,b@x.com\n2,Caf'),
      Buffer.from([0xe9]),
      Buffer.from(',c@x.com,d@x.com\n'),
    ]);
    const error = await failure(file);
    expect(error.problems).toHaveLength(3);
    expect(error.problems[0]).toMatch(/line 3 is not valid UTF-8.*--encoding windows-1252/);
    expect(error.problems[1]).toContain('both map to email');
    expect(error.problems[2]).toContain('no system_id column');
    expect(error.message.split('\n')).toEqual(error.problems);
  });
});

describe('encodings and row shapes', () => {
  it('lets an explicit --encoding win over a UTF-8 BOM on windows-1252 bytes', async () => {
    const file = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from('system_id,first_name\n1,Zo'),
      Buffer.from([0xeb]),
      Buffer.from('\n'),
    ]);
    const error = await failure(file);
    expect(error.message).toContain('--encoding windows-1252');
    const source = await openCsv(write(file), { encoding: 'windows-1252' });
    const records = [];
    for await (const r of source.records) records.push(r);
    expect(source.header.encoding).toBe('windows-1252');
    expect(source.header.columns).toEqual(['system_id', 'first_name']);
    expect(records).toEqual([{ line: 2, cells: ['1', 'Zoë'] }]);
  });

  it('refuses a control character in a system_id', () => {
    expect(systemIdSchema.safeParse('A1\rA2\rA3').success).toBe(false);
    expect(systemIdSchema.safeParse('A1\tB').success).toBe(false);
    expect(systemIdSchema.safeParse('A-1 b').success).toBe(true);
  });
});
