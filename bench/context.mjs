/**
 * What every section shares: paths, the size settings for full and --quick runs, a CLI runner,
 * progress lines on stderr, and the collected rows and details.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { childEnv, runMeasured } from './measure.mjs';

/** Sizes for `npm run bench` (≈ 5–8 minutes on 2 cores) and `--quick` (well under a minute). */
export const SIZES = {
  full: {
    dry: { rows: 1_000_000, reps: 3 },
    scaling: [10_000, 100_000],
    memory: { small: 100_000, large: 1_000_000 },
    profileRows: 100_000,
    latency: {
      ms: 20,
      levels: [
        [1, 250],
        [8, 2000],
        [32, 8000],
        [64, 16_000],
      ],
      reps: 3,
    },
    overhead: { concurrency: 16, rows: 20_000, warmup: 3000, curlRows: 2000, reps: 5 },
    export: { contacts: 100_000, reps: 3, planRows: 1000 },
    startup: { reps: 9, launchers: true, latency: { rows: 4000, concurrency: 16, ms: 20, reps: 3 } },
    changedOnly: { contacts: 100_000 },
    xlsx: { rows: 200_000, contacts: 100_000, reps: 2 },
    sync: { contacts: 100_000 },
  },
  quick: {
    dry: { rows: 20_000, reps: 1 },
    scaling: [2000, 5000],
    memory: { small: 2000, large: 20_000 },
    profileRows: 5000,
    latency: {
      ms: 20,
      levels: [
        [1, 15],
        [8, 120],
        [32, 480],
        [64, 960],
      ],
      reps: 1,
    },
    overhead: { concurrency: 16, rows: 2000, warmup: 300, curlRows: 100, reps: 1 },
    export: { contacts: 5000, reps: 1, planRows: 200 },
    startup: { reps: 2, launchers: false, latency: { rows: 160, concurrency: 16, ms: 20, reps: 1 } },
    changedOnly: { contacts: 2000 },
    xlsx: { rows: 5000, contacts: 2000, reps: 1 },
    sync: { contacts: 2000 },
  },
};

export function createContext({ root, quick, dataDir, outDir }) {
  const rows = [];
  const details = [];
  const started = performance.now();
  return {
    root,
    quick,
    cfg: quick ? SIZES.quick : SIZES.full,
    dist: join(root, 'dist'),
    cli: join(root, 'dist', 'cli', 'main.js'),
    bench: join(root, 'bench'),
    dataDir,
    outDir,
    rows,
    details,
    log(message) {
      const seconds = ((performance.now() - started) / 1000).toFixed(0).padStart(4);
      process.stderr.write(`[${seconds} s] ${message}\n`);
    },
    add(row) {
      rows.push(row);
    },
    /** Extra Markdown for BENCHMARKS.md under a heading. */
    detail(title, lines) {
      details.push({ title, lines });
    },
    /** `node dist/cli/main.js …args`, measured; `env` is added to a clean environment. */
    runCli(args, env = {}, nodeArgs = []) {
      return runMeasured(process.execPath, [...nodeArgs, join(root, 'dist', 'cli', 'main.js'), ...args], {
        env: childEnv(env),
      });
    },
    /** `node bench/<script> …args`, measured. */
    runScript(script, args, env = {}, nodeArgs = []) {
      return runMeasured(process.execPath, [...nodeArgs, join(root, 'bench', script), ...args], { env: childEnv(env) });
    },
    out(name) {
      return join(outDir, name);
    },
    /** Removes a run's output files (a 1M-row results file is ~100 MB). */
    clean(...paths) {
      for (const path of paths) rmSync(path, { force: true });
    },
  };
}

/** Throws with the child's stderr when it did not exit as expected. */
export function expectExit(result, what, codes = [0]) {
  if (!codes.includes(result.code)) {
    throw new Error(`${what} exited with ${result.code ?? result.signal}:\n${result.stderr.slice(-3000)}`);
  }
  return result;
}
