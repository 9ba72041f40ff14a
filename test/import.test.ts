/**
 * Import against the emulator on a loopback port, one rule per case, then the emulator's state
 * is checked. The row rules run through the library in-process (importRows); what is the CLI's
 * own (exit codes, whole-file messages, flags, stdout) is in import-cli.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Emulator } from '../src/emulator/server.js';
import { resolveConnection } from '../src/config.js';
import { importContacts, type ImportOptions } from '../src/run/entry.js';
import { readCsv, readResults, tempDir, useEmulators, writeFile, CSV_HEADER as HEADER } from './helpers.js';

const emulator = useEmulators();

/**
 * The same import through the library, in-process: for the row-by-row rules, where the CLI adds
 * nothing and a process start per case is the cost. The CLI's own cases stay on importFile.
 */
async function importRows(
  content: string | Buffer,
  options: Omit<Partial<ImportOptions>, 'input' | 'connection'> = {},
  emu?: Emulator,
) {
  const dir = tempDir('import-lib-');
  const input = writeFile(dir, 'contacts.csv', content);
  const server = emu ?? (await emulator());
  const env = {
    CIOPULSE_BASE_URL: server.baseUrl,
    CIOPULSE_PORTAL_CODE: server.portalCode,
    CIOPULSE_API_KEY: server.apiKey,
  };
  const summary = await importContacts({ ...options, input, connection: resolveConnection({}, env) });
  const results = existsSync(summary.resultsPath) ? readResults(summary.resultsPath) : [];
  return { dir, server, summary, results, byId: new Map(server.contacts().map((c) => [c.system_id, c])) };
}

describe('import: reading the file', () => {
  it('reads a UTF-8 BOM file with CRLF line endings; the first header is not broken', async () => {
    const { summary, results, byId } = await importRows(
      `\uFEFF${HEADER}\r\nA1,Tim,Test,tim@example.com,,+61411112233\r\n`,
    );
    expect(summary.counts.created).toBe(1);
    expect(results[0]?.status).toBe('created');
    expect(byId.get('A1')).toEqual({
      system_id: 'A1',
      first_name: 'Tim',
      last_name: 'Test',
      email: 'tim@example.com',
      job_title: null,
      mobile: '+61411112233',
    });
  });

  it('detects semicolons and matches spaced, odd-case headers', async () => {
    const { summary, byId } = await importRows(
      'System ID;First Name;Last Name;E-mail;Job Title;Mobile Phone\nS1;Zoë;Ångström;zoe@example.com;Boss;+4915112345678\n',
    );
    expect(summary.counts.created).toBe(1);
    expect(byId.get('S1')?.first_name).toBe('Zoë');
    expect(byId.get('S1')?.mobile).toBe('+4915112345678');
    expect(byId.get('S1')?.job_title).toBe('Boss');
  });

  it('keeps quoted commas, and rejects a quoted newline because JSON would escape it', async () => {
    const { results, byId } = await importRows(
      `${HEADER}\nQ1,"Smith, Jr",Jones,q1@example.com,"Head, Ops",\nQ2,Anna,"Multi\nLine",q2@example.com,,\nQ3,After,Row,q3@example.com,,\n`,
    );
    expect(byId.get('Q1')?.first_name).toBe('Smith, Jr');
    expect(byId.get('Q1')?.job_title).toBe('Head, Ops');
    expect(results.map((r) => r.status)).toEqual(['created', 'invalid', 'created']);
    expect(results[1]?.error).toMatch(/backslash_char: column "last_name" contains a line break/);
    expect(byId.has('Q2')).toBe(false);
  });

  it('refuses a quote, a backslash and a tab in a value, naming the column and the character', async () => {
    const { results, summary, server } = await importRows(
      `${HEADER}\nB1,"Say ""hi""",X,b1@example.com,,\nB2,Back\\slash,X,b2@example.com,,\nB3,Tab\there,X,b3@example.com,,\n`,
    );
    expect(summary.counts.invalid).toBe(3);
    expect(results.map((r) => r.status)).toEqual(['invalid', 'invalid', 'invalid']);
    expect(results[0]?.error).toContain('column "first_name" contains a double quote');
    expect(results[1]?.error).toContain('a backslash');
    expect(results[2]?.error).toContain('a tab');
    expect(server.contacts()).toHaveLength(0);
    // Only the credential check reached the server: invalid rows are never sent.
    expect(server.stats().byMethod.PUT ?? 0).toBe(0);
  });

  it('keeps duplicate header names as their own columns in the results', async () => {
    const { results, dir, byId } = await importRows(
      'system_id,first_name,last_name,email,Notes,Notes\nD1,A,B,d1@example.com,one,two\n',
    );
    const rows = readCsv(join(dir, 'contacts.results.csv'));
    expect(rows[0]).toEqual([
      'system_id',
      'first_name',
      'last_name',
      'email',
      'Notes',
      'Notes',
      'status',
      'http_status',
      'error',
      'detail',
    ]);
    expect(rows[1]?.slice(4, 6)).toEqual(['one', 'two']);
    expect(results[0]?.status).toBe('created');
    expect(Object.keys(byId.get('D1') ?? {})).not.toContain('Notes');
  });

  it('reads a short row as empty trailing cells; a long row is its own error, and the run carries on', async () => {
    const { results, byId } = await importRows(
      `${HEADER}\nR1,A,B,r1@example.com,,\nR2,A,B,r2@example.com\nR3,A,B,r3@example.com,,,EXTRA\nR4,A,B,r4@example.com,,\n`,
    );
    expect(results.map((r) => r.status)).toEqual(['created', 'created', 'invalid', 'created']);
    expect(byId.get('R2')).toEqual({
      system_id: 'R2',
      first_name: 'A',
      last_name: 'B',
      email: 'r2@example.com',
      job_title: null,
      mobile: null,
    });
    expect(results[2]?.error).toMatch(/ragged_row/);
    expect(results[2]?.error).toMatch(/EXTRA/);
  });
});

