#!/usr/bin/env node
/**
 * `npm run bench`: measures the ratios in BENCHMARKS.md, prints them as a table and writes them
 * (with the machine, the Node version and the date) between the markers in BENCHMARKS.md.
 *
 *   npm run bench                      full sizes (1M-row dry run, …), about 5–8 minutes on 2 cores
 *   npm run bench -- --quick           small sizes, under a minute; writes bench/.data/quick.md
 *   options: --no-write (write no report), --no-build (use dist/ as it is),
 *            --only dry,latency,overhead,export,startup,changed-only,xlsx,sync (a subset; scaling comes with
 *            dry; `--only changed-only` also works)
 *
 * Every target is a ratio of two things measured side by side in the same run, because the
 * machine is shared and absolute numbers move with its load. The emulator always runs as a
 * separate process. Generated data goes to bench/.data/ (git-ignored) and is reused while the
 * generator's version is unchanged. A missed target is reported, not an error: the exit code is
 * non-zero only when a measurement could not be made.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createContext } from './context.mjs';
import { HAS_GNU_TIME, killLiveChildren } from './measure.mjs';
import { fmt, formatTable, machineInfo, markdownTables, verdict } from './report.mjs';
import { dryRunSection } from './sections/dry-run.mjs';
import { exportSection } from './sections/export.mjs';
import { latencySection, overheadSection } from './sections/import.mjs';
import { startupSection } from './sections/startup.mjs';
import { changedOnlySection } from './sections/changed-only.mjs';
import { xlsxSection } from './sections/xlsx.mjs';
import { syncSection } from './sections/sync.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BEGIN = '<!-- bench:begin -->';
const END = '<!-- bench:end -->';

function parseArgs(argv) {
  const options = { quick: false, write: true, build: true, only: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') options.quick = true;
    else if (arg === '--only' && argv[i + 1] !== undefined) options.only = new Set(argv[++i].split(','));
    else if (arg === '--no-write') options.write = false;
    else if (arg === '--no-build') options.build = false;
    else if (arg.startsWith('--only=')) options.only = new Set(arg.slice('--only='.length).split(','));
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(
        'usage: node bench/run.mjs [--quick] [--no-write] [--no-build] [--only=dry,latency,overhead,export,startup,changed-only,xlsx,sync]\n',
      );
      process.exit(0);
    } else {
      process.stderr.write(`bench: unknown option ${arg}\n`);
      process.exit(2);
    }
  }
  return options;
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** `npm run build` when dist/ is missing or older than src/. */
function buildIfStale(log) {
  const main = join(ROOT, 'dist', 'cli', 'main.js');
  if (existsSync(main) && statSync(main).mtimeMs >= newestMtime(join(ROOT, 'src'))) return;
  log('build: dist/ is missing or older than src/; npm run build');
  const result = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) {
    process.stderr.write(`bench: npm run build failed:\n${result.stdout}${result.stderr}`);
    process.exit(1);
  }
}

function reportMarkdown({ machine, rows, details, totalS, quick }) {
  const load = (l) => l.map((x) => x.toFixed(2)).join(', ');
  const misses = rows.filter((r) => r.pass === false);
  const lines = [
    BEGIN,
    `_Written by \`npm run bench${quick ? ' -- --quick' : ''}\` on ${machine.date}. Everything between the bench markers is replaced by the next run._`,
    '',
    `- **Machine:** ${machine.cpu}, ${machine.cores} cores, ${fmt(machine.memoryGb, 1)} GB RAM; ${machine.os}`,
    `- **Node:** ${machine.node}`,
    `- **Load average** (1, 5, 15 min) at the start ${load(machine.loadStart)}, at the end ${load(loadavg())}: the machine is shared, so only ratios measured side by side are targets`,
    `- **Runtime:** ${fmt(totalS)} s for the whole run; peak RSS from ${HAS_GNU_TIME ? 'GNU time (`/usr/bin/time -f %M`)' : '`process.resourceUsage().maxRSS` in the child'}`,
    `- **Targets:** ${rows.filter((r) => r.pass === true).length} pass, ${misses.length} missed${misses.length > 0 ? ` (${misses.map((r) => r.name).join('; ')})` : ''}`,
    '',
    'How it is measured:',
    '',
    '- Every compared pair runs side by side in this one run, in an order that alternates or rotates between repetitions; a ratio is the median of the per-pair ratios (or of per-run ratios against a fixed ideal).',
    "- Rows per second are the in-run numbers: the CLI's own `elapsedMs`/`rowsPerSecond` from `--json` (from opening the file to the results file closed; an import includes its credential-check GET), and the baselines time themselves the same way. Process wall time, which adds about 0.3–0.5 s of node start-up and module loading, is listed beside them.",
    '- The emulator always runs as its own process (`node dist/cli/main.js emulator --port 0`). Every import run creates fresh contacts (its own system_id and email prefix).',
    '- CPU time (user + system of the whole child, from GNU time) is given where load from other work on the machine makes rows per second jumpy: it moves less.',
    '- Data is generated deterministically (bench/data.mjs, seeded PRNG) into bench/.data/: six columns, about 92 % of rows with a real-range mobile in E.164, accents, quoted cells, every email unique.',
    '',
    markdownTables(rows),
  ];
  for (const { title, lines: body } of details) lines.push(`#### ${title}`, '', ...body, '');
  lines.push(END);
  return lines.join('\n');
}

