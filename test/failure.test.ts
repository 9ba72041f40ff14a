/**
 * Failure behaviour end to end (issue: retries, fail-fast, resume, Ctrl-C, credentials), proved
 * with the emulator's fault injection and a real CLI process.
 */
import { describe, expect, it } from 'vitest';
import { chmodSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  CSV_HEADER,
  emulatorEnv,
  readResults,
  runCli,
  runCliUntilFileGrows,
  secretsDir,
  tempDir,
  TEST_API_KEY,
  TEST_PORTAL_CODE,
  useEmulators,
  writeFile,
} from './helpers.js';

const emulator = useEmulators();

function contactsCsv(count: number, prefix = 'R'): string {
  const rows: string[] = [CSV_HEADER];
  for (let i = 0; i < count; i++)
    rows.push(
      `${prefix}${i},First${i},Last${i},${prefix.toLowerCase()}${i}@example.com,Title ${i},+614111${String(i).padStart(5, '0')}`,
    );
  return `${rows.join('\n')}\n`;
}

describe('retries under injected faults', () => {
  it('ends every row in the right state under 500s, lost responses, resets and 429s, never retrying before Retry-After', async () => {
    const emu = await emulator({ failRate: 0.1, loseRate: 0.05, resetRate: 0.02, throttleRate: 0.03, seed: 7 });
    const dir = tempDir('faults-');
    const file = writeFile(dir, 'c.csv', contactsCsv(3000));
    const result = await runCli(
      ['import', file, '--concurrency', '16', '--retries', '8', '--max-consecutive-failures', '50'],
      { env: emulatorEnv(emu), timeoutMs: 120_000 },
    );
    const results = readResults(join(dir, 'c.results.csv'));
    expect(results).toHaveLength(3000);
    expect(result.code).toBe(0);
    const server = new Map(emu.contacts().map((c) => [c.system_id, c]));
    for (const [i, row] of results.entries()) {
      expect(row.system_id).toBe(`R${i}`);
      expect(['created', 'updated']).toContain(row.status);
      expect(server.get(`R${i}`)?.job_title).toBe(`Title ${i}`);
    }
    // A lost response means the write may have been applied: the results say so.
    const lostRows = results.filter((r) => (r.detail ?? '').includes('response lost'));
    expect(lostRows.length).toBeGreaterThan(0);
    expect(
      lostRows
        .filter((r) => r.status === 'updated')
        .every((r) => (r.detail ?? '').includes('may have been the create')),
    ).toBe(true);

    const byKey = new Map<string, { t: number; status: number | string }[]>();
    for (const entry of emu.log()) {
      if (entry.method !== 'PUT' || entry.systemId === null) continue;
      const list = byKey.get(entry.systemId) ?? [];
      list.push({ t: entry.t, status: entry.status });
      byKey.set(entry.systemId, list);
    }
    let throttled = 0;
    for (const attempts of byKey.values()) {
      for (let i = 0; i + 1 < attempts.length; i++) {
        const a = attempts[i];
        const b = attempts[i + 1];
        if (a === undefined || b === undefined || a.status !== 429) continue;
        throttled++;
        expect(b.t - a.t).toBeGreaterThanOrEqual(999);
      }
    }
    expect(throttled).toBeGreaterThan(0);
  });
});