describe('import: cells and values', () => {
  it('trims cells, omits empty ones, and keeps the text "null" as a string', async () => {
    const emu = await emulator();
    emu.seedContacts([
      {
        system_id: 'N1',
        first_name: 'Old',
        last_name: 'Name',
        email: 'n1@example.com',
        job_title: 'Keep me',
        mobile: '+61411112233',
      },
    ]);
    const { byId } = await importRows(`${HEADER}\nN1 ,  New  ,,,,\nN2,null,Null,n2@example.com,null,\n`, {}, emu);
    expect(byId.get('N1')).toEqual({
      system_id: 'N1',
      first_name: 'New',
      last_name: 'Name',
      email: 'n1@example.com',
      job_title: 'Keep me',
      mobile: '+61411112233',
    });
    expect(byId.get('N2')?.first_name).toBe('null');
    expect(byId.get('N2')?.job_title).toBe('null');
  });

  it('#N/A is invalid without a null token, and clears the field with --null-token "#N/A"', async () => {
    const emu = await emulator();
    emu.seedContacts([
      { system_id: 'V1', first_name: 'A', last_name: 'B', email: 'v1@example.com', job_title: 'Analyst', mobile: null },
    ]);
    const refused = await importRows(`${HEADER}\nV1,A,B,v1@example.com,#N/A,\n`, {}, emu);
    expect(refused.results[0]?.status).toBe('invalid');
    expect(refused.results[0]?.error).toMatch(
      /spreadsheet_error: column "job_title" holds the spreadsheet error #N\/A/,
    );
    expect(refused.byId.get('V1')?.job_title).toBe('Analyst');
    const cleared = await importRows(`${HEADER}\nV1,A,B,v1@example.com,#N/A,\n`, { nullToken: '#N/A' }, emu);
    expect(cleared.results[0]?.status).toBe('updated');
    expect(cleared.byId.get('V1')?.job_title).toBeNull();
  });

  it('--empty null clears fields that are empty in the file', async () => {
    const emu = await emulator();
    emu.seedContacts([
      {
        system_id: 'E1',
        first_name: 'A',
        last_name: 'B',
        email: 'e1@example.com',
        job_title: 'Analyst',
        mobile: '+61411112233',
      },
    ]);
    const { byId } = await importRows(`${HEADER}\nE1,A,B,e1@example.com,,\n`, { empty: 'null' }, emu);
    expect(byId.get('E1')).toMatchObject({ job_title: null, mobile: null });
  });

  it('refuses bad emails and mobiles, and normalises local numbers with --default-country', async () => {
    const { results, byId } = await importRows(
      `${HEADER}\nM1,A,B,not-an-email,,\nM2,A,B,m2@example.com,,0411 112 233\nM3,A,B,m3@example.com,,+61 411-112-233\nM4,A,B,m4@example.com,,6.14111E+10\nM5,A,B,m5@example.com,,+610411112233\n`,
    );
    expect(results.map((r) => r.status)).toEqual(['invalid', 'invalid', 'created', 'invalid', 'created']);
    expect(results[0]?.error).toMatch(/^invalid_email: column "email"/);
    expect(results[1]?.error).toMatch(/^invalid_mobile: column "mobile"/);
    // With its +, the grouping is unambiguous: normalised with no flag, and said so (issue 23, item 6).
    expect(byId.get('M3')?.mobile).toBe('+61411112233');
    expect(results[2]?.detail).toContain('mobile: +61 411-112-233 → +61411112233');
    expect(results[3]?.error).toMatch(/scientific notation/);
    // Passes the API's rule, so it is sent, with libphonenumber's warning in detail.
    expect(results[4]?.detail).toMatch(/trunk zero/);
    expect(byId.get('M5')?.mobile).toBe('+610411112233');

    const normalised = await importRows(`${HEADER}\nL1,A,B,l1@example.com,,0411 112 233\n`, { defaultCountry: 'AU' });
    expect(normalised.byId.get('L1')?.mobile).toBe('+61411112233');
  });

  it('a create missing its email fails with the API’s 400', async () => {
    const { results, summary } = await importRows(`${HEADER}\nC1,A,B,,,\n`);
    expect(summary.counts.failed).toBe(1);
    expect(results[0]?.status).toBe('failed');
    expect(results[0]?.http_status).toBe('400');
  });

  it('stores unicode and emoji byte for byte', async () => {
    const name = 'Siobhán 😀 José 李';
    const { byId } = await importRows(`${HEADER}\nU1,${name},Ünïcödé,u1@example.com,Ingeniør,\n`);
    expect(byId.get('U1')?.first_name).toBe(name);
    expect(Buffer.from(byId.get('U1')?.first_name ?? '')).toEqual(Buffer.from(name));
  });

  it('sends system_ids that need URL encoding as one path segment', async () => {
    const ids = ['a/b', 'with space', 'q?x', 'h#1', '50%', 'p+1'];
    const rows = ids.map((id, i) => `"${id}",A,B,enc${i}@example.com,,`).join('\n');
    const { results, byId } = await importRows(
      `${HEADER}\n${rows}\n.,A,B,dot@example.com,,\n..,A,B,dots@example.com,,\n`,
    );
    expect(results.map((r) => r.status)).toEqual([...ids.map(() => 'created'), 'invalid', 'invalid']);
    for (const id of ids) expect(byId.has(id)).toBe(true);
  });
});

