/**
 * `import --changed-only`: each valid row is predicted against one GET all, exactly as `--plan`
 * predicts it (the same planner, fed the rows in file order), and only rows that would create or
 * change something are sent. Rows predicted to fail are sent too: the API has the last word, and
 * a 422 still gets its second chance. A row that would change nothing becomes `unchanged`
 * without a request (README, "Round trips"). A row the planner refuses outright (a lossy
 * spreadsheet save, contact/lossy.ts) is `invalid` and never sent.
 *
 * `--backup` without `--changed-only` knows the API's values too, so it uses the same filter with
 * `sendUnchanged`: every row is sent as before, except the ones the planner refuses.
 */
import type { PreparedRow } from '../run/outcomes.js';
import { ROW_DETAILS } from '../contact/row-messages.js';
import { createPlanner, type PlannerOptions } from './plan.js';
import type { ResultRow } from '../run/results.js';
import type { SnapshotIndex } from '../remote/snapshot.js';
import type { Executor } from '../run/executor.js';
import type { ResultsSink } from '../run/sink.js';

export const NOT_SENT = ROW_DETAILS.matchesApi();

export type ChangedVerdict = { send: true; row: PreparedRow } | { send: false; row: ResultRow };

export interface ChangedFilter {
  /** Call once per valid row, in file order: the planner carries each row's effect to the next. */
  check(row: PreparedRow): ChangedVerdict;
  /** Rows so far with an empty cell over a value the API holds. */
  readonly keptEmptyRows: number;
}

/** The index is updated as rows are checked: write a backup from it before the first row. */
export function createChangedFilter(
  snapshot: SnapshotIndex,
  options: PlannerOptions & { sendUnchanged?: boolean } = {},
): ChangedFilter {
  // A predicted 422 is sent: the real second chance (deferred.ts) decides it, not a second look.
  const planner = createPlanner(snapshot, { ...options, secondLook: false });
  return {
    get keptEmptyRows() {
      return planner.keptEmptyRows;
    },
    check(row) {
      const prediction = planner.predict(row);
      const notes = [...(prediction.kept ?? []), ...row.notes];
      if (prediction.status === 'invalid') {
        const refused: ResultRow = {
          seq: row.seq,
          line: row.line,
          cells: row.cells,
          systemId: row.systemId,
          status: 'invalid',
          errors: prediction.errors,
          warnings: row.warnings,
        };
        return { send: false, row: refused };
      }
      if (options.sendUnchanged === true) return { send: true, row };
      if (prediction.status === 'unchanged') {
        const detail = [NOT_SENT, ...notes].join('; ');
        const unchanged: ResultRow = {
          seq: row.seq,
          line: row.line,
          cells: row.cells,
          systemId: row.systemId,
          status: 'unchanged',
          detail,
          warnings: row.warnings,
        };
        return { send: false, row: unchanged };
      }
      // The kept empty cells ride along as notes, so the sent row's detail says so too.
      return { send: true, row: prediction.kept === undefined ? row : { ...row, notes } };
    },
  };
}

/**
 * The send executor behind `--changed-only`: rows that would change nothing are written as
 * `unchanged` without a request; the rest go to `send`. The filter exists once the snapshot is
 * read (the executor's start); before that, or when the run stopped first, rows go to `send`,
 * which writes them `skipped`.
 */
export function withChangedFilter(
  send: Executor,
  filter: () => ChangedFilter | undefined,
  sink: ResultsSink,
  changedOnly = true,
): Executor {
  return {
    start: () => send.start(),
    async execute(row) {
      const verdict = filter()?.check(row);
      if (verdict === undefined || verdict.send) return send.execute(verdict?.row ?? row);
      // Journaled like an answer: a resumed run must not send this older row again after a later
      // row for the same system_id was applied (README, "Resume").
      sink.journal(verdict.row);
      await sink.put(verdict.row);
    },
    finish: async () => ({
      ...(await send.finish()),
      ...(changedOnly ? { keptEmptyRows: filter()?.keptEmptyRows } : {}),
    }),
    stats: () => send.stats(),
    close: () => send.close(),
  };
}
