/**
 * The HTML report (`--report report.html`): one self-contained file for the person who signs off
 * a migration, who is often not the person who ran it. Inline CSS and JS, no network, no external
 * assets; it opens from disk in any browser.
 *
 * It streams the results CSV once, so memory stays flat whatever the file's size: it keeps the
 * counts, at most `maxRows` problem rows (and, for a plan, at most `maxRows` would-update rows
 * with their field changes), and a few example rows per error code.
 *
 * Every value from the input is untrusted. Server-rendered text is HTML-escaped; the rows travel
 * as JSON in a `<script type="application/json">` with `<`, `>`, `&`, U+2028 and U+2029 written
 * as `\uXXXX`, so a cell holding `</script>` cannot end the element; the page script renders them
 * with `textContent` only. A Content-Security-Policy allows only the page's own script (by hash)
 * and no network access at all, as a second line of defence.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, renameSync, rmSync, type WriteStream } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'csv-parse';
import type { RowErrorCode } from '../contact.js';
import type { RunMode } from '../import/paths.js';
import type { RunSummary } from '../import/pipeline.js';
import { RESULT_COLUMNS, STATUSES, type RowStatus } from '../import/results.js';
import { nextCommand } from './summary.js';

export interface HtmlReportOptions {
  summary: RunSummary;
  /**
   * The results CSV the run wrote (input columns + status,http_status,error,detail); read from
   * here. The report names the files as the summary does (`summary.resultsPath` and so on).
   */
  resultsPath: string;
  /** Where to write the .html. */
  outPath: string;
  /** Max problem rows embedded in the table; the rest are counted and the cap is stated. Default 20_000. */
  maxRows?: number;
  /**
   * Index of the system_id column among the input columns. Default: the header that reads
   * `system_id` once case, spaces, `_` and `-` are ignored.
   */
  systemIdColumn?: number;
  /**
   * The input line of a data row (0-based index in the results file). Default: index + 2, which
   * assumes one line per record; the report says so in a footnote.
   */
  lineOf?: (rowIndex: number) => number;
  generatedAt?: Date;
}

export interface HtmlReportResult {
  path: string;
  /** Problem rows embedded in the report's table. */
  embeddedRows: number;
  /** Problem rows in the results file. */
  totalProblemRows: number;
}

/** Rows that need a reader's attention; they fill the problem table. */
const PROBLEM_STATUSES: ReadonlySet<string> = new Set<RowStatus>(['invalid', 'failed', 'uncertain', 'would-fail', 'skipped', 'superseded']);
/** Rows that did not end well: the verdict counts these. */
const BAD_STATUSES: readonly RowStatus[] = ['invalid', 'failed', 'uncertain', 'would-fail'];
const KNOWN_STATUSES: ReadonlySet<string> = new Set<string>(STATUSES);
const DEFAULT_MAX_ROWS = 20_000;
/** Rows shown inside each error group's <details>; the table has the rest. */
const GROUP_EXAMPLES = 8;
const PAGE_SIZE = 200;

const MODE_TITLES: Record<RunMode, string> = {
  import: 'Import',
  'dry-run': 'Dry run',
  plan: 'Plan',
  delete: 'Delete',
  'delete-dry-run': 'Delete (dry run)',
};

const STATUS_NOTES: Record<RowStatus, string> = {
  created: 'new contact created (201)',
  updated: 'existing contact updated (200)',
  deleted: 'contact deleted',
  valid: 'passed every local check; nothing was sent',
  'would-create': 'would create a new contact',
  'would-update': 'would change an existing contact',
  unchanged: 'already up to date; nothing to send',
  'would-fail': 'the API would refuse it',
  invalid: 'failed a local check; never sent',
  failed: 'refused by the API, or its retries ran out',
  uncertain: 'its answer was lost and no retry settled it: it may or may not have been applied',
  superseded: 'moot: a later row for the same system_id was applied',
  skipped: 'not attempted: the run was stopped',
};

/**
 * Plain words for each error code. Partial on purpose: a code added later still works, shown by
 * its name, and the codes listed here also split an error cell that holds several errors.
 */
const CODE_TITLES: { readonly [K in RowErrorCode]?: string } = {
  missing_system_id: 'Missing system_id',
  invalid_system_id: 'system_id cannot be a URL path segment',
  backslash_char: 'Character the API forbids (quote, backslash, line break or control character)',
  spreadsheet_error: 'Spreadsheet error value such as #N/A or #REF!',
  invalid_email: 'Email address is not valid',
  invalid_mobile: 'Mobile is not in international format',
  missing_required: 'Field required for a new contact is missing',
  invalid_type: 'Value of the wrong type',
  unknown_field: 'Unknown field',
  not_an_object: 'Body is not a JSON object',
  duplicate_email: 'Email already used by an earlier row in the file',
  ragged_row: 'Wrong number of cells in the row',
  malformed_row: 'Row could not be read as CSV',
  replacement_char: 'Mis-decoded text (U+FFFD)',
  api_rejected: 'Rejected by the API',
  not_found: 'Contact not found',
  email_taken: 'Email already held by another contact',
  protected_contact: 'Contact leads or is alerted by a support group',
  auth_failed: 'Credentials refused (401)',
  server_error: 'Server error; retries used up',
  network_error: 'No answer from the server',
  email_swap: 'Two contacts swap email addresses',
};

