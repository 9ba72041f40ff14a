/**
 * The streaming pipeline behind `import` and `delete`:
 *
 *   CSV ─► validate ─► per-key chain ─► request gate (AIMD, --rate) ─► reorder buffer ─► results CSV
 *
 * Rows are pulled with `for await`, so the file is read only as fast as rows are dispatched: the
 * loop waits for a request permit before it sends a row, and for room in the capped reorder
 * buffer. A bad row is data (a result row); only whole-file and whole-run problems throw.
 */
import type { CountryCode } from 'libphonenumber-js/max';
import { createApiClient, type ApiClient, type ApiResult, type RetryEvent } from '../api/client.js';
import type { Connection } from '../config.js';
import { CONTACT_FIELDS, createRowParser, type ContactField, type RowCells, type RowError } from '../contact.js';
import { openCsv, type CsvHeader, type CsvRecord, type CsvSource, type InputEncoding } from '../csv/read.js';
import { InternalError, UsageError } from '../errors.js';
import { unauthorizedHint } from '../api/failures.js';
import { resolveErrorsPath, resolveJournalPath, resolveResultsPath, type RunMode } from './paths.js';
import { createResultsSink, parseErrors, type ResultRow, type ResultsSink, type RowStatus, type ErrorGroup } from './results.js';
import { openResume, type ResumeState } from './resume.js';
import { createEmailIndex } from './email-index.js';
import { setMaxListeners } from 'node:events';
import { runDeferredPass, type DeferredRow } from './deferred.js';
import { describeApiFailure, skippedRow, toResult, type PreparedRow, type StopReason } from './outcomes.js';

export type { PreparedRow } from './outcomes.js';
import { createPlanner, loadSnapshot } from './plan.js';
import { writeBackup, type BackupSummary } from './backup.js';

export interface RunOptions {
  input: string;
  mode: RunMode;
  results?: string | undefined;
  errors?: string | undefined;
  encoding?: InputEncoding | undefined;
  map?: readonly string[] | undefined;
  /** Send only these fields (`--fields`). */
  fields?: readonly ContactField[] | undefined;
  /** A trial run on the first n rows. */
  limit?: number | undefined;
  empty?: 'omit' | 'null' | undefined;
  nullToken?: string | undefined;
  defaultCountry?: CountryCode | undefined;
  /** Required unless the mode is a dry run. */
  connection?: Connection | undefined;
  concurrency?: number | undefined;
  retries?: number | undefined;
  timeoutMs?: number | undefined;
  rate?: number | undefined;
  /** The longest wait before a retry, whatever Retry-After asks (`--max-retry-wait`, in ms). */
  maxRetryWaitMs?: number | undefined;
  maxConsecutiveFailures?: number | undefined;
  resume?: boolean | undefined;
  /** delete: a 404 counts as deleted. */
  ignoreMissing?: boolean | undefined;
  reorderCap?: number | undefined;
  /** Aborting it stops the run gracefully: no new requests, in-flight ones finish. */
  signal?: AbortSignal | undefined;
  /**
   * An undo file (`--backup`): before the first write, the current values of every contact the
   * file will update, as an import-ready CSV; beside it `<stem>.created.csv` lists the ones it
   * will create, a ready delete file.
   */
  backup?: string | undefined;
  onWarning?: ((message: string) => void) | undefined;
  onProgress?: ((progress: RunProgress) => void) | undefined;
  onRetry?: ((event: RetryEvent) => void) | undefined;
  onRow?: ((row: ResultRow) => void) | undefined;
  /** Called once the input's header is known (e.g. to size a progress bar). */
  onStart?: ((info: { header: CsvHeader; bytesTotal: number }) => void) | undefined;
}

export interface RunProgress {
  rowsRead: number;
  rowsWritten: number;
  bytesRead: number;
  bytesTotal: number;
  failed: number;
  retries: number;
  inFlight: number;
  window: number;
}

