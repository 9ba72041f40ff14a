/**
 * A CLI run against the emulator process with its requests counted: the emulator's counters are
 * zeroed, the run writes its results to scratch paths and its summary as JSON, then the counters
 * are read. Shared by the sections whose targets are request counts (changed-only, sync).
 */
import { expectExit } from './context.mjs';
import { parseJsonOutput } from './measure.mjs';
import { fmt } from './report.mjs';

export async function countedRun(ctx, emulator, args, { name, concurrency }) {
  await emulator.resetStats();
  const results = ctx.out(`${name}.results.csv`);
  const errors = ctx.out(`${name}.errors.csv`);
  const all = [...args, '--concurrency', String(concurrency), '--json', '--results', results, '--errors', errors];
  const run = expectExit(await ctx.runCli(all, emulator.env), args.join(' '));
  const summary = parseJsonOutput(run.stdout);
  const stats = await emulator.stats();
  ctx.clean(results, errors);
  return { summary, stats, wallMs: run.wallMs, rssMb: run.maxRssMb, cpuS: run.cpuS };
}

export const requestsOf = (stats) => Object.values(stats.byMethod).reduce((a, b) => a + b, 0);

export const describeRequests = (stats) =>
  Object.entries(stats.byMethod)
    .map(([m, n]) => `${fmt(n)} ${m}`)
    .join(' + ');

/** `1,000 updated, 99,000 unchanged`: a summary's non-zero counts. */
export const describeCounts = (summary) =>
  Object.entries(summary.counts)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${fmt(n)} ${status}`)
    .join(', ');
