/**
 * Memory flat where the README says so (issue 21 item 5): the journal is read by one streaming
 * reader (src/run/journal.ts) on resume and by the guard, not read whole.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJournal } from '../src/run/journal.js';
import { countAnswered } from '../src/run/guards.js';
import { tempDir } from './helpers.js';

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
