/**
 * The rules behind settings and messages, in process and fast: precedence, quoting, run names,
 * the next step, and "did you mean". The end-to-end checks are in settings.test.ts and
 * messages.test.ts.
 */
import { chmodSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BASE_URL, inspectSettings, resolveConnection } from '../src/config.js';
import { shellQuote } from '../src/shell.js';
import { unauthorizedHint } from '../src/api/failures.js';
import { closestFlag } from '../src/cli/usage.js';
import { launcherWords } from '../src/cli/options.js';
import { resolveResultsPath } from '../src/run/paths.js';
import { STATUSES, type RowStatus } from '../src/run/statuses.js';
import type { RunSummary } from '../src/run/run-types.js';
import { nextCommand } from '../src/report/summary.js';
import { TEST_API_KEY, secretsDir, writeFile } from './helpers.js';

function summary(overrides: Partial<RunSummary> & { count?: Partial<Record<RowStatus, number>> }): RunSummary {
  const counts = Object.fromEntries(STATUSES.map((s) => [s, overrides.count?.[s] ?? 0])) as Record<RowStatus, number>;
  return {
    mode: 'import',
    input: 'c.csv',
    resultsPath: 'c.results.csv',
    errorsPath: 'c.results.errors.csv',
    journalPath: undefined,
    rows: 3,
    counts,
    errorGroups: [],
    warningGroups: [],
    warnings: 0,
    retries: 0,
    elapsedMs: 1,
    rowsPerSecond: 1,
    reused: 0,
    stopped: undefined,
    unmappedColumns: [],
    ...overrides,
  };
}

describe('settings precedence', () => {
  it('flag > --env-file > environment > .env > default, and .env only without --env-file', () => {
    const cwd = secretsDir();
    writeFile(
      cwd,
      '.env',
      'CIOPULSE_BASE_URL=http://127.0.0.1:1/api/v5\nCIOPULSE_PORTAL_CODE=DOT\nCIOPULSE_API_KEY=\n',
    );
    const envFile = writeFile(secretsDir(), 'x.env', `CIOPULSE_PORTAL_CODE=FILE\nCIOPULSE_API_KEY=${TEST_API_KEY}\n`);
    chmodSync(envFile, 0o600);
    const env = { CIOPULSE_BASE_URL: 'http://127.0.0.1:2/api/v5', CIOPULSE_PORTAL_CODE: 'ENV' };
    const dotOnly = inspectSettings({}, { CIOPULSE_API_KEY: TEST_API_KEY }, cwd);
    expect(dotOnly.portalCode).toEqual({ value: 'DOT', from: { source: '.env', path: '.env' } });
    expect(dotOnly.apiKey?.from).toEqual({ source: 'environment' });
    expect(inspectSettings({}, env, cwd).portalCode?.value).toBe('ENV');
    const withFile = inspectSettings({ envFile }, env, cwd);
    expect(withFile.portalCode?.value).toBe('FILE');
    expect(withFile.dotEnv).toMatchObject({ read: false });
    expect(inspectSettings({ envFile, portalCode: 'FLAG' }, env, cwd).portalCode).toEqual({
      value: 'FLAG',
      from: { source: 'flag' },
    });
    expect(inspectSettings({}, {}, secretsDir()).baseUrl).toEqual({
      value: DEFAULT_BASE_URL,
      from: { source: 'default' },
    });
    const connection = resolveConnection({}, { CIOPULSE_API_KEY: TEST_API_KEY }, cwd);
    expect(connection.fromDotEnv).toEqual(['CIOPULSE_BASE_URL', 'CIOPULSE_PORTAL_CODE']);
    expect(JSON.stringify(withFile)).not.toContain(TEST_API_KEY);
  });

  it('names the emulator’s fresh key only for a loopback base URL', () => {
    expect(unauthorizedHint('http://127.0.0.1:8787/api/v5')).toMatch(/new key each time it starts/);
    expect(unauthorizedHint('http://[::1]:8787/api/v5')).toMatch(/new key/);
    expect(unauthorizedHint(DEFAULT_BASE_URL)).not.toMatch(/emulator/);
  });
});

describe('messages', () => {
  it('quotes words for a POSIX shell only when needed', () => {
    expect(shellQuote('samples/contacts.csv')).toBe('samples/contacts.csv');
    expect(shellQuote("it's here.csv")).toBe(`'it'\\''s here.csv'`);
    expect(shellQuote('#N/A')).toBe(`'#N/A'`);
    expect(shellQuote('')).toBe(`''`);
    expect(shellQuote('$HOME`x`')).toBe(`'$HOME\`x\`'`);
  });

  it('names the run of a re-imported errors file retry-n, never piling names', () => {
    expect(resolveResultsPath('d/c.csv', 'import')).toBe('d/c.results.csv');
    expect(resolveResultsPath('d/c.results.errors.csv', 'import')).toBe('d/c.retry-1.results.csv');
    expect(resolveResultsPath('d/c.retry-1.results.errors.csv', 'import')).toBe('d/c.retry-2.results.csv');
    expect(resolveResultsPath('d/c.delete.errors.csv', 'delete')).toBe('d/c.retry-1.delete.csv');
    expect(resolveResultsPath('d/my.errors.csv', 'import')).toBe('d/my.errors.results.csv');
  });

  it('suggests only steps that make sense, started the way this run was', () => {
    const rerun = { launcher: ['npx', 'ciopulse-contacts'], flags: ['--env-file', 'my env'] };
    expect(nextCommand(summary({ rows: 0 }), rerun)).toBeUndefined();
    expect(nextCommand(summary({ count: { created: 3 } }), rerun)).toBeUndefined();
    expect(nextCommand(summary({ count: { invalid: 1 } }), rerun)).toEqual({
      advice: 'fix c.results.errors.csv',
      command: "npx ciopulse-contacts import c.results.errors.csv --env-file 'my env'",
    });
    // Stopped at the credential check: no journal, so the same command again, not --resume.
    const auth = { stopped: { reason: 'auth' as const, message: '401' } };
    expect(nextCommand(summary(auth), rerun)?.command).toBe("npx ciopulse-contacts import c.csv --env-file 'my env'");
    expect(
      nextCommand(summary({ ...auth, journalPath: 'c.results.csv.journal' }), {
        ...rerun,
        resumeFlags: ['--limit', '5'],
      })?.command,
    ).toBe("npx ciopulse-contacts import c.csv --env-file 'my env' --resume --limit 5");
    const gone = {
      mode: 'delete' as const,
      count: { failed: 2 },
      errorGroups: [{ code: 'not_found' as const, count: 2, firstLine: 2, example: 'x' }],
    };
    expect(nextCommand(summary(gone), rerun)).toBeUndefined();
  });

  it('did you mean: dashes and case ignored, small typos caught, strangers left alone', () => {
    const known = ['dry-run', 'limit', 'results', 'env-file'];
    expect(closestFlag('dryrun', known)).toBe('dry-run');
    expect(closestFlag('limt', known)).toBe('limit');
    expect(closestFlag('envfile', known)).toBe('env-file');
    expect(closestFlag('colour', known)).toBeUndefined();
    expect(launcherWords({ npm_command: 'exec' }, '/x/node_modules/.bin/ciopulse-contacts')).toEqual([
      'npx',
      'ciopulse-contacts',
    ]);
    expect(launcherWords({ npm_command: 'exec' }, '/abs/dist/cli/main.js')).toEqual([
      'node',
      '--',
      '/abs/dist/cli/main.js',
    ]);
    expect(launcherWords({}, '/usr/local/bin/ciopulse-contacts')).toEqual(['ciopulse-contacts']);
  });
});
