/**
 * The HTML report without a browser: result rows fed to the collector as the run's `onRow` would,
 * a hand-made RunSummary, and the HTML read back as text. Counts match the rows, codes come from
 * the rows' structured data, hostile values are escaped, the cap is stated, no network URL
 * appears, and 200k rows keep memory bounded. Plus a plan run in-process and one CLI run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../src/run/run-types.js';
import { runImport } from '../src/run/entry.js';
import { STATUSES, type RowStatus } from '../src/run/statuses.js';
import { PAGE_CSS, PAGE_SCRIPT } from '../src/report/assets.generated.js';
import { createReportCollector, reportRowOf, type ReportRow } from '../src/report/collect.js';
import { escapeHtml, jsonForScript, writeHtmlReport, type HtmlReportOptions } from '../src/report/html.js';
import { readResults, ROOT, tempDir, TEST_API_KEY, TEST_PORTAL_CODE, useEmulators, writeFile } from './helpers.js';
import { Secret } from '../src/config.js';
import { blobOf, shownNumber } from './report-page.js';

const HEADER = {
  columns: ['System ID', 'First Name', 'Last Name', 'Email', 'Job Title', 'Mobile'],
  fields: { system_id: 0, first_name: 1, last_name: 2, email: 3, job_title: 4, mobile: 5 },
};
const XSS = '<script>alert(1)</script>';
const HYPERLINK = '=HYPERLINK("http://evil.example/x","click")';

type Row = Omit<ReportRow, 'seq' | 'line'> & { line?: number };

const FIXTURE: Row[] = [
  { systemId: 'C-1', status: 'created', httpStatus: 201 },
  {
    systemId: XSS,
    status: 'invalid',
    errors: [
      { code: 'invalid_email', field: 'email', message: 'column "Email" "bob@example" is not a valid email address' },
    ],
  },
  {
    systemId: 'C-3',
    status: 'invalid',
    errors: [
      {
        code: 'invalid_mobile',
        field: 'mobile',
        message: 'column "Mobile" "0411 222 333" is not "+" then country code; a local number needs --default-country',
      },
    ],
  },
  {
    systemId: 'C-3b',
    status: 'invalid',
    errors: [
      { code: 'invalid_email', field: 'email', message: `column "Email" "${HYPERLINK}" is not a valid email address` },
    ],
  },
  {
    systemId: 'C-4',
    status: 'invalid',
    errors: [
      {
        code: 'spreadsheet_error',
        field: 'job_title',
        message: 'column "Job Title" holds the spreadsheet error #N/A; fix it, or pass --null-token "#N/A"',
      },
      { code: 'invalid_mobile', field: 'mobile', message: 'column "Mobile" "12" is not "+" then country code' },
    ],
  },
  {
    systemId: 'C-5',
    status: 'updated',
    httpStatus: 200,
    warnings: [
      { code: 'not_a_mobile', field: 'mobile', message: 'column "Mobile" +61298765432 is a fixed line, not a mobile' },
    ],
  },
  {
    systemId: 'C-6',
    status: 'failed',
    httpStatus: 422,
    errors: [{ code: 'email_taken', message: `422 Email address is already in use ${XSS}` }],
  },
  {
    systemId: 'C-7',
    status: 'failed',
    httpStatus: 503,
    errors: [{ code: 'server_error', message: '503 Service Unavailable after 6 attempts' }],
    detail: '6 attempts',
  },
  { systemId: 'C-8', status: 'superseded', httpStatus: 422, detail: 'superseded by line 12' },
  { systemId: 'C-9', status: 'skipped', detail: 'not attempted: the run was stopped' },
  {
    systemId: 'C-10',
    status: 'uncertain',
    detail: 'the answer was lost (connection reset); the contact may have been written',
  },
  { systemId: 'C-11', status: 'updated', httpStatus: 200 },
];
const PROBLEMS = 10; // every row but C-1 and C-11: C-5 has a warning

function countsOf(rows: readonly { status: string }[]): Record<RowStatus, number> {
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<string, number>;
  for (const row of rows) counts[row.status] = (counts[row.status] ?? 0) + 1;
  return counts;
}

function summaryFor(rows: readonly { status: string }[], overrides: Partial<RunSummary> = {}): RunSummary {
  return {
    mode: 'import',
    input: 'contacts.csv',
    resultsPath: 'contacts.results.csv',
    errorsPath: 'contacts.errors.csv',
    journalPath: undefined,
    unmappedColumns: [],
    rows: rows.length,
    counts: countsOf(rows),
    errorGroups: [],
    warningGroups: [],
    warnings: 0,
    retries: 0,
    elapsedMs: 2500,
    rowsPerSecond: rows.length / 2.5,
    reused: 0,
    stopped: undefined,
    ...overrides,
  };
}

function collect(rows: readonly Row[], maxRows?: number) {
  const collector = createReportCollector({ maxRows });
  collector.useHeader(HEADER);
  rows.forEach((row, i) => collector.add({ ...row, seq: i, line: row.line ?? i + 2 }));
  return collector;
}

async function build(
  rows: readonly Row[],
  options: Partial<HtmlReportOptions> & { maxRows?: number } = {},
  summary: Partial<RunSummary> = {},
) {
  const dir = tempDir('report-html-');
  const outPath = join(dir, 'report.html');
  const { maxRows, ...rest } = options;
  const result = await writeHtmlReport({
    summary: summaryFor(rows, summary),
    collected: collect(rows, maxRows),
    outPath,
    generatedAt: new Date('2026-11-30T09:15:00Z'),
    ...rest,
  });
  return { dir, outPath, result, html: readFileSync(outPath, 'utf8') };
}

describe('writeHtmlReport', () => {
  it('shows the counts per status of the rows it was fed, uncertain as its own status', async () => {
    const { html, result } = await build(FIXTURE);
    const expected = countsOf(FIXTURE) as Record<string, number>;
    for (const [status, n] of Object.entries(expected)) {
      if (n > 0) expect(shownNumber(html, 'data-status-count', status), status).toBe(n);
      else expect(html).not.toContain(`data-status-count="${status}"`);
    }
    expect(shownNumber(html, 'data-status-count', 'uncertain')).toBe(1);
    expect(html).toContain('<span class="badge st-uncertain">uncertain</span>');
    expect(html).toContain('<option value="s:uncertain">uncertain (1)</option>');
    expect(blobOf(html).config.statuses).toContain('uncertain');
    expect(html).toMatch(/data-total-count>12</);
    expect(html).toMatch(/data-total-rows>12</);
    expect(result).toMatchObject({ embeddedRows: PROBLEMS, totalProblemRows: PROBLEMS });
    expect(blobOf(html).problems).toHaveLength(PROBLEMS);
    expect(html).not.toContain('tally differs');
  });

  it('groups errors by their code, names the column from the header, and keeps each message whole', async () => {
    const { html } = await build(FIXTURE);
    expect(shownNumber(html, 'data-code-count', 'invalid_email')).toBe(2);
    expect(shownNumber(html, 'data-code-count', 'invalid_mobile')).toBe(2);
    expect(shownNumber(html, 'data-code-count', 'spreadsheet_error')).toBe(1);
    expect(shownNumber(html, 'data-code-count', 'email_taken')).toBe(1);
    expect(html).toContain('Mobile is not in international format');
    const { problems, config } = blobOf(html);
    expect(config.idColumn).toBe('System ID');
    expect(problems.find((p) => p[1] === 'C-4')?.[4]).toEqual([
      ['spreadsheet_error', 'Job Title', 'holds the spreadsheet error #N/A; fix it, or pass --null-token "#N/A"'],
      ['invalid_mobile', 'Mobile', '"12" is not "+" then country code'],
    ]);
    expect(problems.find((p) => p[1] === 'C-3')?.[4]).toHaveLength(1);
    expect(problems.find((p) => p[1] === 'C-6')?.[4]).toEqual([
      ['email_taken', '', `422 Email address is already in use ${XSS}`],
    ]);
    expect(problems.find((p) => p[1] === 'C-9')).toEqual([
      11,
      'C-9',
      'skipped',
      '',
      [],
      [],
      'not attempted: the run was stopped',
    ]);
  });

  it('shows warnings by code, lists warned rows in the table, and never says "all succeed" over them', async () => {
    const { html } = await build(FIXTURE);
    expect(html).toContain('<h2>Warnings by kind</h2>');
    expect(shownNumber(html, 'data-warning-count', 'not_a_mobile')).toBe(1);
    expect(html).toContain('<option value="w:not_a_mobile">not_a_mobile (1)</option>');
    expect(html).toContain('data-show-kind="w:not_a_mobile"');
    // The status filter counts the rows in the table: one of the two updated rows is there.
    expect(html).toContain('<option value="s:updated">updated (1)</option>');
    expect(blobOf(html).problems.find((p) => p[1] === 'C-5')?.[5]).toEqual([
      ['not_a_mobile', 'Mobile', '+61298765432 is a fixed line, not a mobile'],
    ]);

    const warned: Row[] = [
      {
        systemId: 'P-1',
        status: 'would-create',
        warnings: [{ code: 'not_a_mobile', field: 'mobile', message: 'fixed line' }],
      },
      { systemId: 'P-2', status: 'would-create' },
    ];
    const plan = await build(warned, {}, { mode: 'plan' });
    expect(plan.html).toContain('<h2>All 2 rows would succeed, 1 with warnings</h2>');
    expect(plan.html).toContain('1 row has warnings (not_a_mobile)');
    expect(plan.html).toContain('verdict-warn');
    // Warnings counted only by the summary (rows with no codes) are still mentioned.
    const plain = await build([{ systemId: 'P-1', status: 'valid' }], {}, { mode: 'dry-run', warnings: 3 });
    expect(plain.html).toContain('<h2>All 1 row passed validation, with 3 warnings</h2>');
    const clean = await build([{ systemId: 'P-1', status: 'would-create' }], {}, { mode: 'plan' });
    expect(clean.html).toContain('<h2>All 1 row would succeed</h2>');
    expect(clean.html).not.toContain('data-warnings');
  });

  it('counts rows with empty cells over values the API holds, when the run counted them', async () => {
    const rows: Row[] = [{ systemId: 'P-1', status: 'unchanged' }];
    const counted = await build(rows, {}, { mode: 'plan', keptEmptyRows: 4 });
    expect(counted.html).toContain(
      '4 rows have empty cells over values the API holds: those values would be kept (--empty null clears them).',
    );
    const none = await build(rows, {}, { mode: 'plan' });
    expect(none.html).not.toContain('data-kept-empty');
  });

  it('shows the next step as the CLI does: advice, then the command', async () => {
    const structured = await build(FIXTURE, {
      next: {
        advice: 'fix contacts.errors.csv',
        command: "ciopulse-contacts import 'contacts.errors.csv' --env-file .env",
      },
    });
    expect(structured.html).toContain(
      '<p class="next"><span>Next step</span> Fix contacts.errors.csv, then run <code data-next-command>ciopulse-contacts import &#39;contacts.errors.csv&#39; --env-file .env</code></p>',
    );
    const plain = await build(FIXTURE, {
      next: { advice: undefined, command: 'ciopulse-contacts import contacts.csv --resume' },
    });
    expect(plain.html).toContain('run <code data-next-command>ciopulse-contacts import contacts.csv --resume</code>');
    const none = await build(FIXTURE, { next: undefined });
    expect(none.html).not.toContain('Next step');
  });

  it('escapes every value: no raw markup from the input reaches the page', async () => {
    const { html } = await build(
      FIXTURE,
      {},
      { stopped: { reason: 'signal', message: `interrupted ${XSS}`, hint: '<b>hint</b>' }, input: `x${XSS}.csv` },
    );
    expect(html).not.toContain(XSS);
    expect(html).not.toContain('<b>hint</b>');
    expect(html.match(/<script\b/g)).toHaveLength(2);
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(html).toContain(escapeHtml(XSS));
    expect(html).toContain('\\u003cscript\\u003ealert(1)\\u003c/script\\u003e');
    const { problems } = blobOf(html);
    expect(problems.map((p) => p[1])).toContain(XSS);
    expect(problems.find((p) => p[1] === 'C-3b')?.[4][0]?.[2]).toBe(`"${HYPERLINK}" is not a valid email address`);
    expect(html).toContain(escapeHtml(HYPERLINK));
    expect(html).not.toMatch(/<a\b/);
    expect(jsonForScript({ s: '</script>&\u2028\u2029' })).toBe('{"s":"\\u003c/script\\u003e\\u0026\\u2028\\u2029"}');
  });

  it('loads nothing from the network, and inlines page.css and page.js allowed by hash', async () => {
    const { html } = await build(FIXTURE);
    expect(html).not.toMatch(/\b(?:src|href|action|poster|srcset|data)\s*=\s*["']?\s*(?:https?:)?\/\//i);
    expect(html).not.toMatch(/url\(\s*["']?\s*(?:https?:)?\/\//i);
    expect(html).not.toMatch(/@import|<link\b(?![^>]*href="data:)/i);
    expect(html).not.toMatch(/<(?:img|iframe|object|embed|video|audio)\b/i);
    expect(html.match(/https?:\/\/[^\s"'<>\\&]+/g) ?? []).toEqual(['http://evil.example/x', 'http://evil.example/x']);
    // The generated module is what page.css and page.js hold now (npm run build regenerates it).
    expect(PAGE_CSS).toBe(readFileSync(join(ROOT, 'src', 'report', 'page.css'), 'utf8'));
    expect(PAGE_SCRIPT).toBe(readFileSync(join(ROOT, 'src', 'report', 'page.js'), 'utf8'));
    expect(html).toContain(`<style>${PAGE_CSS}</style>`);
    expect(html).toContain(`<script type="module">${PAGE_SCRIPT}</script>`);
    const hash = createHash('sha256').update(PAGE_SCRIPT).digest('base64');
    expect(html).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${hash}';`,
    );
  });

  it('states the cap when the problem rows outnumber maxRows', async () => {
    const { html, result } = await build(FIXTURE, { maxRows: 3 });
    expect(result).toMatchObject({ embeddedRows: 3, totalProblemRows: PROBLEMS });
    expect(html).toContain(`Showing the first 3 of ${PROBLEMS} problem rows; the results CSV has them all`);
    expect(blobOf(html).problems.map((p) => p[1])).toEqual([XSS, 'C-3', 'C-3b']);
    expect(shownNumber(html, 'data-status-count', 'invalid')).toBe(4);
    expect((await build(FIXTURE)).html).not.toContain('Showing the first');
  });

  it('says what each mode means, with the verdict', async () => {
    const imported = await build(FIXTURE);
    expect(imported.html).toContain('<h2>7 of 12 rows were not imported; 1 uncertain</h2>');
    const dry = await build([{ systemId: 'C-1', status: 'valid' }], {}, { mode: 'dry-run' });
    expect(dry.html).toContain('All 1 row passed validation');
    expect(dry.html).toContain('nothing was sent to the API');
    expect(dry.html).toContain('<span class="mode-pill">Dry run</span>');
    const del = await build([{ systemId: 'C-1', status: 'deleted', httpStatus: 202 }], {}, { mode: 'delete' });
    expect(del.html).toContain('All 1 row deleted');
    expect(del.html).toContain('Delete report');
    const empty = await build([]);
    expect(empty.result).toMatchObject({ embeddedRows: 0, totalProblemRows: 0 });
    expect(empty.html).toContain('The run has no rows');
  });

  it('lists a plan’s field changes from the rows’ structured changes, capped too', async () => {
    const rows: Row[] = [
      {
        systemId: 'C-1',
        status: 'would-update',
        changes: [
          { field: 'job_title', from: 'Analyst', to: 'Senior Analyst' },
          { field: 'mobile', from: null, to: '+61411111111' },
        ],
      },
      { systemId: 'C-2', status: 'unchanged' },
      {
        systemId: 'C-3',
        status: 'would-update',
        changes: [{ field: 'job_title', from: 'Ops → Dev', to: XSS }],
        warnings: [{ code: 'not_a_mobile', message: 'a fixed line' }],
      },
      { systemId: 'C-4', status: 'would-update', changes: [{ field: 'last_name', from: 'Xue', to: 'Xu' }] },
      { systemId: 'C-5', status: 'would-fail', errors: [{ code: 'email_taken', message: 'e@example is held by C-9' }] },
    ];
    const { html } = await build(rows, { maxRows: 2 }, { mode: 'plan' });
    expect(html).not.toContain(XSS);
    const { changes, problems } = blobOf(html);
    expect(changes).toEqual([
      [2, 'C-1', 'job_title', 'Analyst', 'Senior Analyst', ''],
      [2, 'C-1', 'mobile', '', '+61411111111', ''],
      [4, 'C-3', 'job_title', 'Ops → Dev', XSS, 'a fixed line'],
    ]);
    expect(problems.map((p) => p[1])).toEqual(['C-3', 'C-5']);
    expect(html).toContain('Showing the changes of the first 2 of 3 would-update rows');
    expect(html).toContain('3 contacts would be updated');
    expect(html).toMatch(/<code>job_title<\/code> <span>2<\/span>/);
    expect(html).toContain('<h2>1 of 5 rows would fail</h2>');
  });

  it('takes back a row settled again (the 422 second chance) before counting its new answer', () => {
    const collector = createReportCollector();
    const first: ReportRow = {
      seq: 0,
      line: 2,
      systemId: 'N-5',
      status: 'failed',
      httpStatus: 422,
      errors: [{ code: 'email_taken', message: 'taken' }],
    };
    collector.add(first);
    collector.add({ seq: 1, line: 3, systemId: 'D', status: 'updated' });
    collector.add({ ...first, status: 'created', httpStatus: 201, errors: undefined }, first);
    const data = collector.result();
    expect(Object.fromEntries(data.counts)).toEqual({ created: 1, updated: 1 });
    expect([...data.errorGroups.keys()]).toEqual([]);
    expect(data).toMatchObject({ rows: 2, totalProblems: 0, problems: [] });
  });

  it('reads a pipeline row’s structured warnings by code', () => {
    const base = { seq: 0, line: 2, cells: ['X'], systemId: 'X', status: 'would-create' as const };
    const coded = reportRowOf({
      ...base,
      warnings: [{ code: 'not_a_mobile', field: 'mobile', message: 'a fixed line' }],
    });
    expect(coded.warnings).toEqual([{ code: 'not_a_mobile', field: 'mobile', message: 'a fixed line' }]);
    expect(reportRowOf({ ...base, warnings: [] }).warnings).toBeUndefined();
    const changes = [{ field: 'job_title', from: 'Analyst', to: 'Lead' }];
    expect(reportRowOf({ ...base, status: 'would-update', changes }).changes).toEqual(changes);
  });

  it('leaves no report behind when the file cannot be written', async () => {
    const dir = tempDir('report-html-');
    await expect(
      writeHtmlReport({
        summary: summaryFor(FIXTURE),
        collected: collect(FIXTURE),
        outPath: join(dir, 'no-such-dir', 'c.html'),
      }),
    ).rejects.toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('keeps memory bounded over 200k rows and respects maxRows', async () => {
    const total = 200_000;
    const pad = 'x'.repeat(60);
    const baseline = process.memoryUsage().heapUsed;
    const collector = createReportCollector({ maxRows: 1000 });
    collector.useHeader(HEADER);
    let problems = 0;
    let peak = baseline;
    for (let i = 0; i < total; i++) {
      const bad = i % 3 === 0;
      if (bad) problems++;
      const errors = bad
        ? [
            {
              code: 'invalid_mobile',
              field: 'mobile',
              message: `column "Mobile" "04${i}" is not "+" then country code ${pad}`,
            },
          ]
        : undefined;
      collector.add({
        seq: i,
        line: i + 2,
        systemId: `ID-${i}`,
        status: bad ? 'invalid' : 'updated',
        httpStatus: bad ? undefined : 200,
        errors,
      });
      if (i % 10_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
    const dir = tempDir('report-html-big-');
    const outPath = join(dir, 'big.html');
    const result = await writeHtmlReport({ summary: summaryFor([]), collected: collector, outPath });
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    expect(result).toEqual({ path: outPath, embeddedRows: 1000, totalProblemRows: problems });
    const html = readFileSync(outPath, 'utf8');
    expect(blobOf(html).problems).toHaveLength(1000);
    expect(html).toContain(`Showing the first 1,000 of ${problems.toLocaleString('en-US')} problem rows`);
    expect(shownNumber(html, 'data-code-count', 'invalid_mobile')).toBe(problems);
    // Holding every row's data would take well over 100 MB; the collector keeps 1,000 of them.
    expect(peak - baseline, `peak heap grew by ${Math.round((peak - baseline) / 1e6)} MB`).toBeLessThan(60_000_000);
  });
});

describe('the report of a real run', () => {
  const emulator = useEmulators();

  it('a plan in-process: counts agree with the results file, including rows settled on the second pass', async () => {
    const emu = await emulator();
    emu.seedContacts([
      { system_id: 'A', first_name: 'A', last_name: 'A', email: 'a@example.com', job_title: 'Analyst', mobile: null },
      { system_id: 'D', first_name: 'D', last_name: 'D', email: 'd@example.com', job_title: null, mobile: null },
    ]);
    const dir = tempDir('report-run-');
    const input = writeFile(
      dir,
      'contacts.csv',
      [
        'system_id,first_name,last_name,email,job_title',
        'A,A,A,a@example.com,Senior Analyst',
        'NEW5,N,F,d@example.com,',
        'D,D,D,d2@example.com,',
        'BAD,B,E,not-an-email,',
      ].join('\n'),
    );
    const collector = createReportCollector();
    const summary = await runImport({
      input,
      mode: 'plan',
      connection: { baseUrl: emu.baseUrl, portalCode: TEST_PORTAL_CODE, apiKey: new Secret(TEST_API_KEY) },
      onStart: (info) => collector.useHeader(info.header),
      onRow: collector.onRow,
    });
    const outPath = join(dir, 'plan.html');
    await writeHtmlReport({ summary, collected: collector, outPath });
    const html = readFileSync(outPath, 'utf8');
    const results = readResults(summary.resultsPath);
    expect(results.map((r) => r.status)).toEqual(['would-update', 'would-create', 'would-update', 'invalid']);
    for (const status of ['would-update', 'would-create', 'invalid']) {
      expect(shownNumber(html, 'data-status-count', status), status).toBe(
        results.filter((r) => r.status === status).length,
      );
    }
    expect(html).not.toContain('data-status-count="would-fail"');
    expect(html).not.toContain('tally differs');
    expect(blobOf(html).changes).toContainEqual([2, 'A', 'job_title', 'Analyst', 'Senior Analyst', '']);
  });
});
