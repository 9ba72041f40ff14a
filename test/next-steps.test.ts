/**
 * The closing advice of a run (README, "Next steps"), case by case: a server that is not the API,
 * rows whose answer was lost, `--plan` and `--changed-only`, a column with no header name, the
 * demo's closing lines, and `--json`. Rule-by-rule cases run in-process; each CLI case runs the
 * real CLI against the emulator or a small node:http server that is not the API.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunSummary } from '../src/run/run-types.js';
import { STATUSES, type RowStatus } from '../src/run/statuses.js';
import { formatSummary, nextCommand, summaryToJson } from '../src/report/summary.js';
import {
  CLI,
  TEST_API_KEY,
  TEST_PORTAL_CODE,
  emulatorEnv,
  runCli,
  tempDir,
  useEmulators,
  writeFile,
} from './helpers.js';
import { cleanEnv, nextOf, runShell } from './shell.js';

const emulator = useEmulators();

function summaryOf(
  mode: RunSummary['mode'],
  counts: Partial<Record<RowStatus, number>>,
  more: Partial<RunSummary> = {},
): RunSummary {
  const all = Object.fromEntries(STATUSES.map((s) => [s, counts[s] ?? 0])) as Record<RowStatus, number>;
  return {
    mode,
    input: '/tmp/x/c.csv',
    resultsPath:
      mode === 'plan'
        ? '/tmp/x/c.plan.csv'
        : mode.startsWith('delete')
          ? '/tmp/x/c.delete.csv'
          : '/tmp/x/c.results.csv',
    errorsPath: '/tmp/x/c.results.errors.csv',
    journalPath: undefined,
    rows: Object.values(all).reduce((a, b) => a + b, 0),
    counts: all,
    errorGroups: [],
    warnings: 0,
    warningGroups: [],
    retries: 0,
    elapsedMs: 10,
    rowsPerSecond: 100,
    reused: 0,
    stopped: undefined,
    unmappedColumns: [],
    ...more,
  };
}

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

async function hostile(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Record<string, string>> {
  const server = createServer((req, res) => {
    req.resume();
    handler(req, res);
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    CIOPULSE_BASE_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v5`,
    CIOPULSE_PORTAL_CODE: TEST_PORTAL_CODE,
    CIOPULSE_API_KEY: TEST_API_KEY,
  };
}

function apiNotFound(res: ServerResponse): void {
  res
    .writeHead(404, { 'content-type': 'application/json' })
    .end(JSON.stringify({ message: 'A Contact with this System ID was not found', status: 404 }));
}

/** A server that is not the API: every request gets the API-shaped 404, so the first PUT stops the run. */
function notTheApi(): Promise<Record<string, string>> {
  return hostile((_req, res) => apiNotFound(res));
}

const NOT_API_ADVICE = 'fix the base URL (it usually ends in /api/v5); `check` shows what is in use';

