/**
 * #4 (export: GET all → CSV) and the `--plan` / `--changed-only` snapshot memory, against an emulator started with
 * `--data` holding the contacts, so no import is needed to fill it.
 */
import { ensureCsv, ensureEmulatorData } from '../data.mjs';
import { expectExit } from '../context.mjs';
import { startEmulatorProcess } from '../emulator.mjs';
import { median, parseJsonOutput } from '../measure.mjs';
import { fmt } from '../report.mjs';

const SEED = 7;
const PREFIX = 'X';

async function exportRun(ctx, emulator, rep) {
  const out = ctx.out(`export-${rep}.csv`);
  const run = expectExit(await ctx.runCli(['export', '--out', out, '--json'], emulator.env), 'export');
  const summary = parseJsonOutput(run.stdout);
  ctx.clean(out);
  return { rows: summary.rows, elapsedMs: summary.elapsedMs, wallMs: run.wallMs, rssMb: run.maxRssMb, cpuS: run.cpuS };
}

async function baselineRun(ctx, emulator, rep) {
  const out = ctx.out(`export-baseline-${rep}.csv`);
  const run = expectExit(await ctx.runScript('export-baseline.mjs', [out], emulator.env), 'export baseline');
  const result = parseJsonOutput(run.stdout);
  ctx.clean(out);
  return { rows: result.rows, elapsedMs: result.elapsedMs, wallMs: run.wallMs, rssMb: run.maxRssMb, cpuS: run.cpuS };
}

