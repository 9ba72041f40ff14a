/**
 * `ciopulse-contacts emulator` as a process, the way benchmarks and people run it (README,
 * "emulator"): three env-file lines on stdout, then up until SIGTERM, then exit 0. Needs
 * `npm run build` (the npm `pretest` script does it).
 */
import { describe, it, expect, afterEach } from 'vitest';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ROOT, tempDir } from './helpers.js';

interface RunningCli {
  child: ChildProcessWithoutNullStreams;
  lines: string[];
  env: Record<string, string>;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running: RunningCli[] = [];
afterEach(() => {
  for (const cli of running.splice(0)) if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
});

/** Starts the CLI and resolves once its three startup lines have arrived. */
function startCli(args: string[], extraEnv: Record<string, string> = {}): Promise<RunningCli> {
  const env: Record<string, string> = { NO_COLOR: '1' };
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('CIOPULSE_')) env[key] = value;
  }
  Object.assign(env, extraEnv);
  const child = spawn(process.execPath, [CLI, 'emulator', ...args], {
    cwd: ROOT,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no startup lines within 15 s; stderr: ${stderr}`)), 15_000);
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const lines = stdout.split('\n');
      if (lines.length < 4) return;
      clearTimeout(timer);
      const parsed = Object.fromEntries(
        lines.slice(0, 3).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
      );
      const cli: RunningCli = { child, lines: lines.slice(0, -1), env: parsed, stderr: () => stderr, exited };
      running.push(cli);
      resolve(cli);
    });
    exited.then(({ code }) => {
      clearTimeout(timer);
      reject(
        new Error(
          `${CLI} exited with ${code} before printing its startup lines (run npm run build first); stderr: ${stderr}`,
        ),
      );
    }, reject);
  });
}

function authorization(env: Record<string, string>): string {
  return `Basic ${Buffer.from(`${env.CIOPULSE_PORTAL_CODE}:${env.CIOPULSE_API_KEY}`).toString('base64')}`;
}

/** PUT one contact to a running emulator; the HTTP status. */
async function putContact(env: Record<string, string>, systemId: string, body: string): Promise<number> {
  const response = await fetch(`${env.CIOPULSE_BASE_URL ?? ''}/contacts/${systemId}`, {
    method: 'PUT',
    headers: { authorization: authorization(env), 'content-type': 'application/json' },
    body,
  });
  return response.status;
}

describe('ciopulse-contacts emulator', () => {
  it('prints exactly three env-file lines, answers authenticated requests, and exits 0 on SIGTERM', async () => {
    const cli = await startCli(['--port', '0']);
    expect(cli.lines).toHaveLength(3);
    expect(cli.lines[0]).toMatch(/^CIOPULSE_BASE_URL=http:\/\/127\.0\.0\.1:\d+\/api\/v5$/);
    expect(cli.lines[1]).toMatch(/^CIOPULSE_PORTAL_CODE=\S+$/);
    expect(cli.lines[2]).toMatch(/^CIOPULSE_API_KEY=[A-Za-z0-9]{40}$/);

    const baseUrl = cli.env.CIOPULSE_BASE_URL ?? '';
    const response = await fetch(`${baseUrl}/contacts`, { headers: { authorization: authorization(cli.env) } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ contacts: [] });
    expect((await fetch(`${baseUrl}/contacts`)).status).toBe(401);

    cli.child.kill('SIGTERM');
    expect(await cli.exited).toEqual({ code: 0, signal: null });
  });

  it('--host 0.0.0.0 prints the address it really listens on and warns that every interface can reach it', async () => {
    const cli = await startCli(['--port', '0', '--host', '0.0.0.0']);
    // The env line stays usable from this machine; the listening line tells the truth.
    expect(cli.lines[0]).toMatch(/^CIOPULSE_BASE_URL=http:\/\/127\.0\.0\.1:\d+\/api\/v5$/);
    const deadline = Date.now() + 10_000;
    while (!cli.stderr().includes('listening on') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    cli.child.kill('SIGTERM');
    await cli.exited;
    expect(cli.stderr()).toMatch(/listening on http:\/\/0\.0\.0\.0:\d+\/api\/v5/);
    expect(cli.stderr()).toContain('warning: it listens on every interface');
  });

  it('takes CIOPULSE_PORTAL_CODE and CIOPULSE_API_KEY from the environment, and flushes --data on SIGTERM', async () => {
    const dir = tempDir('emulator-cli-');
    const dataFile = join(dir, 'contacts.json');
    const key = 'EmuLatorCliTestKey0123456789abcdefghijkl';
    const cli = await startCli(['--port', '0', '--data', dataFile, '--latency', '1'], {
      CIOPULSE_PORTAL_CODE: 'CLITEST',
      CIOPULSE_API_KEY: key,
    });
    expect(cli.env.CIOPULSE_PORTAL_CODE).toBe('CLITEST');
    expect(cli.env.CIOPULSE_API_KEY).toBe(key);

    expect(
      await putContact(cli.env, 'cli-1', '{"first_name":"Cli","last_name":"Test","email":"cli@example.com"}'),
    ).toBe(201);

    cli.child.kill('SIGTERM');
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(JSON.parse(readFileSync(dataFile, 'utf8'))).toEqual({
      contacts: [
        {
          system_id: 'cli-1',
          first_name: 'Cli',
          last_name: 'Test',
          email: 'cli@example.com',
          job_title: null,
          mobile: null,
        },
      ],
    });
    // A new data file holds people's emails and phones: 600, and it stays so after every save.
    expect(statSync(dataFile).mode & 0o777).toBe(0o600);
  });

  it('keeps the mode of an existing --data file across its atomic saves', async () => {
    const dir = tempDir('emulator-cli-');
    const dataFile = join(dir, 'contacts.json');
    writeFileSync(dataFile, '{"contacts":[]}\n');
    chmodSync(dataFile, 0o640);
    const cli = await startCli(['--port', '0', '--data', dataFile]);
    expect(
      await putContact(cli.env, 'mode-1', '{"first_name":"Mode","last_name":"Kept","email":"mode@example.com"}'),
    ).toBe(201);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect((JSON.parse(readFileSync(dataFile, 'utf8')) as { contacts: unknown[] }).contacts).toHaveLength(1);
    expect(statSync(dataFile).mode & 0o777).toBe(0o640);
  });
});
