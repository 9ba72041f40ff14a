/**
 * `--resume`: the earlier run's results file (a prefix of the input's rows, possibly cut short
 * by a crash) plus its journal (answers that arrived but had not reached the results file yet)
 * say which rows already have a final answer. Only the others are sent again
 * (README, "Resume").
 */
import type { InputFormat } from '../csv/source.js';
import { existsSync, statSync } from 'node:fs';
import { cellText } from '../csv/formula.js';
import { FileError } from '../errors.js';
import { FILE_ERRORS, HINTS } from '../error-messages.js';
import { ROW_DETAILS } from '../contact/row-messages.js';
import { RESULT_COLUMNS, type ResultRow } from './results.js';
import { APPLIED_STATUSES, FINAL_STATUSES, STATUSES, type RowStatus } from './statuses.js';
import { isSuperseded, SUPERSEDABLE_STATUSES, supersededDetail, type LaterApplied } from './supersede.js';
import { lastAnswers, type JournalEntry } from './journal.js';
import { readResultRows, readResultsHeader } from './results-file.js';
import type { PreparedRow } from './outcomes.js';
import { isPrepared } from './prepare.js';

// `unchanged` is not among them: `import --changed-only` writes it for rows it did not need to send.
const PREVIEW_STATUSES: ReadonlySet<string> = new Set(['valid', 'would-create', 'would-update', 'would-fail']);
const KNOWN_STATUSES: ReadonlySet<string> = new Set(STATUSES);
/** A delete must not resume from an import's results, nor an import from a delete's. */
const OTHER_KIND_STATUSES: Record<'import' | 'delete', ReadonlySet<string>> = {
  import: new Set(['deleted']),
  delete: new Set(['created', 'updated']),
};

/** An earlier run's final answer for a row, as data: errors come from the journal, never from a CSV cell. */
export interface PreviousAnswer {
  status: RowStatus;
  httpStatus: number | undefined;
  errors?: ResultRow['errors'];
  detail: string | undefined;
}

export interface ResumeState {
  /** The earlier final answer for row `seq`, or undefined when it must be sent (again). */
  take(seq: number, systemIdCell: string, line: number): Promise<PreviousAnswer | undefined>;
  /** Whether the earlier run sent row `seq` without a known answer (`uncertain`): ask after take(). */
  sentBefore(seq: number): boolean;
  /** How many rows the earlier results file held. */
  readonly previousRows: number;
  close(): void;
}

function mismatch(resultsPath: string, why: string): FileError {
  return new FileError(FILE_ERRORS.resultsOfAnotherInput(resultsPath, why), {
    file: resultsPath,
    hint: HINTS.resumeSameInput(),
  });
}

function fromJournal(
  journal: Map<number, JournalEntry>,
  journalPath: string,
  seq: number,
  systemIdCell: string,
  line: number,
): PreviousAnswer | undefined {
  const entry = journal.get(seq);
  if (entry === undefined || !FINAL_STATUSES.has(entry.status)) return undefined;
  if (entry.system_id !== cellText(systemIdCell)) {
    throw mismatch(journalPath, FILE_ERRORS.otherSystemId(line, systemIdCell, entry.system_id, 'journal'));
  }
  return {
    status: entry.status,
    httpStatus: entry.http ?? undefined,
    errors: entry.errors,
    detail: entry.detail ?? ROW_DETAILS.fromJournal(),
  };
}

/**
 * Rows of the earlier run that are not final (failed, uncertain, skipped) but whose system_id a
 * LATER row of that run applied: sending them again would put older data over newer
 * (README, "Resume"). Two cheap passes: the keys of such rows, then the last applied row of each.
 */
async function findSuperseding(
  resultsPath: string | undefined,
  width: number,
  statusIndex: number,
  systemIdIndex: number,
  journal: Map<number, JournalEntry>,
): Promise<Map<string, LaterApplied>> {
  const open = new Map<string, number>();
  // Only failed and uncertain rows: a skipped row never has a later applied row for its key,
  // because rows of one system_id are sent in file order and a stop skips all that follow.
  // Skipping them keeps this map small after a Ctrl-C on a big file.
  const consider = (seq: number, key: string, status: string): void => {
    if (SUPERSEDABLE_STATUSES.has(status as RowStatus) && !open.has(key)) open.set(key, seq);
  };
  if (resultsPath !== undefined) {
    let seq = 0;
    for await (const record of readResultRows(resultsPath, width))
      consider(seq++, cellText(record[systemIdIndex] ?? ''), record[statusIndex] ?? '');
  }
  for (const [seq, entry] of journal) consider(seq, entry.system_id, entry.status);
  const latest = new Map<string, LaterApplied>();
  if (open.size === 0) return latest;
  const applied = (seq: number, key: string, status: string, line: number | undefined): void => {
    const first = open.get(key);
    if (
      first !== undefined &&
      seq > first &&
      APPLIED_STATUSES.has(status as RowStatus) &&
      seq > (latest.get(key)?.seq ?? -1)
    )
      latest.set(key, { seq, line });
  };
  if (resultsPath !== undefined) {
    let seq = 0;
    for await (const record of readResultRows(resultsPath, width))
      applied(seq++, cellText(record[systemIdIndex] ?? ''), record[statusIndex] ?? '', undefined);
  }
  for (const [seq, entry] of journal) applied(seq, entry.system_id, entry.status, entry.line);
  return latest;
}

