/**
 * The HTML report in a real browser: headless Chromium (Debian's /usr/bin/chromium) driven by
 * playwright-core, opening the file from disk. Counts, filtering, sorting and paging work; hostile
 * cells are shown as text; the page makes no network request. Also makes docs/report.png when
 * UPDATE_SCREENSHOT=1 is set or the file does not exist yet.
 *
 * Without Chromium these tests are skipped: `apt-get install -y chromium`.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../src/run/run-types.js';
import { STATUSES, type RowStatus } from '../src/run/statuses.js';
import {
  createReportCollector,
  type ReportChange,
  type ReportError,
  type ReportWarning,
} from '../src/report/collect.js';
import { writeHtmlReport, type HtmlReportOptions } from '../src/report/html.js';
import { ROOT, tempDir } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const SKIP_MESSAGE = 'Chromium not installed: apt-get install -y chromium';
const SCREENSHOT = join(ROOT, 'docs', 'report.png');

if (!HAVE_CHROMIUM) console.warn(`test/report-browser.test.ts skipped: ${SKIP_MESSAGE}`);

const HEADER = ['System ID', 'First Name', 'Last Name', 'Email', 'Job Title', 'Mobile Phone'];

interface Row {
  cells: string[];
  status: RowStatus | 'uncertain';
  http?: number;
  errors?: ReportError[];
  warnings?: ReportWarning[];
  changes?: ReportChange[];
  detail?: string;
}

function contact(id: number, first: string, last: string, title: string, mobile: string, email?: string): string[] {
  return [
    `EMP-${id}`,
    first,
    last,
    email ?? `${first}.${last}@northwind.example`.toLowerCase().replace(/[^a-z.@-]/g, ''),
    title,
    mobile,
  ];
}

const MOBILE_LOCAL =
  'is not "+" then country code and number with no spaces or hyphens; a local number needs --default-country, or the country code written in';
const MOBILE_EXCEL =
  'is not "+" then country code and number with no spaces or hyphens; it looks like Excel scientific notation: format the column as Text';

/** About thirty rows of a realistic migration with several kinds of error: the README screenshot. */
function showcaseRows(): Row[] {
  const rows: Row[] = [];
  const ok = (cells: string[], status: 'created' | 'updated'): void => {
    rows.push({ cells, status, http: status === 'created' ? 201 : 200 });
  };
  ok(contact(1001, 'Olivia', 'Chen', 'Service Desk Lead', '+61411222333'), 'updated');
  ok(contact(1002, 'Liam', 'Patel', 'Service Desk Analyst', '+61422333444'), 'updated');
  ok(contact(1003, 'Amelia', 'Nguyen', 'Senior Analyst', '+61433444555'), 'created');
  rows.push({
    cells: contact(1004, 'Noah', 'Williams', 'Network Engineer', '0412 555 019'),
    status: 'invalid',
    errors: [
      { code: 'invalid_mobile', field: 'mobile', message: `column "Mobile Phone" "0412 555 019" ${MOBILE_LOCAL}` },
    ],
  });
  ok(contact(1005, 'Isla', 'Brown', 'Change Manager', '+61455666777'), 'updated');
  ok(contact(1006, 'Jack', 'Wilson', 'Problem Manager', '+61466777888'), 'created');
  ok(contact(1007, 'Ava', 'Roberts', 'Desktop Support', '+61477888999', 'ava.roberts@northwind.example'), 'updated');
  rows.push({
    cells: contact(1008, 'Oliver', 'Taylor', 'Security Analyst', '+61488999000', 'noah.kim@northwind'),
    status: 'invalid',
    errors: [
      {
        code: 'invalid_email',
        field: 'email',
        message: 'column "Email" "noah.kim@northwind" is not a valid email address',
      },
    ],
  });
  ok(contact(1009, 'Mia', 'Smith', 'IT Asset Manager', '+61499000111'), 'updated');
  rows.push({
    cells: contact(1010, 'Leo', 'Jones', '#N/A', '+61400111222'),
    status: 'invalid',
    errors: [
      {
        code: 'spreadsheet_error',
        field: 'job_title',
        message:
          'column "Job Title" holds the spreadsheet error #N/A (a broken formula?); fix it, or pass --null-token "#N/A" to clear the field',
      },
    ],
  });
  ok(contact(1011, 'Grace', 'Martin', 'Service Owner', '+61401222333'), 'created');
  rows.push({
    cells: contact(1012, 'Henry', 'Thompson', 'Database Administrator', '0402 333 444'),
    status: 'invalid',
    errors: [
      { code: 'invalid_mobile', field: 'mobile', message: `column "Mobile Phone" "0402 333 444" ${MOBILE_LOCAL}` },
    ],
  });
  ok(contact(1013, 'Chloe', 'White', 'Release Manager', '+61403444555'), 'updated');
  rows.push({
    cells: contact(1014, 'Lucas', 'Harris', 'Cloud Engineer', '+61404555666', 'ava.roberts@northwind.example'),
    status: 'invalid',
    errors: [
      {
        code: 'duplicate_email',
        field: 'email',
        message:
          'column "Email" "ava.roberts@northwind.example" is already used by line 8 for another system_id (emails are unique, compared case-insensitively)',
      },
    ],
  });
  ok(contact(1015, 'Zoe', 'Clarke', 'Knowledge Manager', '+61405666777'), 'updated');
  rows.push({
    cells: contact(1016, 'Ethan', 'Lewis', 'Field Technician', '6.14111E+10'),
    status: 'invalid',
    errors: [
      { code: 'invalid_mobile', field: 'mobile', message: `column "Mobile Phone" "6.14111E+10" ${MOBILE_EXCEL}` },
    ],
  });
  rows.push({
    cells: contact(1017, 'Ruby', 'Walker', 'Incident Manager', '+61407888999'),
    status: 'uncertain',
    detail: 'the answer was lost (connection reset after sending); the contact may have been written',
  });
  rows.push({
    cells: contact(1018, 'Mason', 'Hall', 'Service Desk Analyst', '+61408999000', 'm.hall@northwind.example'),
    status: 'failed',
    http: 422,
    errors: [{ code: 'email_taken', message: '422 Email address is already in use by another contact' }],
    detail: 'second attempt after all other rows: still taken',
  });
  ok(contact(1019, 'Sophie', 'Allen', 'Business Analyst', '+61409000111'), 'created');
  rows.push({
    cells: ['EMP-1020', 'Daniel', 'O"Neil', 'daniel.oneil@northwind.example', 'Platform Engineer', '+61410111222'],
    status: 'invalid',
    errors: [
      {
        code: 'backslash_char',
        field: 'last_name',
        message:
          'column "Last Name" contains a double quote ("), which JSON must escape with a backslash; the API forbids backslashes',
      },
    ],
  });
  ok(contact(1021, 'Ella', 'Young', 'Vendor Manager', '+61412222333'), 'updated');
  rows.push({
    cells: contact(1022, 'James', 'King', 'Systems Engineer', '+61413333444'),
    status: 'failed',
    http: 503,
    errors: [{ code: 'server_error', message: '503 Service Unavailable after 6 attempts' }],
    detail: '6 attempts',
  });
  ok(contact(1023, 'Harper', 'Wright', 'Support Analyst', '+61414444555'), 'updated');
  rows.push({
    cells: contact(1024, 'Charlotte', 'Scott', '#REF!', '+61415555666'),
    status: 'invalid',
    errors: [
      {
        code: 'spreadsheet_error',
        field: 'job_title',
        message:
          'column "Job Title" holds the spreadsheet error #REF! (a broken formula?); fix it, or pass --null-token "#REF!" to clear the field',
      },
    ],
  });
  ok(contact(1025, 'William', 'Green', 'Head of IT Operations', '+61416666777'), 'updated');
  rows.push({
    cells: contact(1026, 'Evie', 'Baker', 'Service Desk Analyst', '0413-777-888'),
    status: 'invalid',
    errors: [
      { code: 'invalid_mobile', field: 'mobile', message: `column "Mobile Phone" "0413-777-888" ${MOBILE_LOCAL}` },
    ],
  });
  ok(contact(1027, 'Thomas', 'Adams', 'Infrastructure Lead', '+61418888999'), 'created');
  rows.push({
    cells: contact(1028, 'Lily', 'Nelson', 'Applications Analyst', '+61419999000', 'lily.nelson@northwind.example'),
    status: 'superseded',
    http: 422,
    errors: [{ code: 'email_taken', message: '422 Email address is already in use by another contact' }],
    detail:
      'superseded by line 31, applied after this row (its own answer: email_taken: 422 Email address is already in use by another contact); not sent again',
  });
  rows.push({
    cells: contact(1029, 'Samuel', 'Carter', 'Network Analyst', '+61290000111'),
    status: 'updated',
    http: 200,
    warnings: [
      {
        code: 'not_a_mobile',
        field: 'mobile',
        message:
          'mobile +61290000111 is a fixed-line (landline) number by libphonenumber, not a mobile; sent as the API allows it',
      },
    ],
  });
  ok(contact(1028, 'Lily', 'Nelson', 'Applications Analyst', '+61419999000', 'l.nelson@northwind.example'), 'updated');
  return rows;
}

