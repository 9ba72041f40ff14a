/**
 * Shared test helpers: run the real CLI as a process (the built dist/, as a user would), temp
 * folders, and CSV reading. HTTP is never mocked: tests start the emulator on a loopback port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, inject } from 'vitest';
import { Secret, type Connection } from '../src/config.js';
import type { Contact } from '../src/contact/schema.js';
import { startEmulator, type Emulator, type EmulatorOptions } from '../src/emulator/server.js';
import { TEST_API_KEY, TEST_PORTAL_CODE } from './fixtures.js';

export const ROOT = resolve(import.meta.dirname, '..');
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  stdin?: string;
  timeoutMs?: number;
}

/** The suite's fixed data (test/fixtures.ts), for the tests that import everything from here. */
export { CSV_HEADER, TEST_API_KEY, TEST_PORTAL_CODE } from './fixtures.js';

/**
 * Where the global setup collects transcripts and temp folders for that grep. Provided to each
 * vitest project (its workers do not see the setup's environment).
 */
const PROVIDED_ROOT: string | undefined = inject('suiteRoot');
const SUITE_ROOT = PROVIDED_ROOT ?? tmpdir();
let transcriptCount = 0;

function keepTranscript(args: readonly string[], stdout: string, stderr: string): void {
  if (PROVIDED_ROOT === undefined) return;
  transcriptCount++;
  writeFileSync(
    join(SUITE_ROOT, `transcript-${process.pid}-${transcriptCount}.txt`),
    `${args.join(' ')}\n${stdout}\n${stderr}`,
  );
}

function cliEnv(extra: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('CIOPULSE_') && key !== 'FORCE_COLOR') env[key] = value;
  }
  env.NO_COLOR = '1';
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Runs `node dist/cli/main.js ...args` with a clean environment (no inherited CIOPULSE_*). */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const env = cliEnv(options.env ?? {});
  return new Promise((resolvePromise, reject) => {
    // `--` as the bin's shebang does: Node 20 would otherwise take `--env-file` for itself.
    const child = spawn(process.execPath, ['--', CLI, ...args], {
      cwd: options.cwd ?? ROOT,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      keepTranscript(args, stdout, stderr);
      resolvePromise({ code, signal, stdout, stderr });
    });
    if (options.stdin !== undefined) child.stdin.end(options.stdin);
    else child.stdin.end();
  });
}

/** A contact with every field, named after its system_id (`FK1 LK1`, `k1@example.com`). */
export function contact(id: string, extra: Partial<Contact> = {}): Contact {
  return {
    system_id: id,
    first_name: `F${id}`,
    last_name: `L${id}`,
    email: `${id.toLowerCase()}@example.com`,
    job_title: null,
    mobile: null,
    ...extra,
  };
}

/** The library's connection to an in-process emulator. */
export function connectionOf(emu: Emulator): Connection {
  return { baseUrl: emu.baseUrl, portalCode: emu.portalCode, apiKey: new Secret(emu.apiKey) };
}

/** Environment for the CLI that points at an emulator. */
export function emulatorEnv(emulator: { baseUrl: string; portalCode: string; apiKey: string }): Record<string, string> {
  return {
    CIOPULSE_BASE_URL: emulator.baseUrl,
    CIOPULSE_PORTAL_CODE: emulator.portalCode,
    CIOPULSE_API_KEY: emulator.apiKey,
  };
}

/** A fresh folder, inside the suite's root so the secret grep sees every file written there. */
export function tempDir(prefix = 'ciopulse-'): string {
  return mkdtempSync(join(SUITE_ROOT, prefix));
}

/**
 * Where util-linux `script` (a pseudo-terminal for the CLI) keeps its transcript: a file of the
 * test's own, never a device of the machine, since CI runs as root (docs/ARCHITECTURE.md, "Tests").
 */
export function ptyTranscript(): string {
  return join(tempDir('pty-'), 'transcript');
}

/**
 * A folder outside the suite's root, for the test's own inputs that hold the key on purpose
 * (key files, env files): the leak check is about what the CLI writes, not what a test wrote.
 */
export function secretsDir(): string {
  return mkdtempSync(join(tmpdir(), 'ciopulse-secrets-'));
}

/** A folder for one test file, made on first use, and a writer of numbered files in it. */
export function createScratch(prefix: string): {
  readonly dir: string;
  write: (content: string | Buffer, name?: string) => string;
} {
  let dir: string | undefined;
  let counter = 0;
  const scratch = {
    get dir(): string {
      return (dir ??= tempDir(prefix));
    },
    write: (content: string | Buffer, name = `f${++counter}.csv`): string => writeFile(scratch.dir, name, content),
  };
  return scratch;
}

