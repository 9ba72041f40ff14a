/**
 * #15 (round trips that send only what changed): export every contact, edit 1 % of the rows and
 * clear 0.1 % of the mobile cells as a spreadsheet would, then import the file with
 * `--changed-only` and, for comparison, plainly. The emulator runs with `--latency 20` and both
 * imports with `--concurrency 16`. Requests are counted by the emulator (`/__emulator/stats`).
 *
 * Targets: `--changed-only` sends exactly 1 credential check + 1 GET all + the edited rows;
 * it is at least 20× faster than the plain import (process wall time); its peak RSS is at most
 * 250 MB at 100k contacts.
 *
 *   node bench/run.mjs --only changed-only        this section alone
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { ensureEmulatorData } from '../data.mjs';
import { expectExit } from '../context.mjs';
import { startEmulatorProcess } from '../emulator.mjs';
import { fmt } from '../report.mjs';
import { countedRun, describeCounts, describeRequests, requestsOf } from '../counted-run.mjs';

const SEED = 7;
const PREFIX = 'X';
const LATENCY_MS = 20;
const CONCURRENCY = 16;

/**
 * Edits the exported file: every 100th row gets a new job title (1 %), and every 1000th row, from
 * the 50th, loses its mobile (0.1 %), which `--empty omit` keeps and reports. Returns the counts.
 */
function editExport(path) {
  const [header, ...rows] = parse(readFileSync(path), { bom: true });
  const title = header.indexOf('job_title');
  const mobile = header.indexOf('mobile');
  let edited = 0;
  let cleared = 0;
  rows.forEach((row, i) => {
    if (i % 100 === 0) {
      row[title] = `Edited ${i}`;
      edited++;
    }
    if (i % 1000 === 50 && row[mobile] !== '') {
      row[mobile] = '';
      cleared++;
    }
  });
  writeFileSync(path, stringify([header, ...rows], { record_delimiter: 'windows' }));
  return { rows: rows.length, edited, cleared };
}

const importRun = (ctx, emulator, file, flags, name) =>
  countedRun(ctx, emulator, ['import', file, ...flags], { name, concurrency: CONCURRENCY });

export async function changedOnlySection(ctx) {
  const { contacts } = ctx.cfg.changedOnly;
  ctx.log(`data: emulator file with ${fmt(contacts)} contacts (a copy: the imports write to it)`);
  const data = ctx.out('changed-only-data.json');
  copyFileSync(ensureEmulatorData(ctx.dataDir, { rows: contacts, prefix: PREFIX, seed: SEED }), data);
  const emulator = await startEmulatorProcess({ cli: ctx.cli, latency: LATENCY_MS, data });
  try {
    const file = ctx.out('round-trip.csv');
    ctx.log(`export of ${fmt(contacts)} contacts, then 1 % of the rows edited and 0.1 % of the mobiles cleared`);
    expectExit(await ctx.runCli(['export', '--out', file, '--quiet'], emulator.env), 'export');
    const edits = editExport(file);
    if (edits.rows !== contacts) throw new Error(`the export held ${edits.rows} rows, expected ${contacts}`);

    ctx.log(
      `import --changed-only of ${fmt(contacts)} rows (${fmt(edits.edited)} edited), --latency ${LATENCY_MS}, --concurrency ${CONCURRENCY}`,
    );
    const changed = await importRun(ctx, emulator, file, ['--changed-only'], 'changed');
    ctx.log(`plain import of the same ${fmt(contacts)} rows`);
    const plain = await importRun(ctx, emulator, file, [], 'plain');

    const expected = 2 + edits.edited;
    const sent = requestsOf(changed.stats);
    const speedup = plain.wallMs / changed.wallMs;
    const counts = describeCounts;
    ctx.add({
      section: 'changed',
      name: `--changed-only, ${fmt(contacts)} contacts, ${fmt(edits.edited)} edited: requests sent`,
      value: fmt(sent),
      unit: 'requests',
      reference: `plain import ${fmt(requestsOf(plain.stats))}`,
      ratio: '',
      target: `= ${fmt(expected)} (1 credential check + 1 GET all + ${fmt(edits.edited)} PUTs)`,
      pass: sent === expected && changed.stats.byMethod.GET === 2 && changed.stats.byMethod.PUT === edits.edited,
      note: `changed-only: ${describeRequests(changed.stats)}; plain: ${describeRequests(plain.stats)}`,
    });
    ctx.add({
      section: 'changed',
      name: `--changed-only vs plain import, ${fmt(contacts)} contacts: wall time`,
      value: fmt(changed.wallMs / 1000, 2),
      unit: 's',
      reference: `plain ${fmt(plain.wallMs / 1000, 1)} s`,
      ratio: `${fmt(speedup, 1)}×`,
      target: '≥ 20× faster',
      pass: speedup >= 20,
      note: `process wall time; in-run ${fmt(changed.summary.elapsedMs / 1000, 2)} s vs ${fmt(plain.summary.elapsedMs / 1000, 1)} s; CPU ${fmt(changed.cpuS, 2)} s vs ${fmt(plain.cpuS, 1)} s`,
    });
    ctx.add({
      section: 'changed',
      name: `--changed-only, ${fmt(contacts)} contacts: peak RSS`,
      value: fmt(changed.rssMb),
      unit: 'MB',
      reference: `plain ${fmt(plain.rssMb)} MB`,
      ratio: fmt(changed.rssMb / plain.rssMb, 2),
      target: '≤ 250 MB',
      pass: changed.rssMb <= 250,
    });
    ctx.detail(`Round trip with --changed-only (${fmt(contacts)} contacts)`, [
      `- edits: ${fmt(edits.edited)} job titles changed, ${fmt(edits.cleared)} mobile cells cleared (kept by \`--empty omit\`: the summary counted ${fmt(changed.summary.keptEmptyRows ?? 0)} rows with empty cells over values the API holds)`,
      `- --changed-only: ${counts(changed.summary)}; ${describeRequests(changed.stats)}; ${fmt(changed.wallMs / 1000, 2)} s wall, ${fmt(changed.rssMb)} MB peak RSS`,
      `- plain import: ${counts(plain.summary)}; ${describeRequests(plain.stats)}; ${fmt(plain.wallMs / 1000, 1)} s wall, ${fmt(plain.rssMb)} MB peak RSS`,
    ]);
  } finally {
    await emulator.stop();
  }
}
