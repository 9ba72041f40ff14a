/**
 * What `import` and `delete` share once flags are parsed: progress, Ctrl-C, the summary,
 * and the exit code. Both call the same library pipeline.
 */
import { runImport, type RunOptions, type RunSummary } from '../import/pipeline.js';
import { resolveExitCode } from '../import/exit.js';
import { writeHtmlReport } from '../report/html.js';
import { createProgressReporter } from '../report/progress.js';
import { formatSummary, summaryToJson } from '../report/summary.js';
import { createStyles, resolveColor } from '../report/styles.js';
import type { OutputArgs } from './options.js';
import { createInterruptHandler } from './signals.js';

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

export async function runRowsAndReport(options: Omit<RunOptions, 'signal' | 'onProgress'>, output: OutputArgs, extras: RunExtras = {}): Promise<void> {
  const silent = output.quiet === true || output.json === true;
  const lines = extras.report === undefined ? undefined : createLineIndex();
  let systemIdColumn: number | undefined;
  const progress = createProgressReporter({ silent });
  const interrupt = createInterruptHandler({
    onFirst: () => {
      progress.stop();
      process.stderr.write('\nstopping: no new requests; letting those in flight finish (Ctrl-C again to quit at once)\n');
    },
    secondMessage: 'second interrupt: exiting now; run again with --resume to continue',
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
  } finally {
    progress.stop();
    interrupt.dispose();
  }
  const extra =
    extras.report === undefined
      ? undefined
      : `Report:  ${(await writeHtmlReport({ summary, resultsPath: summary.resultsPath, outPath: extras.report, systemIdColumn, lineOf: (i) => lines?.get(i) ?? i + 2 })).path}`;
  const code = resolveExitCode(summary);
  if (output.json === true) {
    process.stdout.write(summaryToJson(summary));
  } else if (output.quiet !== true) {
    process.stdout.write(formatSummary(summary, createStyles(resolveColor(process.stdout))));
    if (extra !== undefined) process.stdout.write(`${extra}\n`);
  } else if (code !== 0) {
    const bad = summary.counts.invalid + summary.counts.failed + summary.counts['would-fail'];
    process.stderr.write(`${summary.stopped?.message ?? `${bad} rows invalid or failed`}; see ${summary.resultsPath}\n`);
  }
  process.exitCode = Math.max(Number(process.exitCode ?? 0), code);
}
