/**
 * What `import` and `delete` share once flags are parsed: progress, Ctrl-C, the summary,
 * and the exit code. Both call the same library pipeline.
 */
import { runImport, type RunOptions } from '../import/entry.js';
import type { RunSummary } from '../import/pipeline.js';
import { resolveExitCode } from '../import/exit.js';
import { checkWritable, NothingToResumeError, UnfinishedRunError } from '../import/guards.js';
import { FileError, UsageError } from '../errors.js';
import { writeHtmlReport } from '../report/html.js';
import { createProgressReporter } from '../report/progress.js';
import { formatSummary, summaryToJson } from '../report/summary.js';
import { createStyles, resolveColor } from '../report/styles.js';
import { createInterruptHandler, type OutputArgs } from './options.js';

export interface RunExtras {
  /** `--report`: also write the HTML report here. */
  report?: string | undefined;
}

/** Line numbers by row, four bytes a row, for the report's problem table. */
function createLineIndex(): { set(seq: number, line: number): void; get(seq: number): number } {
  let lines = new Int32Array(4096);
  return {
    set(seq, line) {
      if (seq >= lines.length) {
        const grown = new Int32Array(Math.max(seq + 1, lines.length * 2));
        grown.set(lines);
        lines = grown;
      }
      lines[seq] = line;
    },
    get: (seq) => lines[seq] ?? seq + 2,
  };
}

/** The library's guards name files and counts; the CLI adds which flag to use. */
function withFlags(error: unknown, command: string): unknown {
  if (error instanceof UnfinishedRunError) {
    return new UsageError(error.message, { hint: `add --resume to continue it (only rows without an answer are sent), or --restart to discard those answers and send every row again: ${command}` });
  }
  if (error instanceof NothingToResumeError) {
    return new UsageError(error.message, { hint: 'run without --resume to start; with --results, name the results file of the run to continue' });
  }
  return error;
}

export async function runRowsAndReport(options: Omit<RunOptions, 'signal' | 'onProgress'>, output: OutputArgs, extras: RunExtras = {}): Promise<void> {
  const silent = output.quiet === true || output.json === true;
  // Every output path is checked before the first request; the library checks its own.
  if (extras.report !== undefined) checkWritable(extras.report);
  const lines = extras.report === undefined ? undefined : createLineIndex();
  let systemIdColumn: number | undefined;
  const progress = createProgressReporter({ silent });
  const interrupt = createInterruptHandler(() => {
    progress.stop();
    process.stderr.write('\nstopping: no new requests; those in flight get 2 s to finish (Ctrl-C again to quit at once)\n');
  });
  let summary: RunSummary;
  try {
    summary = await runImport({
      ...options,
      signal: interrupt.signal,
      onProgress: (p) => progress.update(p),
      onStart: (info) => {
        systemIdColumn = info.header.fields.system_id;
        options.onStart?.(info);
      },
      onWarning: (message) => process.stderr.write(`warning: ${message}\n`),
      ...(lines === undefined ? {} : { onRow: (row) => lines.set(row.seq, row.line) }),
      ...(output.verbose === true
        ? {
            onRetry: (event) => {
              const reason = typeof event.reason === 'number' ? `HTTP ${event.reason}` : event.reason;
              process.stderr.write(`retry: ${event.method} ${event.systemId ?? ''} attempt ${event.attempt} got ${reason}; waiting ${event.waitMs} ms\n`);
            },
          }
        : {}),
    });
  } catch (error) {
    throw withFlags(error, `ciopulse-contacts ${options.mode.startsWith('delete') ? 'delete' : 'import'} ${options.input} --resume`);
  } finally {
    progress.stop();
    interrupt.dispose();
  }
  let extra: string | undefined;
  let lateFailure: FileError | undefined;
  if (extras.report !== undefined) {
    try {
      extra = `Report:  ${(await writeHtmlReport({ summary, resultsPath: summary.resultsPath, outPath: extras.report, systemIdColumn, lineOf: (i) => lines?.get(i) ?? i + 2 })).path}`;
    } catch (error) {
      // The summary is printed whatever happens to the report.
      lateFailure = error instanceof FileError ? error : new FileError(`cannot write ${extras.report}: ${error instanceof Error ? error.message : String(error)}`, { file: extras.report });
    }
  }
  const code = resolveExitCode(summary);
  if (output.json === true) {
    process.stdout.write(summaryToJson(summary));
  } else if (output.quiet !== true) {
    process.stdout.write(formatSummary(summary, createStyles(resolveColor(process.stdout))));
    if (extra !== undefined) process.stdout.write(`${extra}\n`);
  } else if (code !== 0) {
    const bad = summary.counts.invalid + summary.counts.failed + summary.counts.uncertain + summary.counts['would-fail'];
    process.stderr.write(`${summary.stopped?.message ?? `${bad} rows invalid, failed or uncertain`}; see ${summary.resultsPath}\n`);
  }
  process.exitCode = Math.max(Number(process.exitCode ?? 0), code);
  // A results file that could not be written: the summary above says what was done; this line says why it stopped.
  if (summary.stopped?.reason === 'write_failed') throw new FileError(summary.stopped.message, { hint: summary.journalPath === undefined ? undefined : `the journal ${summary.journalPath} is kept: free some space, then run again with --resume` });
  if (lateFailure !== undefined) throw lateFailure;
}
