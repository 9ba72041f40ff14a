/**
 * Unit tests of the pieces under the pipeline: the retry policy, the request gate, credentials,
 * cell rules, paths and the results sink. The end-to-end files test the same rules through the CLI.
 */
import { describe, expect, it } from 'vitest';
import { inspect } from 'node:util';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { backoffDelay, parseRetryAfter, BACKOFF_CAP_MS } from '../src/api/retry.js';
import { createRequestGate } from '../src/api/gate.js';
import { resolveBaseUrl, resolveConnection, Secret } from '../src/config.js';
import {
  CONTACT_FIELDS,
  REQUIRED_ON_CREATE,
  contactCreateSchema,
  contactPatchSchema,
  createRowParser,
  findEscapedChar,
  SPREADSHEET_ERRORS,
  toRowErrors,
} from '../src/contact/schema.js';
import { apiKey, emptyFields, EXPORT_COLUMNS } from '../src/contact/fields.js';
import { toRecordJson } from '../src/emulator/rules.js';
import { loadContactsFile, serializeContacts } from '../src/emulator/persist.js';
import { writeFileSync } from 'node:fs';
import { excelSafe, stripExcelSafe } from '../src/csv/formula.js';
import { resolveErrorsPath, resolveResultsPath } from '../src/run/paths.js';
import { createResultsSink } from '../src/run/sink.js';
import { resolveExitCode } from '../src/run/exit.js';
import { createEmailIndex } from '../src/run/email-index.js';
import { DEFAULT_FC_SEED, resolveFcSeed } from './fast-check-seed.js';
import { AuthError, ConfigError } from '../src/errors.js';
import { stringify } from 'csv-stringify/sync';
import { createCsvWriter, formatCsvRow } from '../src/csv/write.js';
import { tempDir, TEST_API_KEY } from './helpers.js';

