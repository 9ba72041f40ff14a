/**
 * Memory flat where the README says so (issue 21 item 5): the journal is read by one streaming
 * reader (src/run/journal.ts) on resume and by the guard, not read whole; the snapshot never
 * silently downloads GET all again after a transport error; the superseded tracker keeps no
 * outcome of a failed row that no later row of its system_id follows; `--plan` spills its
 * predicted 422 rows instead of holding them with their cells.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { readJournal } from '../src/run/journal.js';
import { countAnswered } from '../src/run/guards.js';
import { createServer } from 'node:http';
import { createApiClient } from '../src/api/client.js';
import { Secret } from '../src/config.js';
import { ApiError } from '../src/errors.js';
import { loadSnapshot } from '../src/remote/snapshot.js';
import { deleteContacts, importContacts, planImport } from '../src/run/entry.js';
import {
  CSV_HEADER,
  TEST_API_KEY,
  TEST_PORTAL_CODE,
  readResults,
  tempDir,
  useEmulators,
  writeFile,
} from './helpers.js';
import { json, useLoopbackServers } from './loopback-servers.js';

/** The JS heap after a full collection, in bytes: what the run still holds, not what it let go. */
function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * An `onRow` that measures the heap as the 300th and the last of `rows` rows are written (every
 * row before was executed by then), and the growth between the two, in MB.
 */
function heapGrowth(rows: number): { onRow: (row: { seq: number }) => void; grownMb: () => number } {
  const heap: number[] = [];
  return {
    onRow: (row) => {
      if (row.seq === 299 || row.seq === rows - 1) heap.push(heapAfterGc());
    },
    grownMb: () => {
      expect(heap).toHaveLength(2);
      return ((heap[1] ?? 0) - (heap[0] ?? 0)) / 2 ** 20;
    },
  };
}

describe('the journal', () => {
  it('is an async stream of entries; a line a crash cut short is skipped, and the guard counts through it', async () => {
    const dir = tempDir('journal-stream-');
    const path = join(dir, 'r.csv.journal');
    const lines = Array.from({ length: 5000 }, (_, seq) =>
      JSON.stringify({
        seq,
        line: seq + 2,
        system_id: `S${seq}`,
        status: seq % 2 === 0 ? 'created' : 'failed',
        http: 201,
      }),
    );
    writeFileSync(path, `${lines.join('\n')}\n{"seq": 5000, "li`);
    const entries = readJournal(path);
    expect(Symbol.asyncIterator in entries).toBe(true);
    let count = 0;
    for await (const entry of entries) if (entry.seq === count) count++;
    expect(count).toBe(5000);
    expect(await countAnswered(join(dir, 'absent.csv'), path)).toBe(2500);
  });
});

describe('the snapshot', () => {
  const listen = useLoopbackServers();

  it('fails the run with a typed error when GET all breaks off, and never downloads it again', async () => {
    let gets = 0;
    const server = createServer((req, res) => {
      req.resume();
      gets++;
      // 200, the start of a plain listing, then the connection drops mid-answer.
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100000' });
      res.write(`{"contacts":[${JSON.stringify({ system_id: 'A', email: 'a@x.com' })},`);
      setTimeout(() => res.destroy(), 20);
    });
    const baseUrl = `${await listen(server)}/api/v5`;
    const client = createApiClient({
      connection: { baseUrl, portalCode: TEST_PORTAL_CODE, apiKey: new Secret(TEST_API_KEY) },
      retries: 0,
    });
    try {
      const failure = await loadSnapshot(client).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ApiError);
      expect((failure as ApiError).message).toMatch(/broke off after \d+ bytes/);
      expect(gets).toBe(1);
    } finally {
      await client.close();
    }
  });
});

