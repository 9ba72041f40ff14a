/**
 * The HTML report without a browser: a results CSV made by hand, a hand-made RunSummary, and the
 * HTML read back as text. Counts match the CSV, hostile cells are escaped, the cap is stated, no
 * network URL appears, and a 200k-row results file streams with bounded memory.
 */
import { createWriteStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../src/import/pipeline.js';
import { STATUSES, type RowStatus } from '../src/import/results.js';
import { escapeHtml, jsonForScript, writeHtmlReport, type HtmlReportOptions } from '../src/report/html.js';
import { readResults, tempDir, writeFile } from './helpers.js';

const HEADER = ['System ID', 'First Name', 'Last Name', 'Email', 'Job Title', 'Mobile'];
const RESULT = ['status', 'http_status', 'error', 'detail'];
const XSS = '<script>alert(1)</script>';
const HYPERLINK = '=HYPERLINK("http://evil.example/x","click")';

type Record6 = [string, string, string, string, string, string];
interface Row {
  cells: Record6;
  status: RowStatus;
  http?: string;
  error?: string;
  detail?: string;
}

const FIXTURE: Row[] = [
  { cells: ['C-1', 'Ann', 'Lee', 'ann@example.com', 'Analyst', '+61411111111'], status: 'created', http: '201' },
  { cells: [XSS, 'Bob', 'Ng', 'bob@example', 'Dev', '+61411111112'], status: 'invalid', error: 'invalid_email: column "Email" "bob@example" is not a valid email address' },
  { cells: ['C-3', 'Cy', 'Ma', 'cy@example.com', 'Ops', '0411 222 333'], status: 'invalid', error: 'invalid_mobile: column "Mobile" "0411 222 333" is not "+" then country code and number with no spaces or hyphens; a local number needs --default-country, or the country code written in' },
  { cells: ['C-3b', 'Cy', 'Ma', HYPERLINK, 'Ops', '+61411111113'], status: 'invalid', error: `invalid_email: column "Email" "${HYPERLINK}" is not a valid email address` },
  { cells: ['C-4', 'Dee', 'Xu', 'dee@example.com', '#N/A', '+61411111114'], status: 'invalid', error: 'spreadsheet_error: column "Job Title" holds the spreadsheet error #N/A (a broken formula?); fix it, or pass --null-token "#N/A" to clear the field; invalid_mobile: column "Mobile" "12" is not "+" then country code' },
  { cells: ['C-5', 'Eve', 'Oh', 'eve@example.com', 'Lead', '+61411111115'], status: 'updated', http: '200' },
  { cells: ['C-6', 'Fay', 'Li', 'fay@example.com', 'Lead', '+61411111116'], status: 'failed', http: '422', error: `email_taken: 422 Email address is already in use ${XSS}` },
  { cells: ['C-7', 'Gus', 'Ku', 'gus@example.com', 'Lead', '+61411111117'], status: 'failed', http: '503', error: 'server_error: 503 Service Unavailable after 6 attempts', detail: '6 attempts' },
  { cells: ['C-8', 'Hal', 'Jo', 'hal@example.com', 'Lead', '+61411111118'], status: 'superseded', http: '422', error: 'email_taken: 422 Email address is already in use', detail: 'superseded by line 12' },
  { cells: ['C-9', 'Ivy', 'Mo', 'ivy@example.com', 'Lead', '+61411111119'], status: 'skipped', detail: 'not attempted: the run was stopped' },
  // A row reused by --resume: its earlier error comes back wrapped as api_rejected.
  { cells: ['C-10', 'Jo', 'Po', 'jo@example', 'Lead', '+61411111120'], status: 'invalid', error: 'api_rejected: invalid_email: column "Email" "jo@example" is not a valid email address' },
  { cells: ['C-11', 'Kai', 'Wu', 'kai@example.com', 'Lead', '+61411111121'], status: 'updated', http: '200' },
];

function csvOf(rows: readonly Row[], header: readonly string[] = HEADER): string {
  return stringify([[...header, ...RESULT], ...rows.map((r) => [...r.cells, r.status, r.http ?? '', r.error ?? '', r.detail ?? ''])], { record_delimiter: 'windows' });
}

function countsOf(rows: readonly { status: RowStatus }[]): Record<RowStatus, number> {
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<RowStatus, number>;
  for (const row of rows) counts[row.status]++;
  return counts;
}

function summaryFor(rows: number, counts: Record<RowStatus, number>, overrides: Partial<RunSummary> = {}): RunSummary {
  return {
    mode: 'import',
    input: 'contacts.csv',
    resultsPath: 'contacts.results.csv',
    errorsPath: 'contacts.errors.csv',
    journalPath: undefined,
    unmappedColumns: [],
    rows,
    counts,
    errorGroups: [],
    warningGroups: [],
    warnings: 0,
    retries: 0,
    elapsedMs: 2500,
    rowsPerSecond: rows / 2.5,
    reused: 0,
    stopped: undefined,
    ...overrides,
  };
}

async function build(rows: readonly Row[], options: Partial<HtmlReportOptions> = {}, summary: Partial<RunSummary> = {}) {
  const dir = tempDir('report-html-');
  const resultsPath = writeFile(dir, 'contacts.results.csv', csvOf(rows));
  const outPath = join(dir, 'report.html');
  const result = await writeHtmlReport({
    summary: summaryFor(rows.length, countsOf(rows), summary),
    resultsPath,
    outPath,
    generatedAt: new Date('2026-11-30T09:15:00Z'),
    ...options,
  });
  return { dir, resultsPath, outPath, result, html: readFileSync(outPath, 'utf8') };
}

interface Blob {
  config: { idColumn: string };
  problems: [number, string, string, string, [string, string, string][], string][];
  changes: [number, string, string, string, string, string][];
}

function blobOf(html: string): Blob {
  const match = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
  if (match?.[1] === undefined) throw new Error('no data blob');
  return JSON.parse(match[1]) as Blob;
}

/** The number in the element carrying `attribute="value"`. */
function shownNumber(html: string, attribute: string, value: string): number | undefined {
  const match = new RegExp(`${attribute}="${value}">([\\d,]+)<`).exec(html);
  return match?.[1] === undefined ? undefined : Number(match[1].replace(/,/g, ''));
}

describe('writeHtmlReport', () => {
  it('shows the same counts per status as the results CSV', async () => {
    const { html, resultsPath, result } = await build(FIXTURE);
    const rows = readResults(resultsPath);
    const expected = new Map<string, number>();
    for (const row of rows) expected.set(row.status ?? '', (expected.get(row.status ?? '') ?? 0) + 1);
    for (const [status, n] of expected) expect(shownNumber(html, 'data-status-count', status), status).toBe(n);
    for (const status of STATUSES.filter((s) => !expected.has(s))) expect(html).not.toContain(`data-status-count="${status}"`);
    expect(html).toMatch(/data-total-count>12</);
    expect(html).toMatch(/data-total-rows>12</);
    const problems = rows.filter((r) => ['invalid', 'failed', 'would-fail', 'skipped', 'superseded'].includes(r.status ?? '')).length;
    expect(result).toMatchObject({ embeddedRows: problems, totalProblemRows: problems });
    expect(blobOf(html).problems).toHaveLength(problems);
  });

  it('groups errors by code, splitting cells with several errors and unwrapping resumed ones', async () => {
    const { html } = await build(FIXTURE);
    expect(shownNumber(html, 'data-code-count', 'invalid_email')).toBe(3); // incl. the resumed row
    expect(shownNumber(html, 'data-code-count', 'invalid_mobile')).toBe(2);
    expect(shownNumber(html, 'data-code-count', 'spreadsheet_error')).toBe(1);
    expect(shownNumber(html, 'data-code-count', 'email_taken')).toBe(2);
    expect(shownNumber(html, 'data-code-count', 'server_error')).toBe(1);
    expect(html).not.toContain('data-code-count="api_rejected"');
    expect(html).toContain('<details class="group" data-code="invalid_mobile">');
    expect(html).toContain('Mobile is not in international format');

    const { problems } = blobOf(html);
    const c4 = problems.find((p) => p[1] === 'C-4');
    expect(c4?.[4]).toEqual([
      ['spreadsheet_error', 'Job Title', 'holds the spreadsheet error #N/A (a broken formula?); fix it, or pass --null-token "#N/A" to clear the field'],
      ['invalid_mobile', 'Mobile', '"12" is not "+" then country code'],
    ]);
    // A "; " inside one message does not split it.
    const c3 = problems.find((p) => p[1] === 'C-3');
    expect(c3?.[4]).toHaveLength(1);
    expect(c3?.[4][0]?.[2]).toContain('; a local number needs --default-country');
    expect(problems.find((p) => p[1] === 'C-10')?.[4]).toEqual([['invalid_email', 'Email', '"jo@example" is not a valid email address']]);
    expect(problems.find((p) => p[1] === 'C-9')).toEqual([11, 'C-9', 'skipped', '', [], 'not attempted: the run was stopped']);
  });

  it('escapes every value: no raw markup from a cell reaches the page', async () => {
    const { html } = await build(FIXTURE, {}, { stopped: { reason: 'signal', message: `interrupted ${XSS}`, hint: '<b>hint</b>' }, input: `x${XSS}.csv` });
    expect(html).not.toContain(XSS);
    expect(html).not.toContain('<b>hint</b>');
    // Only the page's own two script elements open and close.
    expect(html.match(/<script\b/g)).toHaveLength(2);
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(html).toContain(escapeHtml(XSS));
    expect(html).toContain('\\u003cscript\\u003ealert(1)\\u003c/script\\u003e');
    // The round trip through the blob is exact.
    const { problems } = blobOf(html);
    expect(problems.map((p) => p[1])).toContain(XSS);
    expect(problems.find((p) => p[1] === 'C-6')?.[4][0]?.[2]).toBe(`422 Email address is already in use ${XSS}`);
    // A formula is only text, and its URL is no link.
    expect(html).toContain(escapeHtml(HYPERLINK));
    expect(problems.find((p) => p[1] === 'C-3b')?.[4][0]?.[2]).toBe(`"${HYPERLINK}" is not a valid email address`);
    expect(html).not.toMatch(/<a\b/);
    expect(jsonForScript({ s: '</script>&\u2028\u2029' })).toBe('{"s":"\\u003c/script\\u003e\\u0026\\u2028\\u2029"}');
  });

  it('loads nothing from the network', async () => {
    const { html } = await build(FIXTURE);
    expect(html).not.toMatch(/\b(?:src|href|action|poster|srcset|data)\s*=\s*["']?\s*(?:https?:)?\/\//i);
    expect(html).not.toMatch(/url\(\s*["']?\s*(?:https?:)?\/\//i);
    expect(html).not.toMatch(/@import|<link\b(?![^>]*href="data:)/i);
    expect(html).not.toMatch(/<(?:img|iframe|object|embed|video|audio)\b/i);
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none';[^"]*script-src 'sha256-[A-Za-z0-9+/=]+'/);
    // The only http(s) text is the hostile cell's, and it is data, not a link.
    expect(html.match(/https?:\/\/[^\s"'<>\\&]+/g) ?? []).toEqual(['http://evil.example/x', 'http://evil.example/x']);
  });

  it('states the cap when the problem rows outnumber maxRows', async () => {
    const { html, result } = await build(FIXTURE, { maxRows: 3 });
    expect(result).toMatchObject({ embeddedRows: 3, totalProblemRows: 9 });
    expect(html).toContain('Showing the first 3 of 9 problem rows; the results CSV has them all');
    expect(blobOf(html).problems.map((p) => p[1])).toEqual([XSS, 'C-3', 'C-3b']);
    // The counts still cover every row.
    expect(shownNumber(html, 'data-status-count', 'invalid')).toBe(5);

    const full = await build(FIXTURE);
    expect(full.html).not.toContain('Showing the first');
  });

  it('numbers lines as row index + 2 and says so, unless told the lines', async () => {
    const defaulted = await build(FIXTURE);
    expect(blobOf(defaulted.html).problems[0]?.[0]).toBe(3);
    expect(defaulted.html).toContain('Line numbers assume one line per record');
    const told = await build(FIXTURE, { lineOf: (i) => 100 + i });
    expect(blobOf(told.html).problems[0]?.[0]).toBe(101);
    expect(told.html).not.toContain('Line numbers assume one line per record');
  });

  it('finds the system_id column by its normalised header, or takes it as given', async () => {
    const found = await build(FIXTURE);
    expect(blobOf(found.html).config.idColumn).toBe('System ID');
    expect(blobOf(found.html).problems[0]?.[1]).toBe(XSS);
    const given = await build(FIXTURE, { systemIdColumn: 3 });
    expect(blobOf(given.html).problems[0]?.[1]).toBe('bob@example');
  });

  it('says what each mode means, with the verdict and the next step', async () => {
    const imported = await build(FIXTURE);
    expect(imported.html).toContain('<h2>8 of 12 rows were not imported</h2>');
    expect(imported.html).toMatch(/Next step/);
    const good: Row[] = [{ cells: ['C-1', 'A', 'B', 'a@example.com', 'T', '+61411111111'], status: 'valid' }];
    const dry = await build(good, {}, { mode: 'dry-run' });
    expect(dry.html).toContain('All 1 row passed validation');
    expect(dry.html).toContain('nothing was sent to the API');
    expect(dry.html).toContain('<span class="mode-pill">Dry run</span>');
    const del = await build([{ cells: ['C-1', 'A', 'B', 'a@example.com', 'T', '+61411111111'], status: 'deleted', http: '202' }], {}, { mode: 'delete' });
    expect(del.html).toContain('All 1 row deleted');
    expect(del.html).toContain('Delete report');
  });

  it('lists a plan’s field changes from the would-update rows, capped too', async () => {
    const rows: Row[] = [
      { cells: ['C-1', 'A', 'B', 'a@example.com', 'Senior Analyst', '+61411111111'], status: 'would-update', detail: 'job_title: Analyst → Senior Analyst; mobile: (empty) → +61411111111' },
      { cells: ['C-2', 'A', 'B', 'b@example.com', 'T', '+61411111112'], status: 'unchanged' },
      { cells: ['C-3', 'A', 'B', 'c@example.com', 'Head; IT', '+61411111113'], status: 'would-update', detail: `job_title: Ops → ${XSS}; mobile +610411111113 has a trunk zero after the country code` },
      { cells: ['C-4', 'A', 'B', 'd@example.com', 'T', '+61411111114'], status: 'would-update', detail: 'last_name: Xue → Xu' },
      { cells: ['C-5', 'A', 'B', 'e@example', 'T', '+61411111115'], status: 'would-fail', error: 'email_taken: e@example is held by C-9' },
    ];
    const { html } = await build(rows, { maxRows: 2 }, { mode: 'plan' });
    expect(html).not.toContain(XSS);
    const { changes, problems } = blobOf(html);
    expect(changes).toEqual([
      [2, 'C-1', 'job_title', 'Analyst', 'Senior Analyst', ''],
      [2, 'C-1', 'mobile', '(empty)', '+61411111111', ''],
      [4, 'C-3', 'job_title', 'Ops', XSS, 'mobile +610411111113 has a trunk zero after the country code'],
    ]);
    expect(problems.map((p) => p[1])).toEqual(['C-5']);
    expect(html).toContain('Showing the changes of the first 2 of 3 would-update rows');
    expect(html).toContain('3 contacts would be updated');
    expect(html).toMatch(/<code>job_title<\/code> <span>2<\/span>/);
    expect(html).toContain('<h2>1 of 5 rows would fail</h2>');
  });

  it('refuses a file that is not a results CSV, and a missing file, leaving no report behind', async () => {
    const dir = tempDir('report-html-');
    const notResults = writeFile(dir, 'plain.csv', 'system_id,email\r\nC-1,a@example.com\r\n');
    const summary = summaryFor(1, countsOf([]));
    await expect(writeHtmlReport({ summary, resultsPath: notResults, outPath: join(dir, 'a.html') })).rejects.toThrow(/not a results file/);
    await expect(writeHtmlReport({ summary, resultsPath: join(dir, 'missing.csv'), outPath: join(dir, 'b.html') })).rejects.toThrow(/ENOENT/);
    const good = writeFile(dir, 'good.results.csv', csvOf(FIXTURE));
    await expect(writeHtmlReport({ summary, resultsPath: good, outPath: join(dir, 'no-such-dir', 'c.html') })).rejects.toThrow(/ENOENT/);
    expect(readdirSync(dir).sort()).toEqual(['good.results.csv', 'plain.csv']);
  });

  it('writes an empty results file as a report that says so', async () => {
    const { html, result } = await build([]);
    expect(result).toMatchObject({ embeddedRows: 0, totalProblemRows: 0 });
    expect(html).toContain('The results file holds no rows');
  });

  it('streams a 200k-row results file with bounded memory and respects maxRows', async () => {
    const dir = tempDir('report-html-big-');
    const resultsPath = join(dir, 'big.results.csv');
    const out = createWriteStream(resultsPath);
    const total = 200_000;
    const counts = countsOf([]);
    let problems = 0;
    out.write(`${[...HEADER, ...RESULT].join(',')}\r\n`);
    const pad = 'x'.repeat(60);
    for (let i = 0; i < total; i++) {
      const bad = i % 3 === 0;
      const status: RowStatus = bad ? 'invalid' : 'updated';
      counts[status]++;
      if (bad) problems++;
      const error = bad ? `invalid_mobile: column ""Mobile"" ""04${i}"" is not ""+"" then country code ${pad}` : '';
      const line = `ID-${i},First ${i},Last ${pad},user${i}@example.com,Title ${i},+614${String(i).padStart(8, '0')},${status},${bad ? '' : '200'},"${error}",`;
      if (!out.write(`${line}\r\n`)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    const fileSize = statSync(resultsPath).size;
    expect(fileSize).toBeGreaterThan(30_000_000);

    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 5);
    const outPath = join(dir, 'big.html');
    const result = await writeHtmlReport({ summary: summaryFor(total, counts), resultsPath, outPath, maxRows: 1000 });
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().heapUsed);

    expect(result).toEqual({ path: outPath, embeddedRows: 1000, totalProblemRows: problems });
    const html = readFileSync(outPath, 'utf8');
    expect(blobOf(html).problems).toHaveLength(1000);
    expect(html).toContain(`Showing the first 1,000 of ${problems.toLocaleString('en-US')} problem rows`);
    expect(shownNumber(html, 'data-status-count', 'updated')).toBe(counts.updated);
    expect(shownNumber(html, 'data-code-count', 'invalid_mobile')).toBe(problems);
    expect(statSync(outPath).size).toBeLessThan(1_000_000);
    // Holding the file's rows would take several times its size; streaming stays far below it.
    expect(peak - baseline, `peak heap grew by ${Math.round((peak - baseline) / 1e6)} MB for a ${Math.round(fileSize / 1e6)} MB file`).toBeLessThan(fileSize / 2);
  });
});