describe('retry policy', () => {
  it('waits a random time in [0, min(20 s, 200 ms·2^attempt))', () => {
    expect(backoffDelay(0, () => 0.999)).toBe(199);
    expect(backoffDelay(3, () => 0.5)).toBe(800);
    expect(backoffDelay(20, () => 0.999)).toBeLessThan(BACKOFF_CAP_MS);
    expect(backoffDelay(5, () => 0)).toBe(0);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('1')).toBe(1000);
    expect(parseRetryAfter(' 120 ')).toBe(120_000);
    const now = Date.parse('2026-12-01T10:00:00Z');
    expect(parseRetryAfter('Tue, 01 Dec 2026 10:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe('request gate', () => {
  it('never grants more than the window, and a 429 halves it once per burst', async () => {
    const gate = createRequestGate({ concurrency: 8 });
    const releases = await Promise.all(Array.from({ length: 8 }, () => gate.acquire()));
    expect(gate.stats().inFlight).toBe(8);
    let ninth = false;
    const waiting = gate.acquire().then((release) => {
      ninth = true;
      return release;
    });
    await Promise.resolve();
    expect(ninth).toBe(false);
    expect(gate.whenFree()).toBeInstanceOf(Promise);
    gate.onThrottle();
    gate.onThrottle(); // same burst: no second halving
    expect(gate.stats().window).toBe(4);
    for (const release of releases) release();
    const release9 = await waiting;
    expect(gate.stats().inFlight).toBe(1);
    release9();
    // Additive increase: a window's worth of successes grows it by one.
    for (let i = 0; i < 4; i++) gate.onSuccess();
    expect(gate.stats().window).toBe(5);
  });

  it('spaces requests to honour --rate', async () => {
    const gate = createRequestGate({ concurrency: 10, rate: 50 });
    const start = performance.now();
    for (let i = 0; i < 6; i++) (await gate.acquire())();
    // Six starts at 50/s are at least five gaps of 20 ms apart.
    expect(performance.now() - start).toBeGreaterThanOrEqual(95);
  });
});

describe('credentials', () => {
  it('never shows the key: String, JSON and inspect are redacted', () => {
    const secret = new Secret(TEST_API_KEY);
    expect(String(secret)).toBe('[redacted]');
    expect(JSON.stringify({ secret })).toBe('{"secret":"[redacted]"}');
    expect(inspect({ secret })).not.toContain(TEST_API_KEY);
    expect(secret.authorization('P')).toBe(`Basic ${Buffer.from(`P:${TEST_API_KEY}`).toString('base64')}`);
  });

  it('refuses a key that is not 40 characters, and names what is missing', () => {
    expect(() => resolveConnection({}, { CIOPULSE_PORTAL_CODE: 'P', CIOPULSE_API_KEY: 'short' })).toThrow(AuthError);
    expect(() => resolveConnection({}, { CIOPULSE_API_KEY: TEST_API_KEY })).toThrow(/portal code/);
    expect(() => resolveConnection({}, { CIOPULSE_PORTAL_CODE: 'P' })).toThrow(ConfigError);
  });

  it('allows plain http only to loopback', () => {
    expect(resolveBaseUrl('http://127.0.0.1:8080/api/v5/')).toBe('http://127.0.0.1:8080/api/v5');
    expect(resolveBaseUrl('http://localhost/api/v5')).toBe('http://localhost/api/v5');
    expect(resolveBaseUrl('http://[::1]:1/api/v5')).toBe('http://[::1]:1/api/v5');
    expect(() => resolveBaseUrl('http://contacts.example.com/api/v5')).toThrow(/refusing plain http/);
    expect(resolveBaseUrl('http://contacts.example.com/api/v5', true)).toBe('http://contacts.example.com/api/v5');
    expect(() => resolveBaseUrl('ftp://x')).toThrow(ConfigError);
  });
});

describe('contact fields: one list (src/contact/fields.ts)', () => {
  const contact = {
    system_id: 'S1',
    first_name: 'Ann',
    last_name: 'Lee',
    email: 'a@example.com',
    job_title: 'Dev',
    mobile: '+61412345678',
  };

  it('the schemas allow exactly the listed fields, and creating needs exactly the required ones', () => {
    expect(Object.keys(contactPatchSchema.shape)).toEqual([...CONTACT_FIELDS]);
    expect(Object.keys(contactCreateSchema.shape)).toEqual([...CONTACT_FIELDS]);
    const missing = contactCreateSchema.safeParse({}, { reportInput: true });
    expect(missing.success ? [] : toRowErrors(missing.error.issues).map((e) => e.field)).toEqual([
      ...REQUIRED_ON_CREATE,
    ]);
    expect(contactPatchSchema.safeParse({ job_title: null, mobile: '+61412345678' }).success).toBe(true);
  });

  it('export’s columns, the emulator’s record keys and its data file follow the list', () => {
    expect(EXPORT_COLUMNS).toEqual(['system_id', ...CONTACT_FIELDS]);
    expect(EXPORT_COLUMNS.map(apiKey)).toEqual([
      'System_ID',
      'First_Name',
      'Last_Name',
      'Email',
      'Job_Title',
      'Mobile',
    ]);
    expect(JSON.parse(toRecordJson(contact))).toEqual({
      contact: {
        System_ID: 'S1',
        First_Name: 'Ann',
        Last_Name: 'Lee',
        Email: 'a@example.com',
        Job_Title: 'Dev',
        Mobile: '+61412345678',
      },
    });
    const file = join(tempDir('fields-'), 'data.json');
    writeFileSync(file, serializeContacts([contact, { system_id: 'S2', ...emptyFields() }]));
    expect(loadContactsFile(file)).toEqual([
      contact,
      { system_id: 'S2', first_name: null, last_name: null, email: null, job_title: null, mobile: null },
    ]);
  });
});

describe('cell rules', () => {
  const parse = createRowParser({});
  it('names the character JSON would escape, exactly as JSON.stringify does', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const escaped = JSON.stringify(s).slice(1, -1).includes('\\');
        expect(findEscapedChar(s) !== undefined).toBe(escaped);
      }),
      { numRuns: 2000 },
    );
    expect(findEscapedChar('a\u0007b')).toBe('the control character U+0007');
    expect(findEscapedChar('\uD800')).toMatch(/lone UTF-16 surrogate/);
    expect(findEscapedChar('emoji 😀 and U+2028 \u2028')).toBeUndefined();
  });

  it('refuses U+FFFD, the mark of an earlier mis-decoding', () => {
    const row = parse({ system_id: 'x', first_name: 'Caf\uFFFD' });
    expect(row.ok).toBe(false);
    expect(!row.ok && row.errors[0]?.code).toBe('replacement_char');
  });

  it('refuses every spreadsheet error value in every field as that error alone, not also the field’s own rule', () => {
    for (const value of SPREADSHEET_ERRORS) {
      for (const field of CONTACT_FIELDS) {
        const cells = { system_id: 'x', first_name: 'A', last_name: 'B', email: 'a@example.com', [field]: value };
        const row = parse(cells);
        expect(row.ok ? [] : row.errors.map((e) => [e.code, e.field]), `${value} in ${field}`).toEqual([
          ['spreadsheet_error', field],
        ]);
      }
    }
    // Beside a cell error in one field, another field still reports its own.
    const both = parse({ system_id: 'x', email: 'not-an-address', mobile: '#N/A' });
    expect(both.ok ? [] : both.errors.map((e) => e.code)).toEqual(['invalid_email', 'spreadsheet_error']);
  });

  it('an excel-safe prefix round-trips through export and import for any formula-like text', () => {
    const tricky = fc
      .array(fc.constantFrom("'", '=', '+', '-', '@', '\t', '\uFF1D', 'a', ' '), { maxLength: 6 })
      .map((a) => a.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.string(), tricky), (s) => {
        expect(stripExcelSafe(excelSafe(s))).toBe(s);
      }),
      { numRuns: 3000 },
    );
    expect(excelSafe('=SUM(A1)')).toBe("'=SUM(A1)");
    expect(excelSafe('\uFF1Dx')).toBe("'\uFF1Dx");
    expect(stripExcelSafe("'plain")).toBe("'plain");
  });
});

