/**
 * .xlsx against CSV, side by side (README, ".xlsx round trips"): a dry run of the same rows from a
 * workbook (shared strings, as Excel writes them) and from a CSV file, each writing its default
 * results (.xlsx for the workbook); and export to .xlsx against export to CSV. The workbook's
 * dry run must stay within 300 MB peak RSS at the full size.
 */
import { ensureCsv, ensureEmulatorData } from '../data.mjs';
import { ensureXlsx } from '../xlsx-data.mjs';
import { expectExit } from '../context.mjs';
import { startEmulatorProcess } from '../emulator.mjs';
import { median, parseJsonOutput } from '../measure.mjs';
import { fmt } from '../report.mjs';

const SEED = 42;
const PREFIX = 'W';
const RSS_LIMIT_MB = 300;

async function dryRun(ctx, input, ext, rep) {
  const results = ctx.out(`xlsx-dry-${rep}.${ext}`);
  const errors = ctx.out(`xlsx-dry-${rep}.errors.${ext}`);
  const run = expectExit(
    await ctx.runCli(['import', input, '--dry-run', '--json', '--results', results, '--errors', errors]),
    `dry run of ${input}`,
  );
  const summary = parseJsonOutput(run.stdout);
  ctx.clean(results, errors);
  return { rows: summary.rows, seconds: summary.elapsedMs / 1000, rssMb: run.maxRssMb, wallMs: run.wallMs };
}

async function exportRun(ctx, emulator, ext, rep) {
  const out = ctx.out(`xlsx-export-${rep}.${ext}`);
  const run = expectExit(await ctx.runCli(['export', '--out', out, '--json'], emulator.env), `export to .${ext}`);
  const summary = parseJsonOutput(run.stdout);
  ctx.clean(out);
  return { rows: summary.rows, seconds: summary.elapsedMs / 1000, rssMb: run.maxRssMb };
}

/** Runs both kinds `reps` times, alternating which goes first. */
async function sideBySide(reps, first, second) {
  const a = [];
  const b = [];
  for (let rep = 0; rep < reps; rep++) {
    if (rep % 2 === 0) {
      a.push(await first(rep));
      b.push(await second(rep));
    } else {
      b.push(await second(rep));
      a.push(await first(rep));
    }
  }
  return [a, b];
}

export async function xlsxSection(ctx) {
  const { rows, contacts, reps } = ctx.cfg.xlsx;
  ctx.log(`data: ${fmt(rows)} rows as CSV and as .xlsx`);
  const csv = ensureCsv(ctx.dataDir, { rows, prefix: PREFIX, seed: SEED });
  const xlsx = await ensureXlsx(ctx.dataDir, { rows, prefix: PREFIX, seed: SEED });
  ctx.log(`dry run of ${fmt(rows)} rows: .xlsx and CSV, ${reps} each`);
  const [books, csvs] = await sideBySide(
    reps,
    (rep) => dryRun(ctx, xlsx, 'xlsx', rep),
    (rep) => dryRun(ctx, csv, 'csv', rep),
  );
  for (const run of [...books, ...csvs])
    if (run.rows !== rows) throw new Error(`read ${run.rows} rows, expected ${rows}`);
  const bookRate = rows / median(books.map((r) => r.seconds));
  const csvRate = rows / median(csvs.map((r) => r.seconds));
  const bookRss = Math.max(...books.map((r) => r.rssMb));
  const csvRss = Math.max(...csvs.map((r) => r.rssMb));
  ctx.add({
    section: 'xlsx',
    name: `.xlsx dry run of ${fmt(rows)} rows: speed`,
    value: fmt(bookRate),
    unit: 'rows/s',
    reference: `CSV ${fmt(csvRate)} rows/s`,
    ratio: fmt(bookRate / csvRate, 2),
    target: '',
    pass: undefined,
    note: `results written in the input's format (.xlsx, CSV); median of ${reps}`,
  });
  ctx.add({
    section: 'xlsx',
    name: `.xlsx dry run of ${fmt(rows)} rows: peak RSS`,
    value: fmt(bookRss),
    unit: 'MB',
    reference: `CSV ${fmt(csvRss)} MB`,
    ratio: fmt(bookRss / csvRss, 2),
    target: `≤ ${RSS_LIMIT_MB} MB`,
    pass: ctx.quick ? undefined : bookRss <= RSS_LIMIT_MB,
    note: 'every cell a shared string, the sheet before the strings in the zip, as Excel writes them',
  });

  ctx.log(`export of ${fmt(contacts)} contacts: .xlsx and CSV, ${reps} each`);
  const data = ensureEmulatorData(ctx.dataDir, { rows: contacts, prefix: 'X', seed: 7 });
  const emulator = await startEmulatorProcess({ cli: ctx.cli, data });
  try {
    const [bookExports, csvExports] = await sideBySide(
      reps,
      (rep) => exportRun(ctx, emulator, 'xlsx', rep),
      (rep) => exportRun(ctx, emulator, 'csv', rep),
    );
    for (const run of [...bookExports, ...csvExports])
      if (run.rows !== contacts) throw new Error(`exported ${run.rows} contacts, expected ${contacts}`);
    const bookSeconds = median(bookExports.map((r) => r.seconds));
    const csvSeconds = median(csvExports.map((r) => r.seconds));
    ctx.add({
      section: 'xlsx',
      name: `export of ${fmt(contacts)} contacts to .xlsx: time`,
      value: fmt(bookSeconds, 2),
      unit: 's',
      reference: `CSV ${fmt(csvSeconds, 2)} s`,
      ratio: fmt(bookSeconds / csvSeconds, 2),
      target: '',
      pass: undefined,
      note: `peak RSS ${fmt(median(bookExports.map((r) => r.rssMb)))} MB against ${fmt(median(csvExports.map((r) => r.rssMb)))} MB; median of ${reps}`,
    });
  } finally {
    await emulator.stop();
  }
  ctx.detail(`.xlsx repetitions (${fmt(rows)} rows, ${fmt(contacts)} contacts)`, [
    `- .xlsx dry run: ${books.map((r) => `${fmt(r.seconds, 2)} s, ${fmt(r.rssMb)} MB`).join('; ')}`,
    `- CSV dry run: ${csvs.map((r) => `${fmt(r.seconds, 2)} s, ${fmt(r.rssMb)} MB`).join('; ')}`,
  ]);
}
