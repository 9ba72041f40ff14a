/**
 * The CLI's own part of .xlsx inputs (README, ".xlsx round trips"): the summary and the HTML report
 * name spreadsheet rows, and flags that do not apply to the file's format are refused; a workbook
 * output that is a device (made with mknod, a process) is written straight.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateFile } from '../src/run/entry.js';
import { ROOT, runCli, tempDir } from './helpers.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'xlsx');

describe('the CLI with a workbook', () => {
  it('names rows in the summary and the report, and refuses flags that do not apply', async () => {
    const dir = tempDir('xlsx-cli-');
    const input = join(dir, 'values.xlsx');
    copyFileSync(join(FIXTURES, 'lo-values.xlsx'), input);
    const report = join(dir, 'report.html');
    const run = await runCli(['import', input, '--dry-run', '--sheet', '1', '--report', report]);
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).toMatch(/first at row 3: cell E3 \(column "job_title"\)/);
    expect(readFileSync(report, 'utf8')).toContain('first at row 3');
    // The next command reads the same sheet.
    expect(run.stdout + run.stderr).toMatch(/Next: .* import \S*values\.xlsx --sheet 1\n/);
    const sheet = await runCli(['import', join(FIXTURES, 'seed.csv'), '--dry-run', '--sheet', '2']);
    expect(sheet.code).toBe(2);
    expect(sheet.stderr).toContain('--sheet applies to .xlsx workbooks');
    const encoding = await runCli(['import', input, '--dry-run', '--encoding', 'latin1']);
    expect(encoding.code).toBe(2);
    expect(encoding.stderr).toContain('--encoding applies to CSV files');
  });
});

describe('a workbook output that is not a regular file', () => {
  it('is written straight to a device, never renamed over it', async () => {
    const dir = tempDir('xlsx-');
    const input = join(dir, 'values.xlsx');
    copyFileSync(join(FIXTURES, 'lo-values.xlsx'), input);
    // A private null device, never one under /dev: the suite runs as root in CI.
    const device = join(dir, 'null.xlsx');
    execFileSync('mknod', ['-m', '666', device, 'c', '1', '3']);
    const summary = await validateFile({ input, results: device, errors: join(dir, 'errors.xlsx') });
    expect(summary.rows).toBe(5);
    expect(statSync(device).isCharacterDevice()).toBe(true);
    expect(readdirSync(dir).filter((name) => name.includes('.tmp-'))).toEqual([]);
    expect(existsSync(join(dir, 'errors.xlsx'))).toBe(true);
  });
});
