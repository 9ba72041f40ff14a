/**
 * What a run's result rows are: the row shape, the four result columns, and the counts
 * a summary is made of (README, "Results and errors files"). The sink that writes them is
 * sink.ts.
 */
import type { RowError, RowErrorCode, RowWarning, RowWarningCode } from '../contact/schema.js';
import { STATUSES, type RowStatus } from './statuses.js';

/** The four columns that follow the input's own, always exactly these. */
export const RESULT_COLUMNS = ['status', 'http_status', 'error', 'detail'] as const;

/** A field a plan predicts will change: the API's value now, and the file's. */
export interface FieldChange {
  field: string;
  /** null: empty in the API. */
  from: string | null;
  /** null: the file clears it. */
  to: string | null;
}

export interface ResultRow {
  /** 0-based index among the data records: the order of the results file. */
  seq: number;
  /** 1-based physical line where the record starts in the input. */
  line: number;
  /** The input's cells, exactly as many as the header has columns. */
  cells: readonly string[];
  /** A ragged row's cells past the header's width: kept in the errors file, so fixing it loses nothing. */
  extraCells?: readonly string[] | undefined;
  systemId: string;
  status: RowStatus;
  httpStatus?: number | undefined;
  /** Structured row errors; the results file's `error` cell is these, formatted. */
  errors?: readonly RowError[] | undefined;
  /** A plan's predicted changes (`would-update`, `would-create`), as data. */
  changes?: readonly FieldChange[] | undefined;
  /** Also worded in `detail`; kept as data for the counts by code and the report. */
  warnings?: readonly RowWarning[] | undefined;
  detail?: string | undefined;
}

/** What an after-the-fact change (deferred 422, superseded) replaces: a row without its cells. */
export type RowOutcome = Pick<
  ResultRow,
  'line' | 'systemId' | 'status' | 'httpStatus' | 'errors' | 'changes' | 'detail'
>;

/** A results row's outcome: what an override keeps as `before`, or puts in its place. */
export function outcomeOf(row: RowOutcome): RowOutcome {
  return {
    line: row.line,
    systemId: row.systemId,
    status: row.status,
    httpStatus: row.httpStatus,
    errors: row.errors,
    changes: row.changes,
    detail: row.detail,
  };
}

export interface Override {
  before: RowOutcome;
  after: RowOutcome;
}

export interface ErrorGroup<Code extends string = RowErrorCode> {
  code: Code;
  count: number;
  /** The first occurrence, for the summary: "invalid_mobile: 120 rows, first at line 14". */
  firstLine: number;
  example: string;
}

export function formatErrors(errors: readonly RowError[] | undefined): string {
  return errors === undefined ? '' : errors.map((e) => `${e.code}: ${e.message}`).join('; ');
}

/** The four result cells of an outcome. */
export function outcomeCells(row: RowOutcome): string[] {
  return [
    row.status,
    row.httpStatus === undefined ? '' : String(row.httpStatus),
    formatErrors(row.errors),
    row.detail ?? '',
  ];
}

export function toResultCells(row: ResultRow): string[] {
  const cells = row.cells.slice();
  cells.push(
    row.status,
    row.httpStatus === undefined ? '' : String(row.httpStatus),
    formatErrors(row.errors),
    row.detail ?? '',
  );
  return cells;
}

/** Warnings grouped by code, like errors: "not_a_mobile: 2005 rows, first at line 7". */
export type WarningGroup = ErrorGroup<RowWarningCode>;

function count<Code extends string>(
  groups: Map<Code, ErrorGroup<Code>>,
  items: readonly { code: Code; message: string }[],
  line: number,
  sign: 1 | -1,
): void {
  for (const item of items) {
    const group = groups.get(item.code);
    if (group === undefined) {
      if (sign === 1) groups.set(item.code, { code: item.code, count: 1, firstLine: line, example: item.message });
    } else {
      group.count += sign;
      if (group.count === 0) groups.delete(item.code);
    }
  }
}

function sorted<Code extends string>(groups: Map<Code, ErrorGroup<Code>>): ErrorGroup<Code>[] {
  return [...groups.values()].sort((a, b) => b.count - a.count || a.firstLine - b.firstLine);
}

/**
 * Counts per status, errors and warnings grouped by code; shared by the live sink and the final
 * rewrite. An after-the-fact change (RowOutcome) carries no warnings: they belong to the cells,
 * which it does not change.
 */
export class Tally {
  readonly counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<RowStatus, number>;
  readonly groups = new Map<RowErrorCode, ErrorGroup>();
  readonly warningGroups = new Map<RowWarningCode, WarningGroup>();
  rows = 0;
  /** Warnings over all rows, whatever their status. */
  warnings = 0;

  add(row: RowOutcome & { warnings?: readonly RowWarning[] | undefined }, sign: 1 | -1 = 1): void {
    this.counts[row.status] += sign;
    this.rows += sign;
    if (row.errors !== undefined) count(this.groups, row.errors, row.line, sign);
    if (row.warnings !== undefined && row.warnings.length > 0) {
      this.warnings += sign * row.warnings.length;
      count(this.warningGroups, row.warnings, row.line, sign);
    }
  }

  /** Error groups, most common first. */
  sortedGroups(): ErrorGroup[] {
    return sorted(this.groups);
  }

  /** Warning groups, most common first. */
  sortedWarningGroups(): WarningGroup[] {
    return sorted(this.warningGroups);
  }
}
