/**
 * The first five minutes: `npm run demo` is the README's first command. It must import the
 * sample (including its deliberately bad rows), write the files, export, and exit 0.
 */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createProgressReporter } from '../src/report/progress.js';
import { readCsv, readResults, runCli, tempDir } from './helpers.js';

describe('demo', () => {
  it('imports the sample into the embedded emulator, exports it, prints the summary and paths, exits 0', async () => {
    const out = tempDir('demo-');
    const result = await runCli(['demo', '--out', out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/CIOPulse emulator/);
    expect(result.stdout).toMatch(/created\s+\d+/);
    expect(result.stdout).toMatch(/invalid_email/);
    const results = readResults(join(out, 'contacts.results.csv'));
    expect(results).toHaveLength(201);
    expect(results.filter((r) => r.status === 'invalid' || r.status === 'failed').length).toBeGreaterThanOrEqual(5);
    expect(existsSync(join(out, 'contacts.results.errors.csv'))).toBe(true);
    expect(existsSync(join(out, 'contacts.report.html'))).toBe(true);
    const exported = readCsv(join(out, 'contacts.export.csv'));
    expect(exported[0]).toEqual(['system_id', 'first_name', 'last_name', 'email', 'job_title', 'mobile']);
    // Every created contact is exported once; the duplicate system_id in the sample is one contact.
    const created = results.filter((r) => r.status === 'created').length;
    expect(exported.length - 1).toBe(created);
  });
});

describe('shell completion', () => {
  it('prints a completion script that knows the commands', async () => {
    const result = await runCli(['completion']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/ciopulse-contacts/);
    expect(result.stdout).toMatch(/complete/);
  });
});

describe('progress without a terminal', () => {
  it('prints a plain line at most every interval, with rows, rate, failures and retries', () => {
    const stream = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.WriteStream;
    let text = '';
    (stream as unknown as PassThrough).on('data', (d: Buffer) => (text += d.toString()));
    const progress = createProgressReporter({ stream, plainIntervalMs: 0 });
    progress.update({
      rowsRead: 10,
      rowsWritten: 9,
      bytesRead: 50,
      bytesTotal: 100,
      failed: 2,
      retries: 3,
      inFlight: 1,
      window: 8,
    });
    progress.stop();
    // The percentage is of bytes read, which runs ahead of rows done: never "9 rows done (100% of the file)".
    expect(text).toMatch(/progress: 9 rows done, 50% of the file read, \d+\/s, 2 failed or invalid, 3 retries/);
  });

  it('prints nothing when silent (--quiet, --json)', () => {
    const stream = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.WriteStream;
    let text = '';
    (stream as unknown as PassThrough).on('data', (d: Buffer) => (text += d.toString()));
    const progress = createProgressReporter({ stream, plainIntervalMs: 0, silent: true });
    progress.update({
      rowsRead: 1,
      rowsWritten: 1,
      bytesRead: 1,
      bytesTotal: 1,
      failed: 0,
      retries: 0,
      inFlight: 0,
      window: 8,
    });
    expect(text).toBe('');
  });
});