/** Replaces the text between the markers, keeping whatever was written around them. */
function writeReport(path, region) {
  let text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (begin !== -1 && end > begin) text = `${text.slice(0, begin)}${region}${text.slice(end + END.length)}`;
  else text = `${text === '' ? '# Benchmarks\n\n' : `${text.trimEnd()}\n\n`}${region}\n`;
  writeFileSync(path, text);
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const dataDir = join(ROOT, 'bench', '.data');
  const outDir = join(dataDir, `run-${process.pid}`);
  mkdirSync(outDir, { recursive: true });
  const ctx = createContext({ root: ROOT, quick: options.quick, dataDir, outDir });
  const machine = machineInfo();
  const started = performance.now();
  const cleanup = () => {
    killLiveChildren();
    rmSync(outDir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      cleanup();
      process.exit(130);
    });
  }

  if (options.build) buildIfStale(ctx.log);
  if (!existsSync(ctx.cli)) {
    process.stderr.write('bench: dist/cli/main.js is missing; run npm run build\n');
    process.exit(1);
  }
  ctx.log(
    `bench ${options.quick ? '--quick' : '(full)'}: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}`,
  );

  const sections = [
    ['dry', dryRunSection],
    ['latency', latencySection],
    ['overhead', overheadSection],
    ['export', exportSection],
    ['startup', startupSection],
    ['changed-only', changedOnlySection],
    ['xlsx', xlsxSection],
    ['sync', syncSection],
  ];
  const failures = [];
  try {
    for (const [name, run] of sections) {
      if (options.only !== undefined && !options.only.has(name)) continue;
      try {
        await run(ctx);
      } catch (error) {
        failures.push(name);
        process.stderr.write(
          `bench: section ${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
        );
      }
    }
  } finally {
    cleanup();
  }

  const totalS = (performance.now() - started) / 1000;
  process.stdout.write(formatTable(ctx.rows));
  const misses = ctx.rows.filter((r) => r.pass === false);
  process.stdout.write(
    `\n${ctx.rows
      .filter((r) => r.pass !== undefined)
      .map((r) => `${verdict(r.pass)}  ${r.name}`)
      .join('\n')}\n`,
  );
  process.stdout.write(
    `\ntotal ${fmt(totalS)} s; ${misses.length} target(s) missed${failures.length > 0 ? `; FAILED sections: ${failures.join(', ')}` : ''}\n`,
  );

  if (options.write) {
    // Only a full run of every section may replace the numbers in BENCHMARKS.md.
    const path = options.quick
      ? join(dataDir, 'quick.md')
      : options.only !== undefined
        ? join(dataDir, 'partial.md')
        : join(ROOT, 'BENCHMARKS.md');
    writeReport(path, reportMarkdown({ machine, rows: ctx.rows, details: ctx.details, totalS, quick: options.quick }));
    process.stdout.write(`wrote ${path}\n`);
  }
  process.exitCode = failures.length > 0 ? 1 : 0;
}

await main();
