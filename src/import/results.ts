/**
 * The results side of a run: statuses, the reorder buffer that writes one row per input row in
 * input order, the errors file, the journal, and the counts a summary is made of
 * (DESIGN.md, "Results CSV").
 */
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import type { RowError, RowErrorCode, RowWarning, RowWarningCode } from '../contact.js';
import { createCsvWriter, openJournal, type CsvWriter, type Journal } from '../csv/write.js';

export const STATUSES = [
  'created',
  'updated',
  'deleted',
  'valid',
  'would-create',
  'would-update',
  'unchanged',
  'would-fail',
  'invalid',
  'failed',
  'superseded',
  'skipped',
] as const;
export type RowStatus = (typeof STATUSES)[number];

/** The four columns that follow the input's own, always exactly these. */
export const RESULT_COLUMNS = ['status', 'http_status', 'error', 'detail'] as const;

/**
 * Statuses that are a final answer: `--resume` never sends these rows again. `unchanged` is one in
 * a real run: `--changed-only` found the row already matching the API.
 */
export const FINAL_STATUSES: ReadonlySet<RowStatus> = new Set(['created', 'updated', 'deleted', 'invalid', 'superseded', 'unchanged']);

/** Statuses that go to the errors file, which is itself an import file. */
export const ERROR_STATUSES: ReadonlySet<RowStatus> = new Set(['invalid', 'failed', 'would-fail']);

export interface ResultRow {
  /** 0-based index among the data records: the order of the results file. */
  seq: number;
  /** 1-based physical line where the record starts in the input. */
  line: number;
  cells: readonly string[];
  systemId: string;
  status: RowStatus;
  httpStatus?: number | undefined;
  errors?: readonly RowError[] | undefined;
  /** A plan's would-update row: each field it would change, from the API's value to the file's. */
  changes?: readonly FieldChange[] | undefined;
  /** Also worded in `detail`; kept as data for the counts by code and the report. */
  warnings?: readonly RowWarning[] | undefined;
  detail?: string | undefined;
}