function supersededAnswer(
  later: LaterApplied | undefined,
  seq: number,
  own: string,
  format: InputFormat | undefined,
): PreviousAnswer | undefined {
  if (!isSuperseded(later, seq)) return undefined;
  return { status: 'superseded', httpStatus: undefined, detail: supersededDetail(later, own, format) };
}

export async function openResume(options: {
  resultsPath: string;
  journalPath: string;
  columns: readonly string[];
  systemIdIndex: number;
  errorsPath?: string;
  kind: 'import' | 'delete';
  /** The input's kind: details name `line 7` of a CSV file, `row 7` of a workbook. */
  format?: InputFormat | undefined;
}): Promise<ResumeState> {
  const { resultsPath, journalPath, columns, systemIdIndex } = options;
  const expected = [...columns, ...RESULT_COLUMNS];
  const width = expected.length;
  const statusIndex = columns.length;
  // A run killed before its results file got its header has answered nothing yet: every row is
  // "missing", so resuming it is a fresh run (the journal, if any, still counts).
  if (!existsSync(resultsPath) || statSync(resultsPath).size === 0) {
    const journal = await lastAnswers(journalPath, 0);
    const later = await findSuperseding(undefined, width, statusIndex, systemIdIndex, journal);
    return {
      previousRows: 0,
      sentBefore: (seq) => journal.get(seq)?.status === 'uncertain',
      take: (seq, systemIdCell, line) => {
        const answer = fromJournal(journal, journalPath, seq, systemIdCell, line);
        return Promise.resolve(
          answer ??
            supersededAnswer(later.get(cellText(systemIdCell)), seq, journal.get(seq)?.status ?? '', options.format),
        );
      },
      close() {},
    };
  }
  const header = await readResultsHeader(resultsPath);
  if (header.length !== expected.length || header.some((h, i) => h !== expected[i])) {
    throw mismatch(resultsPath, FILE_ERRORS.otherHeader());
  }

  // First pass: count the rows, and refuse a preview's results (a dry run or a plan sent nothing).
  let previousRows = 0;
  for await (const record of readResultRows(resultsPath, width)) {
    const status = record[statusIndex] ?? '';
    if (PREVIEW_STATUSES.has(status)) {
      throw new FileError(FILE_ERRORS.previewResults(resultsPath, status), {
        file: resultsPath,
      });
    }
    if (!KNOWN_STATUSES.has(status)) throw mismatch(resultsPath, FILE_ERRORS.unknownStatus(previousRows + 1, status));
    if (OTHER_KIND_STATUSES[options.kind].has(status)) {
      throw mismatch(resultsPath, FILE_ERRORS.otherCommand(options.kind === 'delete', status));
    }
    previousRows++;
  }
  const journal = await lastAnswers(journalPath, previousRows);
  const later = await findSuperseding(resultsPath, width, statusIndex, systemIdIndex, journal);
  const rows = readResultRows(resultsPath, width);
  // Rows of the results prefix that were uncertain, noted as take() reads them.
  const uncertain = new Set<number>();

  return {
    previousRows,
    sentBefore: (seq) => (seq < previousRows ? uncertain.has(seq) : journal.get(seq)?.status === 'uncertain'),
    async take(seq, systemIdCell, line) {
      if (seq < previousRows) {
        const next = await rows.next();
        const record = next.done === true ? undefined : next.value;
        if (record === undefined) throw mismatch(resultsPath, FILE_ERRORS.changedWhileReading());
        if (record[systemIdIndex] !== systemIdCell) {
          throw mismatch(
            resultsPath,
            FILE_ERRORS.otherSystemId(line, systemIdCell, record[systemIdIndex] ?? '', 'results'),
          );
        }
        const status = record[statusIndex] as RowStatus;
        if (status === 'uncertain') uncertain.add(seq);
        else uncertain.delete(seq);
        if (!FINAL_STATUSES.has(status))
          return supersededAnswer(later.get(cellText(systemIdCell)), seq, status, options.format);
        const http = record[statusIndex + 1] ?? '';
        // Final rows carry no error the run needs as data: invalid rows are judged again.
        return {
          status,
          httpStatus: http === '' ? undefined : Number(http),
          detail: record[statusIndex + 3] || undefined,
        };
      }
      const answer = fromJournal(journal, journalPath, seq, systemIdCell, line);
      const entry = journal.get(seq);
      return (
        answer ??
        (entry === undefined
          ? undefined
          : supersededAnswer(later.get(cellText(systemIdCell)), seq, entry.status, options.format))
      );
    },
    close() {
      rows.return(undefined).catch(() => undefined); // ends the reader early; nothing to report
    },
  };
}

/** A row answered in the earlier run, as this run writes it. */
export function reusedRow(prepared: PreparedRow | ResultRow, previous: PreviousAnswer): ResultRow | undefined {
  // Invalid and filtered rows are judged again: the same rules give the same errors, now as data.
  if (previous.status === 'invalid' || previous.status === 'filtered')
    return isPrepared(prepared) ? undefined : prepared;
  return {
    seq: prepared.seq,
    line: prepared.line,
    cells: prepared.cells,
    systemId: prepared.systemId,
    status: previous.status,
    httpStatus: previous.httpStatus,
    detail: previous.detail,
    errors: previous.errors,
    // A row's warnings depend only on its cells and the flags: the summary counts every row's.
    warnings: isPrepared(prepared) ? prepared.warnings : undefined,
  };
}