describe('CSV row formatting', () => {
  it('writes exactly what csv-stringify writes (CRLF, quotes on demand), and quotes a bare LF too', () => {
    const cell = fc.oneof(
      fc.string(),
      fc
        .array(fc.constantFrom('"', ',', '\r', '\n', ';', ' ', 'a', 'é', '😀'), { maxLength: 6 })
        .map((a) => a.join('')),
    );
    fc.assert(
      fc.property(fc.array(cell, { minLength: 1, maxLength: 8 }), (row) => {
        const ours = formatCsvRow(row);
        // csv-stringify with CRLF leaves a cell with a bare LF or CR unquoted; quoted_match covers it.
        expect(ours).toBe(stringify([row], { record_delimiter: 'windows', quoted_match: ['\n', '\r'] }));
      }),
      { numRuns: 3000 },
    );
    expect(formatCsvRow(['a\nb', 'plain', 'q"q'])).toBe('"a\nb",plain,"q""q"\r\n');
  });
});

describe('CSV writer', () => {
  it('takes a few hundred KiB of rows without waiting for the disk between batches', async () => {
    const path = join(tempDir('writer-'), 'out.csv');
    const writer = createCsvWriter(path);
    const row = ['S1', 'x'.repeat(120), 'valid', '', '', ''];
    // 4,000 rows of ~130 bytes: about 500 KiB, 15 batches, each more than Node's 16 KiB default.
    const waits = Array.from({ length: 4000 }, () => writer.write(row)).filter((w) => w !== undefined);
    expect(waits).toHaveLength(0);
    await writer.end();
    expect(readFileSync(path, 'utf8').split('\r\n')).toHaveLength(4001);
  });

  it('an atomic writer goes into place at once when published, even before its stream has opened the file', async () => {
    // A run publishes its results at the first answer, which can come before the stream's own
    // open has had its turn: the rename then found no file and the run stopped (write_failed).
    const path = join(tempDir('writer-publish-'), 'results.csv');
    const writer = createCsvWriter(path, { atomic: true });
    expect(() => writer.publish()).not.toThrow();
    expect(existsSync(path)).toBe(true);
    await writer.write(['S1', 'valid']);
    await writer.end();
    expect(readFileSync(path, 'utf8')).toBe('S1,valid\r\n');
    expect(readdirSync(dirname(path))).toEqual(['results.csv']);
  });
});

