/**
 * The CLI's own part of .xlsx inputs (README, ".xlsx workbooks"): the summary and the HTML report
 * name spreadsheet rows, and flags that do not apply to the file's format are refused.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from './helpers.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'xlsx');

describe('the CLI with a workbook', () => {
  it('names rows in the summary and the report, and refuses flags that do not apply', async () => {
    const dir = tempDir('xlsx-cli-');
    const input = join(dir, 'values.xlsx');
    copyFileSync(join(FIXTURES, 'lo-values.xlsx'), input);
    const report = join(dir, 'report.html');
    const run = await runCli(['import', input, '--dry-run', '--report', report]);
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).toMatch(/first at row 3: cell E3 \(column "job_title"\)/);
    expect(readFileSync(report, 'utf8')).toContain('first at row 3');
    const sheet = await runCli(['import', join(FIXTURES, 'seed.csv'), '--dry-run', '--sheet', '2']);
    expect(sheet.code).toBe(2);
    expect(sheet.stderr).toContain('--sheet applies to .xlsx workbooks');
    const encoding = await runCli(['import', input, '--dry-run', '--encoding', 'latin1']);
    expect(encoding.code).toBe(2);
    expect(encoding.stderr).toContain('--encoding applies to CSV files');
  });
});
