/**
 * Shared test helpers: run the real CLI as a process (the built dist/, as a user would), temp
 * folders, and CSV reading. HTTP is never mocked: tests start the emulator on a loopback port.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach } from 'vitest';
import { startEmulator, type Emulator, type EmulatorOptions } from '../src/emulator/server.js';

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

/**
 * The user's API key as the tests use it. test/global-setup.ts greps everything the CLI printed
 * or wrote during the whole suite for it, plain and as the base64 Basic credential.
 */
export const TEST_PORTAL_CODE = 'TESTPORTAL';
export const TEST_API_KEY = 'tEsTkEy0NeverPrinted1ZQXW9vb8nm7lk6jh5gf';

/** Where the global setup collects transcripts and temp folders for that grep. */
const SUITE_ROOT = process.env.CIOPULSE_TEST_ROOT ?? tmpdir();
let transcriptCount = 0;

function keepTranscript(args: readonly string[], stdout: string, stderr: string): void {
  if (process.env.CIOPULSE_TEST_ROOT === undefined) return;
  transcriptCount++;
  writeFileSync(join(SUITE_ROOT, `transcript-${process.pid}-${transcriptCount}.txt`), `${args.join(' ')}\n${stdout}\n${stderr}`);
}

/** Runs `node dist/cli/main.js ...args` with a clean environment (no inherited CIOPULSE_*). */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('CIOPULSE_') && key !== 'FORCE_COLOR') env[key] = value;
  }
  env.NO_COLOR = '1';
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return new Promise((resolvePromise, reject) => {
    // `--` as the bin's shebang does: Node 20 would otherwise take `--env-file` for itself.
    const child = spawn(process.execPath, ['--', CLI, ...args], { cwd: options.cwd ?? ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
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

/** Environment for the CLI that points at an emulator. */
export function emulatorEnv(emulator: { baseUrl: string; portalCode: string; apiKey: string }): Record<string, string> {
  return { CIOPULSE_BASE_URL: emulator.baseUrl, CIOPULSE_PORTAL_CODE: emulator.portalCode, CIOPULSE_API_KEY: emulator.apiKey };
}

/** A fresh folder, inside the suite's root so the secret grep sees every file written there. */
export function tempDir(prefix = 'ciopulse-'): string {
  return mkdtempSync(join(SUITE_ROOT, prefix));
}

/**
 * A folder outside the suite's root, for the test's own inputs that hold the key on purpose
 * (key files, env files): the leak check is about what the CLI writes, not what a test wrote.
 */
export function secretsDir(): string {
  return mkdtempSync(join(tmpdir(), 'ciopulse-secrets-'));
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
