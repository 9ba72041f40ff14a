/**
 * The send executor behind `import` and `delete`: the credential check, the undo file, then each
 * row through the client. Rows sharing a system_id run in file order, never at once (keyed-window);
 * every attempt passes the client's gate (AIMD, --rate). After the last row come the after-the-
 * fact answers: the second chance for 422s (deferred.ts) and rows superseded by a later row for
 * the same system_id that was applied (README, "Statuses").
 */
import type { InputFormat } from '../csv/source.js';
import type { ApiClient, ApiResult, RetryEvent } from '../api/client.js';
import type { Connection } from '../config.js';
import { askCredentialCheck, judgeCredentialCheck } from '../api/credentials.js';
import { describeAnswer, unauthorizedHint } from '../api/failures.js';
import { CiopulseError } from '../errors.js';
import type { RunControl } from '../run/control.js';
import { createDeferredList, runDeferredPass, type DeferredList } from './deferred.js';
import type { Executor } from '../run/executor.js';
import { internalErrorRow, skippedRow, toResult, type PreparedRow } from '../run/outcomes.js';
import { isSuperseded, SUPERSEDABLE_STATUSES, supersededOutcome } from '../run/supersede.js';
import { outcomeOf, type ResultRow, type RowOutcome } from '../run/results.js';
import { APPLIED_STATUSES } from '../run/statuses.js';
import type { ResultsSink } from '../run/sink.js';
import { createOverrideStore, mergeOverrides } from '../run/override-store.js';
import type { LaterRows } from '../run/person-index.js';
import { createKeyedWindow } from '../run/keyed-window.js';
import { HINTS, RUN_STOPS } from '../error-messages.js';
import { ROW_DETAILS } from '../contact/row-messages.js';

/** How to reach the API, and how hard to push it. */
export interface ConnectionOptions {
  connection: Connection;
  concurrency?: number | undefined;
  retries?: number | undefined;
  /** Time limit per attempt, in ms. */
  timeoutMs?: number | undefined;
  /** Requests per second, across the run. */
  rate?: number | undefined;
  /** The longest wait before a retry, whatever Retry-After asks (`--max-retry-wait`, in ms). */
  maxRetryWaitMs?: number | undefined;
}

export interface ClientSettings extends ConnectionOptions {
  onRetry?: ((event: RetryEvent) => void) | undefined;
}

export interface RunClient {
  client: ApiClient;
  retries(): number;
  /**
   * Judges the credential check, one GET asked when the client was made; stops the run through
   * `control` when the credentials do not work.
   */
  checkCredentials(): Promise<void>;
  /** Closes the client. A check still unanswered (the run ended before its first row) is cut off, not waited for. */
  close(): Promise<void>;
}

/** The client of a run: stopped by the run's control, a mid-run 401 stops the run. */
export async function createRunClient(settings: ClientSettings, control: RunControl): Promise<RunClient> {
  // Loaded here, not at the top: a dry run never needs undici (README, "Install").
  const { createApiClient } = await import('../api/client.js');
  let retries = 0;
  // The credential check words its own 401; after it, a 401 means the key stopped working.
  let credentialsChecked = false;
  const client = createApiClient({
    connection: settings.connection,
    concurrency: settings.concurrency,
    timeoutMs: settings.timeoutMs,
    retries: settings.retries,
    rate: settings.rate,
    maxRetryWaitMs: settings.maxRetryWaitMs,
    stopSignal: control.stopSignal,
    abortSignal: control.abortSignal,
    onRetry: (event) => {
      retries++;
      settings.onRetry?.(event);
    },
    onUnauthorized: () => {
      if (!credentialsChecked) return;
      control.stop('auth', RUN_STOPS.revokedKey(), HINTS.thenResume(unauthorizedHint(client.baseUrl)));
    },
    // A 2xx that is not the API's JSON, an HTML 404, a PUT answered 404: not the API (failures.ts).
    onFatal: (error) =>
      control.stop(
        'not_api',
        RUN_STOPS.notTheApi(error.message),
        error instanceof CiopulseError ? error.hint : undefined,
      ),
  });
  // The check needs nothing from the file, so it is asked now: its round trip overlaps the pre-pass
  // that reads the file before the first row (run/pipeline.ts), and checkCredentials judges it.
  let answered = false;
  const asked = askCredentialCheck(client).finally(() => (answered = true));
  // Judged, or its failure thrown, in checkCredentials; a run that never gets there closes without it.
  asked.catch(() => undefined);
  return {
    client,
    retries: () => retries,
    async checkCredentials() {
      if (control.stopped() !== undefined) return;
      const verdict = judgeCredentialCheck(client.baseUrl, await asked);
      credentialsChecked = true;
      // Not the API: onFatal has stopped the run already.
      if (verdict.ok || control.stopped() !== undefined) return;
      control.stop(verdict.reason, RUN_STOPS.checkFailed(verdict.error.message), verdict.error.hint);
    },
    close() {
      // Rows are sent only after the check's answer, so an unanswered check is all that is in flight.
      if (!answered) client.abortInFlight();
      return client.close();
    },
  };
}

export interface SendContext {
  run: RunClient;
  sink: ResultsSink;
  control: RunControl;
  isDelete: boolean;
  ignoreMissing: boolean;
  maxConsecutiveFailures: number;
  /** Runs after the credential check and before the first row (the undo file). */
  beforeFirstRow?: (() => Promise<void>) | undefined;
  /** The input's kind: details name `line 7` of a CSV file, `row 7` of a workbook. */
  format?: InputFormat | undefined;
  /** Which rows a later row with the same system_id follows (the pre-pass): only those are tracked for "superseded". */
  later?: LaterRows | undefined;
}