export interface RunSummary {
  mode: RunMode;
  input: string;
  resultsPath: string;
  errorsPath: string;
  /** Kept only when the run did not finish cleanly. */
  journalPath: string | undefined;
  rows: number;
  counts: Record<RowStatus, number>;
  errorGroups: ErrorGroup[];
  warnings: number;
  retries: number;
  elapsedMs: number;
  rowsPerSecond: number;
  /** Rows whose final answer came from the earlier run (`--resume`). */
  reused: number;
  stopped: { reason: StopReason; message: string; hint?: string | undefined } | undefined;
  /** `--backup`: where the undo files went. */
  backup?: BackupSummary | undefined;
  /** Input columns that map to no field: kept in the results, never sent. */
  unmappedColumns: string[];
}

const SENDING_MODES: ReadonlySet<RunMode> = new Set(['import', 'delete']);


function columnLabel(header: CsvHeader, field: ContactField | 'system_id'): string {
  const index = header.fields[field];
  return index === undefined ? field : `"${header.columns[index] ?? field}"`;
}

/** Names the column in every message: `column "Mobile Phone": "0412" is not …`. */
function withColumns(header: CsvHeader, errors: readonly RowError[]): RowError[] {
  return errors.map((e) => (e.field === undefined ? e : { ...e, message: `column ${columnLabel(header, e.field)} ${e.message}` }));
}

