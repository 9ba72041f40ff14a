/**
 * #24 (sync with the helpdesk): export every contact, then make the file a later helpdesk export:
 * 1 % of the rows changed, 0.5 % of the contacts gone, 0.5 % new. `sync --delete-missing --scope
 * prefix:<the data's prefix>` runs against the emulator at `--latency 20` with `--concurrency 16`;
 * requests are counted by the emulator (`/__emulator/stats`). For comparison, a plain import of the
 * same file: at full size a sample of its first 10 % of the rows is measured and its wall time
 * scaled to the whole file (the plain import is latency-bound, one PUT per row, so its time grows
 * linearly with the rows); at --quick sizes the whole file is imported.
 *
 * Targets: requests = 1 credential check + 1 GET all + changed + new + gone, exactly; at least
 * 20× faster than the plain import; peak RSS at most 250 MB at 100k contacts.
 *
 *   node bench/run.mjs --only sync        this section alone
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { ensureEmulatorData } from '../data.mjs';
import { expectExit } from '../context.mjs';
import { startEmulatorProcess } from '../emulator.mjs';
import { fmt } from '../report.mjs';
import { countedRun, describeCounts, describeRequests, requestsOf } from '../counted-run.mjs';

const SEED = 11;
const PREFIX = 'S';
const LATENCY_MS = 20;
const CONCURRENCY = 16;
/** At full size, the plain import is measured on this share of the rows and scaled up. */
const SAMPLE = 0.1;

/** Every 100th row changed (1 %), every 200th from the 50th dropped (0.5 %), as many new ones appended. */
function makeNextExport(path) {
  const [header, ...rows] = parse(readFileSync(path), { bom: true });
  const at = (name) => header.indexOf(name);
  const kept = [];
  let changed = 0;
  let gone = 0;
  rows.forEach((row, i) => {
    if (i % 200 === 50) {
      gone++;
      return;
    }
    if (i % 100 === 0) {
      row[at('job_title')] = `Synced ${i}`;
      changed++;
    }
    kept.push(row);
  });
  const added = [];
  for (let i = 0; i < gone; i++) {
    const row = header.map(() => '');
    row[at('system_id')] = `${PREFIX}-new-${i}`;
    row[at('first_name')] = 'New';
    row[at('last_name')] = `Hire ${i}`;
    row[at('email')] = `new.hire.${i}@example.com`;
    added.push(row);
  }
  writeFileSync(path, stringify([header, ...kept, ...added], { record_delimiter: 'windows' }));
  return { rows: rows.length, changed, gone, added: added.length };
}

const measuredRun = (ctx, emulator, args, name) => countedRun(ctx, emulator, args, { name, concurrency: CONCURRENCY });

export async function syncSection(ctx) {
  const { contacts } = ctx.cfg.sync;
  ctx.log(`data: emulator file with ${fmt(contacts)} contacts (a copy: the runs write to it)`);
  const data = ctx.out('sync-data.json');
  copyFileSync(ensureEmulatorData(ctx.dataDir, { rows: contacts, prefix: PREFIX, seed: SEED }), data);
  const emulator = await startEmulatorProcess({ cli: ctx.cli, latency: LATENCY_MS, data });
  try {
    const file = ctx.out('helpdesk.csv');
    expectExit(await ctx.runCli(['export', '--out', file, '--quiet'], emulator.env), 'export');
    const next = makeNextExport(file);
    if (next.rows !== contacts) throw new Error(`the export held ${next.rows} rows, expected ${contacts}`);
    ctx.log(
      `sync of ${fmt(contacts)} contacts: ${fmt(next.changed)} changed, ${fmt(next.gone)} gone, ${fmt(next.added)} new; --latency ${LATENCY_MS}, --concurrency ${CONCURRENCY}`,
    );
    const state = ctx.out('helpdesk.sync-state.json');
    const sync = await measuredRun(
      ctx,
      emulator,
      ['sync', file, '--delete-missing', '--yes', '--scope', `prefix:${PREFIX}`, '--state', state],
      'sync',
    );
    ctx.clean(state);

    const sample = ctx.quick ? undefined : Math.round(contacts * SAMPLE);
    ctx.log(
      `plain import of the same file${sample === undefined ? '' : ` (the first ${fmt(sample)} rows, scaled up)`}`,
    );
    const plain = await measuredRun(
      ctx,
      emulator,
      ['import', file, ...(sample === undefined ? [] : ['--limit', String(sample)])],
      'plain',
    );
    const fileRows = contacts - next.gone + next.added;
    const plainMs = sample === undefined ? plain.wallMs : (plain.wallMs * fileRows) / sample;

    const expected = 2 + next.changed + next.gone + next.added;
    const sent = requestsOf(sync.stats);
    const speedup = plainMs / sync.wallMs;
    const counts = describeCounts;
    ctx.add({
      section: 'sync',
      name: `sync, ${fmt(contacts)} contacts (1 % changed, 0.5 % gone, 0.5 % new): requests sent`,
      value: fmt(sent),
      unit: 'requests',
      reference: '',
      ratio: '',
      target: `= ${fmt(expected)} (1 credential check + 1 GET all + ${fmt(next.changed)} + ${fmt(next.added)} PUTs + ${fmt(next.gone)} DELETEs)`,
      pass:
        sent === expected &&
        sync.stats.byMethod.GET === 2 &&
        sync.stats.byMethod.PUT === next.changed + next.added &&
        sync.stats.byMethod.DELETE === next.gone,
      note: describeRequests(sync.stats),
    });
    ctx.add({
      section: 'sync',
      name: `sync vs plain import, ${fmt(contacts)} contacts: wall time`,
      value: fmt(sync.wallMs / 1000, 2),
      unit: 's',
      reference: `plain ${fmt(plainMs / 1000, 1)} s${sample === undefined ? '' : ' (scaled from 10 %)'}`,
      ratio: `${fmt(speedup, 1)}×`,
      target: '≥ 20× faster',
      pass: speedup >= 20,
      note: `process wall time; in-run ${fmt(sync.summary.elapsedMs / 1000, 2)} s; CPU ${fmt(sync.cpuS, 2)} s`,
    });
    ctx.add({
      section: 'sync',
      name: `sync, ${fmt(contacts)} contacts: peak RSS`,
      value: fmt(sync.rssMb),
      unit: 'MB',
      reference: `plain ${fmt(plain.rssMb)} MB`,
      ratio: fmt(sync.rssMb / plain.rssMb, 2),
      target: '≤ 250 MB',
      pass: sync.rssMb <= 250,
    });
    ctx.detail(`Sync with the helpdesk (${fmt(contacts)} contacts)`, [
      `- the next export: ${fmt(next.changed)} job titles changed, ${fmt(next.gone)} rows gone, ${fmt(next.added)} new rows`,
      `- sync --delete-missing --scope prefix:${PREFIX}: ${counts(sync.summary)}; ${describeRequests(sync.stats)}; ${fmt(sync.wallMs / 1000, 2)} s wall, ${fmt(sync.rssMb)} MB peak RSS`,
      `- plain import${sample === undefined ? '' : ` of the first ${fmt(sample)} rows`}: ${counts(plain.summary)}; ${describeRequests(plain.stats)}; ${fmt(plain.wallMs / 1000, 1)} s wall${sample === undefined ? '' : `, scaled to ${fmt(fileRows)} rows: ${fmt(plainMs / 1000, 1)} s`}`,
    ]);
  } finally {
    await emulator.stop();
  }
}
