/**
 * What `import` and `delete` share once flags are parsed: progress, Ctrl-C, the summary,
 * and the exit code. Both call the same library pipeline.
 */
import { runImport, type RunOptions, type RunSummary } from '../import/pipeline.js';
import { resolveExitCode } from '../import/exit.js';
import { createReportCollector } from '../report/collect.js';
import { writeHtmlReport } from '../report/html.js';
import { createProgressReporter } from '../report/progress.js';
import { formatStopped, formatSummary, nextCommand, summaryToJson, type Rerun } from '../report/summary.js';
import { createStyles, resolveColor } from '../report/styles.js';
import { formatMapping } from './mapping.js';
import { createInterruptHandler, type OutputArgs } from './options.js';

export interface RunExtras {
  /** `--report`: also write the HTML report here. */
  report?: string | undefined;
  /** How to start the next run, for `Next:` (and the report's "Next step"). */
  rerun?: Rerun | undefined;
}

export async function runRowsAndReport(options: Omit<RunOptions, 'signal' | 'onProgress'>, output: OutputArgs, extras: RunExtras = {}): Promise<void> {
  const silent = output.quiet === true || output.json === true;
  // The report reads every row as data as it is written: counts, codes, a capped table.
  const collector = extras.report === undefined ? undefined : createReportCollector();
  const progress = createProgressReporter({ silent });
  const interrupt = createInterruptHandler(() => {
    progress.stop();
    process.stderr.write('\nstopping: no new requests; letting those in flight finish (Ctrl-C again to quit at once)\n');
  });
  let summary: RunSummary;
  try {
    summary = await runImport({
      ...options,
      signal: interrupt.signal,
      onProgress: (p) => progress.update(p),
      onStart: (info) => {
        collector?.useHeader(info.header);
        if (output.quiet !== true && !options.mode.startsWith('delete')) process.stderr.write(formatMapping(info.header.mapping));
        options.onStart?.(info);
      },
      onWarning: (message) => process.stderr.write(`warning: ${message}\n`),
      ...(collector === undefined ? {} : { onRow: collector.onRow }),
      ...(output.verbose === true
        ? {
            onRetry: (event) => {
              const reason = typeof event.reason === 'number' ? `HTTP ${event.reason}` : event.reason;
              process.stderr.write(`retry: ${event.method} ${event.systemId ?? ''} attempt ${event.attempt} got ${reason}; waiting ${event.waitMs} ms\n`);
            },
          }
        : {}),
    });
  } finally {
    progress.stop();
    interrupt.dispose();
  }
  const extra =
    extras.report === undefined || collector === undefined
      ? undefined
      : `Report:  ${(await writeHtmlReport({ summary, collected: collector, outPath: extras.report, next: nextCommand(summary, extras.rerun) })).path}`;
  const code = resolveExitCode(summary);
  if (output.json === true) {
    process.stdout.write(summaryToJson(summary, extras.rerun));
  } else if (output.quiet !== true) {
    process.stderr.write(formatStopped(summary, createStyles(resolveColor(process.stderr))));
    process.stdout.write(formatSummary(summary, createStyles(resolveColor(process.stdout)), extras.rerun, { width: process.stdout.isTTY === true ? process.stdout.columns : undefined }));
    if (extra !== undefined) process.stdout.write(`${extra}\n`);
  } else if (code !== 0) {
    const bad = summary.counts.invalid + summary.counts.failed + summary.counts['would-fail'];
    process.stderr.write(`${summary.stopped?.message ?? `${bad} rows invalid or failed`}; see ${summary.resultsPath}\n`);
  }
  process.exitCode = Math.max(Number(process.exitCode ?? 0), code);
}
