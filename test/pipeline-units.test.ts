/**
 * In-process checks of the pipeline's parts: the override store that keeps the deferred pass's
 * answers off the heap, the lock, and the outcome rules for lost answers.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createOverrideStore } from '../src/run/override-store.js';
import { createDeferredList } from '../src/execute/deferred.js';
import { acquireLock } from '../src/run/guards.js';
import { RunLockedError } from '../src/errors.js';
import { toResult, type PreparedRow } from '../src/run/outcomes.js';
import type { ApiClient, ApiResult } from '../src/api/client.js';
import type { ResultRow } from '../src/run/results.js';
import type { ResultsSink } from '../src/run/sink.js';
import { validateFile, type RunProgress } from '../src/index.js';
import { tempDir } from './helpers.js';

const job: PreparedRow = { seq: 0, line: 2, cells: ['A1'], systemId: 'A1', patch: {}, warnings: [], notes: [] };
const answer = (status: number | undefined, extra: Partial<ApiResult> = {}): ApiResult => ({
  status,
  body: undefined,
  message: undefined,
  attempts: 2,
  lostAttempts: [1],
  retryable: status === undefined || status >= 500,
  stoppedBeforeRetry: false,
  ...extra,
});

describe('outcomes after a lost answer', () => {
  it('a 5xx or another lost answer settles nothing (uncertain); a 2xx or a 4xx does', () => {
    expect(toResult(job, answer(503), { isDelete: false, ignoreMissing: false }).status).toBe('uncertain');
    expect(toResult(job, answer(undefined), { isDelete: false, ignoreMissing: false }).status).toBe('uncertain');
    expect(toResult(job, answer(200), { isDelete: false, ignoreMissing: false }).status).toBe('updated');
    expect(toResult(job, answer(400), { isDelete: false, ignoreMissing: false }).status).toBe('failed');
    expect(toResult(job, answer(503, { lostAttempts: [] }), { isDelete: false, ignoreMissing: false }).status).toBe(
      'failed',
    );
    const deleted = toResult(job, answer(404), { isDelete: true, ignoreMissing: true });
    expect(deleted.status).toBe('uncertain');
    expect(deleted.errors?.[0]?.code).toBe('answer_lost');
  });
});

describe('override store', () => {
  it('spills past a thousand overrides and reads each back by seq', () => {
    const store = createOverrideStore();
    try {
      for (let seq = 0; seq < 5000; seq += 2) {
        store.set(seq, {
          before: { line: seq + 2, systemId: `S${seq}`, status: 'failed' },
          after: { line: seq + 2, systemId: `S${seq}`, status: 'updated', detail: `d${seq}` },
        });
      }
      expect(store.size).toBe(2500);
      expect(store.get(4998)?.after.detail).toBe('d4998');
      expect(store.get(10)?.after.status).toBe('updated');
      expect(store.get(11)).toBeUndefined();
      store.update(4998, (o) => ({ ...o, after: { ...o.after, status: 'failed' } }));
      expect(store.get(4998)?.after.status).toBe('failed');
      expect(store.size).toBe(2500);
    } finally {
      store.dispose();
    }
  });
});

describe('results lock', () => {
  it('refuses a live holder, takes over a dead one, and releases only its own lock', () => {
    const dir = tempDir('lock-unit-');
    const results = join(dir, 'r.csv');
    writeFileSync(`${results}.lock`, `${process.ppid}\n`); // a live process that is not this one
    expect(() => acquireLock(results)).toThrow(RunLockedError);
    writeFileSync(`${results}.lock`, '999999999\n'); // no such process: stale
    const release = acquireLock(results);
    expect(readFileSync(`${results}.lock`, 'utf8').trim()).toBe(String(process.pid));
    release();
    expect(existsSync(`${results}.lock`)).toBe(false);
  });
});

describe('deferred 422 rows (issue 11 item 13: bounded memory)', () => {
  it('spills each deferred row to disk as only what the second attempt needs, and drains them in order', async () => {
    const spill = tempDir('deferred-spill-');
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = spill;
    try {
      const list = createDeferredList();
      const wide = 'x'.repeat(2000);
      for (let seq = 0; seq < 600; seq++) {
        const job: PreparedRow = {
          seq,
          line: seq + 2,
          cells: [wide, wide, wide],
          systemId: `S${seq}`,
          patch: { email: `e${seq}@x.com` },
          warnings: [],
          notes: [],
        };
        list.add(job, {
          ...job,
          status: 'failed',
          httpStatus: 422,
          errors: [{ code: 'email_taken', message: '422 taken' }],
        });
      }
      // Written out in batches while rows are added: memory holds at most one batch.
      const [file] = readdirSync(spill).filter((name) => name.startsWith('.ciopulse-deferred.'));
      expect(file).toBeDefined();
      const written = readFileSync(join(spill, file ?? ''), 'utf8')
        .split('\n')
        .filter((l) => l !== '');
      expect(written.length).toBeGreaterThanOrEqual(512);
      // The cells are not kept: a row on disk is seq, line, system_id, patch and its first answer.
      expect(Object.keys(JSON.parse(written[0] ?? '{}') as object).sort()).toEqual([
        'before',
        'line',
        'patch',
        'seq',
        'systemId',
      ]);
      expect(written[0]).not.toContain(wide);
      const drained: number[] = [];
      for await (const row of list.drain()) drained.push(row.seq);
      expect(drained).toEqual(Array.from({ length: 600 }, (_, i) => i));
      list.dispose();
      expect(readdirSync(spill).filter((name) => name.startsWith('.ciopulse-deferred.'))).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });
});

describe('the send executor on a bug', () => {
  it('writes the internal_error row, and the next row of the same system_id still runs, after it', async () => {
    const { createSendExecutor } = await import('../src/execute/send.js');
    const { createRequestGate } = await import('../src/api/gate.js');
    const { createRunControl } = await import('../src/run/control.js');
    const put: ResultRow[] = [];
    const sink = { journal: () => undefined, put: (row: ResultRow) => void put.push(row) } as unknown as ResultsSink;
    let calls = 0;
    // A client whose first call throws: a bug in our code, not an answer from the network.
    const client = {
      gate: createRequestGate({ concurrency: 2 }),
      put: (): Promise<ApiResult> => {
        if (calls++ === 0) throw new TypeError('boom');
        return Promise.resolve(answer(200, { attempts: 1, lostAttempts: [] }));
      },
      close: () => Promise.resolve(),
    } as unknown as ApiClient;
    const control = createRunControl(undefined);
    const send = createSendExecutor({
      run: { client, retries: () => 0, checkCredentials: () => Promise.resolve(), close: () => Promise.resolve() },
      sink,
      control,
      isDelete: false,
      ignoreMissing: false,
      maxConsecutiveFailures: 10,
    });
    for (const seq of [0, 1, 2]) await send.execute({ ...job, seq, line: seq + 2, systemId: seq === 2 ? 'B' : 'A' });
    await send.finish();
    control.dispose();
    const bySeq = new Map(put.map((row) => [row.seq, row]));
    expect(bySeq.get(0)?.status).toBe('failed');
    expect(bySeq.get(0)?.errors?.[0]?.code).toBe('internal_error');
    expect(bySeq.get(0)?.errors?.[0]?.message).toMatch(/a bug; please report it\): TypeError: boom/);
    expect(bySeq.get(1)?.status).toBe('updated');
    expect(bySeq.get(2)?.status).toBe('updated');
    // Same system_id: the row after the bug ran after it, never beside it.
    expect(put.findIndex((row) => row.seq === 0)).toBeLessThan(put.findIndex((row) => row.seq === 1));
  });
});

describe('progress', () => {
  it('reports at most every 100 ms while the rows go by, and once at the end with every row', async () => {
    const dir = tempDir('progress-');
    const input = join(dir, 'in.csv');
    const lines = ['system_id,first_name,last_name,email'];
    for (let i = 0; i < 20_000; i++) lines.push(`P${i},Ann,Lee,p${i}@example.com`);
    writeFileSync(input, `${lines.join('\n')}\n`);
    const seen: RunProgress[] = [];
    const summary = await validateFile({ input, results: join(dir, 'r.csv'), onProgress: (p) => seen.push(p) });
    expect(summary.rows).toBe(20_000);
    expect(seen.at(-1)).toMatchObject({ rowsWritten: 20_000, failed: 0 });
    // The first report is due at once; after it, one per 100 ms at most, plus the last.
    expect(seen.length).toBeLessThanOrEqual(2 + Math.ceil(summary.elapsedMs / 100));
    for (let i = 1; i < seen.length; i++)
      expect(seen[i]?.rowsWritten).toBeGreaterThanOrEqual(seen[i - 1]?.rowsWritten ?? 0);
  });
});
