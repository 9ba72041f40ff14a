/**
 * #6 Start-up: what every invocation pays before it reads a row, as whole-process wall time
 * (spawn to exit), the way a user feels it.
 *
 * - `node -e 0`, `--help`, a one-row `import --dry-run` and a one-row import against the emulator
 *   (no latency) run in rotating order, `reps` times each; each target is on the median. The
 *   same `--help` through `npm run cli --` and `npx` (in the checkout) is reported beside them.
 * - A 4,000-row import at --concurrency 16 against an emulator with --latency 20, against
 *   bench/keepalive-client.mjs (node:http, keep-alive Agent) making the same PUTs: whole
 *   process both, alternating, so the fixed cost shows as a throughput ratio.
 *
 * Every import gets rows with a system_id and email prefix of its own, so each creates contacts.
 */
import { loadavg } from 'node:os';
import { ensureCsv } from '../data.mjs';
import { expectExit } from '../context.mjs';
import { startEmulatorProcess } from '../emulator.mjs';
import { childEnv, median, parseJsonOutput, runMeasured } from '../measure.mjs';
import { fmt } from '../report.mjs';

const DRY_TARGET_S = 0.3;
const DRY_NODE_MULTIPLE = 6;
const IMPORT_TARGET_S = 0.4;
const HELP_TARGET_S = 0.2;
const LATENCY_RATIO_TARGET = 0.92;

async function oneRowImport(ctx, emulator, prefix) {
  const file = ensureCsv(ctx.dataDir, { rows: 1, prefix });
  const results = ctx.out(`startup-${prefix}.results.csv`);
  const errors = ctx.out(`startup-${prefix}.errors.csv`);
  const run = expectExit(
    await ctx.runCli(['import', file, '--quiet', '--results', results, '--errors', errors], emulator.env),
    'one-row import',
  );
  ctx.clean(results, errors, file);
  return run.wallMs;
}

async function shortCommands(ctx, reps, launchers) {
  const emulator = await startEmulatorProcess({ cli: ctx.cli });
  const dryFile = ensureCsv(ctx.dataDir, { rows: 1, prefix: 'D' });
  const dryResults = ctx.out('startup-dry.dryrun.csv');
  const dryErrors = ctx.out('startup-dry.errors.csv');
  const kinds = {
    node: async () =>
      expectExit(await runMeasured(process.execPath, ['-e', '0'], { env: childEnv() }), 'node -e 0').wallMs,
    help: async () => expectExit(await ctx.runCli(['--help']), '--help').wallMs,
    dry: async () =>
      expectExit(
        await ctx.runCli(['import', dryFile, '--dry-run', '--quiet', '--results', dryResults, '--errors', dryErrors]),
        'one-row dry run',
      ).wallMs,
    import: (rep) => oneRowImport(ctx, emulator, `S${process.pid}x${rep}`),
  };
  // What the README's "In a checkout" compares: the launchers around the same `--help` (full
  // runs only: npx alone takes seconds on a busy machine).
  if (launchers) {
    kinds.npmRun = async () =>
      expectExit(
        await runMeasured('npm', ['run', '--silent', 'cli', '--', '--help'], { cwd: ctx.root, env: childEnv() }),
        'npm run cli -- --help',
      ).wallMs;
    kinds.npx = async () =>
      expectExit(
        await runMeasured('npx', ['--offline', 'ciopulse-contacts', '--help'], { cwd: ctx.root, env: childEnv() }),
        'npx ciopulse-contacts --help',
      ).wallMs;
  }
  const names = Object.keys(kinds);
  const times = Object.fromEntries(names.map((n) => [n, []]));
  const loads = [];
  try {
    // One warm-up of each (disk cache, the emulator's JIT), not counted; --quick skips it.
    if (!ctx.quick) for (const name of names) await kinds[name]('warm');
    for (let rep = 0; rep < reps; rep++) {
      loads.push(loadavg()[0]);
      for (let k = 0; k < names.length; k++) {
        const name = names[(rep + k) % names.length];
        times[name].push((await kinds[name](rep)) / 1000);
      }
    }
  } finally {
    await emulator.stop();
    ctx.clean(dryResults, dryErrors);
  }
  return { times, loads };
}

async function latencyPair(ctx, emulator, rows, concurrency, rep, which) {
  const prefix = `U${process.pid}${which === 'import' ? 'i' : 'k'}${rep}`;
  const file = ensureCsv(ctx.dataDir, { rows, prefix });
  try {
    if (which === 'import') {
      const results = ctx.out(`startup-lat-${rep}.results.csv`);
      const errors = ctx.out(`startup-lat-${rep}.errors.csv`);
      const run = expectExit(
        await ctx.runCli(
          ['import', file, '--concurrency', String(concurrency), '--json', '--results', results, '--errors', errors],
          emulator.env,
        ),
        'latency import',
      );
      const summary = parseJsonOutput(run.stdout);
      ctx.clean(results, errors);
      if (summary.counts.created !== rows)
        throw new Error(`latency import: ${summary.counts.created} of ${rows} created`);
      return run.wallMs / 1000;
    }
    const run = expectExit(
      await ctx.runScript('keepalive-client.mjs', [file, String(concurrency)], emulator.env),
      'keep-alive client',
    );
    const result = parseJsonOutput(run.stdout);
    if ((result.statuses['201'] ?? 0) !== rows)
      throw new Error(`keep-alive client: statuses ${JSON.stringify(result.statuses)}`);
    return run.wallMs / 1000;
  } finally {
    ctx.clean(file);
  }
}

