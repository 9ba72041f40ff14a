/**
 * #2 (import vs. the ideal under latency) and #3 (client overhead at zero latency).
 *
 * Every measured import creates fresh contacts: each run gets its own CSV whose system_ids and
 * emails carry a prefix no other run in this emulator uses (creates and updates cost differently).
 * Rows per second is the CLI's own `rowsPerSecond` (rows / in-run elapsed time, which includes the
 * credential-check GET and the results file); the raw loop times itself the same way, from its
 * first request to its last answer.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { ensureCsv } from '../data.mjs';
import { expectExit } from '../context.mjs';
import { startEmulatorProcess } from '../emulator.mjs';
import { childEnv, median, parseJsonOutput, runMeasured } from '../measure.mjs';
import { fmt } from '../report.mjs';

const LATENCY_TARGET = 0.9;
const OVERHEAD_TARGET = 0.7;

async function importRun(ctx, emulator, file, concurrency, tag) {
  const results = ctx.out(`import-${tag}.results.csv`);
  const errors = ctx.out(`import-${tag}.errors.csv`);
  await emulator.resetStats();
  const cpuBefore = emulator.cpuSeconds();
  const run = expectExit(
    await ctx.runCli(
      ['import', file, '--concurrency', String(concurrency), '--json', '--results', results, '--errors', errors],
      emulator.env,
    ),
    `import of ${file}`,
  );
  const serverCpuS = emulator.cpuSeconds() - cpuBefore;
  const summary = parseJsonOutput(run.stdout);
  const stats = await emulator.stats();
  ctx.clean(results, errors);
  if (summary.counts.created !== summary.rows) {
    throw new Error(
      `import of ${file}: ${summary.counts.created} of ${summary.rows} rows created (${JSON.stringify(summary.counts)})`,
    );
  }
  return {
    rows: summary.rows,
    elapsedMs: summary.elapsedMs,
    rps: summary.rowsPerSecond,
    wallMs: run.wallMs,
    rssMb: run.maxRssMb,
    cpuS: run.cpuS,
    serverCpuS,
    maxInFlight: stats.maxInFlight,
    requests: stats.requests,
  };
}

async function rawLoop(ctx, emulator, file, concurrency) {
  await emulator.resetStats();
  const cpuBefore = emulator.cpuSeconds();
  const run = expectExit(await ctx.runScript('raw-loop.mjs', [file, String(concurrency)], emulator.env), 'raw loop');
  const serverCpuS = emulator.cpuSeconds() - cpuBefore;
  const result = parseJsonOutput(run.stdout);
  const stats = await emulator.stats();
  if ((result.statuses['201'] ?? 0) !== result.rows)
    throw new Error(`raw loop: statuses ${JSON.stringify(result.statuses)} for ${result.rows} rows`);
  return {
    rows: result.rows,
    elapsedMs: result.elapsedMs,
    rps: result.rowsPerSecond,
    wallMs: run.wallMs,
    cpuS: run.cpuS,
    serverCpuS,
    maxInFlight: stats.maxInFlight,
  };
}

/**
 * What a user would write instead: `xargs -P 16 curl`, one process and one PUT per row. The
 * Authorization header sits in a mode-600 file read with `curl -H @file`, so the credential is
 * never on a command line (visible in `ps`); the file is deleted afterwards. Each row is three
 * NUL-separated arguments for one curl: `--data-raw <json> <url>`.
 */