describe('the superseded tracker', () => {
  const listen = useLoopbackServers();

  /**
   * Refuses every write with a long message (a fresh string per answer), except the second write
   * of a system_id starting with `OK`, which applies.
   */
  async function refusingServer(): Promise<string> {
    const reason = 'the field values were refused by a rule of this portal; '.repeat(60);
    const writes = new Map<string, number>();
    const server = createServer((req, res) => {
      req.resume();
      const url = req.url ?? '';
      if (req.method === 'GET')
        return json(res, 404, { message: 'A Contact with this System ID was not found', status: 404 });
      const nth = (writes.get(url) ?? 0) + 1;
      writes.set(url, nth);
      if (nth === 2 && url.includes('/OK')) return json(res, req.method === 'DELETE' ? 202 : 200, { status: 200 });
      if (req.method === 'DELETE')
        return json(res, 404, { message: 'A Contact with this System ID was not found', status: 404 });
      json(res, 400, { message: `${reason}(${url})`, status: 400 });
    });
    return `${await listen(server)}/api/v5`;
  }

  it('keeps nothing of failed rows that no later row of their system_id follows (a server that refuses every row)', async () => {
    const baseUrl = await refusingServer();
    const rows = 3000;
    const lines = Array.from({ length: rows }, (_, i) => `R${i},Ann,Lee${i},ann${i}@example.com,,`);
    const dir = tempDir('supersede-flat-');
    const input = writeFile(dir, 'rejected.csv', `${CSV_HEADER}\n${lines.join('\n')}\n`);
    const growth = heapGrowth(rows);
    const summary = await importContacts({
      input,
      connection: { baseUrl, portalCode: TEST_PORTAL_CODE, apiKey: new Secret(TEST_API_KEY) },
      concurrency: 8,
      onRow: growth.onRow,
    });
    expect(summary.counts.failed).toBe(rows);
    const grownMb = growth.grownMb();
    // Before, every failed outcome was kept: 2,700 of about 3.5 KB grew the heap by about 10 MB.
    expect(grownMb).toBeLessThan(3);
  });

  it('still supersedes a failed row that a later row of its system_id applied', async () => {
    const baseUrl = await refusingServer();
    const connection = { baseUrl, portalCode: TEST_PORTAL_CODE, apiKey: new Secret(TEST_API_KEY) };
    const dir = tempDir('supersede-kept-');
    const input = writeFile(
      dir,
      'mixed.csv',
      `${CSV_HEADER}\nOK1,Ann,Lee,ann@example.com,,\nNO1,Bo,Li,bo@example.com,,\nNO1,Bo,Li,bo@example.com,,\nR1,Cy,Wu,cy@example.com,,\nOK1,Ann,Lee,ann@example.com,Lead,\n`,
    );
    const imported = await importContacts({ input, connection, concurrency: 4 });
    expect(readResults(imported.resultsPath).map((r) => r.status)).toEqual([
      'superseded',
      'failed',
      'failed',
      'failed',
      'updated',
    ]);
    const ids = writeFile(dir, 'ids.csv', 'system_id\nOK2\nR2\nOK2\n');
    // A delete applies nothing that supersedes (APPLIED_STATUSES), as before.
    const deleted = await deleteContacts({ input: ids, connection, concurrency: 4 });
    expect(readResults(deleted.resultsPath).map((r) => r.status)).toEqual(['failed', 'failed', 'deleted']);
  });
});

describe('--plan', () => {
  const emulator = useEmulators();

  it('spills its predicted 422 rows: a file whose every email is taken holds none of them, nor their cells', async () => {
    const emu = await emulator();
    const rows = 3000;
    emu.seedContacts(
      Array.from({ length: rows }, (_, i) => ({
        system_id: `S${i}`,
        first_name: 'Held',
        last_name: `Owner${i}`,
        email: `taken${i}@example.com`,
        job_title: null,
        mobile: null,
      })),
    );
    // Each row wants an email another contact holds, and carries a long unmapped column.
    const note = 'a long note the row carries in a column that maps to no field; '.repeat(50);
    const lines = Array.from({ length: rows }, (_, i) => `T${i},New,Person${i},taken${i}@example.com,,,${note}${i}`);
    const dir = tempDir('plan-spill-');
    const input = writeFile(dir, 'taken.csv', `${CSV_HEADER},notes\n${lines.join('\n')}\n`);
    const growth = heapGrowth(rows);
    const summary = await planImport({
      input,
      connection: { baseUrl: emu.baseUrl, portalCode: emu.portalCode, apiKey: new Secret(emu.apiKey) },
      onRow: growth.onRow,
    });
    expect(summary.counts['would-fail']).toBe(rows);
    const results = readResults(summary.resultsPath);
    expect(results[rows - 1]?.error).toMatch(
      /email_taken: column "email" "taken2999@example.com" is held by system_id S2999/,
    );
    const grownMb = growth.grownMb();
    // Measured before the second look. Before, every predicted 422 was held with its cells:
    // 2,700 rows of about 3.5 KB grew the heap by about 10 MB.
    expect(grownMb).toBeLessThan(3);
  });
});
