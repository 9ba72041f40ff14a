/**
 * One spill module (src/spill.ts) for every JSON Lines file the library writes to keep memory
 * flat: mode 600, hidden, named with the pid, and a killed run's leftovers are removed by the next
 * run that spills into the same folder (issue 22 item 8).
 */
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSpill, removeStaleSpills } from '../src/spill.js';
import { createSpool } from '../src/export/spool.js';
import { tempDir } from './helpers.js';

/** Above Linux's largest pid: no such process (the lock test uses the same). */
const DEAD_PID = 999999999;

describe('spill files', () => {
  it('are created at mode 600, read back in order and by range, and removed on dispose', async () => {
    const dir = tempDir('spill-');
    const spill = createSpill<{ n: number; text: string }>('test', dir);
    const ranges = Array.from({ length: 700 }, (_, n) => spill.append({ n, text: 'é'.repeat(n % 7) }));
    spill.flush();
    const [name] = readdirSync(dir);
    expect(name).toMatch(new RegExp(`^\\.ciopulse-test\\.${process.pid}-[0-9a-f]+\\.jsonl$`));
    expect(statSync(join(dir, name ?? '')).mode & 0o777).toBe(0o600);
    expect(spill.readAt(ranges[345] ?? { offset: 0, length: 0 })).toEqual({ n: 345, text: 'é'.repeat(345 % 7) });
    const seen: number[] = [];
    for await (const record of spill.records()) seen.push(record.n);
    expect(seen).toEqual(Array.from({ length: 700 }, (_, n) => n));
    spill.dispose();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("a killed export's hidden spool beside --out is removed by the next run; a live run's is kept", async () => {
    const dir = tempDir('spill-stale-');
    const stale = join(dir, `.ciopulse-export.${DEAD_PID}-0badc0de.jsonl`);
    const live = join(dir, `.ciopulse-export.${process.ppid}-00c0ffee.jsonl`);
    const other = join(dir, 'contacts.csv');
    for (const path of [stale, live, other]) writeFileSync(path, 'x\n');
    const spool = createSpool(dir);
    for (let i = 0; i < 1001; i++) await spool.push([`S${i}`, 'a@b.c']);
    await spool.end();
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(other)).toBe(true);
    const spooled = readdirSync(dir).filter((n) => n.startsWith(`.ciopulse-export.${process.pid}-`));
    expect(spooled).toHaveLength(1);
    expect(statSync(join(dir, spooled[0] ?? '')).mode & 0o777).toBe(0o600);
    let rows = 0;
    for await (const row of spool.rows()) if (row[0] === `S${rows}`) rows++;
    expect(rows).toBe(1001);
    await spool.remove();
    removeStaleSpills(dir); // once per folder: a second call changes nothing
    expect(readdirSync(dir).sort()).toEqual([live, other].map((p) => p.slice(dir.length + 1)).sort());
  });
});