export interface FieldChange {
  field: string;
  from: string | null;
  to: string | null;
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

/** The inverse of formatErrors, for rows a resumed run copies from the earlier results. */
export function parseErrors(text: string): RowError[] | undefined {
  if (text === '') return undefined;
  return text.split(/; (?=[a-z_]+: )/).map((part) => {
    const colon = part.indexOf(': ');
    const code = colon > 0 ? part.slice(0, colon) : 'api_rejected';
    return { code: code as RowErrorCode, message: colon > 0 ? part.slice(colon + 2) : part };
  });
}

export function toResultCells(row: ResultRow): string[] {
  const cells = row.cells.slice();
  cells.push(row.status, row.httpStatus === undefined ? '' : String(row.httpStatus), formatErrors(row.errors), row.detail ?? '');
  return cells;
}

/** Warnings grouped by code, like errors: "not_a_mobile: 2005 rows, first at line 7". */
export type WarningGroup = ErrorGroup<RowWarningCode>;

function count<Code extends string>(groups: Map<Code, ErrorGroup<Code>>, items: readonly { code: Code; message: string }[], line: number, sign: 1 | -1): void {
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

/** Counts per status, errors and warnings grouped by code; shared by the live sink and the final rewrite. */
export class Tally {
  readonly counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<RowStatus, number>;
  readonly groups = new Map<RowErrorCode, ErrorGroup>();
  readonly warningGroups = new Map<RowWarningCode, WarningGroup>();
  rows = 0;
  /** Warnings over all rows, whatever their status. */
  warnings = 0;

  add(row: ResultRow, sign: 1 | -1 = 1): void {
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

export interface ResultsSinkOptions {
  resultsPath: string;
  errorsPath: string;
  /** The input's header, verbatim. */
  columns: readonly string[];
  /** Where the journal goes; none for runs that send nothing. */
  journalPath?: string | undefined;
  /** Finished rows held back waiting for an earlier row; reading pauses when full. */
  reorderCap?: number;
  /**
   * A resumed run: write the results to `<results>.tmp-<pid>` and rename at the end, because the
   * earlier results are still being read; and append to the earlier journal.
   */
  atomic?: boolean;
  /** Each row as it is written; again, with `replaces`, when a rewrite settles it anew. */
  onRow?: ((row: ResultRow, replaces?: ResultRow) => void) | undefined;
}

export interface ResultsSink {
  /** Hands in a finished row, in any order; it is written when every earlier row has been. */
  put(row: ResultRow): Promise<void> | undefined;
  /** Records an answer the moment it arrives, before its turn in the results file. */
  journal(row: ResultRow): void;
  /** Resolves when the reorder buffer has room again; undefined when it has room now. */
  whenRoom(): Promise<void> | undefined;
  readonly tally: Tally;
  /** Rows written so far. */
  written(): number;
  /** Buffered, not yet written. */
  buffered(): number;
  /** Flushes both files; keeps or removes the journal. */
  end(options: { keepJournal: boolean }): Promise<void>;
  /**
   * After end(): puts the final answers of the deferred 422 rows in place, in one atomic rewrite
   * of the results and errors files (each written whole to a temporary file, then renamed).
   */
  rewrite(overrides: ReadonlyMap<number, { before: ResultRow; after: ResultRow }>): Promise<void>;
}

export function createResultsSink(options: ResultsSinkOptions): ResultsSink {
  const cap = options.reorderCap ?? 10_000;
  const atomic = options.atomic === true;
  const results: CsvWriter = createCsvWriter(options.resultsPath, { atomic });
  const errors: CsvWriter = createCsvWriter(options.errorsPath, { atomic });
  const journal: Journal | undefined = options.journalPath === undefined ? undefined : openJournal(options.journalPath, { append: atomic });
  const tally = new Tally();
  const buffer = new Map<number, ResultRow>();
  let next = 0;
  let roomWaiter: { resolve: () => void; promise: Promise<void> } | undefined;
  let pendingWrite: Promise<void> | undefined;
  let ended = false;

  void results.write([...options.columns, ...RESULT_COLUMNS]);
  void errors.write(options.columns);

  function writeRow(row: ResultRow): Promise<void> | undefined {
    tally.add(row);
    options.onRow?.(row);
    const a = results.write(toResultCells(row));
    const b = ERROR_STATUSES.has(row.status) ? errors.write(row.cells) : undefined;
    if (a === undefined && b === undefined) return undefined;
    return Promise.all([a, b]).then(() => undefined);
  }

  function drain(): Promise<void> | undefined {
    let wait: Promise<void> | undefined;
    for (let row = buffer.get(next); row !== undefined; row = buffer.get(next)) {
      buffer.delete(next);
      next++;
      wait = writeRow(row) ?? wait;
    }
    if (roomWaiter !== undefined && buffer.size < cap) {
      roomWaiter.resolve();
      roomWaiter = undefined;
    }
    return wait;
  }

  return {
    tally,
    written: () => next,
    buffered: () => buffer.size,
    put(row) {
      if (row.seq === next && buffer.size === 0) {
        next++;
        const wait = writeRow(row);
        if (wait === undefined) return undefined;
        pendingWrite = wait;
        return wait;
      }
      buffer.set(row.seq, row);
      const wait = row.seq === next ? drain() : undefined;
      if (wait !== undefined) pendingWrite = wait;
      return wait;
    },
    journal(row) {
      journal?.append({ seq: row.seq, line: row.line, system_id: row.systemId, status: row.status, http: row.httpStatus ?? null });
    },
    whenRoom() {
      if (buffer.size < cap) return undefined;
      if (roomWaiter === undefined) {
        let resolve!: () => void;
        const promise = new Promise<void>((r) => (resolve = r));
        roomWaiter = { resolve, promise };
      }
      return roomWaiter.promise;
    },
    async end({ keepJournal }) {
      if (ended) return;
      ended = true;
      if (buffer.size > 0) throw new Error(`internal: ${buffer.size} result rows never reached the results file`);
      await pendingWrite;
      await Promise.all([results.end(), errors.end()]);
      if (keepJournal) journal?.close();
      else journal?.remove();
    },
    async rewrite(overrides) {
      const width = options.columns.length;
      const newResults = createCsvWriter(options.resultsPath, { atomic: true });
      const newErrors = createCsvWriter(options.errorsPath, { atomic: true });
      try {
        const parser = createReadStream(options.resultsPath).pipe(parse({ record_delimiter: ['\r\n', '\n'] }));
        let seq = -1;
        for await (const record of parser as AsyncIterable<string[]>) {
          const override = seq >= 0 ? overrides.get(seq) : undefined;
          const cells = override === undefined ? record : toResultCells(override.after);
          if (override !== undefined) {
            tally.add(override.before, -1);
            tally.add(override.after);
            options.onRow?.(override.after, override.before);
          }
          await newResults.write(cells);
          if (seq < 0) await newErrors.write(cells.slice(0, width));
          else if (ERROR_STATUSES.has((cells[width] ?? '') as RowStatus)) await newErrors.write(cells.slice(0, width));
          seq++;
        }
        await Promise.all([newResults.end(), newErrors.end()]);
      } catch (error) {
        await Promise.all([newResults.abort(), newErrors.abort()]);
        throw error;
      }
    },
  };
}
