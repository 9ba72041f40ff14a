/**
 * The CLI's own part of import, run as a process against the emulator: exit codes, whole-file
 * messages, flags and stdout. The row rules run in-process in import.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Emulator } from '../src/emulator/server.js';
import {
  emulatorEnv,
  readCsv,
  readResults,
  runCli,
  tempDir,
  useEmulators,
  writeFile,
  CSV_HEADER as HEADER,
} from './helpers.js';
import { blobOf, shownNumber } from './report-page.js';

const emulator = useEmulators();

async function importFile(content: string | Buffer, args: string[] = [], emu?: Emulator) {
  const dir = tempDir('import-');
  const file = writeFile(dir, 'contacts.csv', content);
  const server = emu ?? (await emulator());
  const result = await runCli(['import', file, ...args], { env: emulatorEnv(server) });
  const resultsPath = join(dir, 'contacts.results.csv');
  const results = existsSync(resultsPath) ? readResults(resultsPath) : [];
  return { dir, file, server, result, results, byId: new Map(server.contacts().map((c) => [c.system_id, c])) };
}

describe('import: reading the file', () => {
  it('turns an unclosed quote into one readable line and exit 2, with nothing sent', async () => {
    const { result, server } = await importFile(
      `${HEADER}\nU1,ok,ok,u1@example.com,,\nU2,"never closed,x,u2@example.com,,\nU3,a,b,u3@example.com,,\n`,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/line 3/);
    expect(result.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(server.stats().requests).toBe(0);
  });

  it('reads a windows-1252 file with --encoding, and refuses it as UTF-8 with a hint', async () => {
    const bytes = Buffer.concat([
      Buffer.from(`${HEADER}\nW1,Caf`),
      Buffer.from([0xe9]),
      Buffer.from(',Zo'),
      Buffer.from([0xeb]),
      Buffer.from(',w1@example.com,'),
      Buffer.from([0x80]),
      Buffer.from(' desk,\n'),
    ]);
    const refused = await importFile(bytes);
    expect(refused.result.code).toBe(2);
    expect(refused.result.stderr).toContain('--encoding windows-1252');
    expect(refused.server.stats().requests).toBe(0);
    const accepted = await importFile(bytes, ['--encoding', 'windows-1252']);
    expect(accepted.result.code).toBe(0);
    expect(accepted.byId.get('W1')).toMatchObject({ first_name: 'Café', last_name: 'Zoë', job_title: '€ desk' });
  });

  it('has no system_id column: exit 2 naming the headers', async () => {
    const { result } = await importFile('id,first_name\n1,A\n');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/system_id/);
  });
});

describe('import: concurrency, results and options', () => {
  it('writes one results row per input row, in input order, and an errors file that is an import file', async () => {
    const rows = Array.from({ length: 300 }, (_, i) =>
      i % 7 === 3 ? `O${i},A,B,bad-email,,` : `O${i},A,B,o${i}@example.com,,`,
    ).join('\n');
    const { results, dir, result } = await importFile(`${HEADER}\n${rows}\n`, ['--concurrency', '16']);
    expect(results.map((r) => r.system_id)).toEqual(Array.from({ length: 300 }, (_, i) => `O${i}`));
    const errors = readCsv(join(dir, 'contacts.results.errors.csv'));
    expect(errors[0]).toEqual(HEADER.split(','));
    expect(errors).toHaveLength(1 + results.filter((r) => r.status === 'invalid').length);
    expect(result.stdout).toMatch(/invalid_email\s+43 rows/);
    expect(existsSync(join(dir, 'contacts.results.csv.journal'))).toBe(false);
  });

  it('--dry-run sends nothing, needs no credentials, and writes <stem>.dryrun.csv', async () => {
    const dir = tempDir('dry-');
    const file = writeFile(dir, 'c.csv', `${HEADER}\nY1,A,B,y1@example.com,,\nY2,A,B,bad,,\n`);
    const result = await runCli(['import', file, '--dry-run']);
    expect(result.code).toBe(1);
    const results = readResults(join(dir, 'c.dryrun.csv'));
    expect(results.map((r) => r.status)).toEqual(['valid', 'invalid']);
    expect(existsSync(join(dir, 'c.results.csv'))).toBe(false);
  });

  it('--limit makes a trial run on the first rows; --fields sends only those fields', async () => {
    const emu = await emulator();
    emu.seedContacts([
      { system_id: 'F1', first_name: 'A', last_name: 'B', email: 'f1@example.com', job_title: 'Keep', mobile: null },
    ]);
    const { results, byId } = await importFile(
      `${HEADER}\nF1,Changed,Changed,f1@example.com,Changed,bad mobile\nF2,A,B,f2@example.com,,\n`,
      ['--fields', 'first_name', '--limit', '1'],
      emu,
    );
    expect(results).toHaveLength(1);
    expect(byId.get('F1')).toMatchObject({ first_name: 'Changed', last_name: 'B', job_title: 'Keep' });
    expect(byId.has('F2')).toBe(false);
  });

  it('--map maps a header to a field', async () => {
    const { byId } = await importFile('Agent Key,Given,Family,Mail\nK1,A,B,k1@example.com\n', [
      '--map',
      'Agent Key=system_id',
      '--map',
      'Given=first_name',
      '--map',
      'Family=last_name',
      '--map',
      'Mail=email',
    ]);
    expect(byId.get('K1')).toMatchObject({ first_name: 'A', last_name: 'B', email: 'k1@example.com' });
  });

  it('--json prints the summary as JSON on stdout', async () => {
    const { result } = await importFile(`${HEADER}\nJ1,A,B,j1@example.com,,\n`, ['--json']);
    const summary = JSON.parse(result.stdout) as { counts: Record<string, number>; rows: number };
    expect(summary.counts.created).toBe(1);
    expect(summary.rows).toBe(1);
  });

  it('--help shows examples', async () => {
    const result = await runCli(['import', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Examples:/);
    expect(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')).toContain('"ciopulse-contacts"');
  });
});

describe('the report of a real run', () => {
  it('the CLI: --report shows the same next command as the summary', async () => {
    const emu = await emulator();
    const dir = tempDir('report-cli-');
    const input = writeFile(
      dir,
      'contacts.csv',
      ['system_id,first_name,last_name,email', 'A,A,A,a@example.com', 'B,B,B,not-an-email'].join('\n'),
    );
    const outPath = join(dir, 'report.html');
    const run = await runCli(['import', input, '--report', outPath], { env: emulatorEnv(emu) });
    expect(run.code).toBe(1);
    const html = readFileSync(outPath, 'utf8');
    const command = /<code data-next-command>([^<]*)<\/code>/.exec(html)?.[1];
    const next = /^Next: +(.*)$/m.exec(run.stdout)?.[1];
    // A command that imports the errors file, and the very one the summary's Next: line ends with.
    expect(command).toMatch(/\bimport\b.*errors\.csv/);
    expect(next?.endsWith(command ?? '?')).toBe(true);
    expect(shownNumber(html, 'data-code-count', 'invalid_email')).toBe(1);
    expect(blobOf(html).problems).toEqual([
      [3, 'B', 'invalid', '', [['invalid_email', 'email', expect.any(String) as string]], [], ''],
    ]);
  });
});

describe('import --default-country AU, end to end: what the API stores', () => {
  it('stores a local mobile as E.164, refuses 44… with the + suggestion, and warns on a landline', async () => {
    const emu = await emulator();
    const dir = tempDir('phone-e2e-');
    const file = writeFile(
      dir,
      'contacts.csv',
      `${HEADER}\nAU1,Ann,Lee,ann@example.com,,0412 345 678\nUK1,Ben,Ng,ben@example.com,,447911123456\nUK2,Cat,Ho,cat@example.com,,07911 123456\nSYD,Dan,Oh,dan@example.com,,(02) 9876 5432\n`,
    );
    const result = await runCli(['import', file, '--default-country', 'AU'], { env: emulatorEnv(emu) });
    expect(result.code).toBe(1);
    const results = readResults(join(dir, 'contacts.results.csv'));
    expect(results.map((r) => r.status)).toEqual(['created', 'invalid', 'invalid', 'created']);
    expect(results[0]?.detail).toBe('mobile: 0412 345 678 → +61412345678');
    expect(results[1]?.error).toMatch(
      /^invalid_mobile: column "mobile" "447911123456" is not a valid AU number in national form.*did you mean \+447911123456\?/,
    );
    expect(results[2]?.error).toMatch(/^invalid_mobile: column "mobile" "07911 123456" is not a valid AU number/);
    expect(results[3]?.detail).toMatch(/not_a_mobile: mobile \+61298765432 is a fixed-line/);
    expect(result.stdout + result.stderr).toMatch(/not_a_mobile +1 row/);

    // The stored contacts, as the emulator's control route lists them.
    const stored = (await (await fetch(new URL('/__emulator/contacts', emu.baseUrl))).json()) as {
      contacts: { system_id: string; mobile: string | null }[];
    };
    const mobiles = Object.fromEntries(stored.contacts.map((c) => [c.system_id, c.mobile]));
    expect(mobiles).toEqual({ AU1: '+61412345678', SYD: '+61298765432' });
  });
});
