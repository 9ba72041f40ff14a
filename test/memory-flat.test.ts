/**
 * Memory flat where the README says so (issue 21 item 5): the journal is read by one streaming
 * reader (src/run/journal.ts) on resume and by the guard, not read whole; the snapshot never
 * silently downloads GET all again after a transport error.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJournal } from '../src/run/journal.js';
import { countAnswered } from '../src/run/guards.js';
import { createServer } from 'node:http';
import { createApiClient } from '../src/api/client.js';
import { Secret } from '../src/config.js';
import { ApiError } from '../src/errors.js';
import { loadSnapshot } from '../src/remote/snapshot.js';
import { TEST_API_KEY, TEST_PORTAL_CODE, tempDir } from './helpers.js';
import { useLoopbackServers } from './loopback-servers.js';

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
