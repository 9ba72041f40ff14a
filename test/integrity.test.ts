/**
 * Never lose or misreport a row (issue 11 items 1, 4, 6, 7, 8, 10; issue 12 item 3; issue 14 §2),
 * through the real CLI. Where an answer must be lost at an exact moment, a small node:http proxy
 * in front of the emulator misbehaves on purpose: it forwards the request (so the emulator
 * applies it) and then drops the answer, or never answers at all.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { once } from 'node:events';
import {
  emulatorEnv,
  readCsv,
  readResults,
  runCli,
  startCli,
  tempDir,
  useEmulators,
  writeFile,
  CSV_HEADER as HEADER,
} from './helpers.js';
import { openResume } from '../src/run/resume.js';
import { planImport } from '../src/run/entry.js';
import type { ResultRow } from '../src/run/results.js';
import { Secret } from '../src/config.js';

const emulator = useEmulators();

type Fault = 'lose' | 'hang' | '500' | '503' | undefined;

interface Proxy {
  env: Record<string, string>;
  /** Requests seen, by "METHOD id". */
  seen: Map<string, number>;
  /** Resolves when a request is being held (a 'hang'). */
  hung: Promise<void>;
  close(): Promise<void>;
}

/** A proxy to the emulator; `plan(method, id, attempt)` (attempt 1-based) picks a fault. */
async function startProxy(
  emu: { baseUrl: string; portalCode: string; apiKey: string },
  plan: (method: string, id: string, attempt: number) => Fault,
): Promise<Proxy> {
  const seen = new Map<string, number>();
  const held: ServerResponse[] = [];
  let onHang!: () => void;
  const hung = new Promise<void>((resolve) => (onHang = resolve));
  const target = new URL(emu.baseUrl);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = req.method ?? 'GET';
      const id = decodeURIComponent((req.url ?? '').split('/').pop() ?? '');
      const key = `${method} ${id}`;
      const attempt = (seen.get(key) ?? 0) + 1;
      seen.set(key, attempt);
      const fault = plan(method, id, attempt);
      if (fault === '500' || fault === '503') {
        res
          .writeHead(Number(fault), { 'content-type': 'application/json' })
          .end(JSON.stringify({ message: 'Transaction failed', status: Number(fault) }));
        return;
      }
      const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
      fetch(`${target.origin}${req.url ?? ''}`, {
        method,
        headers: { authorization: req.headers.authorization ?? '', 'content-type': 'application/json' },
        body,
      })
        .then(async (answer) => {
          const text = await answer.text();
          if (fault === 'lose') res.socket?.destroy();
          else if (fault === 'hang') {
            held.push(res);
            onHang();
          } else res.writeHead(answer.status, { 'content-type': 'application/json' }).end(text);
        })
        .catch(() => res.socket?.destroy());
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    env: { ...emulatorEnv(emu), CIOPULSE_BASE_URL: `http://127.0.0.1:${port}${target.pathname}` },
    seen,
    hung,
    async close() {
      for (const res of held) res.socket?.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

const start = startCli;

describe('superseded rows (issue 11 item 1) and ragged rows in the errors file (item 4)', () => {
  it('a failed row whose system_id a later row applied is superseded: not resumed, not in the errors file', async () => {
    const emu = await emulator();
    // The first PUT of X10 fails with a 500; the later row for X10 is applied.
    const proxy = await startProxy(emu, (method, id, attempt) =>
      method === 'PUT' && id === 'X10' && attempt === 1 ? '500' : undefined,
    );
    try {
      const dir = tempDir('superseded-');
      const file = writeFile(
        dir,
        'c.csv',
        `${HEADER}\nX10,Ann,Lee,x10@example.com,Old Title,\nX11,Bo,Li,x11@example.com,Dev,\nX12,Cy,Ng,x12@example.com,Dev,+61411111111,spill,over\nX10,Ann,Lee,x10@example.com,New Title,\n`,
      );
      const first = await runCli(['import', file, '--retries', '0'], { env: proxy.env });
      const results = readResults(join(dir, 'c.results.csv'));
      expect(results.map((r) => r.status)).toEqual(['superseded', 'created', 'invalid', 'created']);
      expect(results[0]?.detail).toMatch(/superseded by line 5/);
      expect(first.code).toBe(1); // the ragged row
      // The errors file holds the ragged row with every cell, and not the superseded row.
      const errors = readCsv(join(dir, 'c.results.errors.csv'));
      expect(errors.slice(1)).toEqual([['X12', 'Cy', 'Ng', 'x12@example.com', 'Dev', '+61411111111', 'spill', 'over']]);

      const puts = proxy.seen.get('PUT X10');
      const resumed = await runCli(['import', file, '--retries', '0', '--resume'], { env: proxy.env });
      expect(resumed.code).toBe(1);
      // Resumed rows keep their errors as data: the same cell, not re-wrapped as another code.
      expect(readResults(join(dir, 'c.results.csv')).map((r) => r.error)).toEqual(results.map((r) => r.error));
      expect(results[2]?.error).toMatch(/^ragged_row: /);
      expect(proxy.seen.get('PUT X10')).toBe(puts);
      expect(emu.contacts().find((c) => c.system_id === 'X10')?.job_title).toBe('New Title');
    } finally {
      await proxy.close();
    }
  });

  it('the issue’s repro against the emulator’s seeded faults: --resume leaves "New Title" in place', async () => {
    // Seed 5 draws fail, ok, ok for PUT X10's attempts 0, 1, 2: row 1 gets 500, row 2 is created,
    // and a resume that re-sent row 1 would succeed with the old title.
    const emu = await emulator({ failRate: 0.5, seed: 5 });
    const dir = tempDir('superseded-seeded-');
    const file = writeFile(
      dir,
      'c.csv',
      `${HEADER}\nX10,Ann,Lee,x10@example.com,Old Title,\nX10,Ann,Lee,x10@example.com,New Title,\n`,
    );
    // The credential check draws no fault (its system_id is random): every run gets past it.
    const run = (args: string[]): ReturnType<typeof runCli> => runCli(args, { env: emulatorEnv(emu) });
    const first = await run(['import', file, '--retries', '0']);
    expect(first.code).toBe(0);
    expect(readResults(join(dir, 'c.results.csv')).map((r) => r.status)).toEqual(['superseded', 'created']);
    // A superseded row is not an error: no errors file is left (README, "The errors file").
    expect(existsSync(join(dir, 'c.results.errors.csv'))).toBe(false);
    const resumed = await run(['import', file, '--retries', '0', '--resume']);
    expect(resumed.code).toBe(0);
    expect(emu.contacts().find((c) => c.system_id === 'X10')?.job_title).toBe('New Title');
    expect(emu.log().filter((e) => e.method === 'PUT' && e.systemId === 'X10')).toHaveLength(2);
  });

  it('resume finds rows superseded in an earlier run that never got to mark them (killed before its end)', async () => {
    const dir = tempDir('superseded-resume-');
    const columns = HEADER.split(',');
    const resultsPath = writeFile(
      dir,
      'c.results.csv',
      `${[...columns, 'status', 'http_status', 'error', 'detail'].join(',')}\r\nX10,Ann,Lee,x10@example.com,Old Title,,failed,500,server_error: 500,\r\nX10,Ann,Lee,x10@example.com,New Title,,created,201,,\r\n`,
    );
    const resume = await openResume({
      resultsPath,
      journalPath: join(dir, 'none.journal'),
      columns,
      systemIdIndex: 0,
      kind: 'import',
    });
    try {
      const answer = await resume.take(0, 'X10', 2);
      expect(answer?.status).toBe('superseded');
      expect(answer?.detail).toMatch(/not sent again/);
      expect((await resume.take(1, 'X10', 3))?.status).toBe('created');
    } finally {
      resume.close();
    }
  });
});

describe('structured rows (issue 12 item 5)', () => {
  it('a plan hands each row’s changes to onRow as data', async () => {
    const emu = await emulator();
    emu.seedContacts([
      { system_id: 'P1', first_name: 'Ann', last_name: 'Lee', email: 'p1@example.com', job_title: 'Old', mobile: null },
    ]);
    const dir = tempDir('plan-rows-');
    const input = writeFile(dir, 'p.csv', `${HEADER}\nP1,Ann,Lee,p1@example.com,New,\nP2,Bo,Li,p2@example.com,Dev,\n`);
    const rows: ResultRow[] = [];
    const summary = await planImport({
      input,
      connection: { baseUrl: emu.baseUrl, portalCode: emu.portalCode, apiKey: new Secret(emu.apiKey) },
      onRow: (row) => rows.push(row),
    });
    expect(summary.counts['would-update']).toBe(1);
    expect(rows[0]?.changes).toEqual([{ field: 'job_title', from: 'Old', to: 'New' }]);
    expect(rows[1]?.status).toBe('would-create');
    expect(rows[1]?.changes?.map((c) => c.field)).toEqual(['first_name', 'last_name', 'email', 'job_title']);
  });
});

describe('uncertain outcomes (issue 11 item 6)', () => {
  it('a lost answer that no retry settles is uncertain: counted, in the errors file, exit 1, and sent again by --resume', async () => {
    const emu = await emulator();
    const proxy = await startProxy(emu, (method, id, attempt) => {
      if (method === 'PUT' && id === 'U1') return attempt === 1 ? 'lose' : attempt === 2 ? '503' : undefined;
      if (method === 'PUT' && id === 'U2' && attempt === 1) return 'lose';
      if (method === 'DELETE' && id === 'NOPE1' && attempt === 1) return 'lose';
      return undefined;
    });
    try {
      const dir = tempDir('uncertain-');
      const file = writeFile(dir, 'c.csv', `${HEADER}\nU1,Ann,Lee,u1@example.com,Dev,\nU2,Bo,Li,u2@example.com,Dev,\n`);
      const first = await runCli(['import', file, '--retries', '1'], { env: proxy.env });
      expect(first.code).toBe(1);
      const results = readResults(join(dir, 'c.results.csv'));
      expect(results.map((r) => r.status)).toEqual(['uncertain', 'updated']);
      expect(results[0]?.error).toMatch(/^answer_lost: /);
      expect(results[0]?.detail).toMatch(/may or may not have been applied/);
      expect(first.stdout).toMatch(/uncertain\s+1/);
      expect(
        readCsv(join(dir, 'c.results.errors.csv'))
          .slice(1)
          .map((r) => r[0]),
      ).toEqual(['U1']);
      // The lost attempt had in fact been applied.
      expect(emu.contacts().find((c) => c.system_id === 'U1')?.email).toBe('u1@example.com');

      const resumed = await runCli(['import', file, '--resume'], { env: proxy.env });
      expect(resumed.code).toBe(0);
      expect(proxy.seen.get('PUT U1')).toBe(3);
      expect(readResults(join(dir, 'c.results.csv')).map((r) => r.status)).toEqual(['updated', 'updated']);

      // A delete whose retry finds 404 after a lost answer may have deleted it, or it never existed.
      const del = writeFile(dir, 'd.csv', 'system_id\nNOPE1\n');
      const deleted = await runCli(['delete', del, '--yes'], { env: proxy.env });
      expect(deleted.code).toBe(1);
      const row = readResults(join(dir, 'd.delete.csv'))[0];
      expect(row?.status).toBe('uncertain');
      expect(row?.detail).toMatch(/may never have existed/);
    } finally {
      await proxy.close();
    }
  });
});

describe('writes and outputs (issue 12 item 3; issue 11 item 7)', () => {
  it('--results /dev/full ends with exit 2 and one FileError line naming the file and ENOSPC; the journal is kept', async () => {
    const emu = await emulator();
    const dir = tempDir('devfull-');
    const rows = Array.from({ length: 400 }, (_, i) => `F${i},Ann,Lee,f${i}@example.com,Dev,`);
    const file = writeFile(dir, 'c.csv', `${HEADER}\n${rows.join('\n')}\n`);
    try {
      const result = await runCli(['import', file, '--results', '/dev/full', '--errors', join(dir, 'e.csv')], {
        env: emulatorEnv(emu),
      });
      expect(result.code).toBe(2);
      const errorLines = result.stderr.split('\n').filter((l) => l.startsWith('error:'));
      expect(errorLines).toEqual(['error: cannot write /dev/full: no space left on device (ENOSPC)']);
      expect(result.stderr).not.toMatch(/unexpected|triggerUncaughtException/);
      expect(result.stdout).toMatch(/rows/); // the summary is still printed
      expect(existsSync('/dev/full.journal')).toBe(true);
      expect(existsSync('/dev/full.lock')).toBe(false);
    } finally {
      rmSync('/dev/full.journal', { force: true });
      rmSync('/dev/full.lock', { force: true });
    }
  });

  it('an unwritable --report or --backup path is refused before the first request', async () => {
    const emu = await emulator();
    const dir = tempDir('badpath-');
    const file = writeFile(dir, 'c.csv', `${HEADER}\nB1,Ann,Lee,b1@example.com,Dev,\n`);
    const report = await runCli(['import', file, '--report', join(dir, 'nodir', 'r.html')], { env: emulatorEnv(emu) });
    expect(report.code).toBe(2);
    expect(report.stderr).toMatch(/cannot write .*r\.html: the folder .*nodir does not exist/);
    const backup = await runCli(['import', file, '--backup', dir], { env: emulatorEnv(emu) });
    expect(backup.code).toBe(2);
    expect(backup.stderr).toMatch(/cannot write .*: it is a directory/);
    expect(emu.stats().requests).toBe(0);
  });
});

describe('one run at a time, and unfinished runs (issue 11 items 8 and 10; issue 14 §2)', () => {
  it('a second run on the same results exits 2 naming the first one’s pid; a killed run’s lock is taken over', async () => {
    const emu = await emulator();
    const proxy = await startProxy(emu, (method, id, attempt) =>
      method === 'PUT' && id === 'L1' && attempt === 1 ? 'hang' : undefined,
    );
    try {
      const dir = tempDir('lock-');
      const file = writeFile(dir, 'c.csv', `${HEADER}\nL1,Ann,Lee,l1@example.com,Dev,\n`);
      const first = start(['import', file], proxy.env);
      await proxy.hung;
      const second = await runCli(['import', file], { env: proxy.env });
      expect(second.code).toBe(2);
      expect(second.stderr).toContain(`another run is writing ${join(dir, 'c.results.csv')} (pid ${first.child.pid})`);
      first.child.kill('SIGKILL');
      await first.done;
      expect(existsSync(join(dir, 'c.results.csv.lock'))).toBe(true); // left behind by the kill
      const third = await runCli(['import', file], { env: proxy.env });
      expect(third.code).toBe(0);
      expect(existsSync(join(dir, 'c.results.csv.lock'))).toBe(false);
    } finally {
      await proxy.close();
    }
  });

  it('Ctrl-C aborts a request that never answers after the grace period (uncertain); a plain re-run is refused; --restart starts again', async () => {
    const emu = await emulator();
    const proxy = await startProxy(emu, (method, id, attempt) =>
      method === 'PUT' && id === 'J3' && attempt === 1 ? 'hang' : undefined,
    );
    try {
      const dir = tempDir('interrupt-');
      const rows = Array.from({ length: 8 }, (_, i) => `J${i},Ann,Lee,j${i}@example.com,Dev,`);
      const file = writeFile(dir, 'c.csv', `${HEADER}\n${rows.join('\n')}\n`);
      const run = start(['import', file, '--concurrency', '1'], proxy.env);
      await proxy.hung;
      run.child.kill('SIGINT');
      const interrupted = await run.done;
      expect(interrupted.code).toBe(130);
      const results = readResults(join(dir, 'c.results.csv'));
      expect(results.map((r) => r.status)).toEqual([
        'created',
        'created',
        'created',
        'uncertain',
        'skipped',
        'skipped',
        'skipped',
        'skipped',
      ]);
      expect(existsSync(join(dir, 'c.results.csv.journal'))).toBe(true);

      const plain = await runCli(['import', file], { env: proxy.env });
      expect(plain.code).toBe(2);
      expect(plain.stderr).toMatch(/3 rows already have their answer/);
      expect(plain.stderr).toMatch(/--resume/);
      expect(plain.stderr).toMatch(/--restart/);
      expect(proxy.seen.get('PUT J4')).toBeUndefined();

      const restarted = await runCli(['import', file, '--restart'], { env: proxy.env });
      expect(restarted.code).toBe(0);
      expect(
        readResults(join(dir, 'c.results.csv')).every((r) => r.status === 'updated' || r.status === 'created'),
      ).toBe(true);
      expect(existsSync(join(dir, 'c.results.csv.journal'))).toBe(false);
      expect(emu.contacts()).toHaveLength(8);

      const nothing = await runCli(
        ['import', writeFile(dir, 'new.csv', `${HEADER}\nN1,Ann,Lee,n1@example.com,Dev,\n`), '--resume'],
        { env: proxy.env },
      );
      expect(nothing.code).toBe(2);
      expect(nothing.stderr).toMatch(/nothing to resume/);
      expect(readFileSync(join(dir, 'c.csv'), 'utf8')).toContain('J7');
    } finally {
      await proxy.close();
    }
  });
});
