/**
 * What `import` and `delete` share once flags are parsed: progress, Ctrl-C, the summary,
 * and the exit code. Both call the same library pipeline.
 */
import { DEFAULTS } from '../defaults.js';
import { runImport, type RunOptions } from '../run/entry.js';
import type { RunSummary } from '../run/run-types.js';
import { resolveExitCode } from '../run/exit.js';
import { countBad } from '../run/statuses.js';
import { createReportCollector } from '../report/collect.js';
import { FileError } from '../errors.js';
import { writeFailure } from '../errno.js';
import { writeHtmlReport } from '../report/html.js';
import { createProgressReporter } from '../report/progress.js';
import { formatStopped, formatSummary, nextCommand, summaryToJson } from '../report/summary.js';
import { rerunCommand, type Rerun } from '../shell.js';
import { createStyles, resolveColor } from '../report/styles.js';
import { formatMapping } from './mapping.js';
import type { OutputArgs } from './options.js';
import { createInterruptHandler } from './signals.js';
import { CLI_HINTS, CLI_LINES } from './words.js';

export interface RunExtras {
  /** `--report`: also write the HTML report here. */
  report?: string | undefined;
  /** How to start the next run, for `Next:` (and the report's "Next step"). */
  rerun?: Rerun | undefined;
}

/**
 * The library's guards name files and counts; the CLI adds which flag to use, as commands that can
 * be pasted, by the error's code.
 */
export function runHint(code: string, verb: 'import' | 'delete', input: string, rerun: Rerun): string | undefined {
  const command = (extra: readonly string[]): string =>
    rerunCommand(rerun, verb, input, [...extra, ...(rerun.resumeFlags ?? [])]);
  if (code === 'unfinished_run') return CLI_HINTS.resumeOrRestart(command(['--resume']), command(['--restart']));
  if (code === 'nothing_to_resume') return CLI_HINTS.nothingToResume();
  return undefined;
}

export async function runRowsAndReport(
  options: Omit<RunOptions, 'signal' | 'onProgress'>,
  output: OutputArgs,
  extras: RunExtras = {},
): Promise<number> {
  const silent = output.quiet === true || output.json === true;
  // The report reads every row as data as it is written: counts, codes, a capped table.
  const collector = extras.report === undefined ? undefined : createReportCollector();
  const progress = createProgressReporter({ silent });
  const interrupt = createInterruptHandler({
    onFirst: () => {
      progress.stop();
      process.stderr.write(`\n${CLI_LINES.stopping(DEFAULTS.graceMs / 1000)}\n`);
    },
    secondMessage: CLI_LINES.secondInterruptRun(),
  });
  let summary: RunSummary;
  try {
    summary = await runImport({
      ...options,
      // Checked with the run's own outputs, before the input is read: never the input, never another output.
      ...(extras.report === undefined ? {} : { otherOutputs: [{ label: 'the report', path: extras.report }] }),
      signal: interrupt.signal,
      onProgress: (p) => progress.update(p),
      onStart: (info) => {
        collector?.useHeader(info.header);
        if (output.quiet !== true && !options.mode.startsWith('delete'))
          process.stderr.write(formatMapping(info.header.mapping));
        options.onStart?.(info);
      },
      onWarning: (message) => process.stderr.write(`warning: ${message}\n`),
      ...(collector === undefined ? {} : { onRow: collector.onRow }),
      ...(output.verbose === true
        ? {
            onRetry: (event) => {
              const request = `${event.method} ${event.systemId ?? ''}`;
              process.stderr.write(`${CLI_LINES.retry(request, event.attempt, event.reason, event.waitMs)}\n`);
            },
          }
        : {}),
    });
  } finally {
    progress.stop();
    interrupt.dispose();
  }
  let extra: string | undefined;
  let lateFailure: FileError | undefined;
  if (extras.report !== undefined && collector !== undefined) {
    try {
      extra = `Report:  ${(await writeHtmlReport({ summary, collected: collector, outPath: extras.report, next: nextCommand(summary, extras.rerun) })).path}`;
    } catch (error) {
      // The summary is printed whatever happens to the report.
      lateFailure = writeFailure(extras.report, error);
    }
  }
  const code = resolveExitCode(summary);
  if (output.json === true) {
    process.stdout.write(summaryToJson(summary, extras.rerun));
  } else if (output.quiet !== true) {
    process.stderr.write(formatStopped(summary, createStyles(resolveColor(process.stderr))));
    process.stdout.write(
      formatSummary(summary, createStyles(resolveColor(process.stdout)), extras.rerun, {
        width: process.stdout.isTTY === true ? process.stdout.columns : undefined,
      }),
    );
    if (extra !== undefined) process.stdout.write(`${extra}\n`);
  } else if (code !== 0) {
    const bad = countBad(summary.counts);
    process.stderr.write(`${summary.stopped?.message ?? CLI_LINES.badRows(bad)}; see ${summary.resultsPath}\n`);
  }
  // A results file that could not be written: the summary above says what was done; this line says why it stopped.
  // The one hint is the stop's own (error-messages.ts, HINTS.writeFailed), already printed on the
  // `stopped:` line unless --quiet or --json kept that line back.
  if (summary.stopped?.reason === 'write_failed')
    throw new FileError(summary.stopped.message, {
      hint:
        summary.journalPath === undefined || (output.quiet !== true && output.json !== true)
          ? undefined
          : summary.stopped.hint,
    });
  if (lateFailure !== undefined) throw lateFailure;
  return code;
}
