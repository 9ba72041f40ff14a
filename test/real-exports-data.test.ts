/**
 * Real spreadsheet and helpdesk exports (issue 23): ids Excel rounded, Excel for Mac's MacRoman,
 * decomposed text from Apple Numbers, internationalised email addresses. Each case comes from a
 * file a helpdesk admin would really have, and each test fails on the code before the fix.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRowParser } from '../src/contact/schema.js';
import { openCsv } from '../src/csv/read.js';
import { validateFile } from '../src/run/entry.js';
import { FileError } from '../src/errors.js';
import { createScratch, readResults, ROOT } from './helpers.js';

const scratch = createScratch('real-exports-');
const parse = createRowParser({});
const MAC_FIXTURE = join(ROOT, 'test', 'fixtures', 'excel-for-mac.csv');

function errorCodes(row: ReturnType<typeof parse>): string[] {
  return row.ok ? [] : row.errors.map((e) => e.code);
}

async function dryRun(path: string, options: Partial<Parameters<typeof validateFile>[0]> = {}) {
  const summary = await validateFile({ input: path, ...options });
  return { summary, rows: readResults(summary.resultsPath) };
}

describe('system_id in Excel scientific notation (issue 23, item 1)', () => {
  for (const id of ['4.30123E+10', '4.30123e10', '1.23E+11', '4,30123E+10', '1E+11']) {
    it(`refuses ${id} with its own code and a fix that works`, () => {
      const row = parse({ system_id: id, first_name: 'Ana' });
      expect(errorCodes(row)).toEqual(['scientific_system_id']);
      expect(!row.ok && row.errors[0]?.message).toMatch(/re-export the ids as text.*\.xlsx/);
    });
  }

  it('still takes ids that only look numeric-ish: 123e45, 430123000000, 4.30123', () => {
    for (const id of ['123e45', '430123000000', '4.30123', 'E10', 'a1.2E+3'])
      expect(parse({ system_id: id }).ok).toBe(true);
  });

  it('still refuses an empty id, . and ..', () => {
    expect(errorCodes(parse({ system_id: '' }))).toEqual(['missing_system_id']);
    expect(errorCodes(parse({ system_id: '.' }))).toEqual(['invalid_system_id']);
    expect(errorCodes(parse({ system_id: ' .. ' }))).toEqual(['invalid_system_id']);
  });

  it('a Freshdesk file saved by Excel: every rounded row is invalid, naming the column, and the run is not clean', async () => {
    const path = scratch.write(
      'Agent ID,First Name,Last Name,Email\r\n' +
        '4.30123E+10,Ana,Lima,ana@example.com\r\n' +
        '4.30123E+10,Ben,Ode,ben@example.com\r\n' +
        '4.30123E+10,Cy,Park,cy@example.com\r\n' +
        '43012399001,Di,Roe,di@example.com\r\n',
    );
    const { summary, rows } = await dryRun(path, { map: ['Agent ID=system_id'] });
    expect(rows.map((r) => r.status)).toEqual(['invalid', 'invalid', 'invalid', 'valid']);
    expect(rows[0]?.error).toMatch(/^scientific_system_id: column "Agent ID"/);
    expect(summary.counts.invalid).toBe(3);
  });
});

describe('Unicode NFC (issue 23, item 6)', () => {
  const nfd = 'Zoe\u0308 Mu\u0308ller';

  it('normalises decomposed text (Apple Numbers) to NFC before it is validated or sent', () => {
    const row = parse({ system_id: 'Jose\u0301', first_name: nfd, email: 'zoe\u0308@example.com' });
    expect(row.ok).toBe(true);
    if (!row.ok) return;
    expect(row.systemId).toBe('José');
    expect(row.patch.first_name).toBe('Zoë Müller');
    expect(row.patch.email).toBe('zoë@example.com');
  });

  it('compares after NFC: the decomposed and composed spellings of one email are one email', async () => {
    const path = scratch.write(
      'system_id,first_name,last_name,email\n' + 'a,Zoë,M,zoë@example.com\n' + 'b,Zoe\u0308,M,zoe\u0308@example.com\n',
    );
    const { rows } = await dryRun(path);
    expect(rows.map((r) => r.status)).toEqual(['valid', 'invalid']);
    expect(rows[1]?.error).toMatch(/^duplicate_email: column "email"/);
  });
});

describe('internationalised email addresses, RFC 6531 (issue 23, item 7)', () => {
  for (const email of ['Zoë@example.com', 'josé@exämple.com', '美咲@例え.jp', 'ana@xn--exmple-cua.com']) {
    it(`takes ${email}`, () => {
      expect(parse({ system_id: 'x', email }).ok).toBe(true);
    });
  }
  for (const email of [
    'zoë@',
    'zoë example.com',
    'zoë@exämple',
    'zo"ë@example.com',
    'zoë@@example.com',
    'a..ë@x.com',
  ]) {
    it(`still refuses ${email}`, () => {
      expect(errorCodes(parse({ system_id: 'x', email }))).toContain('invalid_email');
    });
  }
});

describe('Excel for Mac: MacRoman (issue 23, item 3)', () => {
  it('reads the file with --encoding macintosh: every name as it was typed', async () => {
    const { rows } = await dryRun(MAC_FIXTURE, { encoding: 'macintosh' });
    expect(rows.map((r) => r.status)).toEqual(['valid', 'valid', 'valid', 'valid']);
    expect(rows.map((r) => `${r['First Name']} ${r['Last Name']}`)).toEqual([
      'Zoë Müller',
      'José García',
      'François Hélène',
      'Ana Peña',
    ]);
  });

  it('the fixture is what Excel for Mac writes: bare CR line ends, MacRoman bytes', () => {
    const bytes = readFileSync(MAC_FIXTURE);
    expect(bytes.includes(0x0a)).toBe(false);
    expect(bytes.includes(0x0d)).toBe(true);
    expect(new TextDecoder('macintosh').decode(bytes)).toContain('Zoë,Müller');
  });

  it('with the default utf8, the whole-file error names MacRoman and the flag that reads it', async () => {
    const error = await openCsv(MAC_FIXTURE).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FileError);
    const message = (error as FileError).message;
    expect(message).toMatch(/line 2 is not valid UTF-8/);
    expect(message).toMatch(/--encoding macintosh/);
    expect(message).not.toMatch(/--encoding windows-1252/);
    expect(message).toContain('Zoë,Müller');
  });

  it('the same names from Excel on Windows (windows-1252, CRLF) still get --encoding windows-1252', async () => {
    const text = 'System ID,First Name,Last Name\r\n1001,Zoë,Müller\r\n1002,José,García\r\n';
    const path = scratch.write(Buffer.from(text, 'latin1'));
    const message = await openCsv(path).then(
      () => '',
      (e: unknown) => (e as Error).message,
    );
    expect(message).toMatch(/--encoding windows-1252/);
    expect(message).not.toMatch(/macintosh/);
  });

  it('read as windows-1252 by mistake, the C1 control characters make their rows invalid, naming the column', async () => {
    const { rows } = await dryRun(MAC_FIXTURE, { encoding: 'windows-1252' });
    // François (ç is 0x8D) and Hélène (è is 0x8F): U+008D and U+008F, never in a name.
    expect(rows[2]?.status).toBe('invalid');
    expect(rows[2]?.error).toMatch(
      /^control_char: column "First Name" contains the invisible control character U\+008D/,
    );
    expect(rows[2]?.error).toMatch(/--encoding macintosh/);
  });

  it('a C1 control or U+FFFD in a column that is not sent still makes the row invalid, naming it', async () => {
    const path = scratch.write('system_id,first_name,Notes\nx,Ana,ok\ny,Ben,bad\u0085here\nz,Cy,lost\uFFFD\n');
    const { rows } = await dryRun(path);
    expect(rows.map((r) => r.status)).toEqual(['valid', 'invalid', 'invalid']);
    expect(rows[1]?.error).toMatch(/^control_char: column "Notes"/);
    expect(rows[2]?.error).toMatch(/^replacement_char: column "Notes"/);
    expect(errorCodes(parse({ system_id: 'a\u0090b' }))).toEqual(['control_char']);
  });
});
