/**
 * The results sink: a reorder buffer that writes one row per input row, in input order, to the
 * results file and (for rows to fix) the errors file, plus the journal that records each answer
 * the moment it arrives (README, "Results and errors files"; "Resume").
 *
 * No write is left floating: a failed write (a full disk, a file that went away) is kept, the
 * run is told through `onFailure` so it stops sending, and `failure()` hands it to the summary.
 */
import { existsSync, rmSync } from 'node:fs';
import type { FileError } from '../errors.js';
import { writeFailure } from '../errno.js';
import { createTableWriter, isXlsxPath, readTable } from '../csv/table.js';
import { openJournal, type CsvWriter, type Journal } from '../csv/write.js';
import { RESULT_COLUMNS, Tally, outcomeCells, toResultCells, type ResultRow } from './results.js';
import { BAD_STATUSES, type RowStatus } from './statuses.js';
import type { OverrideLookup } from './override-store.js';
import type { JournalEntry } from './journal.js';

export interface ResultsSinkOptions {
  resultsPath: string;
  errorsPath: string;
  /** The input's header, verbatim. */
  columns: readonly string[];
  /** .xlsx results and errors: the sheet's name (the input's). */
  sheetName?: string | undefined;
  /** Where the journal goes; none for runs that send nothing. */
  journalPath?: string | undefined;
  /** Finished rows held back waiting for an earlier row; reading pauses when full. */
  reorderCap?: number | undefined;
  /**
   * A resumed run: write the results to `<results>.tmp-<pid>` and rename at the end, because the
   * earlier results are still being read; and append to the earlier journal.
   */
  atomic?: boolean;
  /**
   * A run that sends: both files go into place at its first answer. Until then an earlier run's
   * files stay as they were, and a run stopped before any answer (a 401) leaves them untouched.
   */
  untilAnswer?: boolean | undefined;
  onRow?: ((row: ResultRow, replaces?: ResultRow) => void) | undefined;
  /** The first write that failed; called once. */
  onFailure?: ((error: FileError) => void) | undefined;
}

export interface ResultsSink {
  /** Hands in a finished row, in any order; it is written when every earlier row has been. Never rejects. */
  put(row: ResultRow): Promise<void> | undefined;
  /** Records an answer the moment it arrives, before its turn in the results file. */
  journal(row: ResultRow): void;
  /** Resolves when the reorder buffer has room again; undefined when it has room now. */
  whenRoom(): Promise<void> | undefined;
  readonly tally: Tally;
  /** Rows written so far. */
  written(): number;
  /** Rows handed in but waiting for an earlier one. */
  buffered(): number;
  /** The first write that failed, if any. */
  failure(): FileError | undefined;
  /** Whether a journal file exists for this run (it is opened at the first answer). */
  journaled(): boolean;
  /**
   * Flushes both files; keeps or removes the journal. A failed write is kept in failure(), not
   * thrown. `discardUnanswered`: with `untilAnswer`, a run that got no answer removes its files
   * and leaves the earlier ones in place.
   */
  end(options: { keepJournal: boolean; discardUnanswered?: boolean }): Promise<void>;
  /** Whether the files went into place (always, unless `untilAnswer` and discarded). */
  published(): boolean;
  /**
   * After end(): puts after-the-fact answers (deferred 422s, superseded rows) in place, in one
   * atomic rewrite of the results and errors files (each written whole to a temporary file,
   * then renamed).
   */
  rewrite(overrides: OverrideLookup): Promise<void>;
}

function toJournalEntry(row: ResultRow): JournalEntry {
  const entry: JournalEntry = {
    seq: row.seq,
    line: row.line,
    system_id: row.systemId,
    status: row.status,
    http: row.httpStatus ?? null,
  };
  if (row.errors !== undefined) entry.errors = row.errors;
  if (row.detail !== undefined) entry.detail = row.detail;
  return entry;
}