export async function exportSection(ctx) {
  const { contacts, reps, planRows } = ctx.cfg.export;
  ctx.log(`data: emulator file with ${fmt(contacts)} contacts`);
  const data = ensureEmulatorData(ctx.dataDir, { rows: contacts, prefix: PREFIX, seed: SEED });
  const emulator = await startEmulatorProcess({ cli: ctx.cli, data });
  try {
    const exports = [];
    const baselines = [];
    for (let rep = 0; rep < reps; rep++) {
      const order = rep % 2 === 0 ? ['export', 'baseline'] : ['baseline', 'export'];
      for (const which of order) {
        ctx.log(
          `${which === 'export' ? 'export' : 'JSON.parse + csv-stringify baseline'} of ${fmt(contacts)} contacts (${rep + 1}/${reps})`,
        );
        if (which === 'export') exports.push(await exportRun(ctx, emulator, rep));
        else baselines.push(await baselineRun(ctx, emulator, rep));
      }
    }
    for (const run of [...exports, ...baselines]) {
      if (run.rows !== contacts) throw new Error(`export read ${run.rows} contacts, expected ${contacts}`);
    }
    const seconds = median(exports.map((r) => r.elapsedMs / 1000));
    const baseSeconds = median(baselines.map((r) => r.elapsedMs / 1000));
    const rss = median(exports.map((r) => r.rssMb));
    const baseRss = median(baselines.map((r) => r.rssMb));
    ctx.add({
      section: 'export',
      name: `export of ${fmt(contacts)} contacts: time`,
      value: fmt(seconds, 2),
      unit: 's',
      reference: `JSON.parse + csv-stringify ${fmt(baseSeconds, 2)} s`,
      ratio: fmt(seconds / baseSeconds, 2),
      target: '',
      pass: undefined,
      note: `in-run time (GET sent → CSV renamed into place); process wall ${fmt(median(exports.map((r) => r.wallMs / 1000)), 2)} s vs ${fmt(median(baselines.map((r) => r.wallMs / 1000)), 2)} s; median of ${reps}`,
    });
    ctx.add({
      section: 'export',
      name: `export of ${fmt(contacts)} contacts: peak RSS`,
      value: fmt(rss),
      unit: 'MB',
      reference: `JSON.parse + csv-stringify ${fmt(baseRss)} MB`,
      ratio: fmt(rss / baseRss, 2),
      target: '',
      pass: undefined,
    });

    ctx.log(`plan snapshot memory at ${fmt(contacts)} contacts`);
    const probe = parseJsonOutput(
      expectExit(await ctx.runScript('plan-memory.mjs', [ctx.dist], emulator.env, ['--expose-gc']), 'plan-memory')
        .stdout,
    );
    if (probe.contacts !== contacts)
      throw new Error(`plan-memory read ${probe.contacts} contacts, expected ${contacts}`);
    ctx.add({
      section: 'export',
      name: `--plan / --changed-only snapshot index, ${fmt(contacts)} contacts`,
      value: fmt(probe.snapshotHeapMb, 1),
      unit: 'MB heap',
      reference: `createPlanner on top ${fmt(probe.plannerHeapMb, 1)} MB`,
      ratio: '',
      target: '',
      pass: undefined,
      note: `${fmt(probe.snapshotBytesPerContact)} bytes a contact for the maps by system_id and lower-cased email, walked straight from GET all in ${fmt(probe.loadMs)} ms (RSS delta ${fmt(probe.snapshotRssMb, 1)} MB); the planner uses the index as it is (${fmt(probe.plannerBytesPerContact)} bytes a contact more); peak RSS of the probe ${fmt(probe.peakRssMb)} MB`,
    });

    // The check for system_ids listed twice holds one table slot per distinct id: measured at the
    // section's size and at ten times it (1M in a full run), one process each.
    const repeats = [];
    for (const ids of [contacts, contacts * 10]) {
      ctx.log(`export's repeated-id check at ${fmt(ids)} ids`);
      repeats.push(
        parseJsonOutput(
          expectExit(
            await ctx.runScript('repeat-memory.mjs', [ctx.dist, String(ids)], {}, ['--expose-gc']),
            'repeat-memory',
          ).stdout,
        ),
      );
    }
    const [small, large] = repeats;
    ctx.add({
      section: 'export',
      name: `export's check for system_ids listed twice, ${fmt(large.ids)} ids`,
      value: fmt(large.retainedMb, 1),
      unit: 'MB kept',
      reference: `${fmt(small.ids)} ids ${fmt(small.retainedMb, 1)} MB`,
      ratio: '',
      target: '',
      pass: undefined,
      note: `a fingerprint table off the JS heap (${fmt(large.tableMb, 1)} and ${fmt(small.tableMb, 1)} MB of typed arrays), heap plus external memory after a full GC; ${fmt(large.ms)} and ${fmt(small.ms)} ms to add every id; the table at ${fmt(small.ids)} ids is part of the export's peak RSS above`,
    });

    const planFile = ensureCsv(ctx.dataDir, { rows: planRows, prefix: PREFIX, seed: SEED });
    const results = ctx.out('plan.plan.csv');
    const errors = ctx.out('plan.plan.errors.csv');
    ctx.log(`import --plan of ${fmt(planRows)} rows against ${fmt(contacts)} contacts`);
    const planRun = expectExit(
      await ctx.runCli(
        ['import', planFile, '--plan', '--json', '--results', results, '--errors', errors],
        emulator.env,
      ),
      'import --plan',
    );
    const plan = parseJsonOutput(planRun.stdout);
    ctx.clean(results, errors);
    ctx.add({
      section: 'export',
      name: `import --plan, ${fmt(planRows)} rows against ${fmt(contacts)} contacts: peak RSS`,
      value: fmt(planRun.maxRssMb),
      unit: 'MB',
      reference: `export ${fmt(rss)} MB`,
      ratio: '',
      target: '',
      pass: undefined,
      note: `${fmt(plan.elapsedMs / 1000, 2)} s in-run; ${Object.entries(plan.counts)
        .filter(([, n]) => n > 0)
        .map(([s, n]) => `${n} ${s}`)
        .join(', ')}`,
    });
    ctx.detail(`Export repetitions (${fmt(contacts)} contacts)`, [
      `- export: ${exports.map((r) => `${fmt(r.elapsedMs / 1000, 2)} s in-run, ${fmt(r.wallMs / 1000, 2)} s wall, ${fmt(r.rssMb)} MB, ${fmt(r.cpuS, 2)} s CPU`).join('; ')}`,
      `- baseline: ${baselines.map((r) => `${fmt(r.elapsedMs / 1000, 2)} s in-run, ${fmt(r.wallMs / 1000, 2)} s wall, ${fmt(r.rssMb)} MB, ${fmt(r.cpuS, 2)} s CPU`).join('; ')}`,
    ]);
  } finally {
    await emulator.stop();
  }
}