export async function runImport(options: RunOptions): Promise<RunSummary> {
  const started = performance.now();
  const { mode } = options;
  const sending = SENDING_MODES.has(mode);
  const isDelete = mode === 'delete' || mode === 'delete-dry-run';
  if ((sending || mode === 'plan') && options.connection === undefined) {
    throw new UsageError(`${mode} needs a connection (base URL, portal code and API key)`);
  }
  if (options.resume === true && !sending) throw new UsageError('--resume goes with a real run, not --dry-run or --plan');

  const source: CsvSource = await openCsv(options.input, {
    ...(options.encoding === undefined ? {} : { encoding: options.encoding }),
    ...(options.map === undefined ? {} : { map: options.map }),
    requiredFields: ['system_id'],
  });
  const { header } = source;
  options.onStart?.({ header, bytesTotal: source.bytesTotal });
  const systemIdIndex = header.fields.system_id ?? 0;

  const resultsPath = resolveResultsPath(options.input, mode, options.results);
  const errorsPath = resolveErrorsPath(resultsPath, options.errors);
  const journalPath = sending ? resolveJournalPath(resultsPath) : undefined;
  const resume: ResumeState | undefined =
    options.resume === true && journalPath !== undefined
      ? await openResume({ resultsPath, journalPath, errorsPath, columns: header.columns, systemIdIndex, kind: isDelete ? 'delete' : 'import' })
      : undefined;

  const stopController = new AbortController();
  // Every row sleeping out a backoff listens for the stop: up to 2 × concurrency at once.
  setMaxListeners(0, stopController.signal);
  let stopped: RunSummary['stopped'];
  const stop = (reason: StopReason, message: string, hint?: string): void => {
    if (stopped !== undefined) return;
    stopped = { reason, message, hint };
    stopController.abort();
  };
  const onAbort = (): void => stop('signal', 'interrupted', undefined);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted === true) onAbort();

  let retries = 0;
  const client: ApiClient | undefined =
    options.connection === undefined || !(sending || mode === 'plan')
      ? undefined
      : createApiClient({
          connection: options.connection,
          concurrency: options.concurrency,
          timeoutMs: options.timeoutMs,
          retries: options.retries,
          rate: options.rate,
          maxRetryWaitMs: options.maxRetryWaitMs,
          stopSignal: stopController.signal,
          onRetry: (event) => {
            retries++;
            options.onRetry?.(event);
          },
          onUnauthorized: () => stopForAuth(),
          onFatal: (error) => stop('not_api', `${error.message}; the run stopped`, error.hint),
        });
  // The credential check words its own 401; after it, a 401 means the key stopped working.
  let credentialsChecked = false;
  function stopForAuth(): void {
    if (!credentialsChecked) return;
    stop('auth', 'the API answered 401 Invalid security credentials mid-run; the key may have been revoked', `${unauthorizedHint(options.connection?.baseUrl ?? '')}, then run again with --resume`);
  }

  const sink: ResultsSink = createResultsSink({
    resultsPath,
    errorsPath,
    columns: header.columns,
    journalPath,
    reorderCap: options.reorderCap,
    atomic: resume !== undefined,
    onRow: (row) => {
      options.onRow?.(row);
      maybeProgress();
    },
  });

  let rowsRead = 0;
  let lastProgress = 0;
  function maybeProgress(force = false): void {
    if (options.onProgress === undefined) return;
    const now = performance.now();
    if (!force && now - lastProgress < 100) return;
    lastProgress = now;
    const gate = client?.gate.stats();
    options.onProgress({
      rowsRead,
      rowsWritten: sink.written(),
      bytesRead: source.bytesRead(),
      bytesTotal: source.bytesTotal,
      failed: sink.tally.counts.failed + sink.tally.counts.invalid,
      retries,
      inFlight: gate?.inFlight ?? 0,
      window: gate?.window ?? 0,
    });
  }

  let reused = 0;
  let warnings = 0;
  let backup: BackupSummary | undefined;
  let summary: RunSummary | undefined;
  try {
    // Credentials first: one GET of a system_id that cannot exist; 404 means they work.
    if (client !== undefined && stopped === undefined) await checkCredentials(client, stop);
    credentialsChecked = true;
    const needsSnapshot = (mode === 'plan' || options.backup !== undefined) && client !== undefined && stopped === undefined;
    const snapshot = needsSnapshot ? await loadSnapshot(client, options.onWarning) : undefined;
    const planner = mode === 'plan' && snapshot !== undefined ? createPlanner(snapshot) : undefined;
    if (options.backup !== undefined && snapshot !== undefined && mode === 'import') {
      backup = await writeBackup({ input: options.input, csv: { encoding: options.encoding, map: options.map }, snapshot, backupPath: options.backup, limit: options.limit });
    }

    const parseRow = createRowParser({ empty: options.empty, nullToken: options.nullToken, defaultCountry: options.defaultCountry });
    const sentFields = (options.fields ?? CONTACT_FIELDS).filter((f) => header.fields[f] !== undefined);
    const fieldColumns = sentFields.map((f) => [f, header.fields[f] ?? 0] as const);
    const emailOwner = isDelete ? undefined : createEmailIndex();

    // Objects are built whole, not spread: this runs for every row of a million-row file.
    const invalid = (record: CsvRecord, seq: number, systemId: string, errors: RowError[]): ResultRow => ({
      seq,
      line: record.line,
      cells: record.cells,
      systemId,
      status: 'invalid',
      errors,
    });
    const prepare = (record: CsvRecord, seq: number): PreparedRow | ResultRow => {
      const rawId = record.cells[systemIdIndex] ?? '';
      if (record.error !== undefined) return invalid(record, seq, rawId.trim(), [{ code: record.error.code, message: record.error.message }]);
      const cells: RowCells = { system_id: rawId };
      if (!isDelete) for (const [field, index] of fieldColumns) cells[field] = record.cells[index] ?? '';
      const parsed = parseRow(cells);
      if (!parsed.ok) return invalid(record, seq, parsed.systemId, withColumns(header, parsed.errors));
      const email = parsed.patch.email;
      if (emailOwner !== undefined && typeof email === 'string') {
        const ownerLine = emailOwner(email, parsed.systemId, record.line);
        if (ownerLine !== undefined) {
          return invalid(record, seq, parsed.systemId, [
            { code: 'duplicate_email', field: 'email', message: `column ${columnLabel(header, 'email')} "${email}" is already used by line ${ownerLine} for another system_id (emails are unique, compared case-insensitively)` },
          ]);
        }
      }
      warnings += parsed.warnings.length;
      return { seq, line: record.line, cells: record.cells, systemId: parsed.systemId, patch: parsed.patch, warnings: parsed.warnings };
    };

    const skipped = (record: CsvRecord, seq: number): ResultRow =>
      skippedRow({ seq, line: record.line, cells: record.cells, systemId: (record.cells[systemIdIndex] ?? '').trim() });

    const sender = client === undefined || !sending ? undefined : createSender({ client, sink, isDelete, options, stop, stopSignal: stopController.signal });

    let seq = 0;
    // Records come in batches of what the parser has ready: one await per batch, not per row.
    reading: for await (const batch of source.batches) {
      for (const record of batch) {
        if (options.limit !== undefined && seq >= options.limit) break reading;
        rowsRead++;
        const rowSeq = seq++;
        if (resume !== undefined) {
          const previous = await resume.take(rowSeq, record.cells[systemIdIndex] ?? '', record.line);
          if (previous !== undefined) {
            reused++;
            const row: ResultRow = {
              seq: rowSeq,
              line: record.line,
              cells: record.cells,
              systemId: (record.cells[systemIdIndex] ?? '').trim(),
              status: previous.status,
              httpStatus: previous.httpStatus,
              detail: previous.detail,
              errors: parseErrors(previous.error),
            };
            await sink.put(row);
            continue;
          }
        }
        if (stopped !== undefined) {
          await sink.put(skipped(record, rowSeq));
          continue;
        }
        const prepared = prepare(record, rowSeq);
        if ('status' in prepared) {
          await sink.put(prepared);
          continue;
        }
        if (mode === 'dry-run' || mode === 'delete-dry-run') {
          const detail = prepared.warnings.length > 0 ? prepared.warnings.join('; ') : isDelete ? 'would be deleted' : undefined;
          await sink.put({ seq: prepared.seq, line: prepared.line, cells: prepared.cells, systemId: prepared.systemId, status: 'valid', detail });
          continue;
        }
        if (planner !== undefined) {
          await sink.put({ ...prepared, ...planner.predict(prepared) });
          continue;
        }
        if (sender === undefined) throw new InternalError('no sender for a sending mode');
        await sink.whenRoom();
        await sender.dispatch(prepared);
      }
    }
    if (sender !== undefined) {
      await sender.drain();
      if (stopped === undefined) {
        const overrides = await runDeferredPass({ client: sender.client, deferred: sender.deferred(), appliedAfter: sender.appliedAfter, stopSignal: stopController.signal });
        // A 401 during the second chance stops the run too; then the journal stays for --resume.
        await sink.end({ keepJournal: stopped !== undefined });
        if (overrides.size > 0) await sink.rewrite(overrides);
      } else {
        await sink.end({ keepJournal: true });
      }
    } else {
      const overrides = planner?.finish();
      await sink.end({ keepJournal: false });
      if (overrides !== undefined && overrides.size > 0) await sink.rewrite(overrides);
    }
    maybeProgress(true);

    const elapsedMs = performance.now() - started;
    summary = {
      mode,
      input: options.input,
      resultsPath,
      errorsPath,
      journalPath: stopped !== undefined ? journalPath : undefined,
      rows: sink.tally.rows,
      counts: { ...sink.tally.counts },
      errorGroups: sink.tally.sortedGroups(),
      warnings,
      retries,
      elapsedMs,
      rowsPerSecond: sink.tally.rows / Math.max(elapsedMs / 1000, 1e-3),
      reused,
      stopped,
      backup,
      unmappedColumns: isDelete ? [] : header.columns.filter((_, i) => header.columnFields[i] === undefined),
    };
    return summary;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    source.close();
    resume?.close();
    await client?.close();
    if (summary === undefined) await sink.end({ keepJournal: true }).catch(() => undefined);
  }
}