/** The first failed write, kept: no write promise is left floating (README, "Results and errors files"). */
function createFailureKeeper(onFailure: ((error: FileError) => void) | undefined) {
  let failed: FileError | undefined;
  /** The latest write of either file; every write's failure is caught in `kept`. */
  let last: Promise<void> | undefined;
  const fail = (path: string, error: unknown): void => {
    if (failed !== undefined) return;
    failed = writeFailure(path, error);
    onFailure?.(failed);
  };
  return {
    fail,
    failure: (): FileError | undefined => failed,
    lastWrite: (): Promise<void> | undefined => last,
    /** Keeps a write's failure instead of leaving its promise floating. */
    kept: (path: string, write: Promise<void> | undefined): Promise<void> | undefined => {
      if (write === undefined) return undefined;
      const guarded = write.catch((error: unknown) => fail(path, error));
      last = guarded;
      return guarded;
    },
  };
}

/** Rows in, in any order; `write` called for each in seq order. Reading pauses while it is full. */
function createReorderBuffer(cap: number, write: (row: ResultRow) => Promise<void> | undefined) {
  const buffer = new Map<number, ResultRow>();
  let next = 0;
  let roomWaiter: { resolve: () => void; promise: Promise<void> } | undefined;

  function drain(): Promise<void> | undefined {
    let wait: Promise<void> | undefined;
    for (let row = buffer.get(next); row !== undefined; row = buffer.get(next)) {
      buffer.delete(next);
      next++;
      wait = write(row) ?? wait;
    }
    if (roomWaiter !== undefined && buffer.size < cap) {
      roomWaiter.resolve();
      roomWaiter = undefined;
    }
    return wait;
  }

  return {
    written: () => next,
    buffered: () => buffer.size,
    put: (row: ResultRow): Promise<void> | undefined => {
      if (row.seq === next && buffer.size === 0) {
        next++;
        return write(row);
      }
      buffer.set(row.seq, row);
      return row.seq === next ? drain() : undefined;
    },
    whenRoom: (): Promise<void> | undefined => {
      if (buffer.size < cap) return undefined;
      if (roomWaiter === undefined) {
        let resolve!: () => void;
        const promise = new Promise<void>((r) => (resolve = r));
        roomWaiter = { resolve, promise };
      }
      return roomWaiter.promise;
    },
  };
}

export function createResultsSink(options: ResultsSinkOptions): ResultsSink {
  const atomic = options.atomic === true;
  const { sheetName } = options;
  const untilAnswer = options.untilAnswer === true && !atomic;
  const results: CsvWriter = createTableWriter(options.resultsPath, { atomic: atomic || untilAnswer, sheetName });
  const errors: CsvWriter = createTableWriter(options.errorsPath, { atomic: atomic || untilAnswer, sheetName });
  let discarded = false;
  let journal: Journal | undefined;
  const tally = new Tally();
  let ended = false;
  const keeper = createFailureKeeper(options.onFailure);
  const { fail, kept } = keeper;
  const failedNow = keeper.failure;

  const headerWrites: Promise<void>[] = [];
  for (const write of [
    kept(options.resultsPath, results.write([...options.columns, ...RESULT_COLUMNS])),
    kept(options.errorsPath, errors.write(options.columns)),
  ]) {
    if (write !== undefined) headerWrites.push(write);
  }

  const reorder = createReorderBuffer(options.reorderCap ?? 10_000, (row) => {
    tally.add(row);
    options.onRow?.(row);
    if (failedNow() !== undefined) return undefined;
    const a = kept(options.resultsPath, results.write(toResultCells(row)));
    const errorCells = row.extraCells === undefined ? row.cells : [...row.cells, ...row.extraCells];
    const b = BAD_STATUSES.has(row.status) ? kept(options.errorsPath, errors.write(errorCells)) : undefined;
    if (a === undefined && b === undefined) return undefined;
    return Promise.all([a, b]).then(() => undefined);
  });

  async function close(writer: CsvWriter): Promise<void> {
    try {
      // A writer that failed rejects at once with its failure; the other one still finishes.
      await writer.end();
    } catch (error) {
      fail(writer.path, error);
    }
  }

  return {
    tally,
    written: reorder.written,
    buffered: reorder.buffered,
    put: reorder.put,
    whenRoom: reorder.whenRoom,
    failure: failedNow,
    journaled: () =>
      journal !== undefined || (atomic && options.journalPath !== undefined && existsSync(options.journalPath)),
    journal(row) {
      if (options.journalPath === undefined || failedNow() !== undefined) return;
      try {
        // Opened at the first answer, so a run that never sent anything leaves no journal behind;
        // from then on the results are the record of what was sent, in place for --resume.
        if (journal === undefined && untilAnswer) {
          retireEarlierWorkbooks(options);
          results.publish();
          errors.publish();
        }
        journal ??= openJournal(options.journalPath, { append: atomic });
        journal.append(toJournalEntry(row));
      } catch (error) {
        fail(options.journalPath, error);
      }
    },
    published: () => !discarded,
    async end({ keepJournal, discardUnanswered }) {
      if (ended) return;
      ended = true;
      if (untilAnswer && journal === undefined && discardUnanswered === true) {
        discarded = true;
        await Promise.all([results.abort(), errors.abort()]);
        return;
      }
      await Promise.all(headerWrites);
      await keeper.lastWrite();
      // Rows still buffered can only be there when a write failed and the run stopped early.
      if (reorder.buffered() > 0 && failedNow() === undefined)
        fail(options.resultsPath, new Error(`${reorder.buffered()} result rows never reached the file`));
      await Promise.all([close(results), close(errors)]);
      if (keepJournal || failedNow() !== undefined) journal?.close();
      else if (journal !== undefined) journal.remove();
      // A clean end of a resumed run also retires the earlier run's journal.
      else if (atomic && options.journalPath !== undefined) rmSync(options.journalPath, { force: true });
    },
    async rewrite(overrides) {
      if (failedNow() !== undefined || overrides.size === 0) return;
      try {
        await rewriteFiles(options, overrides, tally);
      } catch (error) {
        fail(options.resultsPath, error);
      }
    },
  };
}

