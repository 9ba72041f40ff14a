/**
 * Collecting for the HTML report: fed one result row at a time through the run's `onRow`
 * callback, it keeps the counts, the error and warning groups (a few example rows each), and at
 * most `maxRows` problem rows and `maxRows` would-update rows with their field changes. Memory
 * stays flat whatever the size of the input. It reads the rows' structured data (error and
 * warning codes, field changes); it never parses a CSV cell.
 */
import type { ResultRow } from '../run/results.js';
import { ATTENTION_STATUSES, type RowStatus } from '../run/statuses.js';

/** An error on a row, as the pipeline reports it. */
export interface ReportError {
  code: string;
  /** The contact field the error is about, when there is one. */
  field?: string | undefined;
  message: string;
}

/** A warning on a row that was still sent (or would be): a fixed line in the mobile column, say. */
export interface ReportWarning {
  code: string;
  field?: string | undefined;
  message: string;
}

/** One field a plan would change: the value the API holds, and the one the file sends. */
export interface ReportChange {
  field: string;
  from: unknown;
  to: unknown;
}

/** What the report reads from each result row. */
export interface ReportRow {
  /** 0-based position among the data records. */
  seq: number;
  /** 1-based physical line where the record starts in the input. */
  line: number;
  systemId: string;
  status: string;
  httpStatus?: number | undefined;
  errors?: readonly ReportError[] | undefined;
  warnings?: readonly ReportWarning[] | undefined;
  changes?: readonly ReportChange[] | undefined;
  detail?: string | undefined;
}

/** The input's header, to name the column an error is about: `Mobile Phone`, not `mobile`. */
export interface ReportHeader {
  columns: readonly string[];
  fields: Readonly<Partial<Record<string, number>>>;
}

/** One embedded problem row: line, system_id, status, http_status, errors, warnings, detail. */
export type ProblemRow = [number, string, string, string, Issue[], Issue[], string];
/** An error or warning in the table: code, column, message. */
export type Issue = [string, string, string];
/** One embedded field change: line, system_id, field, before, after, note. */
export type ChangeRow = [number, string, string, string, string, string];

export interface GroupExample {
  seq: number;
  line: number;
  systemId: string;
  column: string;
  message: string;
}

/** Rows that carry one error (or warning) code. */
export interface CodeGroup {
  code: string;
  rows: number;
  firstLine: number;
  examples: GroupExample[];
}

export interface CollectedReport {
  rows: number;
  counts: Map<string, number>;
  errorGroups: Map<string, CodeGroup>;
  warningGroups: Map<string, CodeGroup>;
  /** Rows with at least one warning. */
  warnedRows: number;
  /** Embedded problem rows, in input order; at most maxRows. */
  problems: ProblemRow[];
  totalProblems: number;
  /** Problem rows per status (a warned row counts under its own status, `updated` say). */
  problemCounts: Map<string, number>;
  /** Embedded field changes, in input order, of at most maxRows would-update rows. */
  changes: ChangeRow[];
  changedRows: number;
  embeddedChangedRows: number;
  fieldCounts: Map<string, number>;
  /** The system_id column's header, for the table. */
  idLabel: string;
}

export interface ReportCollector {
  /** The header, once the input's is known; before the first row, so columns can be named. */
  useHeader(header: ReportHeader): void;
  /**
   * One finished row. `replaces` is the row's earlier answer when a later pass settled it again
   * (the 422 second chance, a plan's email swaps): its counts are taken back first.
   */
  add(row: ReportRow, replaces?: ReportRow): void;
  /** `add` for the pipeline's rows: pass it as the run's `onRow`. */
  readonly onRow: (row: ResultRow, replaces?: ResultRow) => void;
  /** What was collected, problem and change rows in input order. */
  result(): CollectedReport;
}

export interface ReportCollectorOptions {
  /** Max problem rows (and would-update rows) embedded; the rest are counted. Default 20_000. */
  maxRows?: number | undefined;
}

export const DEFAULT_MAX_ROWS = 20_000;
const NONE: Issue[] = [];
/** Rows shown inside each error group's <details>; the table has the rest. */
const GROUP_EXAMPLES = 8;

/**
 * A pipeline row → ReportRow. Warnings are read when the row carries them as data with a code;
 * a warning that is only text (in `detail`) has no code to group by, and the verdict counts it
 * from the summary instead.
 */
export function reportRowOf(row: ResultRow): ReportRow {
  const warnings = row.warnings;
  return {
    seq: row.seq,
    line: row.line,
    systemId: row.systemId,
    status: row.status,
    httpStatus: row.httpStatus,
    errors: row.errors,
    warnings: warnings !== undefined && warnings.length > 0 ? warnings : undefined,
    changes: row.changes,
    detail: row.detail,
  };
}