async function checkCredentials(client: ApiClient, stop: (reason: StopReason, message: string, hint?: string) => void): Promise<void> {
  const result = await client.checkCredentials();
  if (result.status === 404 || result.status === 200) return;
  if (result.status === 401) {
    stop(
      'auth',
      `the API refused the credentials (401 ${result.message ?? 'Invalid security credentials'}); nothing was sent`,
      unauthorizedHint(client.baseUrl),
    );
    return;
  }
  stop('unreachable', `the credential check failed: ${describeApiFailure(result)}; nothing was sent`, `is ${client.baseUrl} the right base URL, and is it up?`);
}

interface SenderContext {
  client: ApiClient;
  sink: ResultsSink;
  isDelete: boolean;
  options: RunOptions;
  stop: (reason: StopReason, message: string, hint?: string) => void;
  stopSignal: AbortSignal;
}

/**
 * Sends prepared rows: rows sharing a system_id are chained in file order, never concurrent;
 * every attempt passes the client's gate. Turns each answer into a result row.
 */
function createSender(ctx: SenderContext) {
  const { client, sink, isDelete, options, stop } = ctx;
  const maxConsecutive = options.maxConsecutiveFailures ?? 10;
  const chains = new Map<string, Promise<void>>();
  const pending = new Set<Promise<void>>();
  const deferred: DeferredRow[] = [];
  /** For system_ids with a deferred 422: the seq of the latest row applied for them. */
  const appliedAfter = new Map<string, { seq: number; line: number }>();
  const deferredKeys = new Set<string>();
  let consecutiveFailures = 0;
  const maxPending = 2 * client.gate.maxWindow;
  const roomWaiters: (() => void)[] = [];

  function finish(row: ResultRow, result: ApiResult | undefined): void {
    if (result !== undefined) sink.journal(row);
    void sink.put(row);
  }

  async function sendRow(job: PreparedRow): Promise<void> {
    // Stopped before this row's turn, or while it waited for a permit (the client sent nothing).
    const result = ctx.stopSignal.aborted ? undefined : isDelete ? await client.remove(job.systemId) : await client.put(job.systemId, job.patch);
    if (result === undefined || result.attempts === 0) {
      finish(skippedRow(job), undefined);
      return;
    }
    const row = toResult(job, result, { isDelete, ignoreMissing: options.ignoreMissing === true });

    if (result.retryable && !result.stoppedBeforeRetry) {
      consecutiveFailures++;
      if (consecutiveFailures >= maxConsecutive) {
        stop('dead_server', `${consecutiveFailures} rows in a row used up their retries (last: ${describeApiFailure(result)})`, 'the server looks down; run again later with --resume');
      }
    } else if (!result.retryable) {
      consecutiveFailures = 0;
    }
    if (!isDelete && result.status === 422) {
      deferred.push({ job, result: row });
      deferredKeys.add(job.systemId);
    }
    if ((row.status === 'created' || row.status === 'updated') && deferredKeys.has(job.systemId)) {
      appliedAfter.set(job.systemId, { seq: job.seq, line: job.line });
    }
    finish(row, result);
  }

  return {
    client,
    appliedAfter,
    deferred: () => deferred,
    /** Starts the row; resolves when the loop may read the next one. */
    async dispatch(job: PreparedRow): Promise<void> {
      const previous = chains.get(job.systemId);
      const task = previous === undefined ? sendRow(job) : previous.then(() => sendRow(job));
      const tracked = task.catch((error: unknown) => {
        finish({ ...job, status: 'failed', errors: [{ code: 'internal_error', message: `internal error (a bug, please report it): ${String(error)}` }] }, undefined);
      });
      chains.set(job.systemId, tracked);
      pending.add(tracked);
      void tracked.finally(() => {
        pending.delete(tracked);
        roomWaiters.shift()?.();
        if (chains.get(job.systemId) === tracked) chains.delete(job.systemId);
      });
      // Backpressure: read on only once a request permit is free again, and while rows started
      // but unfinished (sending, or sleeping out a backoff) stay under 2 × concurrency, so a dead
      // server costs at most that many rows beyond --max-consecutive-failures.
      await client.gate.whenFree();
      while (pending.size >= maxPending) await new Promise<void>((resolve) => roomWaiters.push(resolve));
    },
    async drain(): Promise<void> {
      while (pending.size > 0) await Promise.all(pending);
    },
  };
}