async function curlRun(ctx, emulator, file, concurrency) {
  const [header, ...rows] = parse(readFileSync(file), { bom: true });
  const fields = ['first_name', 'last_name', 'email', 'job_title', 'mobile'].map((f) => [f, header.indexOf(f)]);
  const idIndex = header.indexOf('system_id');
  const dir = mkdtempSync(join(tmpdir(), 'ciopulse-curl-'));
  try {
    const headerFile = join(dir, 'auth.header');
    writeFileSync(headerFile, `Authorization: ${emulator.authorization}\n`, { mode: 0o600 });
    chmodSync(headerFile, 0o600);
    const argsFile = join(dir, 'args');
    const parts = [];
    for (const cells of rows) {
      const body = {};
      for (const [field, index] of fields) if (cells[index] !== '') body[field] = cells[index];
      parts.push(
        '--data-raw',
        JSON.stringify(body),
        `${emulator.baseUrl}/contacts/${encodeURIComponent(cells[idIndex])}`,
      );
    }
    writeFileSync(argsFile, `${parts.join('\0')}\0`);
    await emulator.resetStats();
    const script =
      `xargs -0 -P ${concurrency} -n 3 curl -s -o /dev/null -w '%{http_code}\\n' -X PUT ` +
      `-H @"$BENCH_HEADER_FILE" -H 'Content-Type: application/json' -H 'Accept: application/json' < "$BENCH_ARGS_FILE"`;
    const run = expectExit(
      await runMeasured('sh', ['-c', script], {
        env: childEnv({ BENCH_HEADER_FILE: headerFile, BENCH_ARGS_FILE: argsFile }),
      }),
      'xargs curl',
    );
    const stats = await emulator.stats();
    const codes = {};
    for (const code of run.stdout.split('\n').filter(Boolean)) codes[code] = (codes[code] ?? 0) + 1;
    if ((codes['201'] ?? 0) !== rows.length)
      throw new Error(`xargs curl: statuses ${JSON.stringify(codes)} for ${rows.length} rows`);
    return {
      rows: rows.length,
      wallMs: run.wallMs,
      rps: rows.length / (run.wallMs / 1000),
      cpuS: run.cpuS,
      maxInFlight: stats.maxInFlight,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function latencySection(ctx) {
  const { ms, levels, reps } = ctx.cfg.latency;
  ctx.log(`emulator with --latency ${ms}`);
  const emulator = await startEmulatorProcess({ cli: ctx.cli, latency: ms });
  const lines = [];
  try {
    for (const [concurrency, rows] of levels) {
      const runs = [];
      for (let rep = 0; rep < reps; rep++) {
        const file = ensureCsv(ctx.dataDir, { rows, prefix: `L${concurrency}R${rep}` });
        ctx.log(`import, ${ms} ms latency, --concurrency ${concurrency}, ${fmt(rows)} rows (${rep + 1}/${reps})`);
        runs.push(await importRun(ctx, emulator, file, concurrency, `lat-${concurrency}-${rep}`));
      }
      // The same PUTs from the raw loop: how close this machine lets any client get to the ideal.
      ctx.log(`raw undici loop, ${ms} ms latency, concurrency ${concurrency}, ${fmt(rows)} rows`);
      const raw = await rawLoop(
        ctx,
        emulator,
        ensureCsv(ctx.dataDir, { rows, prefix: `L${concurrency}X` }),
        concurrency,
      );
      const ideal = concurrency / (ms / 1000);
      const ratio = median(runs.map((r) => r.rps / ideal));
      ctx.add({
        section: 'latency',
        name: `--concurrency ${concurrency}, ${fmt(rows)} rows`,
        value: fmt(median(runs.map((r) => r.rps))),
        unit: 'rows/s',
        reference: `ideal ${fmt(ideal)} rows/s`,
        ratio: fmt(ratio, 2),
        target: `≥ ${LATENCY_TARGET}`,
        pass: ratio >= LATENCY_TARGET,
        note:
          `median of ${reps}; the emulator saw at most ${Math.max(...runs.map((r) => r.maxInFlight))} in flight; ` +
          `the raw undici loop reached ${fmt(raw.rps)} rows/s (${fmt(raw.rps / ideal, 2)} of the ideal) in the same emulator, so import is ${fmt(median(runs.map((r) => r.rps)) / raw.rps, 2)} of it; ` +
          `CPU per row (client including node start-up): import ${fmt(median(runs.map((r) => (r.cpuS * 1e6) / r.rows)))} µs, raw loop ${fmt((raw.cpuS * 1e6) / raw.rows)} µs; ` +
          `the emulator used ${fmt(median(runs.map((r) => (r.serverCpuS * 1e6) / r.rows)))} µs a request, so at the ideal rate it alone would need ${fmt(ideal * median(runs.map((r) => r.serverCpuS / r.rows)), 2)} of the machine's 2 cores`,
      });
      ctx.add({
        section: 'latency',
        name: `  raw undici loop at --concurrency ${concurrency}`,
        value: fmt(raw.rps),
        unit: 'rows/s',
        reference: `ideal ${fmt(ideal)} rows/s`,
        ratio: fmt(raw.rps / ideal, 2),
        target: '',
        pass: undefined,
      });
      lines.push(
        `- --concurrency ${concurrency}, raw loop: ${fmt(raw.rps)} rows/s (${fmt(raw.elapsedMs / 1000, 2)} s, max in flight ${raw.maxInFlight}, ${fmt(raw.cpuS, 2)} s CPU)`,
        `- --concurrency ${concurrency}: ${runs.map((r) => `${fmt(r.rps)} rows/s (${fmt(r.elapsedMs / 1000, 2)} s in-run, ${fmt(r.wallMs / 1000, 2)} s wall, max in flight ${r.maxInFlight}, ${r.requests} requests, ${fmt(r.cpuS, 2)} s CPU)`).join('; ')}`,
      );
    }
  } finally {
    await emulator.stop();
  }
  ctx.detail(`Import repetitions at ${ms} ms latency`, lines);
}

export async function overheadSection(ctx) {
  const { concurrency, rows, warmup, curlRows, reps } = ctx.cfg.overhead;
  ctx.log('emulator with no latency');
  const emulator = await startEmulatorProcess({ cli: ctx.cli });
  try {
    // Warm the emulator's JIT, so the first measured run is not its warm-up.
    ctx.log(`warm-up import, ${fmt(warmup)} rows`);
    await importRun(ctx, emulator, ensureCsv(ctx.dataDir, { rows: warmup, prefix: 'W' }), concurrency, 'warmup');
    const imports = [];
    const raws = [];
    for (let rep = 0; rep < reps; rep++) {
      const order = rep % 2 === 0 ? ['import', 'raw'] : ['raw', 'import'];
      for (const which of order) {
        ctx.log(
          `${which === 'import' ? 'import' : 'raw undici loop'}, no latency, concurrency ${concurrency}, ${fmt(rows)} rows (${rep + 1}/${reps})`,
        );
        if (which === 'import')
          imports.push(
            await importRun(
              ctx,
              emulator,
              ensureCsv(ctx.dataDir, { rows, prefix: `I${rep}` }),
              concurrency,
              `zero-${rep}`,
            ),
          );
        else raws.push(await rawLoop(ctx, emulator, ensureCsv(ctx.dataDir, { rows, prefix: `R${rep}` }), concurrency));
      }
    }
    ctx.log(`xargs -P ${concurrency} curl, ${fmt(curlRows)} rows`);
    const curl = await curlRun(ctx, emulator, ensureCsv(ctx.dataDir, { rows: curlRows, prefix: 'K' }), concurrency);

    const ratios = imports.map((r, i) => r.rps / raws[i].rps);
    const ratio = median(ratios);
    const rawRps = median(raws.map((r) => r.rps));
    ctx.add({
      section: 'overhead',
      name: `import --concurrency ${concurrency}, ${fmt(rows)} rows`,
      value: fmt(median(imports.map((r) => r.rps))),
      unit: 'rows/s',
      reference: `raw undici loop ${fmt(rawRps)} rows/s`,
      ratio: fmt(ratio, 2),
      target: `≥ ${OVERHEAD_TARGET}`,
      pass: ratio >= OVERHEAD_TARGET,
      note: `median of ${reps} side-by-side pairs; per pair ${ratios.map((r) => fmt(r, 2)).join(', ')}; import CPU ${imports.map((r) => fmt(r.cpuS, 1)).join(', ')} s, raw loop CPU ${raws.map((r) => fmt(r.cpuS, 1)).join(', ')} s`,
    });
    // CPU time per row moves far less with the machine's load than rows per second do.
    const cpuPerRow = (runs) => median(runs.map((r) => (r.cpuS * 1e6) / r.rows));
    ctx.add({
      section: 'overhead',
      name: '  client CPU per row (user + system, whole process)',
      value: fmt(cpuPerRow(imports)),
      unit: 'µs',
      reference: `raw undici loop ${fmt(cpuPerRow(raws))} µs`,
      ratio: fmt(cpuPerRow(raws) / cpuPerRow(imports), 2),
      target: '',
      pass: undefined,
      note: `ratio = raw loop CPU / import CPU; both include node start-up and reading the CSV; the emulator used ${fmt(median(imports.map((r) => (r.serverCpuS * 1e6) / r.rows)))} µs per row under import and ${fmt(median(raws.map((r) => (r.serverCpuS * 1e6) / r.rows)))} µs under the raw loop: client and server share the 2 cores`,
    });
    ctx.add({
      section: 'overhead',
      name: `raw undici Pool loop, ${concurrency} connections`,
      value: fmt(rawRps),
      unit: 'rows/s',
      reference: 'the practical limit',
      ratio: '1.00',
      target: '',
      pass: undefined,
    });
    ctx.add({
      section: 'overhead',
      name: `xargs -P ${concurrency} curl, ${fmt(curlRows)} rows`,
      value: fmt(curl.rps),
      unit: 'rows/s',
      reference: `raw undici loop ${fmt(rawRps)} rows/s`,
      ratio: fmt(curl.rps / rawRps, 2),
      target: '',
      pass: undefined,
      note: `one curl process per row, wall time of the whole xargs; import is ${fmt(median(imports.map((r) => r.rps)) / curl.rps, 1)}× faster`,
    });
    ctx.detail(`Zero-latency repetitions (concurrency ${concurrency})`, [
      `- import: ${imports.map((r) => `${fmt(r.rps)} rows/s (${fmt(r.elapsedMs / 1000, 2)} s in-run, ${fmt(r.wallMs / 1000, 2)} s wall, ${fmt(r.cpuS, 2)} s CPU, emulator ${fmt(r.serverCpuS, 2)} s CPU)`).join('; ')}`,
      `- raw loop: ${raws.map((r) => `${fmt(r.rps)} rows/s (${fmt(r.elapsedMs / 1000, 2)} s, ${fmt(r.cpuS, 2)} s CPU, emulator ${fmt(r.serverCpuS, 2)} s CPU)`).join('; ')}`,
      '- (with no latency the emulator answers each request before it reads the next, so it never counts more than one in flight)',
      `- xargs curl: ${fmt(curl.rps)} rows/s (${fmt(curl.wallMs / 1000, 2)} s wall for ${fmt(curl.rows)} rows)`,
    ]);
  } finally {
    await emulator.stop();
  }
}