/** A smaller file with hostile cells: markup, a formula, a script in a message. */
function hostileRows(): Row[] {
  return [
    { cells: ['A-1', 'Ann', 'Lee', 'ann@example.com', 'Analyst', '+61411111111'], status: 'created', http: 201 },
    {
      cells: ['<script>alert(1)</script>', 'Bob', 'Ng', 'bob@example', 'Dev', '+61411111112'],
      status: 'invalid',
      errors: [
        { code: 'invalid_email', field: 'email', message: 'column "Email" "bob@example" is not a valid email address' },
      ],
    },
    {
      cells: ['A-3', '=HYPERLINK("http://evil.example","x")', 'Ma', 'cy@example.com', 'Ops', '0411'],
      status: 'invalid',
      errors: [
        {
          code: 'invalid_mobile',
          field: 'mobile',
          message: 'column "Mobile Phone" "0411" is not "+" then country code and number; <img src=x onerror=alert(2)>',
        },
      ],
    },
    {
      cells: ['A-4', 'Dee', 'Xu', 'dee@example.com', '</script><script>alert(3)</script>', '+61411111114'],
      status: 'failed',
      http: 400,
      errors: [{ code: 'api_rejected', message: '400 </script><script>alert(3)</script>' }],
    },
    { cells: ['A-5', 'Eve', 'Oh', 'eve@example.com', 'Lead', '+61411111115'], status: 'updated', http: 200 },
    {
      cells: ['A-6', 'Fay', 'Li', 'fay@example', 'Lead', '0412'],
      status: 'invalid',
      errors: [
        { code: 'invalid_email', field: 'email', message: 'column "Email" "fay@example" is not a valid email address' },
        { code: 'invalid_mobile', field: 'mobile', message: 'column "Mobile Phone" "0412" is not valid' },
      ],
    },
    {
      cells: ['A-7', 'Gus', 'Ku', 'gus@example.com', 'Lead', '+61411111117'],
      status: 'skipped',
      detail: 'not attempted: the run was stopped',
    },
    {
      cells: ['A-10', 'Hal', 'Jo', 'hal@example.com', 'Lead', '+61411111118'],
      status: 'skipped',
      detail: 'not attempted: the run was stopped',
    },
  ];
}