// ───────────────────────────── text helpers ─────────────────────────────

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/**
 * JSON that is safe inside `<script type="application/json">`: `<`, `>` and `&` cannot start a
 * tag, an end tag or a comment, and U+2028/U+2029 are escaped for old parsers.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function num(n: number): string {
  const sign = n < 0 ? '-' : '';
  return sign + String(Math.abs(Math.round(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${num(n)} ${n === 1 ? one : many}`;
}

function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h} h ${m} min` : `${m} min ${s % 60} s`;
}

function percent(part: number, whole: number): string {
  if (whole === 0 || part === 0) return '0%';
  if (part === whole) return '100%';
  const p = (part / whole) * 100;
  if (p < 0.1) return '<0.1%';
  if (p > 99.9) return '>99.9%';
  return `${p.toFixed(1).replace(/\.0$/, '')}%`;
}

/** `2026-12-01 08:40 UTC+01:00`, in the generating machine's time zone. */
function localTime(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  const offset = -date.getTimezoneOffset();
  const zone = offset === 0 ? 'UTC' : `UTC${offset > 0 ? '+' : '-'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())} ${zone}`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The class for a status: only known statuses become class names. */
function statusClass(status: string): string {
  return KNOWN_STATUSES.has(status) ? `st-${status}` : 'st-other';
}

function normaliseHeader(name: string): string {
  return name.toLowerCase().replace(/[\s_-]/g, '');
}

// ───────────────────────────── parsing cells ─────────────────────────────

interface ParsedError {
  code: string;
  column: string;
  message: string;
}

/**
 * Reads an `error` cell, `code: message; code: message`. A message may itself hold "; ", so the
 * cell is split only where a known code follows. A resumed row's earlier error comes back wrapped
 * as `api_rejected: <code>: <message>`; the inner code is the real one.
 */
function createErrorParser(codes: Iterable<string>, columns: readonly string[]): (cell: string) => ParsedError[] {
  const known = new Set(codes);
  const alternatives = [...known].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|');
  const splitter = alternatives === '' ? undefined : new RegExp(`; (?=(?:${alternatives}): )`);
  const head = /^([a-z][a-z0-9_]*): ([\s\S]*)$/;
  const prefixes = [...new Set(columns)].sort((a, b) => b.length - a.length).map((c) => ({ column: c, prefix: `column "${c}" ` }));
  return (cell) => {
    if (cell === '') return [];
    const parts = splitter === undefined ? [cell] : cell.split(splitter);
    return parts.map((part): ParsedError => {
      let match = head.exec(part);
      if (match === null) return { code: 'error', column: '', message: part };
      let code = match[1] ?? 'error';
      let message = match[2] ?? '';
      while (code === 'api_rejected' && (match = head.exec(message)) !== null && known.has(match[1] ?? '') && match[1] !== 'api_rejected') {
        code = match[1] ?? code;
        message = match[2] ?? '';
      }
      let column = '';
      const named = prefixes.find((p) => message.startsWith(p.prefix));
      if (named !== undefined) {
        column = named.column;
        message = message.slice(named.prefix.length);
      } else {
        const loose = /^column "([^"]*)" /.exec(message);
        if (loose !== null) {
          column = loose[1] ?? '';
          message = message.slice(loose[0].length);
        }
      }
      return { code, column, message };
    });
  };
}

interface FieldChange {
  field: string;
  before: string;
  after: string;
}

/**
 * Reads a would-update row's `detail`: `job_title: Analyst → Senior Analyst; mobile: (empty) →
 * +61411…`. Segments that are not a change (a phone warning, say) come back as notes.
 */
function parseChanges(detail: string): { changes: FieldChange[]; notes: string[] } {
  const changes: FieldChange[] = [];
  const notes: string[] = [];
  for (const part of detail.split(/; (?=[A-Za-z_][\w ]*: [\s\S]*? → )/)) {
    const match = /^([A-Za-z_][\w ]*): ([\s\S]*?) → ([\s\S]*)$/.exec(part);
    if (match === null) {
      if (part.trim() !== '') notes.push(part);
      continue;
    }
    let after = match[3] ?? '';
    const cut = after.indexOf('; ');
    if (cut >= 0) {
      notes.push(after.slice(cut + 2));
      after = after.slice(0, cut);
    }
    changes.push({ field: match[1] ?? '', before: match[2] ?? '', after });
  }
  return { changes, notes };
}

// ───────────────────────────── streaming the results ─────────────────────────────

/** One embedded problem row: line, system_id, status, http_status, [code, column, message][], detail. */
type ProblemRow = [number, string, string, string, [string, string, string][], string];
/** One embedded field change: line, system_id, field, before, after, note. */
type ChangeRow = [number, string, string, string, string, string];

interface CodeGroup {
  code: string;
  rows: number;
  firstLine: number;
  examples: { line: number; systemId: string; column: string; message: string }[];
}

interface Collected {
  columns: string[];
  /** The system_id column's header, for the table; -1 when there is none. */
  idColumn: number;
  rows: number;
  counts: Map<string, number>;
  groups: Map<string, CodeGroup>;
  problems: ProblemRow[];
  totalProblems: number;
  changes: ChangeRow[];
  changedRows: number;
  embeddedChangedRows: number;
  fieldCounts: Map<string, number>;
  malformed: number;
}

async function collect(options: HtmlReportOptions, maxRows: number): Promise<Collected> {
  const lineOf = options.lineOf ?? ((index: number) => index + 2);
  const source = createReadStream(options.resultsPath);
  let malformed = 0;
  const parser = parse({
    bom: true,
    relax_column_count: true,
    record_delimiter: ['\r\n', '\n'],
    skip_records_with_error: true,
    on_skip: () => {
      malformed++;
      return undefined;
    },
  });
  source.on('error', (error) => parser.destroy(error));
  source.pipe(parser);

  const out: Collected = {
    columns: [],
    idColumn: -1,
    rows: 0,
    counts: new Map(),
    groups: new Map(),
    problems: [],
    totalProblems: 0,
    changes: [],
    changedRows: 0,
    embeddedChangedRows: 0,
    fieldCounts: new Map(),
    malformed: 0,
  };
  let width = -1;
  let idColumn = -1;
  let parseErrors: (cell: string) => ParsedError[] = () => [];
  let index = 0;

  for await (const record of parser as AsyncIterable<string[]>) {
    if (width < 0) {
      const tail = record.slice(-RESULT_COLUMNS.length);
      if (record.length < RESULT_COLUMNS.length || RESULT_COLUMNS.some((c, i) => tail[i] !== c)) {
        throw new Error(`${options.resultsPath} is not a results file: its last columns are not ${RESULT_COLUMNS.join(',')}`);
      }
      width = record.length - RESULT_COLUMNS.length;
      out.columns = record.slice(0, width);
      idColumn = options.systemIdColumn ?? out.columns.findIndex((c) => normaliseHeader(c) === 'systemid');
      const codes = new Set<string>(Object.keys(CODE_TITLES));
      for (const group of options.summary.errorGroups) codes.add(group.code);
      parseErrors = createErrorParser(codes, out.columns);
      continue;
    }
    const rowIndex = index++;
    out.rows++;
    const status = record[width] ?? '';
    out.counts.set(status, (out.counts.get(status) ?? 0) + 1);
    const errorCell = record[width + 2] ?? '';
    const detail = record[width + 3] ?? '';
    const isProblem = PROBLEM_STATUSES.has(status);
    const isChange = status === 'would-update' && detail !== '';
    if (!isProblem && errorCell === '' && !isChange) continue;

    const line = lineOf(rowIndex);
    const systemId = idColumn >= 0 ? (record[idColumn] ?? '').trim() : '';
    const errors = parseErrors(errorCell);
    const seen = new Set<string>();
    for (const error of errors) {
      let group = out.groups.get(error.code);
      if (group === undefined) {
        group = { code: error.code, rows: 0, firstLine: line, examples: [] };
        out.groups.set(error.code, group);
      }
      if (!seen.has(error.code)) {
        seen.add(error.code);
        group.rows++;
      }
      if (group.examples.length < GROUP_EXAMPLES) group.examples.push({ line, systemId, column: error.column, message: error.message });
    }
    if (isProblem) {
      out.totalProblems++;
      if (out.problems.length < maxRows) {
        out.problems.push([line, systemId, status, record[width + 1] ?? '', errors.map((e) => [e.code, e.column, e.message]), detail]);
      }
    }
    if (isChange) {
      const { changes, notes } = parseChanges(detail);
      out.changedRows++;
      for (const change of changes) out.fieldCounts.set(change.field, (out.fieldCounts.get(change.field) ?? 0) + 1);
      if (out.embeddedChangedRows < maxRows) {
        out.embeddedChangedRows++;
        const note = notes.join('; ');
        if (changes.length === 0) out.changes.push([line, systemId, '', '', '', note]);
        changes.forEach((c, i) => out.changes.push([line, systemId, c.field, c.before, c.after, i === 0 ? note : '']));
      }
    }
  }
  if (width < 0) throw new Error(`${options.resultsPath} is empty: a results file starts with a header`);
  out.malformed = malformed;
  out.idColumn = idColumn;
  return out;
}

