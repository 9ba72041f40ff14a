/**
 * Phone numbers through the importer (issue: real spreadsheets, phone numbers): warnings are
 * data, counted by code in the summary, also after --resume. What the API stores, end to end
 * through the real CLI, is in import-cli.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Secret, type Connection } from '../src/config.js';
import { runImport } from '../src/run/entry.js';
import { Tally, type ResultRow } from '../src/run/results.js';
import { formatSummary } from '../src/report/summary.js';
import { writeHtmlReport } from '../src/report/html.js';
import { createReportCollector } from '../src/report/collect.js';
import { readFileSync } from 'node:fs';
import { tempDir, TEST_API_KEY, TEST_PORTAL_CODE, useEmulators, writeFile, CSV_HEADER as HEADER } from './helpers.js';

const emulator = useEmulators();

const landline = {
  code: 'not_a_mobile',
  field: 'mobile',
  message: 'mobile +61298765432 is a fixed-line (landline) number',
} as const;

function row(seq: number, warnings?: ResultRow['warnings']): ResultRow {
  return { seq, line: seq + 2, cells: [], systemId: `R${seq}`, status: 'valid', warnings };
}

describe('warnings as data', () => {
  it('the tally counts warnings by code, and takes them back out on a rewrite', () => {
    const tally = new Tally();
    tally.add(row(0, [landline]));
    tally.add(row(1));
    tally.add(row(2, [landline]));
    expect(tally.warnings).toBe(2);
    expect(tally.sortedWarningGroups()).toEqual([
      { code: 'not_a_mobile', count: 2, firstLine: 2, example: landline.message },
    ]);
    tally.add(row(2, [landline]), -1);
    expect(tally.sortedWarningGroups()).toEqual([expect.objectContaining({ code: 'not_a_mobile', count: 1 })]);
  });

  it('a dry run shows each change in detail and counts the landline warnings; the summary lists them', async () => {
    const dir = tempDir('phone-dry-');
    const lines = [HEADER];
    for (let i = 0; i < 20; i++)
      lines.push(
        `D${i},A,B,d${i}@example.com,,${i % 4 === 0 ? '(02) 9876 54' + String(i).padStart(2, '0') : `0412 345 6${String(i).padStart(2, '0')}`}`,
      );
    const input = writeFile(dir, 'contacts.csv', `${lines.join('\n')}\n`);
    const rows: ResultRow[] = [];
    const collector = createReportCollector();
    const summary = await runImport({
      input,
      mode: 'dry-run',
      defaultCountry: 'AU',
      onStart: (info) => collector.useHeader(info.header),
      onRow: (r, replaces) => {
        rows.push(r);
        collector.onRow(r, replaces);
      },
    });
    expect(summary.counts.valid).toBe(20);
    expect(summary.warnings).toBe(5);
    expect(summary.warningGroups).toEqual([expect.objectContaining({ code: 'not_a_mobile', count: 5, firstLine: 2 })]);
    expect(rows[1]?.detail).toBe('mobile: 0412 345 601 → +61412345601');
    expect(rows[0]?.detail).toMatch(
      /^mobile: \(02\) 9876 5400 → \+61298765400; not_a_mobile: mobile \+61298765400 is a fixed-line/,
    );
    expect(rows[0]?.warnings).toEqual([expect.objectContaining({ code: 'not_a_mobile', field: 'mobile' })]);
    const text = formatSummary(summary);
    expect(text).toContain('5 warnings');
    expect(text).toMatch(
      /Warnings \(rows sent as they are; see detail in the results\)\n {2}not_a_mobile +5 rows +first at line 2/,
    );
    // Off a terminal (no width) a warning's example is kept whole, as errors' are.
    const example = summary.warningGroups[0]?.example ?? 'no warning group';
    expect(example.length).toBeGreaterThan(90);
    expect(text).toContain(example);
    // The HTML verdict does not call a run with warnings clean.
    const outPath = join(dir, 'report.html');
    await writeHtmlReport({ summary, collected: collector, outPath });
    const html = readFileSync(outPath, 'utf8');
    expect(html).toMatch(
      /<h2>All 20 rows passed validation, 5 with warnings<\/h2>.*5 rows have warnings \(not_a_mobile\)/,
    );
    expect(html).toContain('verdict verdict-warn');
  });

  it('a resumed run counts the warnings of every row, not only the rows it sends again', async () => {
    const emu = await emulator();
    const connection: Connection = {
      baseUrl: emu.baseUrl,
      portalCode: TEST_PORTAL_CODE,
      apiKey: new Secret(TEST_API_KEY),
    };
    const dir = tempDir('phone-resume-');
    const lines = [HEADER];
    for (let i = 0; i < 30; i++) lines.push(`W${i},A,B,w${i}@example.com,,(02) 9876 54${String(i).padStart(2, '0')}`);
    const input = writeFile(dir, 'contacts.csv', `${lines.join('\n')}\n`);
    const options = { input, mode: 'import' as const, defaultCountry: 'AU' as const, connection, concurrency: 1 };
    // The first run is stopped (as Ctrl-C does) once 10 rows have answers; the rest are skipped.
    const stop = new AbortController();
    let answered = 0;
    const first = await runImport({
      ...options,
      signal: stop.signal,
      onRow: (r) => r.status === 'created' && ++answered === 10 && stop.abort(),
    });
    expect(first.counts.skipped).toBeGreaterThan(0);
    const second = await runImport({ ...options, resume: true });
    expect(second.reused).toBeGreaterThanOrEqual(10);
    expect(second.reused).toBeLessThan(30);
    expect(second.counts.created).toBe(30);
    expect(second.warnings).toBe(30);
    expect(second.warningGroups).toEqual([expect.objectContaining({ code: 'not_a_mobile', count: 30 })]);
  });
});
