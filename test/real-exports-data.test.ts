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
import { importContacts, planImport, validateFile } from '../src/run/entry.js';
import { isLossySave } from '../src/contact/lossy.js';
import { Secret } from '../src/config.js';
import type { Contact } from '../src/contact/schema.js';
import { FileError } from '../src/errors.js';
import { createScratch, readResults, ROOT, useEmulators } from './helpers.js';

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

  it("shares the emulator's length limit: 100 characters, not 101", () => {
    expect(parse({ system_id: 'i'.repeat(100) }).ok).toBe(true);
    expect(errorCodes(parse({ system_id: 'i'.repeat(101) }))).toEqual(['invalid_system_id']);
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

describe('a lossy spreadsheet save is refused wherever the API value is known (issue 23, item 4)', () => {
  const emulator = useEmulators();
  const held: Contact[] = [
    {
      system_id: 'L1',
      first_name: 'Łukasz',
      last_name: 'Nowak',
      email: 'l1@example.com',
      job_title: null,
      mobile: null,
    },
    { system_id: 'M1', first_name: '美咲', last_name: 'Sato', email: 'm1@example.com', job_title: null, mobile: null },
    { system_id: 'Z1', first_name: 'Zoë', last_name: 'Ng', email: 'z1@example.com', job_title: 'Agent', mobile: null },
  ];
  // As Excel's "CSV (Comma delimited)" writes them back: ë is in windows-1252, Ł and 美咲 are not.
  const saved =
    'system_id,first_name,last_name,email,job_title\r\n' +
    'L1,?ukasz,Nowak,l1@example.com,Lead\r\n' +
    'M1,??,Sato,m1@example.com,\r\n' +
    'Z1,Zoë,Ng,z1@example.com,Senior Agent\r\n';

  async function seeded() {
    const emu = await emulator();
    emu.seedContacts(held);
    return {
      emu,
      connection: { baseUrl: emu.baseUrl, portalCode: emu.portalCode, apiKey: new Secret(emu.apiKey) },
    };
  }

  it('the rule: only non-ASCII letters turned into "?", compared with the value the API holds', () => {
    expect(isLossySave('Łukasz', '?ukasz')).toBe(true);
    expect(isLossySave('美咲', '??')).toBe(true);
    expect(isLossySave('Zoe\u0308', 'Zo?')).toBe(true);
    expect(isLossySave('Ana 😀', 'Ana ??')).toBe(true);
    expect(isLossySave('Łukasz', 'Lukasz')).toBe(false);
    expect(isLossySave('Łukasz', '?ukasz2')).toBe(false);
    expect(isLossySave('Who', 'Who?')).toBe(false);
    expect(isLossySave('Ana', '?na')).toBe(false);
  });

  it('--plan: the lossy rows are invalid with their own code, naming the column and the fix', async () => {
    const { connection } = await seeded();
    const summary = await planImport({ input: scratch.write(saved), connection });
    const rows = readResults(summary.resultsPath);
    expect(rows.map((r) => r.status)).toEqual(['invalid', 'invalid', 'would-update']);
    expect(rows[0]?.error).toMatch(
      /^lossy_save: column "first_name" "\?ukasz" would overwrite "Łukasz" in the API .*save it as "CSV UTF-8", or use \.xlsx$/,
    );
    expect(rows[1]?.error).toMatch(/^lossy_save: column "first_name" "\?\?" would overwrite "美咲"/);
    expect(summary.counts.invalid).toBe(2);
  });

  it('--changed-only and --backup: the lossy rows are never sent, the others are', async () => {
    for (const flags of [{ changedOnly: true }, { backup: join(scratch.dir, `undo-${Math.random()}.csv`) }]) {
      const { emu, connection } = await seeded();
      const summary = await importContacts({ input: scratch.write(saved), connection, ...flags });
      const rows = readResults(summary.resultsPath);
      expect(rows.map((r) => r.status)).toEqual(['invalid', 'invalid', 'updated']);
      expect(rows[0]?.error).toMatch(/^lossy_save:/);
      expect(
        emu
          .log()
          .filter((e) => e.method === 'PUT')
          .map((e) => e.systemId),
      ).toEqual(['Z1']);
      expect(emu.contacts().map((c) => c.first_name)).toEqual(['Łukasz', '美咲', 'Zoë']);
    }
  });
});

describe('one system_id, two people (issue 23, item 2)', () => {
  const emulator = useEmulators();
  const file =
    'Agent ID,First Name,Last Name,Email,Job Title\r\n' +
    '1001,Ana,Lima,ana@example.com,\r\n' + // line 2
    '1002,Ben,Ode,ben@example.com,\r\n' + // line 3
    '1001,Ana,Lima,ANA@example.com,Lead\r\n' + // line 4: the same person (email case), a title added
    '1002,Cy,Park,cy@example.com,\r\n' + // line 5: another person under Ben's id
    '1003,Zoë,Ng,zoe@example.com,\r\n' + // line 6
    '1003,Zoe\u0308,Ng,,Agent\r\n' + // line 7: the same person, decomposed, no email
    '1002,Ben,Ode,ben@example.com,Lead\r\n'; // line 8: Ben again, but 1002 is shared
  const map = ['Agent ID=system_id'];
  const expected = ['valid', 'invalid', 'valid', 'invalid', 'valid', 'valid', 'invalid'];

  function expectConflicts(rows: Record<string, string>[]): void {
    expect(rows[1]?.error).toBe(
      'conflicting_person: column "Agent ID" "1002" is also used by line 5 for another person (column "Email" differs): the later row would overwrite the earlier, so neither is sent; fix the id, or remove one of the rows',
    );
    expect(rows[3]?.error).toMatch(/^conflicting_person: column "Agent ID" "1002" is also used by line 3 /);
    expect(rows[6]?.error).toMatch(/^conflicting_person: column "Agent ID" "1002" is also used by line 5 /);
  }

  it('a dry run refuses every row of the shared id, each naming the other line, and keeps repeats of one person', async () => {
    const { summary, rows } = await dryRun(scratch.write(file), { map });
    expect(rows.map((r) => r.status)).toEqual(expected);
    expectConflicts(rows);
    expect(summary.counts).toMatchObject({ valid: 4, invalid: 3 });
    expect(summary.errorGroups.find((g) => g.code === 'conflicting_person')?.count).toBe(3);
    // The errors file holds the three refused rows, first one included.
    const errors = readResults(summary.errorsPath);
    expect(errors.map((r) => r['First Name'])).toEqual(['Ben', 'Cy', 'Ben']);
  });

  it('a dry run of 3,000 shared ids corrects each earlier row, past the in-memory thousand (spilled)', async () => {
    const ids = 3000;
    const lines = ['Agent ID,First Name,Last Name,Email'];
    for (let i = 0; i < ids; i++) lines.push(`S${i},Ann${i},Lee,a${i}@example.com`);
    for (let i = 0; i < ids; i++) lines.push(`S${i},Bob${i},Ray,b${i}@example.com`);
    const { summary, rows } = await dryRun(scratch.write(`${lines.join('\n')}\n`), { map });
    expect(summary.counts).toMatchObject({ valid: 0, invalid: 2 * ids });
    expect(rows.every((r) => r.status === 'invalid' && r.error?.startsWith('conflicting_person:'))).toBe(true);
    expect(rows[ids - 1]?.error).toContain(`"S${ids - 1}" is also used by line ${2 * ids + 1} `);
  });

  it('an import never sends either person, and a plan predicts the same', async () => {
    const emu = await emulator();
    const connection = { baseUrl: emu.baseUrl, portalCode: emu.portalCode, apiKey: new Secret(emu.apiKey) };
    const plan = await planImport({ input: scratch.write(file), connection, map });
    const planned = readResults(plan.resultsPath);
    expect(planned.map((r) => r.status)).toEqual([
      'would-create',
      'invalid',
      'would-update',
      'invalid',
      'would-create',
      'would-update',
      'invalid',
    ]);
    expectConflicts(planned);
    const run = await importContacts({ input: scratch.write(file), connection, map });
    const rows = readResults(run.resultsPath);
    expect(rows.map((r) => r.status)).toEqual([
      'created',
      'invalid',
      'updated',
      'invalid',
      'created',
      'updated',
      'invalid',
    ]);
    expectConflicts(rows);
    expect(emu.contacts().map((c) => c.system_id)).toEqual(['1001', '1003']);
    expect(emu.log().some((e) => e.method === 'PUT' && e.systemId === '1002')).toBe(false);
  });
});
