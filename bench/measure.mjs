/**
 * Runs a child process and measures it: wall time, peak RSS, CPU time.
 *
 * Peak RSS comes from GNU time (`/usr/bin/time -f …`, the kernel's ru_maxrss of the child) when it
 * is installed. Without it, a node child is started with `--import bench/rss-reporter.mjs`, which
 * writes `process.resourceUsage()` to a file as the child exits; other children then get no RSS.
 */
import { clearTimeout } from 'node:timers';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const GNU_TIME = '/usr/bin/time';
const REPORTER = fileURLToPath(new URL('./rss-reporter.mjs', import.meta.url));
export const HAS_GNU_TIME = existsSync(GNU_TIME);

/** Children this process started and has not seen exit: killed (by pid) if the bench dies. */
const live = new Set();

export function killLiveChildren() {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** The environment for children: ours without any CIOPULSE_* setting, plus `extra`. */
export function childEnv(extra = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('CIOPULSE_') && key !== 'FORCE_COLOR' && key !== 'NODE_OPTIONS')
      env[key] = value;
  }
  env.NO_COLOR = '1';
  return { ...env, ...extra };
}

/**
 * Runs `command args…` to completion. Resolves with
 * { code, signal, stdout, stderr, wallMs, maxRssMb, cpuS } (maxRssMb/cpuS undefined when unknown).
 */
export function runMeasured(command, args, options = {}) {
  const scratch = mkdtempSync(join(tmpdir(), 'ciopulse-bench-'));
  const timeOut = join(scratch, 'time.txt');
  const reportOut = join(scratch, 'usage.json');
  let file = command;
  let argv = args;
  const env = { ...(options.env ?? childEnv()) };
  if (HAS_GNU_TIME) {
    file = GNU_TIME;
    argv = ['-f', '%M %U %S', '-o', timeOut, command, ...args];
  } else if (command === process.execPath) {
    argv = ['--import', REPORTER, ...args];
    env.BENCH_USAGE_OUT = reportOut;
  }
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, argv, {
      cwd: options.cwd,
      env,
      stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    live.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    if (options.stdin !== undefined) child.stdin.end(options.stdin);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15 * 60_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      live.delete(child);
      rmSync(scratch, { recursive: true, force: true });
      reject(error);
    });
    child.on('close', (code, signal) => {
      const wallMs = performance.now() - started;
      clearTimeout(timer);
      live.delete(child);
      let maxRssMb;
      let cpuS;
      try {
        if (HAS_GNU_TIME && existsSync(timeOut)) {
          // GNU time writes "Command exited with non-zero status N" first when the child fails.
          const last = readFileSync(timeOut, 'utf8').trim().split('\n').pop() ?? '';
          const [kb, user, sys] = last.split(' ').map(Number);
          if (Number.isFinite(kb)) maxRssMb = kb / 1024;
          if (Number.isFinite(user) && Number.isFinite(sys)) cpuS = user + sys;
        } else if (existsSync(reportOut)) {
          const usage = JSON.parse(readFileSync(reportOut, 'utf8'));
          maxRssMb = usage.maxRSS / 1024;
          cpuS = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
        }
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
      resolve({ code, signal, stdout, stderr, wallMs, maxRssMb, cpuS });
    });
  });
}

/** Spawns a long-running child (the emulator); the caller stops it. Tracked for cleanup. */
export function spawnTracked(command, args, options = {}) {
  const child = spawn(command, args, { env: options.env ?? childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.on('exit', () => live.delete(child));
  return child;
}

/** Parses the last JSON document a child printed on stdout (the CLI's --json summary). */
export function parseJsonOutput(stdout) {
  const text = stdout.trim();
  try {
    return JSON.parse(text);
  } catch {
    const start = text.lastIndexOf('\n{');
    return JSON.parse(start === -1 ? text : text.slice(start + 1));
  }
}

export function median(values) {
  const sorted = values.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