// ───────────────────────────── rendering ─────────────────────────────

function orderedStatuses(counts: ReadonlyMap<string, number>): { status: string; count: number }[] {
  const known = STATUSES.filter((s) => (counts.get(s) ?? 0) > 0).map((s): { status: string; count: number } => ({ status: s, count: counts.get(s) ?? 0 }));
  const other = [...counts].filter(([s, n]) => !KNOWN_STATUSES.has(s) && n > 0).map(([status, count]) => ({ status, count }));
  return [...known, ...other];
}

function count(data: Collected, status: RowStatus): number {
  return data.counts.get(status) ?? 0;
}

function listOf(data: Collected, statuses: readonly RowStatus[]): string {
  const parts = statuses.filter((s) => count(data, s) > 0).map((s) => `${num(count(data, s))} ${s}`);
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} and ${parts.at(-1) ?? ''}`;
}

function renderVerdict(summary: RunSummary, data: Collected): string {
  const total = data.rows;
  const bad = BAD_STATUSES.reduce((n, s) => n + count(data, s), 0);
  const skipped = count(data, 'skipped');
  const mode = summary.mode;
  let tone: 'good' | 'bad' | 'warn';
  let title: string;
  let body: string;
  if (total === 0) {
    tone = 'warn';
    title = 'The results file holds no rows';
    body = 'The input had a header but no data rows, or the run stopped before the first row.';
  } else if (mode === 'dry-run' || mode === 'delete-dry-run') {
    const verb = mode === 'dry-run' ? 'would be sent' : 'would be deleted';
    tone = bad > 0 ? 'bad' : 'good';
    title = bad > 0 ? `${num(bad)} of ${plural(total, 'row')} failed validation` : `All ${plural(total, 'row')} passed validation`;
    body = `${num(count(data, 'valid'))} ${verb}. This was a dry run: nothing was sent to the API.`;
  } else if (mode === 'plan') {
    tone = bad > 0 ? 'bad' : 'good';
    title = bad > 0 ? `${num(bad)} of ${plural(total, 'row')} would fail` : `All ${plural(total, 'row')} would succeed`;
    const outlook = listOf(data, ['would-create', 'would-update', 'unchanged', 'would-fail', 'invalid']);
    body = `Predicted against the API's current data: ${outlook === '' ? 'no rows' : outlook}. This was a plan: nothing was written to the API.`;
  } else {
    const done = mode === 'delete' ? 'deleted' : 'imported';
    tone = bad > 0 ? 'bad' : skipped > 0 || summary.stopped !== undefined ? 'warn' : 'good';
    const notDone = bad + skipped;
    title = notDone > 0 ? `${num(notDone)} of ${plural(total, 'row')} ${notDone === 1 ? 'was' : 'were'} not ${done}` : `All ${plural(total, 'row')} ${done}`;
    const good = listOf(data, ['created', 'updated', 'deleted']);
    body = good === '' ? `No row was ${done}.` : `Ended well: ${good}.`;
    const tail = listOf(data, ['invalid', 'failed', 'superseded', 'skipped']);
    if (tail !== '') body += ` Needing attention: ${tail}.`;
  }
  const next = nextCommand(summary);
  let nextHtml = '';
  if (next !== undefined) {
    const split = /^(.*), then: (.*)$/.exec(next);
    nextHtml =
      split === null
        ? `<p class="next"><span>Next step</span> run <code>${escapeHtml(next)}</code></p>`
        : `<p class="next"><span>Next step</span> ${escapeHtml(capitalise(split[1] ?? ''))}, then run <code>${escapeHtml(split[2] ?? '')}</code></p>`;
  }
  const icon = tone === 'good' ? '✓' : '!';
  return `<section class="verdict verdict-${tone}" aria-label="Verdict"><div class="verdict-icon" aria-hidden="true">${icon}</div><div class="verdict-text"><h2>${escapeHtml(title)}</h2><p>${escapeHtml(body)}</p>${nextHtml}</div></section>`;
}

function renderStopped(summary: RunSummary): string {
  const stopped = summary.stopped;
  if (stopped === undefined) return '';
  const hint = stopped.hint === undefined ? '' : `<p class="hint">${escapeHtml(stopped.hint)}</p>`;
  return `<section class="notice notice-bad" aria-label="The run stopped"><h2>The run stopped before the end</h2><p>${escapeHtml(stopped.message)}</p>${hint}</section>`;
}

function renderOutcome(data: Collected, summary: RunSummary): string {
  const total = data.rows;
  const statuses = orderedStatuses(data.counts);
  const stack = statuses
    .map(({ status, count: n }) => `<span class="seg ${statusClass(status)}" style="flex-grow:${n}" title="${escapeHtml(`${status}: ${num(n)}`)}"></span>`)
    .join('');
  const rows = statuses
    .map(({ status, count: n }) => {
      const width = total === 0 ? 0 : Math.max((n / total) * 100, 0.6);
      const note = KNOWN_STATUSES.has(status) ? STATUS_NOTES[status as RowStatus] : 'a status this report does not know';
      return (
        `<tr data-status="${escapeHtml(status)}"><th scope="row"><span class="badge ${statusClass(status)}">${escapeHtml(status)}</span></th>` +
        `<td class="bar-cell"><span class="bar"><span class="fill ${statusClass(status)}" style="width:${width.toFixed(2)}%"></span></span></td>` +
        `<td class="num" data-status-count="${escapeHtml(status)}">${num(n)}</td><td class="pct">${percent(n, total)}</td><td class="note">${escapeHtml(note)}</td></tr>`
      );
    })
    .join('');
  const mismatched = STATUSES.filter((s) => (summary.counts[s] ?? 0) !== count(data, s));
  const mismatch =
    mismatched.length === 0
      ? ''
      : `<p class="fine warn-text">The run's own tally differs from the results file for ${escapeHtml(mismatched.join(', '))}; this report shows the results file.</p>`;
  const body =
    total === 0
      ? '<p class="empty">No rows.</p>'
      : `<div class="stack" role="img" aria-label="${escapeHtml(statuses.map((s) => `${s.status} ${num(s.count)}`).join(', '))}">${stack}</div><table class="bars"><tbody>${rows}</tbody><tfoot><tr><th scope="row">total</th><td></td><td class="num" data-total-count>${num(total)}</td><td class="pct">100%</td><td></td></tr></tfoot></table>`;
  return `<section class="card" id="outcome"><div class="card-head"><h2>Outcome by status</h2><p class="sub">${plural(total, 'row')} in the results file</p></div>${body}${mismatch}</section>`;
}