describe('import: order, uniqueness and the 422 second chance', () => {
  it('applies rows with the same system_id in file order: the later row wins', async () => {
    const rows = Array.from({ length: 20 }, (_, i) => `DUP,A,B,dup@example.com,Version ${i},`).join('\n');
    const { results, byId } = await importRows(`${HEADER}\n${rows}\n`, { concurrency: 16 });
    expect(results[0]?.status).toBe('created');
    expect(results.slice(1).every((r) => r.status === 'updated')).toBe(true);
    expect(byId.get('DUP')?.job_title).toBe('Version 19');
  });

  it('refuses a later row that reuses an earlier row’s email under another system_id, ignoring case', async () => {
    const { results } = await importRows(`${HEADER}\nX1,A,B,same@example.com,,\nX2,A,B,SAME@Example.com,,\n`);
    expect(results[1]?.status).toBe('invalid');
    expect(results[1]?.error).toMatch(/duplicate_email: .*line 2/);
  });

  it('gives a 422 one more attempt after the other rows: a rename frees the email', async () => {
    const emu = await emulator();
    emu.seedContacts([
      { system_id: 'OLD', first_name: 'A', last_name: 'B', email: 'moving@example.com', job_title: null, mobile: null },
    ]);
    const { results, byId, dir } = await importRows(
      `${HEADER}\nNEW,C,D,moving@example.com,,\nOLD,A,B,renamed@example.com,,\n`,
      { concurrency: 1 },
      emu,
    );
    expect(results.map((r) => r.status)).toEqual(['created', 'updated']);
    expect(results[0]?.detail).toMatch(/second attempt/);
    expect(byId.get('NEW')?.email).toBe('moving@example.com');
    // Every row ended well, so no errors file is left behind.
    expect(existsSync(join(dir, 'contacts.results.errors.csv'))).toBe(false);
  });

  it('marks a 422 superseded when a later row for the same system_id was applied', async () => {
    const emu = await emulator();
    emu.seedContacts([
      {
        system_id: 'HOLDER',
        first_name: 'A',
        last_name: 'B',
        email: 'taken@example.com',
        job_title: null,
        mobile: null,
      },
      { system_id: 'Z1', first_name: 'C', last_name: 'D', email: 'z1@example.com', job_title: null, mobile: null },
    ]);
    // The same person twice (a second email in one file would be another person: conflicting_person).
    const { results } = await importRows(
      `${HEADER}\nZ1,C,D,taken@example.com,,\nZ1,C,D,,Lead,\n`,
      { concurrency: 1 },
      emu,
    );
    expect(results.map((r) => r.status)).toEqual(['superseded', 'updated']);
    expect(results[0]?.detail).toMatch(/superseded by line 3/);
  });

  it('names a swap of two emails, which no ordering can apply', async () => {
    const emu = await emulator();
    emu.seedContacts([
      { system_id: 'P', first_name: 'A', last_name: 'B', email: 'p@example.com', job_title: null, mobile: null },
      { system_id: 'Q', first_name: 'A', last_name: 'B', email: 'q@example.com', job_title: null, mobile: null },
    ]);
    const { results, summary } = await importRows(`${HEADER}\nP,A,B,q@example.com,,\nQ,A,B,p@example.com,,\n`, {}, emu);
    expect(summary.counts.failed).toBe(2);
    expect(results.map((r) => r.status)).toEqual(['failed', 'failed']);
    expect(results[0]?.error).toMatch(/email_swap/);
  });
});

describe('import: concurrency, results and options', () => {
  it('reaches the concurrency limit and never exceeds it', async () => {
    const emu = await emulator({ latencyMs: 20 });
    const rows = Array.from({ length: 200 }, (_, i) => `C${i},A,B,c${i}@example.com,,`).join('\n');
    const { results } = await importRows(`${HEADER}\n${rows}\n`, { concurrency: 6 }, emu);
    expect(results).toHaveLength(200);
    expect(emu.stats().maxInFlight).toBe(6);
  });
});