function summaryOf(rows: readonly Row[], overrides: Partial<RunSummary> = {}): RunSummary {
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<string, number>;
  for (const row of rows) counts[row.status] = (counts[row.status] ?? 0) + 1;
  return {
    mode: 'import',
    input: 'contacts.csv',
    resultsPath: 'contacts.results.csv',
    errorsPath: 'contacts.errors.csv',
    journalPath: undefined,
    unmappedColumns: [],
    rows: rows.length,
    counts: counts,
    errorGroups: [],
    warningGroups: [],
    warnings: 0,
    retries: 0,
    elapsedMs: 1234,
    rowsPerSecond: rows.length / 1.234,
    reused: 0,
    stopped: undefined,
    ...overrides,
  };
}

/** Feeds the rows to a collector as the run's onRow would, and writes the report. */
async function report(
  dir: string,
  rows: readonly Row[],
  extra: Partial<HtmlReportOptions> & { maxRows?: number } = {},
  summary: Partial<RunSummary> = {},
): Promise<{ html: string }> {
  const { maxRows, ...rest } = extra;
  const collector = createReportCollector({ maxRows });
  collector.useHeader({
    columns: HEADER,
    fields: { system_id: 0, first_name: 1, last_name: 2, email: 3, job_title: 4, mobile: 5 },
  });
  rows.forEach((r, seq) => {
    const { cells, http, ...data } = r;
    collector.add({ ...data, seq, line: seq + 2, systemId: (cells[0] ?? '').trim(), httpStatus: http });
  });
  const html = join(dir, 'report.html');
  await writeHtmlReport({
    summary: summaryOf(rows, summary),
    collected: collector,
    outPath: html,
    generatedAt: new Date('2026-11-30T09:15:00Z'),
    ...rest,
  });
  return { html };
}

interface Watch {
  requests: string[];
  dialogs: string[];
  errors: string[];
}