/**
 * A CSV results file is truncated when the run starts; a workbook appears only at the end. So
 * once this run has an answer, an earlier run's workbook at the same path goes: after a crash,
 * `--resume` would otherwise read it as this run's answers (README, "Resume").
 */
function retireEarlierWorkbooks(options: ResultsSinkOptions): void {
  for (const path of [options.resultsPath, options.errorsPath])
    if (isXlsxPath(path) && existsSync(path)) rmSync(path, { force: true });
}

/**
 * Streams the results file once, replacing the overridden rows' result cells. The errors file is
 * rebuilt beside it from the old errors file, read in step: its rows are the results rows whose
 * status was an error status, in the same order, and they keep every cell a ragged row had.
 */
async function rewriteFiles(options: ResultsSinkOptions, overrides: OverrideLookup, tally: Tally): Promise<void> {
  const width = options.columns.length;
  const { sheetName } = options;
  const newResults = createTableWriter(options.resultsPath, { atomic: true, sheetName });
  const newErrors = createTableWriter(options.errorsPath, { atomic: true, sheetName });
  const oldErrors = readTable(options.errorsPath);
  const nextOldError = async (): Promise<string[] | undefined> => {
    const next = await oldErrors.next();
    return next.done === true ? undefined : next.value;
  };
  try {
    await newErrors.write((await nextOldError()) ?? options.columns.slice());
    let seq = -1;
    for await (const record of readTable(options.resultsPath)) {
      if (seq < 0) {
        await newResults.write(record);
        seq++;
        continue;
      }
      const override = overrides.get(seq);
      const wasError = BAD_STATUSES.has((override?.before.status ?? record[width] ?? '') as RowStatus);
      const oldErrorCells = wasError ? await nextOldError() : undefined;
      const inputCells = record.slice(0, width);
      if (override !== undefined) {
        // Warnings belong to the cells, which an after-the-fact answer does not change: only the
        // status and errors are taken back and counted again.
        tally.add({ ...override.before, warnings: undefined }, -1);
        tally.add({ ...override.after, warnings: undefined });
        // The row's answer changed after the fact: a consumer keyed by seq keeps the last call.
        options.onRow?.(
          { seq, cells: inputCells, ...override.after, warnings: undefined },
          { seq, cells: inputCells, ...override.before, warnings: undefined },
        );
      }
      const status = override?.after.status ?? (record[width] as RowStatus);
      await newResults.write(override === undefined ? record : [...inputCells, ...outcomeCells(override.after)]);
      if (BAD_STATUSES.has(status)) await newErrors.write(oldErrorCells ?? inputCells);
      seq++;
    }
    await Promise.all([newResults.end(), newErrors.end()]);
  } catch (error) {
    await Promise.all([newResults.abort(), newErrors.abort()]);
    throw error;
  } finally {
    await oldErrors.return(undefined);
  }
}