export function writeFile(dir: string, name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** Reads a CSV file into records (arrays), header included. */
export function readCsv(path: string): string[][] {
  return parse(readFileSync(path), { bom: true, relax_column_count: true });
}

/** Reads a results CSV into objects keyed by header (last duplicate wins; fine for the four result columns). */
export function readResults(path: string): Record<string, string>[] {
  const [header, ...rows] = readCsv(path);
  if (header === undefined) return [];
  return rows.map((row) => Object.fromEntries(header.map((h, i) => [h, row[i] ?? ''])));
}

/**
 * Registers an afterEach that closes every emulator the test started, and returns a starter
 * for in-process emulators on a random loopback port with the suite's test credentials.
 */
export function useEmulators(): (options?: EmulatorOptions) => Promise<Emulator> {
  const started: Emulator[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((e) => e.close()));
  });
  return async (options = {}) => {
    const emulator = await startEmulator({ port: 0, portalCode: TEST_PORTAL_CODE, apiKey: TEST_API_KEY, ...options });
    started.push(emulator);
    return emulator;
  };
}

/**
 * Resolves once `holds(path)` is true, checking now and on every change fs.watch reports in the
 * file's folder (so a file created or renamed into place later is seen too). Rejects after
 * `timeoutMs`, naming `what`: a bound that fails the test, not a sleep that hopes.
 */
export function whenFile(
  path: string,
  holds: (path: string) => boolean,
  what: string,
  timeoutMs = 30_000,
  stop?: AbortSignal,
): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const check = (): boolean => {
      try {
        return existsSync(path) && holds(path);
      } catch {
        return false; // caught mid-write (e.g. half a JSON file): wait for the next change
      }
    };
    // Watch first, then look: a change between the two is then never missed.
    const watcher = watch(dirname(path));
    const timer = setTimeout(() => {
      watcher.close();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${basename(path)}: ${what}`));
    }, timeoutMs);
    const settle = (): void => {
      if (!check()) return;
      clearTimeout(timer);
      watcher.close();
      resolvePromise();
    };
    watcher.on('change', settle);
    watcher.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    stop?.addEventListener('abort', () => {
      clearTimeout(timer);
      watcher.close();
      resolvePromise();
    });
    settle();
  });
}

/** whenFile for "the file has grown past `bytes`". */
export function whenFileGrows(path: string, bytes: number, timeoutMs?: number, stop?: AbortSignal): Promise<void> {
  return whenFile(path, (p) => statSync(p).size > bytes, `more than ${bytes} bytes`, timeoutMs, stop);
}

/**
 * Starts `node dist/cli/main.js ...args` with the clean environment runCli uses, for a test that
 * acts on the process while it runs (signals). `done` resolves with the transcript when it ends.
 */
export function startCli(
  args: readonly string[],
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, ['--', CLI, ...args], {
    cwd: ROOT,
    env: cliEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<CliResult>((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      keepTranscript(args, stdout, stderr);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
  return { child, done };
}

/**
 * Runs the CLI and sends `signal` once `path` grows past `bytes` (a journal or results file: the
 * run is then under way, however fast the machine). Resolves with how the process ended; a run
 * that finished before the signal was sent ends with signal null, which a test can see.
 */
export async function runCliUntilFileGrows(
  args: readonly string[],
  env: Record<string, string>,
  path: string,
  bytes: number,
  signal: NodeJS.Signals,
): Promise<CliResult> {
  const { child, done } = startCli(args, env);
  const finished = new AbortController();
  // The watch stops when the run ends (a run that ends first is for the caller to judge) or
  // fails the test if the file has not grown within the bound.
  const watching = whenFileGrows(path, bytes, 60_000, finished.signal).then(() => {
    if (!finished.signal.aborted) child.kill(signal);
  });
  let result: CliResult;
  try {
    result = await Promise.race([done, watching.then(() => done)]);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  finished.abort();
  await watching;
  return result;
}

/**
 * How many times `run` opens `path` for reading: node:fs's createReadStream is wrapped for its
 * duration (as test/in-process-only.ts wraps child_process), so the count is of real reads.
 */
export async function countReads<T>(path: string, run: () => Promise<T>): Promise<{ result: T; reads: number }> {
  const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
  const original = fs.createReadStream;
  let reads = 0;
  fs.createReadStream = (file: Parameters<typeof original>[0], options?: Parameters<typeof original>[1]) => {
    if (typeof file === 'string' && resolve(file) === resolve(path)) reads++;
    return original(file, options);
  };
  syncBuiltinESMExports();
  try {
    return { result: await run(), reads };
  } finally {
    fs.createReadStream = original;
    syncBuiltinESMExports();
  }
}