function watch(page: Page): Watch {
  const w: Watch = { requests: [], dialogs: [], errors: [] };
  page.on('request', (r) => w.requests.push(r.url()));
  page.on('dialog', (d) => {
    w.dialogs.push(d.message());
    d.dismiss().catch(() => undefined);
  });
  page.on('pageerror', (e) => w.errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') w.errors.push(m.text());
  });
  return w;
}

function expectOffline(w: Watch): void {
  expect(w.requests.length).toBeGreaterThan(0);
  expect(w.requests.filter((url) => !url.startsWith('file:') && !url.startsWith('data:'))).toEqual([]);
  expect(w.dialogs).toEqual([]);
  expect(w.errors).toEqual([]);
}

const visibleRows = (page: Page, table: string): Promise<number> =>
  page.locator(`[data-table=${table}] tbody tr:not(.none)`).count();
const columnTexts = (page: Page, table: string, key: string): Promise<string[]> =>
  page.locator(`[data-table=${table}] tbody td.col-${key}`).allTextContents();

if (!HAVE_CHROMIUM) {
  describe('HTML report in a browser', () => {
    it.skip(SKIP_MESSAGE, () => undefined);
  });
}

describe.skipIf(!HAVE_CHROMIUM)('HTML report in a browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function open(path: string, options: { width?: number } = {}): Promise<{ page: Page; w: Watch }> {
    const page = await browser.newPage({
      viewport: { width: options.width ?? 1280, height: 900 },
      colorScheme: 'light',
    });
    const w = watch(page);
    await page.goto(pathToFileURL(path).href);
    await page.waitForSelector('[data-role=shown]:not(:empty)');
    return { page, w };
  }

  it('shows the counts of the rows, uncertain as its own status', async () => {
    const dir = tempDir('report-browser-');
    const rows = showcaseRows();
    const { html } = await report(dir, rows);
    const { page, w } = await open(html);
    const expected = new Map<string, number>();
    for (const r of rows) expected.set(r.status, (expected.get(r.status) ?? 0) + 1);
    for (const [status, n] of expected) {
      expect(await page.locator(`[data-status-count="${status}"]`).textContent()).toBe(String(n));
    }
    expect(await page.locator('[data-status-count="uncertain"]').textContent()).toBe('1');
    expect(await page.locator('[data-total-count]').textContent()).toBe(String(rows.length));
    const problems = rows.filter(
      (r) =>
        ['invalid', 'failed', 'would-fail', 'uncertain', 'skipped', 'superseded'].includes(r.status) ||
        (r.warnings ?? []).length > 0,
    ).length;
    expect(await visibleRows(page, 'problems')).toBe(problems);
    expect(await page.locator('[data-code-count="invalid_mobile"]').textContent()).toBe('4');
    expect(await page.locator('[data-code-count="spreadsheet_error"]').textContent()).toBe('2');
    expect(await page.locator('[data-warning-count="not_a_mobile"]').textContent()).toBe('1');
    expectOffline(w);
    await page.close();
  });

  it('filters by a warning code and by the uncertain status', async () => {
    const dir = tempDir('report-browser-');
    const { html } = await report(dir, showcaseRows(), {
      next: { advice: 'fix contacts.errors.csv', command: 'ciopulse-contacts import contacts.errors.csv' },
    });
    const { page, w } = await open(html);
    await page.selectOption('[data-table=problems] [data-role=kind]', 's:uncertain');
    expect(await columnTexts(page, 'problems', 'id')).toEqual(['EMP-1017']);
    expect(await columnTexts(page, 'problems', 'status')).toEqual(['uncertain']);
    await page.selectOption('[data-table=problems] [data-role=kind]', '');
    await page.locator('details[data-warning=not_a_mobile] summary').click();
    await page.locator('details[data-warning=not_a_mobile] [data-show-kind]').click();
    expect(await page.locator('[data-table=problems] [data-role=kind]').inputValue()).toBe('w:not_a_mobile');
    expect(await columnTexts(page, 'problems', 'id')).toEqual(['EMP-1029']);
    expect(await columnTexts(page, 'problems', 'code')).toEqual(['not_a_mobile']);
    expect(await columnTexts(page, 'problems', 'column')).toEqual(['Mobile Phone']);
    expect(await columnTexts(page, 'problems', 'message')).toEqual([
      'mobile +61290000111 is a fixed-line (landline) number by libphonenumber, not a mobile; sent as the API allows it',
    ]);
    expect(await page.locator('[data-table=problems] td.col-code code.wcode').textContent()).toBe('not_a_mobile');
    expect(await page.locator('[data-next-command]').textContent()).toBe(
      'ciopulse-contacts import contacts.errors.csv',
    );
    expectOffline(w);
    await page.close();
  });

  it('filters by text and by kind, and sorts by a clicked header', async () => {
    const dir = tempDir('report-browser-');
    const { html } = await report(dir, showcaseRows());
    const { page, w } = await open(html);
    const all = await visibleRows(page, 'problems');

    await page.fill('[data-table=problems] [data-role=filter]', 'mobile phone');
    // The four invalid_mobile rows, and the not_a_mobile warning on the same column.
    await expect.poll(() => visibleRows(page, 'problems')).toBe(5);
    for (const text of await page.locator('[data-table=problems] tbody tr').allTextContents())
      expect(text.toLowerCase()).toContain('mobile phone');
    expect(await page.locator('[data-table=problems] [data-role=shown]').textContent()).toBe('5 rows matching');

    await page.fill('[data-table=problems] [data-role=filter]', 'EMP-1022');
    await expect.poll(() => columnTexts(page, 'problems', 'id')).toEqual(['EMP-1022']);
    await page.fill('[data-table=problems] [data-role=filter]', 'no such thing anywhere');
    await expect.poll(() => visibleRows(page, 'problems')).toBe(0);
    await page.fill('[data-table=problems] [data-role=filter]', '');
    await expect.poll(() => visibleRows(page, 'problems')).toBe(all);

    await page.selectOption('[data-table=problems] [data-role=kind]', 'c:spreadsheet_error');
    expect(await columnTexts(page, 'problems', 'id')).toEqual(['EMP-1010', 'EMP-1024']);
    await page.selectOption('[data-table=problems] [data-role=kind]', 's:failed');
    expect(await columnTexts(page, 'problems', 'status')).toEqual(['failed', 'failed']);
    await page.selectOption('[data-table=problems] [data-role=kind]', '');

    const lineHeader = page.locator('[data-table=problems] th[data-key=line] button');
    await lineHeader.click();
    const ascending = (await columnTexts(page, 'problems', 'line')).map(Number);
    expect(ascending).toEqual([...ascending].sort((a, b) => a - b));
    await lineHeader.click();
    const descending = (await columnTexts(page, 'problems', 'line')).map(Number);
    expect(descending).toEqual([...ascending].reverse());
    expect(await page.locator('[data-table=problems] th[data-key=line]').getAttribute('aria-sort')).toBe('descending');

    await page.locator('[data-table=problems] th[data-key=code] button').click();
    const codes = await columnTexts(page, 'problems', 'code');
    expect(codes).toEqual([...codes].sort((a, b) => a.localeCompare(b)));

    // The "show all in the table" link of an error group sets the kind filter.
    await page.locator('details[data-code=invalid_email] summary').click();
    await page.locator('details[data-code=invalid_email] [data-show-kind]').click();
    expect(await page.locator('[data-table=problems] [data-role=kind]').inputValue()).toBe('c:invalid_email');
    expect(await columnTexts(page, 'problems', 'id')).toEqual(['EMP-1008']);
    expectOffline(w);
    await page.close();
  });

  it('shows hostile cells as text, runs none of them, and makes no network request', async () => {
    const dir = tempDir('report-browser-');
    const rows = hostileRows();
    const { html } = await report(
      dir,
      rows,
      {},
      { stopped: { reason: 'signal', message: 'interrupted <b>now</b>', hint: undefined } },
    );
    const { page, w } = await open(html);
    const ids = await columnTexts(page, 'problems', 'id');
    expect(ids).toContain('<script>alert(1)</script>');
    const messages = (await columnTexts(page, 'problems', 'message')).join('\n');
    expect(messages).toContain('<img src=x onerror=alert(2)>');
    expect(messages).toContain('400 </script><script>alert(3)</script>');
    // Server-rendered parts too: the group examples and the stop notice.
    expect(await page.locator('details[data-code=invalid_email] tbody').textContent()).toContain(
      '<script>alert(1)</script>',
    );
    expect(await page.getByText('interrupted <b>now</b>').count()).toBe(1);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(2);
    // A row with two errors lists both.
    await page.fill('[data-table=problems] [data-role=filter]', 'A-6');
    await expect
      .poll(() => page.locator('[data-table=problems] tbody td.col-code .line').allTextContents())
      .toEqual(['invalid_email', 'invalid_mobile']);
    expectOffline(w);
    await page.close();
  });

  it('pages a long table 200 rows at a time and states the cap', async () => {
    const dir = tempDir('report-browser-');
    const rows: Row[] = [];
    for (let i = 0; i < 650; i++) {
      rows.push({
        cells: [`ID-${i}`, 'A', 'B', `a${i}@example`, 'T', '+61411111111'],
        status: 'invalid',
        errors: [
          {
            code: 'invalid_email',
            field: 'email',
            message: `column "Email" "a${i}@example" is not a valid email address`,
          },
        ],
      });
    }
    const { html } = await report(dir, rows, { maxRows: 450 });
    const { page, w } = await open(html);
    const more = page.locator('[data-table=problems] [data-role=more]');
    expect(await visibleRows(page, 'problems')).toBe(200);
    expect(await page.locator('[data-table=problems] [data-role=shown]').textContent()).toBe('Showing 200 of 450 rows');
    expect(await page.locator('[data-cap]').textContent()).toContain(
      'Showing the first 450 of 650 problem rows; the results CSV has them all',
    );
    await more.click();
    expect(await visibleRows(page, 'problems')).toBe(400);
    expect(await more.textContent()).toBe('Show 50 more');
    await more.click();
    expect(await visibleRows(page, 'problems')).toBe(450);
    expect(await more.isHidden()).toBe(true);
    await page.fill('[data-table=problems] [data-role=filter]', 'ID-44');
    await expect.poll(() => visibleRows(page, 'problems')).toBe(11); // ID-44, ID-440 … ID-449
    expectOffline(w);
    await page.close();
  });

  it('lists a plan’s field changes', async () => {
    const dir = tempDir('report-browser-');
    const rows: Row[] = [
      {
        cells: contact(1, 'Ann', 'Lee', 'Senior Analyst', '+61411111111'),
        status: 'would-update',
        changes: [
          { field: 'job_title', from: 'Analyst', to: 'Senior Analyst' },
          { field: 'mobile', from: null, to: '+61411111111' },
        ],
      },
      { cells: contact(2, 'Bob', 'Ng', 'Dev', '+61411111112'), status: 'unchanged' },
      { cells: contact(3, 'Cy', 'Ma', 'Ops', '+61411111113'), status: 'would-create' },
      {
        cells: contact(4, 'Dee', 'Xu', 'Lead', '+61411111114'),
        status: 'would-update',
        changes: [{ field: 'last_name', from: 'Xue', to: 'Xu' }],
      },
      {
        cells: contact(5, 'Eve', 'Oh', 'Lead', '+61411111115'),
        status: 'would-fail',
        errors: [{ code: 'email_taken', message: 'eve.oh@northwind.example is held by EMP-9' }],
      },
    ];
    const { html } = await report(dir, rows, {}, { mode: 'plan' });
    const { page, w } = await open(html);
    expect(await visibleRows(page, 'changes')).toBe(3);
    expect(await columnTexts(page, 'changes', 'field')).toEqual(['job_title', 'mobile', 'last_name']);
    expect(await columnTexts(page, 'changes', 'before')).toEqual(['Analyst', '(empty)', 'Xue']);
    await page.selectOption('[data-table=changes] [data-role=kind]', 'f:mobile');
    expect(await columnTexts(page, 'changes', 'after')).toEqual(['+61411111111']);
    expect(await page.locator('.verdict h2').textContent()).toBe('1 of 5 rows would fail');
    expectOffline(w);
    await page.close();
  });

  it.runIf(process.env.UPDATE_SCREENSHOT === '1' || !existsSync(SCREENSHOT))('writes docs/report.png', async () => {
    const dir = tempDir('report-shot-');
    const rows = showcaseRows();
    const { html } = await report(
      dir,
      rows,
      {
        next: {
          advice: 'fix migrations/northwind-contacts.errors.csv',
          command: 'ciopulse-contacts import migrations/northwind-contacts.errors.csv',
        },
      },
      {
        input: 'migrations/northwind-contacts.csv',
        resultsPath: 'migrations/northwind-contacts.results.csv',
        errorsPath: 'migrations/northwind-contacts.errors.csv',
        elapsedMs: 2140,
        rowsPerSecond: rows.length / 2.14,
        retries: 5,
      },
    );
    const { page, w } = await open(html, { width: 1200 });
    await page.locator('details[data-code=invalid_mobile] summary').click();
    mkdirSync(join(ROOT, 'docs'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expectOffline(w);
    await page.close();
  });
});
