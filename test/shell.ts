/**
 * Running the CLI the ways a user does: typed into a POSIX shell, through the installed bin, and
 * through npx, for the tests of --env-file and of pasteable `Next:` commands.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ROOT, secretsDir, type CliResult } from './helpers.js';

/** The environment without CIOPULSE_* and npm_* (vitest may itself run under npm or npx). */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('CIOPULSE_') && !key.startsWith('npm_') && key !== 'FORCE_COLOR')
      env[key] = value;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

/** Runs a command line in a POSIX shell, as a user would type it. */
export function runShell(command: string, options: { cwd: string; env?: Record<string, string> }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], {
      cwd: options.cwd,
      env: options.env ?? cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/**
 * A project that has the package installed, as npm lays it out: node_modules/ciopulse-contacts
 * and an executable node_modules/.bin/ciopulse-contacts link to its bin (npm makes it executable).
 */
export function fakeInstall(): string {
  // Outside the suite's root: it links the whole checkout, tests and their key included.
  const dir = secretsDir();
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(ROOT, join(dir, 'node_modules', 'ciopulse-contacts'));
  symlinkSync('../ciopulse-contacts/dist/cli/main.js', join(dir, 'node_modules', '.bin', 'ciopulse-contacts'));
  chmodSync(CLI, 0o755);
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'uses-ciopulse', version: '1.0.0', dependencies: { 'ciopulse-contacts': '*' } }),
  );
  return dir;
}

/** The `Next:` line of a summary: its advice (before ", then: ") and the command to paste. */
export function nextOf(stdout: string): { advice: string | undefined; command: string } | undefined {
  const line = /^Next: +(.*)$/m.exec(stdout)?.[1];
  if (line === undefined) return undefined;
  const split = /^(.*?), then: (.*)$/.exec(line);
  return split === null ? { advice: undefined, command: line } : { advice: split[1], command: split[2] ?? '' };
}