function renderGroups(data: Collected): string {
  const groups = [...data.groups.values()].sort((a, b) => b.rows - a.rows || a.firstLine - b.firstLine);
  if (groups.length === 0) return '';
  const items = groups
    .map((g) => {
      const title = (CODE_TITLES as Record<string, string | undefined>)[g.code] ?? g.code.replace(/_/g, ' ');
      const examples = g.examples
        .map(
          (e) =>
            `<tr><td class="num">${num(e.line)}</td><td class="mono nowrap">${escapeHtml(e.systemId) || '<span class="dim">—</span>'}</td><td class="nowrap">${escapeHtml(e.column) || '<span class="dim">—</span>'}</td><td class="msg">${escapeHtml(e.message)}</td></tr>`,
        )
        .join('');
      const more = g.rows > g.examples.length ? `first ${num(g.examples.length)} of ${plural(g.rows, 'row')}` : plural(g.rows, 'row');
      return (
        `<details class="group" data-code="${escapeHtml(g.code)}"><summary><span class="chev" aria-hidden="true"></span><code class="code">${escapeHtml(g.code)}</code>` +
        `<span class="gtitle">${escapeHtml(title)}</span><span class="gline">first at line ${num(g.firstLine)}</span><span class="gcount"><b data-code-count="${escapeHtml(g.code)}">${num(g.rows)}</b><span class="unit">${g.rows === 1 ? 'row' : 'rows'}</span></span></summary>` +
        `<div class="gbody"><table class="mini"><thead><tr><th class="num">Line</th><th>System ID</th><th>Column</th><th>Message</th></tr></thead><tbody>${examples}</tbody></table>` +
        `<p class="gfoot"><span>${more}</span><button type="button" class="link" data-show-kind="${escapeHtml(`c:${g.code}`)}">Show all in the table ↓</button></p></div></details>`
      );
    })
    .join('');
  const rows = groups.reduce((n, g) => n + g.rows, 0);
  return `<section class="card" id="errors"><div class="card-head"><h2>Errors by kind</h2><p class="sub">${plural(groups.length, 'kind')} · ${plural(rows, 'row')} · click a kind to see its rows</p></div><div class="groups">${items}</div></section>`;
}

function renderKindOptions(data: Collected): string {
  const statuses = orderedStatuses(data.counts).filter((s) => PROBLEM_STATUSES.has(s.status));
  const groups = [...data.groups.values()].sort((a, b) => b.rows - a.rows);
  const statusOptions = statuses.map((s) => `<option value="${escapeHtml(`s:${s.status}`)}">${escapeHtml(s.status)} (${num(s.count)})</option>`).join('');
  const codeOptions = groups.map((g) => `<option value="${escapeHtml(`c:${g.code}`)}">${escapeHtml(g.code)} (${num(g.rows)})</option>`).join('');
  return `<option value="">All statuses and errors</option><optgroup label="Status">${statusOptions}</optgroup>${codeOptions === '' ? '' : `<optgroup label="Error code">${codeOptions}</optgroup>`}`;
}

function renderProblems(data: Collected, resultsPath: string): string {
  if (data.totalProblems === 0) {
    return `<section class="card" id="problems"><div class="card-head"><h2>Problem rows</h2></div><p class="empty">No problem rows: no row is invalid, failed, would-fail, skipped or superseded.</p></section>`;
  }
  const capped = data.problems.length < data.totalProblems;
  const cap = capped
    ? `<p class="cap" data-cap>Showing the first ${num(data.problems.length)} of ${num(data.totalProblems)} problem rows; the results CSV has them all: <code>${escapeHtml(resultsPath)}</code></p>`
    : '';
  return (
    `<section class="card" id="problems" data-table="problems"><div class="card-head"><h2>Problem rows</h2><p class="sub">${plural(data.totalProblems, 'row')} invalid, failed, would-fail, skipped or superseded</p></div>${cap}` +
    `<div class="controls"><label class="search"><span class="visually-hidden">Filter problem rows</span><input type="search" data-role="filter" placeholder="Filter: system_id, column, message…" autocomplete="off" spellcheck="false"></label>` +
    `<label><span class="visually-hidden">Status or error code</span><select data-role="kind">${renderKindOptions(data)}</select></label><span class="shown" data-role="shown" aria-live="polite"></span></div>` +
    `<div class="table-wrap"><table class="data"><thead></thead><tbody></tbody></table></div><div class="pager"><button type="button" class="more" data-role="more" hidden>Show more</button></div>` +
    `<noscript><p class="empty">The table needs JavaScript. The results CSV holds every row.</p></noscript></section>`
  );
}

function renderChanges(data: Collected, summary: RunSummary): string {
  if (summary.mode !== 'plan' && data.changedRows === 0) return '';
  const fields = [...data.fieldCounts].sort((a, b) => b[1] - a[1]);
  const chips = fields.map(([f, n]) => `<li><code>${escapeHtml(f)}</code> <span>${num(n)}</span></li>`).join('');
  if (data.changedRows === 0) {
    return `<section class="card" id="changes"><div class="card-head"><h2>Field changes</h2></div><p class="empty">No existing contact would change.</p></section>`;
  }
  const capped = data.embeddedChangedRows < data.changedRows;
  const cap = capped
    ? `<p class="cap">Showing the changes of the first ${num(data.embeddedChangedRows)} of ${num(data.changedRows)} would-update rows; the results CSV has them all.</p>`
    : '';
  const options = fields.map(([f, n]) => `<option value="${escapeHtml(`f:${f}`)}">${escapeHtml(f)} (${num(n)})</option>`).join('');
  return (
    `<section class="card" id="changes" data-table="changes"><div class="card-head"><h2>Field changes</h2><p class="sub">${plural(data.changedRows, 'contact')} would be updated</p></div>` +
    `<ul class="chips" aria-label="Changes per field">${chips}</ul>${cap}` +
    `<div class="controls"><label class="search"><span class="visually-hidden">Filter field changes</span><input type="search" data-role="filter" placeholder="Filter: system_id, field, value…" autocomplete="off" spellcheck="false"></label>` +
    `<label><span class="visually-hidden">Field</span><select data-role="kind"><option value="">All fields</option>${options}</select></label><span class="shown" data-role="shown" aria-live="polite"></span></div>` +
    `<div class="table-wrap"><table class="data"><thead></thead><tbody></tbody></table></div><div class="pager"><button type="button" class="more" data-role="more" hidden>Show more</button></div></section>`
  );
}