describe('fail fast', () => {
  it('a wrong key: exactly one request, every row skipped, exit 2, and the causes named', async () => {
    const emu = await emulator();
    const dir = tempDir('wrongkey-');
    const file = writeFile(dir, 'c.csv', contactsCsv(50));
    const result = await runCli(['import', file], { env: { ...emulatorEnv(emu), CIOPULSE_API_KEY: 'x'.repeat(40) } });
    expect(result.code).toBe(2);
    expect(emu.stats().requests).toBe(1);
    // Nothing was sent, so no results file replaces an earlier one (issue 23 item 11).
    expect(existsSync(join(dir, 'c.results.csv'))).toBe(false);
    expect(result.stdout).toMatch(/skipped\s+50/);
    expect(result.stderr).toMatch(/portal code/);
    expect(result.stderr).toMatch(/IP allow-list/);
    // It never got past the credential check: nothing to resume, and no journal left behind.
    expect(existsSync(join(dir, 'c.results.csv.journal'))).toBe(false);
    expect(result.stdout + result.stderr).not.toMatch(/--resume/);
  });

  it('a key that is not 40 characters is refused before any request', async () => {
    const emu = await emulator();
    const dir = tempDir('shortkey-');
    const file = writeFile(dir, 'c.csv', contactsCsv(2));
    const result = await runCli(['import', file], { env: { ...emulatorEnv(emu), CIOPULSE_API_KEY: 'short' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/40/);
    expect(emu.stats().requests).toBe(0);
  });

  it('a key revoked mid-run stops it within --concurrency further requests', async () => {
    const emu = await emulator({ revokeAfter: 40, latencyMs: 5 });
    const dir = tempDir('revoked-');
    const file = writeFile(dir, 'c.csv', contactsCsv(500));
    const result = await runCli(['import', file, '--concurrency', '8'], { env: emulatorEnv(emu) });
    expect(result.code).toBe(2);
    expect(emu.stats().requests).toBeLessThanOrEqual(40 + 8);
    const results = readResults(join(dir, 'c.results.csv'));
    expect(results).toHaveLength(500);
    const failed = results.filter((r) => r.status === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((r) => r.http_status === '401')).toBe(true);
    expect(results.filter((r) => r.status === 'skipped').length).toBeGreaterThan(400);
    expect(result.stdout).toMatch(/--resume/);
  });

  it('a dead server (every PUT 503) stops after --max-consecutive-failures rows, exit 2', async () => {
    let puts = 0;
    const server = createServer((req, res) => {
      req.resume();
      if (req.method === 'PUT') puts++;
      const status = req.method === 'GET' ? 404 : 503;
      res
        .writeHead(status, { 'content-type': 'application/json' })
        .end(JSON.stringify({ message: status === 404 ? 'not found' : 'Service Unavailable', status }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const dir = tempDir('dead-');
      const file = writeFile(dir, 'c.csv', contactsCsv(300));
      const result = await runCli(
        ['import', file, '--concurrency', '2', '--retries', '1', '--max-consecutive-failures', '5'],
        {
          env: {
            CIOPULSE_BASE_URL: `http://127.0.0.1:${port}/api/v5`,
            CIOPULSE_PORTAL_CODE: TEST_PORTAL_CODE,
            CIOPULSE_API_KEY: TEST_API_KEY,
          },
        },
      );
      expect(result.code).toBe(2);
      const results = readResults(join(dir, 'c.results.csv'));
      expect(results).toHaveLength(300);
      const failed = results.filter((r) => r.status === 'failed').length;
      expect(failed).toBeGreaterThanOrEqual(5);
      // Rows already sent when the fifth ran out of retries still finish: at most 2 × concurrency.
      expect(failed).toBeLessThanOrEqual(5 + 2 * 2);
      expect(results.filter((r) => r.status === 'skipped')).toHaveLength(300 - failed);
      expect(puts).toBeLessThanOrEqual((5 + 2 * 2) * 2);
      expect(result.stderr).toMatch(/in a row used up their retries/);
    } finally {
      server.close();
    }
  });
});

describe('resume and interruption', () => {
  it('after kill -9 at several points, --resume completes with at most --concurrency rows sent again each time', async () => {
    const emu = await emulator({ latencyMs: 4 });
    const dir = tempDir('kill-');
    const rows = 3000;
    const file = writeFile(dir, 'c.csv', contactsCsv(rows));
    const env = emulatorEnv(emu);
    const concurrency = 8;
    const journalPath = join(dir, 'c.results.csv.journal');
    // Kill points by journal size (about 70 bytes a row): a fifth, a half and four fifths through.
    const kills = [40_000, 100_000, 165_000];
    const first = await runCliUntilFileGrows(
      ['import', file, '--concurrency', String(concurrency), '--quiet'],
      env,
      journalPath,
      kills[0] ?? 0,
      'SIGKILL',
    );
    expect(first.signal).toBe('SIGKILL');
    for (const bytes of kills.slice(1)) {
      const resumed = await runCliUntilFileGrows(
        ['import', file, '--resume', '--concurrency', String(concurrency), '--quiet'],
        env,
        journalPath,
        bytes,
        'SIGKILL',
      );
      expect(resumed.signal).toBe('SIGKILL');
    }
    const final = await runCli(['import', file, '--resume', '--concurrency', String(concurrency)], {
      env,
      timeoutMs: 120_000,
    });
    expect(final.code).toBe(0);
    const results = readResults(join(dir, 'c.results.csv'));
    expect(results).toHaveLength(rows);
    expect(results.every((r) => r.status === 'created' || r.status === 'updated')).toBe(true);
    expect(emu.contacts()).toHaveLength(rows);
    const puts = new Map<string, number>();
    for (const entry of emu.log())
      if (entry.method === 'PUT' && entry.systemId !== null)
        puts.set(entry.systemId, (puts.get(entry.systemId) ?? 0) + 1);
    const resent = [...puts.values()].filter((n) => n > 1).length;
    expect(resent).toBeLessThanOrEqual(concurrency * kills.length);
    expect(existsSync(join(dir, 'c.results.csv.journal'))).toBe(false);
  });

  it("after kill -9, --resume takes the journal of excel-safe ('-1) and decomposed ids as their rows", async () => {
    const emu = await emulator({ latencyMs: 4 });
    const dir = tempDir('kill-ids-');
    const rows = 1500;
    // An --excel-safe export guards an id that starts with "-"; a Mac may save "Zoë" decomposed.
    const lines = ['system_id,first_name,last_name,email'];
    for (let i = 0; i < rows; i++) lines.push(`${i % 2 === 0 ? `'-${i}` : `Zoe\u0308-${i}`},A,B,k${i}@example.com`);
    const file = writeFile(dir, 'ids.csv', `${lines.join('\n')}\n`);
    const env = emulatorEnv(emu);
    const first = await runCliUntilFileGrows(
      ['import', file, '--concurrency', '4', '--quiet'],
      env,
      join(dir, 'ids.results.csv.journal'),
      20_000,
      'SIGKILL',
    );
    expect(first.signal).toBe('SIGKILL');
    const resumed = await runCli(['import', file, '--resume', '--concurrency', '4'], { env, timeoutMs: 120_000 });
    expect(resumed.stderr).not.toMatch(/another system_id/);
    expect(resumed.code).toBe(0);
    expect(emu.contacts()).toHaveLength(rows);
    expect(emu.contacts().some((c) => c.system_id === '-0')).toBe(true);
    expect(emu.contacts().some((c) => c.system_id === 'Zo\u00eb-1')).toBe(true);
  });

  it('SIGINT drains, writes every row (the rest skipped), says how to resume, and exits 130', async () => {
    const emu = await emulator({ latencyMs: 20 });
    const dir = tempDir('sigint-');
    const file = writeFile(dir, 'c.csv', contactsCsv(2000));
    const resultsPath = join(dir, 'c.results.csv');
    // Interrupt once rows are being answered, whatever the machine's speed.
    const result = await runCliUntilFileGrows(
      ['import', file, '--concurrency', '4'],
      emulatorEnv(emu),
      resultsPath,
      2000,
      'SIGINT',
    );
    expect(result.code).toBe(130);
    expect(result.stdout).toMatch(/--resume/);
    const results = readResults(join(dir, 'c.results.csv'));
    expect(results).toHaveLength(2000);
    expect(results.some((r) => r.status === 'skipped')).toBe(true);
    expect(results.some((r) => r.status === 'created')).toBe(true);
    // The rest at a higher concurrency: what is proved here is that --resume completes, not how fast.
    const resumed = await runCli(['import', file, '--resume', '--concurrency', '32'], { env: emulatorEnv(emu) });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(emu.contacts()).toHaveLength(2000);
  });

  it('refuses to resume from a dry run’s results or another input’s', async () => {
    const emu = await emulator();
    const dir = tempDir('resume-refuse-');
    const file = writeFile(dir, 'c.csv', contactsCsv(5));
    await runCli(['import', file, '--dry-run', '--results', join(dir, 'c.results.csv')]);
    const fromDry = await runCli(['import', file, '--resume'], { env: emulatorEnv(emu) });
    expect(fromDry.code).toBe(2);
    expect(fromDry.stderr).toMatch(/a dry run or a plan/);

    await runCli(['import', file], { env: emulatorEnv(emu) });
    writeFile(dir, 'c.csv', contactsCsv(5, 'OTHER'));
    const other = await runCli(['import', file, '--resume'], { env: emulatorEnv(emu) });
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/does not belong to this input/);
  });
});

describe('credentials and transport', () => {
  it('reads the key from a 600 key file and refuses one others can read', async () => {
    const emu = await emulator();
    const dir = tempDir('keyfile-');
    const file = writeFile(dir, 'c.csv', contactsCsv(3));
    const keyFile = writeFile(secretsDir(), 'key', `${TEST_API_KEY}\n`);
    chmodSync(keyFile, 0o644);
    const env = { CIOPULSE_BASE_URL: emu.baseUrl, CIOPULSE_PORTAL_CODE: emu.portalCode };
    const refused = await runCli(['import', file, '--api-key-file', keyFile], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/chmod 600/);
    chmodSync(keyFile, 0o600);
    const accepted = await runCli(['import', file, '--api-key-file', keyFile], { env });
    expect(accepted.code).toBe(0);
    expect(emu.contacts()).toHaveLength(3);
  });

  it('takes settings from --env-file over the environment, and flags over both', async () => {
    const emu = await emulator();
    const dir = tempDir('envfile-');
    const file = writeFile(dir, 'c.csv', contactsCsv(2));
    const envFile = writeFile(
      secretsDir(),
      '.env',
      `CIOPULSE_BASE_URL=${emu.baseUrl}\nCIOPULSE_PORTAL_CODE=WRONG\nCIOPULSE_API_KEY=${TEST_API_KEY}\n`,
    );
    // An env file that holds the key must be private, like a key file.
    chmodSync(envFile, 0o600);
    const result = await runCli(['import', file, '--env-file', envFile, '--portal-code', emu.portalCode], {
      env: { CIOPULSE_BASE_URL: 'http://127.0.0.1:9/api/v5', CIOPULSE_API_KEY: 'y'.repeat(40) },
    });
    expect(result.code).toBe(0);
    expect(emu.contacts()).toHaveLength(2);
  });

  it('refuses plain http to a host that is not loopback, before any request', async () => {
    const dir = tempDir('insecure-');
    const file = writeFile(dir, 'c.csv', contactsCsv(1));
    const result = await runCli(['import', file], {
      env: {
        CIOPULSE_BASE_URL: 'http://contacts.example.invalid/api/v5',
        CIOPULSE_PORTAL_CODE: TEST_PORTAL_CODE,
        CIOPULSE_API_KEY: TEST_API_KEY,
      },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--allow-insecure/);
  });
});