describe('Next: advice, rule by rule', () => {
  it('not_api: fix the base URL first; --resume only when a journal was kept', () => {
    const stopped = { reason: 'not_api' as const, message: 'not the API' };
    const withJournal = nextCommand(
      summaryOf('import', { failed: 1, skipped: 9 }, { stopped, journalPath: '/tmp/x/c.results.csv.journal' }),
    );
    expect(withJournal).toEqual({ advice: NOT_API_ADVICE, command: 'ciopulse-contacts import /tmp/x/c.csv --resume' });
    const atCheck = nextCommand(summaryOf('import', { skipped: 10 }, { stopped }));
    expect(atCheck).toEqual({ advice: NOT_API_ADVICE, command: 'ciopulse-contacts import /tmp/x/c.csv' });
  });

  it('uncertain rows alone: --resume sends them again, safe as a PUT is an upsert; mixed with errors: fix, and they go again as they are', () => {
    const only = nextCommand(summaryOf('import', { updated: 8, uncertain: 2 }));
    expect(only?.advice).toBe(
      '2 rows lost their answers (maybe applied); sending again is safe (a PUT is an upsert), and --resume sends only those',
    );
    expect(only?.command).toBe('ciopulse-contacts import /tmp/x/c.csv --resume');
    const mixed = nextCommand(summaryOf('import', { updated: 7, uncertain: 1, invalid: 2 }));
    expect(mixed?.advice).toBe('fix /tmp/x/c.results.errors.csv (its 1 uncertain row is sent again as it is)');
    expect(mixed?.command).toBe('ciopulse-contacts import /tmp/x/c.results.errors.csv');
    const del = nextCommand(summaryOf('delete', { deleted: 3, uncertain: 1 }));
    expect(del?.command).toBe('ciopulse-contacts delete /tmp/x/c.csv --resume --ignore-missing');
  });

  it('--plan suggests --changed-only only when it sends fewer requests; an import never does', () => {
    const mostlySame = summaryOf('plan', { 'would-update': 2, unchanged: 48 }, { changedOnlyRequests: 2 });
    expect(nextCommand(mostlySame)?.command).toBe('ciopulse-contacts import /tmp/x/c.csv --changed-only');
    expect(formatSummary(mostlySame)).toContain(
      '--changed-only would send 2 PUTs for 50 rows (plus one GET all); Next: uses it',
    );
    const allNew = summaryOf('plan', { 'would-create': 3 }, { changedOnlyRequests: 3 });
    expect(nextCommand(allNew)?.command).toBe('ciopulse-contacts import /tmp/x/c.csv');
    expect(nextCommand(summaryOf('import', { updated: 50, uncertain: 0 }))).toBeUndefined();
    expect(nextCommand(summaryOf('import', { updated: 48, invalid: 2 }))?.command).not.toContain('--changed-only');
  });

  it('--json carries next {advice, command}, warningGroups, keptEmptyRows, changedOnlyRequests and the uncertain count, null when they do not apply', () => {
    const plan = JSON.parse(
      summaryToJson(
        summaryOf('plan', { 'would-update': 1, unchanged: 9 }, { changedOnlyRequests: 1, keptEmptyRows: 2 }),
      ),
    ) as Record<string, unknown>;
    expect(plan.next).toEqual({ advice: null, command: 'ciopulse-contacts import /tmp/x/c.csv --changed-only' });
    expect(plan).toMatchObject({
      keptEmptyRows: 2,
      changedOnlyRequests: 1,
      warningGroups: [],
      journalPath: null,
      stopped: null,
    });
    const run = JSON.parse(summaryToJson(summaryOf('import', { updated: 1, uncertain: 1 }))) as {
      counts: Record<string, number>;
      keptEmptyRows: unknown;
      changedOnlyRequests: unknown;
      next: { advice: string };
    };
    expect(run.counts.uncertain).toBe(1);
    expect(run.keptEmptyRows).toBeNull();
    expect(run.changedOnlyRequests).toBeNull();
    expect(run.next.advice).toMatch(/sending again is safe/);
  });
});