function renderMeta(summary: RunSummary, data: Collected, generatedAt: Date, resultsPath: string): string {
  const items: [string, string][] = [
    ['Generated', `<time datetime="${escapeHtml(generatedAt.toISOString())}">${escapeHtml(localTime(generatedAt))}</time>`],
    ['Rows', `<span data-total-rows>${num(data.rows)}</span>`],
    ['Elapsed', escapeHtml(duration(summary.elapsedMs))],
    ['Throughput', `${num(summary.rowsPerSecond)} rows/s`],
  ];
  if (summary.retries > 0) items.push(['Retries', num(summary.retries)]);
  if (summary.reused > 0) items.push(['From the earlier run', num(summary.reused)]);
  const meta = items.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join('');
  const files: [string, string][] = [
    ['Input', summary.input],
    ['Results', resultsPath],
  ];
  const bad = BAD_STATUSES.reduce((n, s) => n + count(data, s), 0);
  if (bad > 0) files.push(['Errors', summary.errorsPath]);
  if (summary.journalPath !== undefined) files.push(['Journal', summary.journalPath]);
  const fileList = files.map(([k, v]) => `<div><dt>${k}</dt><dd><code>${escapeHtml(v)}</code></dd></div>`).join('');
  return `<dl class="meta">${meta}</dl><dl class="files">${fileList}</dl>`;
}

function renderFootnotes(options: HtmlReportOptions, data: Collected): string {
  const notes: string[] = [];
  if (options.lineOf === undefined) {
    notes.push('Line numbers assume one line per record: the first data row is line 2. A value with a line break inside quotes shifts the lines after it.');
  }
  if (data.problems.length < data.totalProblems) {
    notes.push(`The table holds the first ${num(data.problems.length)} of ${num(data.totalProblems)} problem rows, to keep this file small; the counts above cover every row.`);
  }
  if (data.malformed > 0) notes.push(`${plural(data.malformed, 'record')} of the results file could not be read and ${data.malformed === 1 ? 'is' : 'are'} not counted.`);
  notes.push('Values from the input file are shown as plain text; nothing in them is run.');
  notes.push('This file is self-contained: it loads nothing from the network.');
  return `<footer class="foot"><div class="wrap"><ul>${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul><p>Generated by ciopulse-contacts.</p></div></footer>`;
}

// ───────────────────────────── writing ─────────────────────────────

async function writeChunk(file: WriteStream, chunk: string): Promise<void> {
  if (!file.write(chunk)) await once(file, 'drain');
}

/** Writes rows as a JSON array in slices, so a large table never becomes one giant string. */
async function writeJsonArray(file: WriteStream, rows: readonly unknown[]): Promise<void> {
  await writeChunk(file, '[');
  const slice = 500;
  for (let i = 0; i < rows.length; i += slice) {
    const part = rows.slice(i, i + slice).map(jsonForScript).join(',');
    await writeChunk(file, i === 0 ? part : `,${part}`);
  }
  await writeChunk(file, ']');
}