describe('in-file email index', () => {
  it('finds an earlier row’s email under another system_id, ignoring case, through many resizes', () => {
    const index = createEmailIndex(4);
    for (let line = 2; line < 50_002; line++)
      expect(index(`user${line}@example.com`, `id${line}`, line)).toBeUndefined();
    expect(index('USER77@Example.COM', 'other', 60_000)).toBe(77);
    expect(index('user77@example.com', 'id77', 60_001)).toBeUndefined(); // the same contact again
    expect(index('ÜSER@example.com', 'a', 60_002)).toBeUndefined();
    expect(index('üser@EXAMPLE.com', 'b', 60_003)).toBe(60_002);
  });
});

describe('paths, errors and exit codes', () => {
  it('puts results beside the input, and the errors file beside the results', () => {
    expect(resolveResultsPath(join('data', 'contacts.csv'), 'import')).toBe(join('data', 'contacts.results.csv'));
    expect(resolveResultsPath('contacts.csv', 'dry-run')).toBe('contacts.dryrun.csv');
    expect(resolveResultsPath('contacts.csv', 'plan')).toBe('contacts.plan.csv');
    expect(resolveErrorsPath('out/r.csv')).toBe('out/r.errors.csv');
  });

  it('picks the highest exit code that applies', () => {
    const counts = { invalid: 0, failed: 0, uncertain: 0, 'would-fail': 0 } as Parameters<
      typeof resolveExitCode
    >[0]['counts'];
    expect(resolveExitCode({ counts, stopped: undefined })).toBe(0);
    expect(resolveExitCode({ counts: { ...counts, failed: 1 }, stopped: undefined })).toBe(1);
    expect(resolveExitCode({ counts: { ...counts, uncertain: 1 }, stopped: undefined })).toBe(1);
    expect(resolveExitCode({ counts, stopped: { reason: 'write_failed', message: '' } })).toBe(2);
    expect(resolveExitCode({ counts: { ...counts, failed: 1 }, stopped: { reason: 'auth', message: '' } })).toBe(2);
    expect(resolveExitCode({ counts, stopped: { reason: 'signal', message: '' } })).toBe(130);
  });

  it('the results sink writes rows in input order whatever order they finish in', async () => {
    const dir = tempDir('sink-');
    const resultsPath = join(dir, 'r.csv');
    const sink = createResultsSink({
      resultsPath,
      errorsPath: join(dir, 'r.errors.csv'),
      columns: ['system_id'],
      reorderCap: 2,
    });
    const order = [3, 1, 0, 2, 4];
    for (const seq of order) {
      await sink.put({
        seq,
        line: seq + 2,
        cells: [`id${seq}`],
        systemId: `id${seq}`,
        status: seq === 2 ? 'invalid' : 'created',
      });
    }
    expect(sink.buffered()).toBe(0);
    await sink.end({ keepJournal: false });
    const lines = readFileSync(resultsPath, 'utf8').trim().split('\r\n');
    expect(lines.map((l) => l.split(',')[0])).toEqual(['system_id', 'id0', 'id1', 'id2', 'id3', 'id4']);
    expect(readFileSync(join(dir, 'r.errors.csv'), 'utf8').trim().split('\r\n')).toEqual(['system_id', 'id2']);
  });
});

describe('the suite itself', () => {
  it('runs every property test with one seed: fixed by default, FC_SEED to try another', () => {
    expect(fc.readConfigureGlobal().seed).toBe(resolveFcSeed(process.env.FC_SEED));
    expect(resolveFcSeed(undefined)).toBe(DEFAULT_FC_SEED);
    expect(resolveFcSeed('')).toBe(DEFAULT_FC_SEED);
    expect(resolveFcSeed(' 42 ')).toBe(42);
    expect(Number.isInteger(resolveFcSeed('random'))).toBe(true);
    expect(() => resolveFcSeed('4x')).toThrow(/FC_SEED must be an integer/);
  });
});