describe('Next: through the real CLI', () => {
  it('a PUT answered 404 (not the API): advice to fix the base URL, and the pasted --resume finishes against the real API', async () => {
    const env = await notTheApi();
    const dir = tempDir('notapi-');
    const file = writeFile(
      dir,
      'c.csv',
      'system_id,first_name,last_name,email\nN1,Ann,Lee,n1@x.com\nN2,Bob,Ng,n2@x.com\nN3,Cy,Ong,n3@x.com\n',
    );
    const stopped = await runCli(['import', file, '--concurrency', '1'], { cwd: dir, env });
    expect(stopped.code).toBe(2);
    const next = nextOf(stopped.stdout);
    expect(next?.advice).toBe(NOT_API_ADVICE);
    expect(next?.command).toBe(`node -- ${CLI} import c.csv --resume`);

    // The base URL fixed (the emulator's), the pasted command sends the rows that have no answer.
    const emu = await emulator();
    const resumed = await runShell(next?.command ?? 'false', { cwd: dir, env: cleanEnv(emulatorEnv(emu)) });
    expect(resumed.code).toBe(0);
    expect(
      emu
        .contacts()
        .map((c) => c.system_id)
        .sort(),
    ).toEqual(['N1', 'N2', 'N3']);
  });

  it('rows whose answers were lost: re-running is safe, and the pasted --resume sends them again', async () => {
    // The credential check gets the API's own 404; every PUT's connection is cut before an answer.
    const env = await hostile((req, res) => (req.method === 'GET' ? apiNotFound(res) : res.destroy()));
    const dir = tempDir('lost-');
    writeFile(dir, 'c.csv', 'system_id,first_name,last_name,email\nL1,Ann,Lee,l1@x.com\nL2,Bob,Ng,l2@x.com\n');
    const lost = await runCli(['import', 'c.csv', '--retries', '0'], { cwd: dir, env });
    expect(lost.stdout).toMatch(/^ {2}uncertain +2$/m);
    expect(lost.code).toBe(1);
    const next = nextOf(lost.stdout);
    expect(next?.advice).toBe(
      '2 rows lost their answers (maybe applied); sending again is safe (a PUT is an upsert), and --resume sends only those',
    );
    expect(next?.command).toBe(`node -- ${CLI} import c.csv --resume`);

    const emu = await emulator();
    const resumed = await runShell(next?.command ?? 'false', { cwd: dir, env: cleanEnv(emulatorEnv(emu)) });
    expect(resumed.code).toBe(0);
    expect(
      emu
        .contacts()
        .map((c) => c.system_id)
        .sort(),
    ).toEqual(['L1', 'L2']);
  });

  it('--plan with most rows unchanged: Next: is a pasteable import --changed-only that sends only the changed row', async () => {
    const emu = await emulator();
    const env = emulatorEnv(emu);
    const dir = tempDir('plan-next-');
    const rows = Array.from({ length: 6 }, (_, i) => `P${i},F${i},L${i},p${i}@x.com`);
    writeFile(dir, 'c.csv', `system_id,first_name,last_name,email\n${rows.join('\n')}\n`);
    expect((await runCli(['import', 'c.csv'], { cwd: dir, env })).code).toBe(0);
    const ordinary = await runCli(['import', 'c.csv', '--restart'], { cwd: dir, env });
    expect(ordinary.stdout).not.toContain('--changed-only');

    writeFile(dir, 'c.csv', `system_id,first_name,last_name,email\n${rows.join('\n').replace('F2', 'Changed')}\n`);
    const plan = await runCli(['import', 'c.csv', '--plan'], { cwd: dir, env });
    expect(plan.code).toBe(0);
    const next = nextOf(plan.stdout);
    expect(next).toEqual({ advice: undefined, command: `node -- ${CLI} import c.csv --changed-only` });
    emu.resetStats();
    const pasted = await runShell(next?.command ?? 'false', { cwd: dir, env: cleanEnv(env) });
    expect(pasted.code).toBe(0);
    expect(pasted.stdout).toMatch(/^ {2}updated +1$/m);
    expect(emu.stats().byMethod.PUT).toBe(1);
    expect(emu.contacts().find((c) => c.system_id === 'P2')?.first_name).toBe('Changed');
  });

  it('a field mapped from a column with no header name is "column 5 (no header)" in row errors', async () => {
    const dir = tempDir('noheader-');
    const file = writeFile(dir, 'c.csv', 'system_id,first_name,last_name,email,\nA1,Ann,Lee,a@x.com,12\n');
    const dry = await runCli(['import', file, '--dry-run', '--map', '#5=mobile'], { cwd: dir });
    expect(dry.code).toBe(1);
    expect(dry.stdout).toContain('first at line 2: column 5 (no header) "12" is not');
    expect(dry.stdout).not.toContain('column ""');
  });

  it('demo: no Next: command that needs its stopped emulator; the closing lines say how to start one and import by hand', async () => {
    const out = tempDir('demo-next-');
    const demo = await runCli(['demo', '--out', out]);
    expect(demo.code).toBe(0);
    expect(demo.stdout).not.toMatch(/^Next:/m);
    expect(demo.stdout).toMatch(/^ {2}1\. in another terminal: +ciopulse-contacts emulator --port 8787 \| tee \.env$/m);
    expect(demo.stdout).toMatch(
      /^ {2}2\. then here: +chmod 600 \.env && ciopulse-contacts import \S*samples\/contacts\.csv --env-file \.env$/m,
    );
  });

  it('--json from a plan: next, keptEmptyRows, changedOnlyRequests and warningGroups are all there', async () => {
    const emu = await emulator();
    const dir = tempDir('json-next-');
    writeFile(dir, 'c.csv', 'system_id,first_name,last_name,email\nJ1,Ann,Lee,j1@x.com\n');
    const plan = await runCli(['import', 'c.csv', '--plan', '--json'], { cwd: dir, env: emulatorEnv(emu) });
    expect(plan.code).toBe(0);
    const summary = JSON.parse(plan.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({
      changedOnlyRequests: 1,
      keptEmptyRows: 0,
      warningGroups: [],
      next: { advice: null, command: `node -- ${CLI} import c.csv` },
    });
    expect((summary.counts as Record<string, number>).uncertain).toBe(0);
  });
});