/**
 * Failed and uncertain rows per system_id, until a later row for it is applied: then they are
 * superseded (README, "Statuses"), and neither resumed nor in the errors file. Only outcomes are
 * kept, no cells, and only of rows that a later row of the same system_id follows (`later`, from
 * the pre-pass): any other failed row can never be superseded, so a file that fails row after row
 * (a server that rejects everything) keeps nothing here. A system_id's list goes once its last row
 * is noted. Without `later` (no pre-pass), every failed row is kept until its system_id applies.
 */
function createSupersedeTracker(format: InputFormat | undefined, later: LaterRows | undefined) {
  const unsettled = new Map<string, { seq: number; outcome: RowOutcome }[]>();
  const overrides = createOverrideStore();
  return {
    overrides,
    /** `waits`: a 422 that the second chance decides (deferred.ts), not this tracker. */
    note(row: ResultRow, waits: boolean): void {
      const last = later !== undefined && !later.hasLater(row.seq);
      if (!waits && !last && SUPERSEDABLE_STATUSES.has(row.status)) {
        const outcome = outcomeOf(row);
        const list = unsettled.get(row.systemId);
        if (list === undefined) unsettled.set(row.systemId, [{ seq: row.seq, outcome }]);
        else list.push({ seq: row.seq, outcome });
      } else if (APPLIED_STATUSES.has(row.status)) {
        const list = unsettled.get(row.systemId);
        if (list === undefined) return;
        unsettled.delete(row.systemId);
        const applied = { seq: row.seq, line: row.line };
        for (const { seq, outcome } of list)
          if (isSuperseded(applied, seq))
            overrides.set(seq, { before: outcome, after: supersededOutcome(outcome, applied, format) });
      } else if (last) {
        unsettled.delete(row.systemId);
      }
    },
  };
}

/** Stops the run once this many rows in a row used up their retries: the server looks down. */
function createFailFast(control: RunControl, max: number): (result: ApiResult) => void {
  let consecutive = 0;
  return (result) => {
    if (result.retryable && !result.stoppedBeforeRetry) {
      consecutive++;
      if (consecutive >= max)
        control.stop('dead_server', RUN_STOPS.deadServer(consecutive, describeAnswer(result)), HINTS.deadServer());
    } else if (!result.retryable) {
      consecutive = 0;
    }
  };
}

/** A row whose request is on its way: `uncertain` until its answer is journaled after it. */
function sentRow(job: PreparedRow): ResultRow {
  return {
    seq: job.seq,
    line: job.line,
    cells: job.cells,
    systemId: job.systemId,
    status: 'uncertain',
    detail: ROW_DETAILS.sentUnrecorded(),
  };
}

export function createSendExecutor(ctx: SendContext): Executor {
  const { run, sink, control, isDelete } = ctx;
  const { client } = run;
  // Rows started but unfinished (sending, or sleeping out a backoff): at most 2 × concurrency, so a
  // dead server costs at most that many rows beyond --max-consecutive-failures. Rows sharing a
  // system_id run in file order, never at once (README, "Uniqueness and order within the file").
  const keyed = createKeyedWindow({ limit: 2 * client.gate.maxWindow });
  const deferred: DeferredList = createDeferredList(ctx.later);
  // A delete applies nothing that could supersede a row (APPLIED_STATUSES: created, updated).
  const supersede = isDelete ? undefined : createSupersedeTracker(ctx.format, ctx.later);
  const countFailure = createFailFast(control, ctx.maxConsecutiveFailures);

  async function finish(row: ResultRow, result: ApiResult | undefined, is422 = false): Promise<void> {
    if (result !== undefined) sink.journal(row);
    supersede?.note(row, is422);
    await sink.put(row);
  }

  async function sendRow(job: PreparedRow): Promise<void> {
    try {
      // Stopped before this row's turn, or while it waited for a permit (the client sent nothing).
      // A DELETE is journaled as sent before it goes: if the run is killed before its answer, a
      // resumed run knows a 404 may be its own doing (outcomes.ts), never "not found".
      if (isDelete && !control.stopSignal.aborted) sink.journal(sentRow(job));
      const result = control.stopSignal.aborted
        ? undefined
        : isDelete
          ? await client.remove(job.systemId)
          : await client.put(job.systemId, job.patch);
      if (result === undefined || result.attempts === 0) {
        await finish(skippedRow(job), undefined);
        return;
      }
      const row = toResult(job, result, { isDelete, ignoreMissing: ctx.ignoreMissing });
      countFailure(result);
      // A 422 waits for its second chance (deferred.ts), which also decides whether it is superseded.
      const is422 = !isDelete && result.status === 422;
      if (is422) deferred.add(job, row);
      else if (APPLIED_STATUSES.has(row.status)) deferred.applied(job);
      await finish(row, result, is422);
    } catch (error) {
      await finish(internalErrorRow(job, error), undefined).catch(() => undefined);
    }
  }

  return {
    async start() {
      await run.checkCredentials();
      if (control.stopped() === undefined) await ctx.beforeFirstRow?.();
    },
    /** Starts the row; resolves when the loop may read the next one. */
    async execute(job) {
      const room = keyed.add(job.systemId, () => sendRow(job));
      // Backpressure: read on only once a request permit is free again, and while the window has room.
      await client.gate.whenFree();
      await room;
    },
    async finish() {
      await keyed.idle();
      // In a stopped run the second chance sends nothing; it still marks the superseded 422s.
      const second = await runDeferredPass({ client, deferred, stopSignal: control.stopSignal, format: ctx.format });
      return { overrides: supersede === undefined ? second : mergeOverrides(supersede.overrides, second) };
    },
    stats: () => ({
      retries: run.retries(),
      inFlight: client.gate.stats().inFlight,
      window: client.gate.stats().window,
    }),
    close: () => run.close(),
  };
}
