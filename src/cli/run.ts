/**
 * What `import` and `delete` share once flags are parsed: progress, Ctrl-C, the summary,
 * and the exit code. Both call the same library pipeline.
 */
import { runImport, type RunOptions, type RunSummary } from '../import/pipeline.js';
import { resolveExitCode } from '../import/exit.js';
import { createProgressReporter } from '../report/progress.js';
import { formatSummary, summaryToJson } from '../report/summary.js';
import { createStyles, resolveColor } from '../report/styles.js';
import { createInterruptHandler, type OutputArgs } from './options.js';

export interface RunHooks {
  /** After the run, before the summary is printed (e.g. writing an HTML report). */
  afterRun?: (summary: RunSummary) => Promise<string | undefined>;
}

export async function runRowsAndReport(options: Omit<RunOptions, 'signal' | 'onProgress'>, output: OutputArgs, hooks: RunHooks = {}): Promise<void> {
  const silent = output.quiet === true || output.json === true;
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
  const extra = await hooks.afterRun?.(summary);
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
