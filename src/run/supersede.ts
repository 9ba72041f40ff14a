/**
 * The superseded rule, in one place (README, "Statuses"): a row that failed, was left uncertain,
 * got a 422 (or, in a plan, would fail) is moot once a LATER row for the same system_id was
 * applied. Sending it again would put older data over newer, so it is `superseded`: never resent by
 * `--resume`, not in the errors file. The send executor, the 422 second chance, the plan and
 * `--resume` all decide and word it here.
 */
import { placeOf, type InputFormat } from '../csv/source.js';
import { formatErrors, type RowOutcome } from './results.js';
import type { RowStatus } from './statuses.js';

/** What the row itself answered (or was predicted to) before a later row made it moot. */
export const SUPERSEDABLE_STATUSES: ReadonlySet<RowStatus> = new Set(['failed', 'uncertain', 'would-fail']);

/** The report's one-line explanation of the status. */
export const SUPERSEDED_NOTE =
  'failed, uncertain or refused (422), but a later row for the same system_id was applied; never sent again';

/** The later row that applied: its line when known (a results file without a journal has only the row number). */
export interface LaterApplied {
  seq: number;
  line: number | undefined;
}

/** Whether `later` makes row `seq` moot. */
export function isSuperseded(later: LaterApplied | undefined, seq: number): later is LaterApplied {
  return later !== undefined && later.seq > seq;
}

/** The detail cell of a superseded row: which row applied, and what this row had answered. */
export function supersededDetail(later: LaterApplied, own: string, format?: InputFormat): string {
  const where = later.line === undefined ? `row ${later.seq + 1}` : placeOf(format, later.line);
  return `superseded by ${where}, applied after this row (its own answer: ${own}); not sent again`;
}

/** The superseded outcome that replaces `before`. */
export function supersededOutcome(before: RowOutcome, later: LaterApplied, format?: InputFormat): RowOutcome {
  const own = formatErrors(before.errors) || before.status;
  return { ...before, status: 'superseded', errors: undefined, detail: supersededDetail(later, own, format) };
}