/** Writes the report; resolves once the file is complete (written whole, then renamed into place). */
export async function writeHtmlReport(options: HtmlReportOptions): Promise<HtmlReportResult> {
  const maxRows = Math.max(0, Math.floor(options.maxRows ?? DEFAULT_MAX_ROWS));
  const generatedAt = options.generatedAt ?? new Date();
  const { summary } = options;
  const data = await collect(options, maxRows);

  const mode = MODE_TITLES[summary.mode] ?? summary.mode;
  const inputName = basename(summary.input);
  const scriptHash = createHash('sha256').update(PAGE_SCRIPT).digest('base64');
  const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${scriptHash}'; img-src data:; base-uri 'none'; form-action 'none'`;
  const config = {
    page: PAGE_SIZE,
    statuses: STATUSES,
    idColumn: data.columns[data.idColumn] ?? 'system_id',
  };

  const head =
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<meta http-equiv="Content-Security-Policy" content="${csp}"><meta name="referrer" content="no-referrer"><meta name="generator" content="ciopulse-contacts">` +
    `<title>${escapeHtml(`${mode} report · ${inputName}`)}</title><link rel="icon" href="data:,"><style>${PAGE_CSS}</style></head>` +
    `<body class="mode-${escapeHtml(summary.mode)}"><header class="masthead"><div class="wrap"><p class="eyebrow"><span class="brand">CIOPulse Contacts</span><span class="mode-pill">${escapeHtml(mode)}</span></p>` +
    `<h1>${escapeHtml(inputName)}</h1>${renderMeta(summary, data, generatedAt, summary.resultsPath)}</div></header><main class="wrap">` +
    renderVerdict(summary, data) +
    renderStopped(summary) +
    renderOutcome(data, summary) +
    renderGroups(data) +
    renderChanges(data, summary) +
    renderProblems(data, summary.resultsPath) +
    `</main>${renderFootnotes(options, data)}`;

  const temporary = `${options.outPath}.tmp-${process.pid}`;
  const file = createWriteStream(temporary);
  const failed = new Promise<never>((_, reject) => file.once('error', reject));
  failed.catch(() => undefined);
  try {
    await Promise.race([
      (async () => {
        await writeChunk(file, head);
        await writeChunk(file, `<script type="application/json" id="report-data">{"config":${jsonForScript(config)},"problems":`);
        await writeJsonArray(file, data.problems);
        await writeChunk(file, ',"changes":');
        await writeJsonArray(file, data.changes);
        await writeChunk(file, `}</script><script>${PAGE_SCRIPT}</script></body></html>\n`);
        file.end();
        await once(file, 'finish');
      })(),
      failed,
    ]);
    renameSync(temporary, options.outPath);
  } catch (error) {
    file.destroy();
    rmSync(temporary, { force: true });
    throw error;
  }
  return { path: options.outPath, embeddedRows: data.problems.length, totalProblemRows: data.totalProblems };
}

// ───────────────────────────── the page's CSS and script ─────────────────────────────

const PAGE_CSS = `
:root{--bg:#f4f5f7;--card:#fff;--text:#1c2024;--muted:#5b6470;--faint:#8a929c;--line:#e2e5e9;--soft:#f0f2f4;--accent:#2f5bd3;--accent-soft:#eaf0fd;
--mast:#14213d;--mast-text:#fff;--mast-muted:#aab4c8;
--good:#1f7a3a;--good-bg:#e6f4ea;--bad:#b42318;--bad-bg:#fdecea;--warn:#8a5a00;--warn-bg:#fff4d6;
--c-created:#2e9e5b;--c-updated:#3b73d9;--c-deleted:#2e9e5b;--c-valid:#2e9e5b;--c-would-create:#2e9e5b;--c-would-update:#3b73d9;--c-unchanged:#9aa3ad;
--c-would-fail:#d64545;--c-invalid:#d64545;--c-failed:#a3261b;--c-superseded:#c98a0b;--c-skipped:#d9a93a;--c-other:#7d8590;
--sans:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue","Noto Sans","Liberation Sans",Arial,sans-serif;
--mono:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,"Liberation Mono","DejaVu Sans Mono",monospace}
@media (prefers-color-scheme:dark){:root{--bg:#0f1115;--card:#171a21;--text:#e6e8eb;--muted:#a0a8b4;--faint:#6f7785;--line:#2a2f39;--soft:#1e222b;--accent:#7da2ff;--accent-soft:#1d2640;
--mast:#0b1426;--good:#5cc487;--good-bg:#13261a;--bad:#ff7b72;--bad-bg:#2c1517;--warn:#e3b341;--warn-bg:#2a2210}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--text);font:14px/1.5 var(--sans);font-variant-numeric:tabular-nums}
code,.mono{font-family:var(--mono);font-size:.92em}
.wrap{max-width:1160px;margin:0 auto;padding:0 28px}
.masthead{background:var(--mast);color:var(--mast-text);padding:26px 0 22px}
.eyebrow{margin:0 0 6px;display:flex;gap:10px;align-items:center;font-size:12px;letter-spacing:.08em;text-transform:uppercase;color:var(--mast-muted)}
.brand{font-weight:600}
.mode-pill{background:rgba(255,255,255,.12);color:#fff;border-radius:999px;padding:2px 10px;letter-spacing:.04em}
h1{margin:0 0 16px;font-size:26px;font-weight:650;letter-spacing:-.01em;word-break:break-all}
.meta,.files{display:flex;flex-wrap:wrap;gap:6px 34px;margin:0}
.meta dt,.files dt{font-size:11px;text-transform:uppercase;letter-spacing:.07em;color:var(--mast-muted)}
.meta dd{margin:0;font-size:16px;font-weight:600}
.files{margin-top:14px;padding-top:12px;border-top:1px solid rgba(255,255,255,.12);gap:4px 28px}
.files div{display:flex;gap:8px;align-items:baseline;min-width:0}
.files dd{margin:0;color:#dfe5f1;word-break:break-all}
.files code{font-size:12px}
main.wrap{padding-top:22px;padding-bottom:8px}
.verdict{display:flex;gap:16px;align-items:flex-start;border-radius:12px;padding:18px 20px;margin:0 0 18px;border:1px solid transparent}
.verdict-good{background:var(--good-bg);border-color:color-mix(in srgb,var(--good) 25%,transparent)}
.verdict-bad{background:var(--bad-bg);border-color:color-mix(in srgb,var(--bad) 25%,transparent)}
.verdict-warn{background:var(--warn-bg);border-color:color-mix(in srgb,var(--warn) 25%,transparent)}
.verdict-icon{flex:none;width:34px;height:34px;border-radius:50%;display:grid;place-items:center;color:#fff;font-weight:800;font-size:18px}
.verdict-good .verdict-icon{background:var(--good)}.verdict-bad .verdict-icon{background:var(--bad)}.verdict-warn .verdict-icon{background:var(--warn)}
.verdict h2{margin:2px 0 4px;font-size:18px;font-weight:650}
.verdict p{margin:0;color:var(--text)}
.verdict .next{margin-top:10px;font-size:13px}
.verdict .next span{font-size:11px;text-transform:uppercase;letter-spacing:.07em;color:var(--muted);font-weight:600;margin-right:6px}
.verdict .next code{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:1px 6px}
.notice{border-radius:12px;padding:14px 20px;margin:0 0 18px;border:1px solid var(--line);background:var(--card)}
.notice-bad{border-left:4px solid var(--bad)}
.notice h2{margin:0 0 4px;font-size:15px}.notice p{margin:0}.notice .hint{color:var(--muted);margin-top:4px}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:18px 20px 20px;margin:0 0 18px;box-shadow:0 1px 2px rgba(16,24,40,.04)}
.card-head{display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 14px;margin-bottom:12px}
.card h2{margin:0;font-size:16px;font-weight:650}
.sub{margin:0;color:var(--muted);font-size:13px}
.empty{color:var(--muted);margin:4px 0 0}
.fine{font-size:12px;color:var(--muted);margin:10px 0 0}.warn-text{color:var(--warn)}
.stack{display:flex;height:12px;border-radius:999px;overflow:hidden;background:var(--soft);margin:2px 0 14px;gap:2px}
.seg{min-width:3px}
.bars{width:100%;border-collapse:collapse}
.bars th,.bars td{padding:5px 8px;border-bottom:1px solid var(--soft);text-align:left;vertical-align:middle}
.bars tbody tr:last-child th,.bars tbody tr:last-child td{border-bottom:1px solid var(--line)}
.bars tfoot th,.bars tfoot td{font-weight:650;border-bottom:0;padding-top:8px}
.bars th{width:1%;white-space:nowrap;font-weight:500}
.bar-cell{width:38%}
.bar{display:block;height:10px;border-radius:999px;background:var(--soft);overflow:hidden}
.fill{display:block;height:100%;border-radius:999px}
.bars .num{width:1%;white-space:nowrap;font-weight:600;text-align:right}
.bars .pct{width:1%;white-space:nowrap;color:var(--muted);text-align:right;font-size:13px}
.bars .note{color:var(--muted);font-size:13px}
.badge{display:inline-block;border-radius:6px;padding:1px 8px;font-size:12px;font-weight:600;line-height:1.6;white-space:nowrap;color:#fff}
.st-created{background:var(--c-created)}.st-updated{background:var(--c-updated)}.st-deleted{background:var(--c-deleted)}.st-valid{background:var(--c-valid)}
.st-would-create{background:var(--c-would-create)}.st-would-update{background:var(--c-would-update)}.st-unchanged{background:var(--c-unchanged)}
.st-would-fail{background:var(--c-would-fail)}.st-invalid{background:var(--c-invalid)}.st-failed{background:var(--c-failed)}
.st-superseded{background:var(--c-superseded)}.st-skipped{background:var(--c-skipped);color:#3d2c00}.st-other{background:var(--c-other)}
.groups{border:1px solid var(--line);border-radius:10px;overflow:hidden}
.group+.group{border-top:1px solid var(--line)}
.group summary{list-style:none;cursor:pointer;display:flex;align-items:center;gap:12px;padding:10px 14px}
.group summary::-webkit-details-marker{display:none}
.group summary:hover{background:var(--soft)}
.group[open] summary{background:var(--soft)}
.chev{flex:none;width:8px;height:8px;border-right:2px solid var(--faint);border-bottom:2px solid var(--faint);transform:rotate(-45deg);transition:transform .15s;margin-right:2px}
.group[open] .chev{transform:rotate(45deg)}
.code{background:var(--bad-bg);color:var(--bad);border-radius:5px;padding:1px 7px;font-size:12px;white-space:nowrap}
.gtitle{flex:1;min-width:0;font-weight:500}
.gline{color:var(--faint);font-size:12px;white-space:nowrap}
.gcount{min-width:72px;text-align:right;color:var(--muted);font-size:12px;white-space:nowrap}.gcount b{color:var(--text);font-size:15px;font-weight:700}.gcount .unit{display:inline-block;width:30px;margin-left:5px;text-align:left}
.gbody{padding:4px 14px 12px 36px}
.mini,.data{width:100%;border-collapse:collapse;font-size:13px}
.mini th,.data th{text-align:left;font-weight:600;color:var(--muted);font-size:11px;text-transform:uppercase;letter-spacing:.06em;border-bottom:1px solid var(--line);padding:6px 8px;white-space:nowrap}
.mini td,.data td{padding:6px 8px;border-bottom:1px solid var(--soft);vertical-align:top}
.mini td.nowrap,.mini th{white-space:nowrap}.mini td.msg{width:100%}
.mini th.num,.data th.num{text-align:right}
.mini td.mono,.data td.mono{line-height:19.5px}
.mini tr:last-child td{border-bottom:0}
.num{text-align:right}
.mini td.num,.data td.num{color:var(--muted);white-space:nowrap}
.msg{overflow-wrap:anywhere}
.dim{color:var(--faint)}
.gfoot{display:flex;justify-content:space-between;align-items:center;margin:8px 0 0;color:var(--muted);font-size:12px}
button{font:inherit}
.link{background:none;border:0;color:var(--accent);cursor:pointer;padding:2px 0;font-weight:600}
.link:hover{text-decoration:underline}
.cap{background:var(--warn-bg);color:var(--warn);border-radius:8px;padding:8px 12px;margin:0 0 12px;font-size:13px;font-weight:500}
.cap code{color:inherit}
.controls{display:flex;flex-wrap:wrap;gap:10px;align-items:center;margin-bottom:10px}
.search{flex:1 1 320px;display:flex}
input[type=search],select{font:inherit;font-size:13px;color:var(--text);background:var(--card);border:1px solid var(--line);border-radius:8px;padding:7px 11px;outline:none}
input[type=search]{width:100%}
input[type=search]:focus,select:focus{border-color:var(--accent);box-shadow:0 0 0 3px var(--accent-soft)}
.shown{color:var(--muted);font-size:13px;margin-left:auto;white-space:nowrap}
.table-wrap{overflow-x:auto;border:1px solid var(--line);border-radius:10px}
.data thead th{position:sticky;top:0;background:var(--card);padding:0;z-index:1}
.data th button{all:unset;box-sizing:border-box;display:block;width:100%;padding:8px;cursor:pointer}
.data th.num button{text-align:right}
.data th button:hover{color:var(--text)}
.data th button:focus-visible{outline:2px solid var(--accent);outline-offset:-2px}
.data th[aria-sort=ascending] button::after{content:" ▲";font-size:9px}
.data th[aria-sort=descending] button::after{content:" ▼";font-size:9px}
.data th[aria-sort=ascending],.data th[aria-sort=descending]{color:var(--text)}
.data tbody tr:hover td{background:var(--soft)}
.data tbody tr:last-child td{border-bottom:0}
.data td.mono{white-space:nowrap}
.data td .line+.line{margin-top:3px}
.data td.col-message{min-width:320px;overflow-wrap:anywhere}
.data td.col-detail{color:var(--muted);min-width:160px;overflow-wrap:anywhere}
.data td.col-column{white-space:nowrap}
.data .none td{color:var(--muted);text-align:center;padding:18px}
.before{background:var(--bad-bg);color:var(--bad);border-radius:4px;padding:0 4px;text-decoration:line-through;text-decoration-color:color-mix(in srgb,var(--bad) 45%,transparent)}
.after{background:var(--good-bg);color:var(--good);border-radius:4px;padding:0 4px}
.emptyval{color:var(--faint);font-style:italic}
.pager{text-align:center}
.more{margin-top:12px;background:var(--card);color:var(--accent);border:1px solid var(--line);border-radius:8px;padding:7px 16px;cursor:pointer;font-weight:600}
.more:hover{background:var(--accent-soft)}
.chips{list-style:none;display:flex;flex-wrap:wrap;gap:8px;padding:0;margin:0 0 14px}
.chips li{border:1px solid var(--line);border-radius:999px;padding:3px 12px;font-size:13px}
.chips li span{font-weight:700;margin-left:4px}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.foot{color:var(--muted);font-size:12px;padding:4px 0 32px}
.foot ul{margin:0 0 6px;padding-left:18px}
.foot p{margin:0;color:var(--faint)}
@media (max-width:720px){.wrap,main{padding-left:14px;padding-right:14px}.bars .note,.gline{display:none}.bar-cell{width:auto}}
@media print{body{background:#fff}.masthead{background:#fff;color:#000;border-bottom:2px solid #000}.masthead *{color:#000!important}.controls,.pager,.gfoot button{display:none}.card{box-shadow:none;break-inside:avoid-page}.table-wrap{border:0;overflow:visible}}
`;

/**
 * The page's script. Data goes into the DOM with textContent only. Kept free of `</script` and of
 * template-literal interpolation so it can live in this string unchanged.
 */
const PAGE_SCRIPT = `(function () {
'use strict';
var holder = document.getElementById('report-data');
if (!holder) return;
var data = JSON.parse(holder.textContent || '{}');
var config = data.config || {};
var known = {};
(config.statuses || []).forEach(function (s) { known[s] = true; });
var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
function fmt(n) { return String(n).replace(/\\B(?=(\\d{3})+(?!\\d))/g, ','); }
function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}
function dash(td) { td.appendChild(el('span', 'dim', '\\u2014')); }
function lines(td, values, cls) {
  if (values.length === 0) { dash(td); return; }
  values.forEach(function (v) {
    var d = el('div', 'line');
    if (v === '') dash(d); else d.appendChild(cls ? el(cls === 'code' ? 'code' : 'span', cls, v) : document.createTextNode(v));
    td.appendChild(d);
  });
}
function value(td, v, cls) {
  if (v === '' || v === '(empty)') td.appendChild(el('span', 'emptyval', '(empty)'));
  else td.appendChild(el('span', cls, v));
}

function makeTable(root, rows, columns, kindsOf, noun) {
  var input = root.querySelector('[data-role=filter]');
  var select = root.querySelector('[data-role=kind]');
  var table = root.querySelector('table');
  var tbody = table.tBodies[0];
  var shown = root.querySelector('[data-role=shown]');
  var more = root.querySelector('[data-role=more]');
  var page = config.page || 200;
  var cols = columns.filter(function (c) {
    return !c.optional || rows.some(function (r) { var v = c.text(r); return v !== '' && v !== null && v !== undefined; });
  });
  var hay = new Array(rows.length);
  var state = { terms: [], kind: '', sort: null, dir: 1, limit: page };
  var view = [];
  var headRow = document.createElement('tr');
  cols.forEach(function (c) {
    var th = el('th', c.num ? 'num' : '');
    th.setAttribute('scope', 'col');
    th.setAttribute('aria-sort', 'none');
    th.setAttribute('data-key', c.key);
    var b = el('button', '', c.label);
    b.type = 'button';
    b.title = 'Sort by ' + c.label;
    b.addEventListener('click', function () {
      if (state.sort === c) state.dir = -state.dir; else { state.sort = c; state.dir = 1; }
      headRow.querySelectorAll('th').forEach(function (h) { h.setAttribute('aria-sort', 'none'); });
      th.setAttribute('aria-sort', state.dir === 1 ? 'ascending' : 'descending');
      apply();
    });
    th.appendChild(b);
    headRow.appendChild(th);
  });
  table.tHead.appendChild(headRow);

  function haystack(i) {
    var h = hay[i];
    if (h === undefined) {
      var r = rows[i];
      h = cols.map(function (c) { return String(c.text(r)); }).join('\\u0001').toLowerCase();
      hay[i] = h;
    }
    return h;
  }
  function apply() {
    view = [];
    for (var i = 0; i < rows.length; i++) {
      if (state.kind && kindsOf(rows[i]).indexOf(state.kind) < 0) continue;
      if (state.terms.length > 0) {
        var h = haystack(i), ok = true;
        for (var t = 0; t < state.terms.length; t++) if (h.indexOf(state.terms[t]) < 0) { ok = false; break; }
        if (!ok) continue;
      }
      view.push(i);
    }
    if (state.sort) {
      var c = state.sort, d = state.dir;
      var keys = {};
      view.forEach(function (i) { keys[i] = c.sort ? c.sort(rows[i]) : c.text(rows[i]); });
      view.sort(function (a, b) {
        var x = keys[a], y = keys[b], r;
        if (c.num) r = (x === '' ? -Infinity : Number(x)) - (y === '' ? -Infinity : Number(y));
        else r = collator.compare(String(x), String(y));
        if (r !== r) r = 0;
        return r * d || a - b;
      });
    }
    state.limit = page;
    tbody.textContent = '';
    if (view.length === 0) {
      var tr = el('tr', 'none');
      var td = el('td', '', rows.length === 0 ? 'No rows.' : 'No rows match the filter.');
      td.colSpan = cols.length;
      tr.appendChild(td);
      tbody.appendChild(tr);
    }
    renderRange(0, Math.min(state.limit, view.length));
  }
  function renderRange(from, to) {
    var frag = document.createDocumentFragment();
    for (var k = from; k < to; k++) {
      var r = rows[view[k]];
      var tr = document.createElement('tr');
      cols.forEach(function (c) {
        var td = el('td', (c.num ? 'num ' : '') + 'col-' + c.key + (c.mono ? ' mono' : ''));
        if (c.render) c.render(td, r);
        else { var v = c.text(r); if (v === '' || v === null || v === undefined) dash(td); else td.textContent = String(v); }
        tr.appendChild(td);
      });
      frag.appendChild(tr);
    }
    tbody.appendChild(frag);
    var total = view.length;
    var filtered = total !== rows.length;
    shown.textContent = (to < total ? 'Showing ' + fmt(to) + ' of ' + fmt(total) : fmt(total)) + ' ' + (total === 1 ? noun : noun + 's') + (filtered ? ' matching' : '');
    var left = total - to;
    more.hidden = left <= 0;
    more.textContent = 'Show ' + fmt(Math.min(page, left)) + ' more';
  }
  more.addEventListener('click', function () {
    var from = state.limit;
    state.limit = Math.min(state.limit + page, view.length);
    renderRange(from, state.limit);
  });
  var timer;
  input.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      state.terms = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
      apply();
    }, rows.length > 5000 ? 150 : 60);
  });
  select.addEventListener('change', function () { state.kind = select.value; apply(); });
  apply();
  return {
    showKind: function (kind) {
      select.value = kind;
      if (select.value !== kind) select.value = '';
      state.kind = select.value;
      input.value = '';
      state.terms = [];
      apply();
      root.scrollIntoView({ behavior: 'smooth', block: 'start' });
    }
  };
}

function errorsOf(r) { return r[4] || []; }
var problemsRoot = document.querySelector('[data-table=problems]');
var problems = problemsRoot ? makeTable(problemsRoot, data.problems || [], [
  { key: 'line', label: 'Line', num: true, text: function (r) { return r[0]; } },
  { key: 'id', label: config.idColumn || 'System ID', mono: true, text: function (r) { return r[1]; } },
  { key: 'status', label: 'Status', text: function (r) { return r[2]; }, render: function (td, r) {
    td.appendChild(el('span', 'badge ' + (known[r[2]] ? 'st-' + r[2] : 'st-other'), r[2]));
  } },
  { key: 'http', label: 'HTTP', num: true, optional: true, text: function (r) { return r[3]; } },
  { key: 'code', label: 'Error', text: function (r) { return errorsOf(r).map(function (e) { return e[0]; }).join(' '); },
    render: function (td, r) { lines(td, errorsOf(r).map(function (e) { return e[0]; }), 'code'); } },
  { key: 'column', label: 'Column', text: function (r) { return errorsOf(r).map(function (e) { return e[1]; }).join(' '); },
    render: function (td, r) { lines(td, errorsOf(r).map(function (e) { return e[1]; })); } },
  { key: 'message', label: 'Message', text: function (r) { return errorsOf(r).map(function (e) { return e[2]; }).join(' '); },
    render: function (td, r) { lines(td, errorsOf(r).map(function (e) { return e[2]; })); } },
  { key: 'detail', label: 'Detail', optional: true, text: function (r) { return r[5]; } }
], function (r) {
  return ['s:' + r[2]].concat(errorsOf(r).map(function (e) { return 'c:' + e[0]; }));
}, 'row') : null;

var changesRoot = document.querySelector('[data-table=changes]');
if (changesRoot) makeTable(changesRoot, data.changes || [], [
  { key: 'line', label: 'Line', num: true, text: function (r) { return r[0]; } },
  { key: 'id', label: config.idColumn || 'System ID', mono: true, text: function (r) { return r[1]; } },
  { key: 'field', label: 'Field', mono: true, text: function (r) { return r[2]; } },
  { key: 'before', label: 'Before', text: function (r) { return r[3]; }, render: function (td, r) { value(td, r[3], 'before'); } },
  { key: 'after', label: 'After', text: function (r) { return r[4]; }, render: function (td, r) { value(td, r[4], 'after'); } },
  { key: 'note', label: 'Note', optional: true, text: function (r) { return r[5]; } }
], function (r) { return ['f:' + r[2]]; }, 'change');

document.querySelectorAll('[data-show-kind]').forEach(function (b) {
  b.addEventListener('click', function () { if (problems) problems.showKind(b.getAttribute('data-show-kind') || ''); });
});
})();`;