export async function startupSection(ctx) {
  const { reps, latency, launchers } = ctx.cfg.startup;
  ctx.log(`start-up: node -e 0, --help, one-row dry run and one-row import, ${reps} rotations`);
  const { times, loads } = await shortCommands(ctx, reps, launchers);
  const nodeS = median(times.node);
  const show = (list) => list.map((s) => fmt(s, 2)).join(', ');
  const dryS = median(times.dry);
  ctx.add({
    section: 'startup',
    name: '`node -e 0`',
    value: fmt(nodeS, 3),
    unit: 's',
    reference: 'node itself',
    target: '',
    pass: undefined,
    note: `runs ${show(times.node)} s`,
  });
  ctx.add({
    section: 'startup',
    name: 'one-row `import --dry-run`',
    value: fmt(dryS, 3),
    unit: 's',
    reference: `node -e 0 ${fmt(nodeS, 3)} s`,
    ratio: `${fmt(dryS / nodeS, 1)}×`,
    target: `≤ ${DRY_TARGET_S} s and ≤ ${DRY_NODE_MULTIPLE}×`,
    pass: dryS <= DRY_TARGET_S && dryS / nodeS <= DRY_NODE_MULTIPLE,
    note: `runs ${show(times.dry)} s`,
  });
  const importS = median(times.import);
  ctx.add({
    section: 'startup',
    name: 'one-row import, emulator, no latency',
    value: fmt(importS, 3),
    unit: 's',
    reference: `node -e 0 ${fmt(nodeS, 3)} s`,
    ratio: `${fmt(importS / nodeS, 1)}×`,
    target: `≤ ${IMPORT_TARGET_S} s`,
    pass: importS <= IMPORT_TARGET_S,
    note: `runs ${show(times.import)} s`,
  });
  const helpS = median(times.help);
  ctx.add({
    section: 'startup',
    name: '`--help`',
    value: fmt(helpS, 3),
    unit: 's',
    reference: `node -e 0 ${fmt(nodeS, 3)} s`,
    ratio: `${fmt(helpS / nodeS, 1)}×`,
    target: `≤ ${HELP_TARGET_S} s`,
    pass: helpS <= HELP_TARGET_S,
    note: `runs ${show(times.help)} s`,
  });

  for (const [key, name] of launchers
    ? [
        ['npmRun', '`npm run cli -- --help` (checkout)'],
        ['npx', '`npx ciopulse-contacts --help` (checkout)'],
      ]
    : []) {
    const value = median(times[key]);
    ctx.add({
      section: 'startup',
      name,
      value: fmt(value, 3),
      unit: 's',
      reference: `--help ${fmt(helpS, 3)} s`,
      ratio: `${fmt(value / helpS, 1)}×`,
      target: '',
      pass: undefined,
      note: `runs ${show(times[key])} s`,
    });
  }

  const { rows, concurrency, ms, reps: pairs } = latency;
  ctx.log(
    `start-up: ${fmt(rows)} rows at --concurrency ${concurrency}, --latency ${ms}: import vs. keep-alive client, ${pairs} pairs`,
  );
  const emulator = await startEmulatorProcess({ cli: ctx.cli, latency: ms });
  const imports = [];
  const clients = [];
  try {
    for (let rep = 0; rep < pairs; rep++) {
      const order = rep % 2 === 0 ? ['import', 'client'] : ['client', 'import'];
      for (const which of order)
        (which === 'import' ? imports : clients).push(await latencyPair(ctx, emulator, rows, concurrency, rep, which));
    }
  } finally {
    await emulator.stop();
  }
  // Same rows, so throughput ratio = client time / import time, per adjacent pair.
  const ratios = imports.map((s, i) => clients[i] / s);
  const ratio = median(ratios);
  ctx.add({
    section: 'startup',
    name: `${fmt(rows)} rows, --concurrency ${concurrency}, --latency ${ms}, whole process`,
    value: fmt(median(imports), 2),
    unit: 's',
    reference: `keep-alive node:http client ${fmt(median(clients), 2)} s`,
    ratio: fmt(ratio, 2),
    target: `≥ ${LATENCY_RATIO_TARGET}`,
    pass: ratio >= LATENCY_RATIO_TARGET,
    note: `throughput ratio = client wall time / import wall time, median of ${pairs} alternating pairs (${ratios.map((r) => fmt(r, 2)).join(', ')}); import ${show(imports)} s, client ${show(clients)} s`,
  });
  ctx.detail('Start-up', [
    `- whole-process wall time, spawn to exit, median of ${reps} runs each in rotating order${ctx.quick ? '' : ' (after one warm-up run each)'}; 1-minute load average during the runs: ${loads.map((l) => fmt(l, 2)).join(', ')}`,
    '- `--help` and the dry run load no HTTP client; the one-row import includes its credential-check GET.',
  ]);
}
