/**
 * The "execute" step of a run, one executor per mode: validate (a dry run: nothing is sent),
 * plan (predict each row against one GET all) and send (send.ts). The pipeline hands each
 * executor the rows that passed every local check; the executor puts their result rows in the sink.
 */
import type { ApiClient } from '../api/client.js';
import type { RunControl } from '../run/control.js';
import { skippedRow, type PreparedRow } from '../run/outcomes.js';
import { createPlanner, loadSnapshot, type Planner, type PlannerOptions, type SnapshotIndex } from './plan.js';
import type { RunSummary } from '../run/pipeline.js';
import type { Override } from '../run/results.js';
import type { OverrideLookup } from '../run/override-store.js';
import type { ResultsSink } from '../run/sink.js';

export interface ExecutorStats {
  retries: number;
  inFlight: number;
  window: number;
}

export interface Executor {
  /** Before the first row: the credential check, a snapshot. May stop the run through its control. */
  start(): Promise<void>;
  /** One row that passed every local check; resolves when the next row may be read. */
  execute(row: PreparedRow): Promise<void>;
  /** After the last row (or a stop): the answers that change rows already written. */
  finish(): Promise<OverrideLookup>;
  stats(): ExecutorStats;
  close(): Promise<void>;
  /** Facts only this executor knows, for the run's summary (a plan's kept empty cells, say). */
  summaryExtras?(): Partial<RunSummary>;
}

const NO_STATS: ExecutorStats = { retries: 0, inFlight: 0, window: 0 };

/** A dry run: every row that passed the local checks is `valid`. */
export function createValidateExecutor(sink: ResultsSink, isDelete: boolean): Executor {
  return {
    start: () => Promise.resolve(),
    async execute(row) {
      const detail = row.notes.length > 0 ? row.notes.join('; ') : isDelete ? 'would be deleted' : undefined;
      await sink.put({
        seq: row.seq,
        line: row.line,
        cells: row.cells,
        systemId: row.systemId,
        status: 'valid',
        detail,
        warnings: row.warnings,
      });
    },
    finish: () => Promise.resolve(new Map()),
    stats: () => NO_STATS,
    close: () => Promise.resolve(),
  };
}

/** `--plan`: one GET all, then each row predicted against it; nothing is written to the API. */
export function createPlanExecutor(ctx: {
  client: ApiClient;
  sink: ResultsSink;
  control: RunControl;
  checkCredentials: () => Promise<void>;
  onWarning?: ((message: string) => void) | undefined;
  predictOptions: PlannerOptions;
  /** Between the GET all and the first prediction (a sync plan takes its deletes out). */
  onSnapshot?: ((snapshot: SnapshotIndex) => Promise<void>) | undefined;
}): Executor {
  let planner: Planner | undefined;
  return {
    async start() {
      await ctx.checkCredentials();
      if (ctx.control.stopped() !== undefined) return;
      const snapshot = await loadSnapshot(ctx.client, { signal: ctx.control.stopSignal, onWarning: ctx.onWarning });
      await ctx.onSnapshot?.(snapshot);
      planner = createPlanner(snapshot, ctx.predictOptions);
    },
    async execute(row) {
      if (planner === undefined) return ctx.sink.put(skippedRow(row));
      const { status, detail, errors, changes } = planner.predict(row);
      await ctx.sink.put({
        seq: row.seq,
        line: row.line,
        cells: row.cells,
        systemId: row.systemId,
        status,
        detail,
        errors,
        changes,
        warnings: row.warnings,
      });
    },
    summaryExtras: () => ({ keptEmptyRows: planner?.keptEmptyRows, changedOnlyRequests: planner?.toSend }),
    finish: () => Promise.resolve(planner?.finish() ?? new Map<number, Override>()),
    stats: () => ({ retries: 0, inFlight: ctx.client.gate.stats().inFlight, window: ctx.client.gate.stats().window }),
    close: () => ctx.client.close(),
  };
}
