/**
 * The one list of row statuses and the one answer to "which of them are bad" (README, "Statuses"
 * and "Exit codes"). The exit code, the errors file, the progress count, the terminal summary and
 * the HTML report all ask here, so they cannot drift apart.
 */

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
  'uncertain',
  'superseded',
  'skipped',
  'filtered',
  'would-delete',
  'delete-refused',
] as const;
export type RowStatus = (typeof STATUSES)[number];

/**
 * Statuses that are a final answer: `--resume` never sends these rows again. `unchanged` is one in
 * a real run: `--changed-only` found the row already matching the API.
 */
export const FINAL_STATUSES: ReadonlySet<RowStatus> = new Set([
  'created',
  'updated',
  'deleted',
  'invalid',
  'superseded',
  'unchanged',
  'filtered',
]);

/** Statuses that mean the row's write reached the API: a later one makes an earlier row moot (superseded). */
export const APPLIED_STATUSES: ReadonlySet<RowStatus> = new Set(['created', 'updated']);

/**
 * Bad rows: the row did not land, or would not, or may not have (`uncertain`: the answer was lost),
 * and a sync's delete that the API refused (the contact leads or is alerted by a support group).
 * Any of them makes the exit code 1, and they are the rows of the errors file, which is itself an
 * import file (README, "Results and errors files").
 */
export const BAD_STATUSES: ReadonlySet<RowStatus> = new Set([
  'invalid',
  'failed',
  'uncertain',
  'would-fail',
  'delete-refused',
]);

/** Rows that need a reader's attention: the bad ones, and those not done (skipped, superseded). */
export const ATTENTION_STATUSES: ReadonlySet<RowStatus> = new Set([...BAD_STATUSES, 'skipped', 'superseded']);

export function isBadStatus(status: string): boolean {
  return BAD_STATUSES.has(status as RowStatus);
}

/** How many rows are bad, from counts per status (a summary's record, or the report's map). */
export function countBad(counts: Readonly<Partial<Record<string, number>>> | ReadonlyMap<string, number>): number {
  let bad = 0;
  for (const status of BAD_STATUSES)
    bad += (counts instanceof Map ? counts.get(status) : (counts as Record<string, number>)[status]) ?? 0;
  return bad;
}
