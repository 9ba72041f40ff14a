/**
 * How a run can stop, and the words for an API answer that was not a success.
 */
import type { ApiResult } from '../api/client.js';
import { describeAnswer } from '../api/failures.js';
import type { ContactPatch, RowError, RowWarning } from '../contact/schema.js';
import type { ResultRow } from './results.js';
import type { RowStatus } from './statuses.js';
import { ROW_DETAILS, ROW_ERRORS } from '../contact/row-messages.js';

/** Why a run stopped before its last row (README, "Failure behaviour"). */
export type StopReason = 'auth' | 'dead_server' | 'unreachable' | 'not_api' | 'signal' | 'write_failed';

/** A row that passed every local check, ready to send (or to predict, in a plan). */
export interface PreparedRow {
  seq: number;
  line: number;
  cells: readonly string[];
  systemId: string;
  patch: ContactPatch;
  /** Counted by code in the summary, whatever the row's status. */
  warnings: readonly RowWarning[];
  /** The parts of `detail` the row brings: values the tool changed, then the warnings. */
  notes: readonly string[];
  /** An earlier run sent this row and its answer is unknown (`--resume`): its write may have been applied. */
  sentBefore?: boolean | undefined;
}

/** A row the run never sent, because it had stopped (README, "Failure behaviour"). */
export function skippedRow(row: Pick<ResultRow, 'seq' | 'line' | 'cells' | 'systemId'>): ResultRow {
  return {
    seq: row.seq,
    line: row.line,
    cells: row.cells,
    systemId: row.systemId,
    status: 'skipped',
    detail: ROW_DETAILS.notAttempted(),
  };
}

/** A row our own code failed on: a bug, not the network, said so in the row rather than blamed on the server. */
export function internalErrorRow(
  row: Pick<ResultRow, 'seq' | 'line' | 'cells' | 'systemId' | 'warnings'>,
  error: unknown,
): ResultRow {
  return {
    seq: row.seq,
    line: row.line,
    cells: row.cells,
    systemId: row.systemId,
    status: 'failed',
    errors: [{ code: 'internal_error', message: ROW_ERRORS.internal_error.bug(error) }],
    warnings: row.warnings,
  };
}

/**
 * Status code → result row (README, "Statuses"; API document, "Error Handling"). An attempt whose
 * answer was lost may have been applied; only a later answer that says what happened (2xx, or a
 * 4xx that the first attempt would have got too) settles the row. A 5xx, a 429 or another lost
 * answer settles nothing, so such a row is `uncertain`, not `failed`.
 */
export function toResult(
  job: PreparedRow,
  result: ApiResult,
  how: { isDelete: boolean; ignoreMissing: boolean },
): ResultRow {
  const notes: string[] = [...job.notes];
  const lostHere = result.lostAttempts.length > 0 ? ROW_DETAILS.lostOnAttempt(result.lostAttempts) : undefined;
  // An earlier run's attempt whose answer was never recorded (`--resume`) may have been applied too.
  const earlier = job.sentBefore === true ? ROW_DETAILS.sentByEarlierRun() : undefined;
  const lost = lostHere ?? earlier;
  if (result.attempts > 1) notes.push(ROW_DETAILS.attempts(result.attempts));
  if (result.notes !== undefined) notes.push(...result.notes);
  // One object literal, not a spread: this runs once per row.
  const row = (status: RowStatus, extra?: string, errors?: RowError[]): ResultRow => {
    const all = extra === undefined ? notes : [extra, ...notes];
    return {
      seq: job.seq,
      line: job.line,
      cells: job.cells,
      systemId: job.systemId,
      httpStatus: result.status,
      status,
      detail: all.length > 0 ? all.join('; ') : undefined,
      errors,
      warnings: job.warnings,
    };
  };
  // An answer from something that is not the API proves nothing about the row (a 200 login page).
  if (result.fatal !== undefined)
    return row('failed', lost, [
      { code: 'not_the_api', message: ROW_ERRORS.not_the_api.stopped(result.fatal.message) },
    ]);
  switch (result.status) {
    case 201:
      return row('created');
    case 200:
      return how.isDelete
        ? row('deleted')
        : row('updated', lost === undefined ? undefined : ROW_DETAILS.mayHaveBeenCreate(lost));
    case 202:
      return row('deleted', lost);
    case 204:
      // Applied, with no body (an empty-body note is in `notes`); a PUT's 204 does not say which.
      return how.isDelete ? row('deleted', lost) : row('updated', ROW_DETAILS.createdOrUpdated());
    case 404:
      // The earlier run's DELETE reached the API before it was killed: the contact is gone, as asked.
      if (how.isDelete && lostHere === undefined && earlier !== undefined)
        return row('deleted', ROW_DETAILS.earlierDeleteThen404(earlier));
      if (how.isDelete && lost !== undefined) {
        return row('uncertain', ROW_DETAILS.lostDeleteThen404(lost), [
          {
            code: 'answer_lost',
            message: ROW_ERRORS.answer_lost.deleteThen404(describeAnswer(result)),
          },
        ]);
      }
      if (how.isDelete && how.ignoreMissing) return row('deleted', ROW_DETAILS.notThere());
      return row('failed', lost, [{ code: 'not_found', message: ROW_ERRORS.not_found.noContact(result.message) }]);
    default:
      if (lost !== undefined && (result.retryable || result.stoppedBeforeRetry)) {
        return row('uncertain', ROW_DETAILS.unsettled(lost, how.isDelete), [
          { code: 'answer_lost', message: ROW_ERRORS.answer_lost.unsettled(describeAnswer(result), how.isDelete) },
        ]);
      }
      return row('failed', lost, [describeFailure(result, how.isDelete)]);
  }
}

function describeFailure(result: ApiResult, isDelete: boolean): RowError {
  const message = describeAnswer(result);
  switch (result.status) {
    case 400:
      if (isDelete && /support lead|also alert/i.test(result.message ?? ''))
        return { code: 'protected_contact', message: ROW_ERRORS.protected_contact.answer(message) };
      return { code: 'api_rejected', message: ROW_ERRORS.api_rejected.answer(message) };
    case 401:
      return { code: 'auth_failed', message: ROW_ERRORS.auth_failed.answer(message) };
    case 422:
      return { code: 'email_taken', message: ROW_ERRORS.email_taken.answer(message) };
    case undefined:
      return { code: 'network_error', message: ROW_ERRORS.network_error.answer(message) };
    default:
      return result.retryable
        ? { code: 'server_error', message: ROW_ERRORS.server_error.answer(message) }
        : { code: 'api_rejected', message: ROW_ERRORS.api_rejected.answer(message) };
  }
}