/** A value as the change table shows it; '' reads "(empty)". */
function shown(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function isProblem(row: ReportRow): boolean {
  return ATTENTION_STATUSES.has(row.status as RowStatus) || (row.warnings?.length ?? 0) > 0;
}

function isChange(row: ReportRow): boolean {
  return row.status === 'would-update' && (row.changes?.length ?? 0) > 0;
}

function emptyReport(): CollectedReport {
  return {
    rows: 0,
    counts: new Map(),
    errorGroups: new Map(),
    warningGroups: new Map(),
    warnedRows: 0,
    problems: [],
    totalProblems: 0,
    problemCounts: new Map(),
    changes: [],
    changedRows: 0,
    embeddedChangedRows: 0,
    fieldCounts: new Map(),
    idLabel: 'system_id',
  };
}

/** Adds (sign 1) or takes back (sign -1) a row's codes in one group map. */
function tallyCodes(groups: Map<string, CodeGroup>, row: ReportRow, issues: readonly Issue[], sign: 1 | -1): void {
  if (issues.length === 0) return;
  const seen = new Set<string>();
  for (const [code, column, message] of issues) {
    let group = groups.get(code);
    if (sign === -1) {
      if (group === undefined) continue;
      group.examples = group.examples.filter((e) => e.seq !== row.seq);
      if (!seen.has(code)) group.rows--;
      if (group.rows <= 0) groups.delete(code);
      seen.add(code);
      continue;
    }
    if (group === undefined) {
      group = { code, rows: 0, firstLine: row.line, examples: [] };
      groups.set(code, group);
    }
    if (!seen.has(code)) group.rows++;
    seen.add(code);
    group.firstLine = Math.min(group.firstLine, row.line);
    if (group.examples.length < GROUP_EXAMPLES)
      group.examples.push({ seq: row.seq, line: row.line, systemId: row.systemId, column, message });
  }
}

export function createReportCollector(options: ReportCollectorOptions = {}): ReportCollector {
  const maxRows = Math.max(0, Math.floor(options.maxRows ?? DEFAULT_MAX_ROWS));
  const out = emptyReport();
  let header: ReportHeader | undefined;
  // Embedded rows by seq, so a row settled again replaces its earlier entry. At most 2 × maxRows.
  const problems = new Map<number, ProblemRow>();
  const changes = new Map<number, ChangeRow[]>();

  /** The column an issue is about, and its message without the `column "…" ` the importer put in front. */
  function issueOf(issue: ReportError | ReportWarning): Issue {
    const index = issue.field === undefined ? undefined : header?.fields[issue.field];
    const column = index === undefined ? (issue.field ?? '') : (header?.columns[index] ?? issue.field ?? '');
    const prefix = `column "${column}" `;
    const message =
      column !== '' && issue.message.startsWith(prefix) ? issue.message.slice(prefix.length) : issue.message;
    return [issue.code, column, message];
  }

  function apply(row: ReportRow, sign: 1 | -1): void {
    out.rows += sign;
    out.counts.set(row.status, (out.counts.get(row.status) ?? 0) + sign);
    const errors = row.errors === undefined || row.errors.length === 0 ? NONE : row.errors.map(issueOf);
    const warnings = row.warnings === undefined || row.warnings.length === 0 ? NONE : row.warnings.map(issueOf);
    tallyCodes(out.errorGroups, row, errors, sign);
    tallyCodes(out.warningGroups, row, warnings, sign);
    if (warnings.length > 0) out.warnedRows += sign;
    if (isProblem(row)) {
      out.totalProblems += sign;
      out.problemCounts.set(row.status, (out.problemCounts.get(row.status) ?? 0) + sign);
      if (sign === -1) problems.delete(row.seq);
      else if (problems.size < maxRows) {
        problems.set(row.seq, [
          row.line,
          row.systemId,
          row.status,
          row.httpStatus === undefined ? '' : String(row.httpStatus),
          errors,
          warnings,
          row.detail ?? '',
        ]);
      }
    }
    if (isChange(row)) collectChanges(row, sign);
  }

  function collectChanges(row: ReportRow, sign: 1 | -1): void {
    const list = row.changes ?? [];
    out.changedRows += sign;
    for (const change of list) out.fieldCounts.set(change.field, (out.fieldCounts.get(change.field) ?? 0) + sign);
    if (sign === -1) {
      if (changes.delete(row.seq)) out.embeddedChangedRows--;
      return;
    }
    if (changes.size >= maxRows) return;
    out.embeddedChangedRows++;
    // The note is what the detail says beyond the changes themselves: warnings, attempts.
    const note = row.warnings?.map((w) => w.message).join('; ') ?? '';
    changes.set(
      row.seq,
      list.map((c, i): ChangeRow => [row.line, row.systemId, c.field, shown(c.from), shown(c.to), i === 0 ? note : '']),
    );
  }

  const add = (row: ReportRow, replaces?: ReportRow): void => {
    if (replaces !== undefined) apply(replaces, -1);
    apply(row, 1);
  };
  return {
    add,
    onRow: (row, replaces) => add(reportRowOf(row), replaces === undefined ? undefined : reportRowOf(replaces)),
    useHeader(h) {
      header = h;
      const index = h.fields.system_id;
      out.idLabel = (index === undefined ? undefined : h.columns[index]) ?? 'system_id';
    },
    result() {
      const bySeq = <T>(map: Map<number, T>): T[] => [...map].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
      for (const counts of [out.counts, out.problemCounts])
        for (const [status, n] of counts) if (n <= 0) counts.delete(status);
      return { ...out, problems: bySeq(problems), changes: bySeq(changes).flat() };
    },
  };
}
