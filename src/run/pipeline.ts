/**
 * The run pipeline behind every row-by-row job (import, delete, plan, dry run):
 *
 *   read (CSV) ─► prepare (local rules) ─► execute (validate | plan | send) ─► sink (results, errors, journal)
 *
 * Rows are pulled with `for await`, so the file is read only as fast as rows are executed: the
 * send executor waits for a request permit before it takes a row, and the sink for room in its
 * capped reorder buffer. A bad row is data (a result row); only whole-file and whole-run
 * problems throw. The entry points (entry.ts) pick the executor; this file knows no mode.
 */
import { existsSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { cannotCreate } from '../contact/fields.js';
import { openCsv, type CsvHeader, type CsvRecord, type CsvSource } from '../csv/read.js';
import { createRunControl, type RunControl, type Stopped } from './control.js';
import type { Executor, ExecutorContext, ExecutorResult } from './executor.js';
import { acquireLock, checkWritable, countAnswered, removeStaleTemporaries } from './guards.js';
import { NothingToResumeError, UnfinishedRunError } from '../errors.js';
import { skippedRow, type PreparedRow } from './outcomes.js';
import { resolveJournalPath, type RunMode } from './paths.js';
import { inputFormat, resolveRunOutputs, writeFailedHint } from './outputs.js';
import type { NamedFile } from '../csv/targets.js';
import type { FileError } from '../errors.js';
import { runPrePass, createPreparer, csvOptions, isPrepared, missingForCreate, systemIdCell } from './prepare.js';
import { mergeOverrides } from './override-store.js';
import type { ResultRow } from './results.js';
import { countBad } from './statuses.js';
import { openResume, reusedRow, type ResumeState } from './resume.js';
import { createResultsSink, type ResultsSink } from './sink.js';
import type { LaterRows } from './person-index.js';

import type { InputOptions, OutputOptions, RowRuleOptions, RunCallbacks, RunSummary } from './run-types.js';

/** What an entry point tells the pipeline. */
export interface PipelineSpec {
  mode: RunMode;
  options: InputOptions & OutputOptions & RunCallbacks & RowRuleOptions;
  isDelete: boolean;
  /** Sends requests: a journal, resume and the unfinished-run guard apply. */
  sending: boolean;
  resume?: boolean | undefined;
  /** Discard an unfinished run's journal and start again. */
  restart?: boolean | undefined;
  /** More files the run will write (the undo files): checked before anything is sent. */
  outputs?: readonly NamedFile[] | undefined;
  /** May load what it needs first: only executors that send load the HTTP client. */
  createExecutor(ctx: ExecutorContext): Executor | Promise<Executor>;
}

/** The unfinished-run guard and resume (README, "Resume"). */
async function openEarlierRun(
  spec: PipelineSpec,
  paths: { resultsPath: string; errorsPath: string; journalPath: string },
  header: CsvHeader,
): Promise<ResumeState | undefined> {
  const { resultsPath, errorsPath, journalPath } = paths;
  const journalExists = existsSync(journalPath);
  if (spec.resume === true) {
    if (!existsSync(resultsPath) && !journalExists) throw new NothingToResumeError(resultsPath);
    return openResume({
      resultsPath,
      journalPath,
      errorsPath,
      columns: header.columns,
      systemIdIndex: header.fields.system_id ?? 0,
      kind: spec.isDelete ? 'delete' : 'import',
      format: header.format,
    });
  }
  if (journalExists) {
    if (spec.restart !== true) throw new UnfinishedRunError(journalPath, await countAnswered(resultsPath, journalPath));
    rmSync(journalPath, { force: true });
  }
  return undefined;
}

export async function runPipeline(spec: PipelineSpec): Promise<RunSummary> {
  const started = performance.now();
  const { mode, options } = spec;
  // Before the input is read: an output that is the input would destroy it (outputs.ts).
  const others = [...(spec.outputs ?? []), ...(options.otherOutputs ?? [])];
  const outputs = resolveRunOutputs({
    mode,
    input: options.input,
    format: await inputFormat(options.input),
    results: options.results,
    errors: options.errors,
    sending: spec.sending,
    resume: spec.resume === true,
    others,
  });
  const source: CsvSource = await openCsv(options.input, csvOptions(options));
  let release: (() => void) | undefined;
  let summary: RunSummary | undefined;
  let sink: ResultsSink | undefined;
  let executor: Executor | undefined;
  let resume: ResumeState | undefined;
  let control: RunControl | undefined;
  let progress: ReturnType<typeof createProgress> | undefined;
  try {
    const { header } = source;
    const { resultsPath, errorsPath } = outputs;
    const journalPath = outputs.journalPath ?? resolveJournalPath(resultsPath);
    for (const path of [resultsPath, errorsPath, ...others.map((o) => o.path)]) checkWritable(path);
    // Nothing beside a FIFO or a device: no lock, and no temporaries to look for (csv/targets.ts).
    if (outputs.lockable) {
      release = acquireLock(resultsPath);
      removeStaleTemporaries([resultsPath, ...(outputs.errorsRemovable ? [errorsPath] : [])]);
    }
    resume =
      spec.sending && outputs.journalPath !== undefined
        ? await openEarlierRun(spec, { resultsPath, errorsPath, journalPath }, header)
        : undefined;
    options.onStart?.({ header, bytesTotal: source.bytesTotal });
    const missing = spec.isDelete ? [] : missingForCreate(header, options.fields);
    if (missing.length > 0) options.onWarning?.(cannotCreate(missing));

    const runControl = (control = createRunControl(options.signal));
    const runSink = (sink = createResultsSink({
      resultsPath: outputs.sinkResultsPath,
      errorsPath: outputs.sinkErrorsPath,
      columns: header.columns,
      sheetName: header.sheet,
      journalPath: outputs.journalPath,
      untilAnswer: outputs.journalPath !== undefined,
      reorderCap: options.reorderCap,
      atomic: resume !== undefined,
      onRow: (row, replaces) => {
        options.onRow?.(row, replaces);
        progress?.maybe();
      },
      onFailure: (error) => runControl.stop('write_failed', error.message, writeFailedHint(error, outputs.journalPath)),
    }));
    // Which rows a later row of the same system_id follows: known once the pre-pass below has
    // read the file, which is before the first row; until then every row counts as followed.
    let learnt: LaterRows | undefined = undefined;
    const later: LaterRows | undefined =
      spec.mode === 'dry-run' ? undefined : { hasLater: (seq) => learnt?.hasLater(seq) ?? true };
    const run = (executor = await spec.createExecutor({ sink: runSink, control: runControl, header, later }));
    progress = createProgress(options, source, runSink, run);
    const rules = {
      header,
      isDelete: spec.isDelete,
      fields: options.fields,
      empty: options.empty,
      nullToken: options.nullToken,
      defaultCountry: options.defaultCountry,
      where: options.where,
      fixMissingPlus: options.fixMissingPlus,
      rowsAtMost: source.rowsAtMost,
    };
    // A dry run checks one system_id, two people in its one pass; a run that sends or predicts reads the file first,
    // without pre-scanning it again: the first open's verdict holds while the file is the same one.
    const prepassInput = spec.mode === 'dry-run' ? undefined : { ...options, prescanned: source.prescan };
    const prepass = await runPrePass(prepassInput, rules, run.prepass);
    learnt = prepass.later;
    const preparer = createPreparer({ ...rules, people: prepass.people });

    await run.start();
    const counts = await readRows({
      options,
      source,
      header,
      sink: runSink,
      control: runControl,
      executor: run,
      resume,
      prepare: (record, seq) => preparer.prepare(record, seq),
      warm: (batch) => preparer.warm(batch),
    });
    const { overrides: executorOverrides, ...facts } = await run.finish();
    const overrides = mergeOverrides(executorOverrides, preparer.overrides());
    try {
      // Stopped before any answer (a 401, a server that is not the API): the earlier results stay.
      await runSink.end({
        keepJournal: runControl.stopped() !== undefined,
        discardUnanswered: runControl.stopped() !== undefined,
      });
      await runSink.rewrite(overrides);
    } finally {
      overrides.dispose?.();
    }
    progress.maybe(true);
    // No error rows: remove the header-only file, so an errors file from an earlier run at this
    // path is never left behind looking current (README, "The errors file").
    if (outputs.errorsRemovable && runSink.published() && countBad(runSink.tally.counts) === 0)
      await rm(errorsPath, { force: true });
    if (runSink.failure() === undefined) {
      // A FIFO or a device gets its copy now; a failed copy is never reported as success.
      await outputs.deliver().catch((error: FileError) => {
        runControl.stop('write_failed', error.message, writeFailedHint(error, undefined));
      });
    }

    summary = buildSummary({
      spec,
      header,
      paths: { resultsPath, errorsPath, journalPath },
      sink: runSink,
      stopped: runControl.stopped(),
      started,
      reused: counts.reused,
      retries: run.stats().retries,
      facts,
    });
    if (!runSink.published()) summary.resultsWritten = false;
    return summary;
  } finally {
    control?.dispose();
    progress?.dispose();
    source.close();
    resume?.close();
    await executor?.close();
    if (summary === undefined) await sink?.end({ keepJournal: true, discardUnanswered: true });
    release?.();
    outputs.dispose();
  }
}

function buildSummary(ctx: {
  spec: PipelineSpec;
  header: CsvHeader;
  paths: { resultsPath: string; errorsPath: string; journalPath: string };
  sink: ResultsSink;
  stopped: Stopped | undefined;
  started: number;
  reused: number;
  retries: number;
  /** The executor's own facts (kept empty cells, a sync's state…): the summary is built once, here. */
  facts: Omit<ExecutorResult, 'overrides'>;
}): RunSummary {
  const { spec, sink, stopped, header } = ctx;
  const elapsedMs = performance.now() - ctx.started;
  return {
    mode: spec.mode,
    input: spec.options.input,
    format: header.format,
    resultsPath: ctx.paths.resultsPath,
    errorsPath: ctx.paths.errorsPath,
    journalPath: stopped !== undefined && sink.journaled() ? ctx.paths.journalPath : undefined,
    rows: sink.tally.rows,
    counts: { ...sink.tally.counts },
    errorGroups: sink.tally.sortedGroups(),
    warnings: sink.tally.warnings,
    warningGroups: sink.tally.sortedWarningGroups(),
    retries: ctx.retries,
    elapsedMs,
    rowsPerSecond: sink.tally.rows / Math.max(elapsedMs / 1000, 1e-3),
    reused: ctx.reused,
    stopped,
    missingForCreate: spec.isDelete ? undefined : missingForCreate(header, spec.options.fields),
    unmappedColumns: spec.isDelete
      ? []
      : header.mapping.unsent.map((u) => (u.label.startsWith('"') ? (header.columns[u.column] ?? '') : u.label)),
    ...ctx.facts,
  };
}

/** The read → prepare → execute loop; returns how many rows came from the earlier run. */
async function readRows(ctx: {
  options: InputOptions;
  source: CsvSource;
  header: CsvHeader;
  sink: ResultsSink;
  control: RunControl;
  executor: Executor;
  resume: ResumeState | undefined;
  prepare: (record: CsvRecord, seq: number) => PreparedRow | ResultRow;
  warm: (batch: readonly CsvRecord[]) => void;
}): Promise<{ reused: number }> {
  const { options, sink, control, executor, resume } = ctx;
  let seq = 0;
  let reused = 0;
  // Records come in batches of what the parser has ready: one await per batch, not per row, and
  // none for a step that has nothing to wait for (an await of nothing still costs a turn).
  let wait: Promise<void> | undefined;
  reading: for await (const batch of ctx.source.batches) {
    ctx.warm(batch);
    for (const record of batch) {
      if (options.limit !== undefined && seq >= options.limit) break reading;
      // A results file that cannot be written ends the reading: no row could be recorded.
      if (sink.failure() !== undefined) break reading;
      const rowSeq = seq++;
      const prepared = ctx.prepare(record, rowSeq);
      const previous =
        resume === undefined ? undefined : await resume.take(rowSeq, systemIdCell(ctx.header, record), record.line);
      const reuse = previous === undefined ? undefined : reusedRow(prepared, previous);
      if (reuse !== undefined) {
        reused++;
        wait = sink.put(reuse);
      } else if (!isPrepared(prepared)) {
        wait = sink.put(prepared);
      } else if (control.stopped() !== undefined) {
        wait = sink.put(skippedRow(prepared));
      } else {
        wait = sink.whenRoom();
        if (wait !== undefined) await wait;
        // Its earlier attempt may have been applied: a DELETE's 404 is then no proof of "not found".
        wait = executor.execute(resume?.sentBefore(rowSeq) === true ? { ...prepared, sentBefore: true } : prepared);
      }
      if (wait !== undefined) await wait;
    }
  }
  return { reused };
}

/** How often progress is reported, at most. */
const PROGRESS_MS = 100;

function createProgress(options: RunCallbacks, source: CsvSource, sink: ResultsSink, executor: Executor) {
  // A timer marks a report due, rather than a clock read on every row of a million-row file. A
  // run yields to the event loop at least once a batch of records, so the timer gets its turn.
  let due = true;
  const timer = options.onProgress === undefined ? undefined : setInterval(() => (due = true), PROGRESS_MS).unref();
  return {
    maybe(force = false): void {
      if (options.onProgress === undefined || (!force && !due)) return;
      due = false;
      const stats = executor.stats();
      options.onProgress({
        rowsRead: sink.written() + sink.buffered(),
        rowsWritten: sink.written(),
        bytesRead: source.bytesRead(),
        bytesTotal: source.bytesTotal,
        failed: countBad(sink.tally.counts),
        retries: stats.retries,
        inFlight: stats.inFlight,
        window: stats.window,
      });
    },
    dispose(): void {
      clearInterval(timer);
    },
  };
}
