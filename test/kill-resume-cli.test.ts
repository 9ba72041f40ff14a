/**
 * The kill -9 property for `import --changed-only` and `delete` (issue 22 items 2 and 5), as
 * import's is tested in failure.test.ts: repeated SIGKILLs, each followed by `--resume`, then one
 * resume to the end. The emulator's state must then be the file's: nothing stale, and no row
 * reported failed, uncertain or skipped.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import {
  CSV_HEADER,
  emulatorEnv,
  readResults,
  runCli,
  runCliUntilFileGrows,
  tempDir,
  useEmulators,
  writeFile,
} from './helpers.js';

const emulator = useEmulators();

/** Runs `args` killed at each journal size in turn (the first run without --resume), then to the end. */
async function killAndResume(
  args: string[],
  env: Record<string, string>,
  journalPath: string,
  kills: readonly number[],
): Promise<{ code: number | null; stdout: string }> {
  for (const [i, bytes] of kills.entries()) {
    const run = await runCliUntilFileGrows(
      [...args, ...(i === 0 ? [] : ['--resume']), '--quiet'],
      env,
      journalPath,
      bytes,
      'SIGKILL',
    );
    expect(run.signal, `kill ${i + 1} at ${bytes} bytes`).toBe('SIGKILL');
  }
  const final = await runCli([...args, '--resume'], { env, timeoutMs: 120_000 });
  return { code: final.code, stdout: final.stdout };
}

describe('kill -9 and --resume', () => {
  it('--changed-only: an older row is never sent again after a newer one for its system_id was applied', async () => {
    // Each group: a new contact X, then A as the API holds it (unchanged), then A with a new title.
    const groups = 500;
    const seeded = Array.from({ length: groups }, (_, i) => ({
      system_id: `A${i}`,
      first_name: 'Ann',
      last_name: `Lee${i}`,
      email: `a${i}@example.com`,
      job_title: 'v1',
      mobile: null,
    }));
    const emu = await emulator({ latencyMs: 3 });
    emu.seedContacts(seeded);
    const lines = [CSV_HEADER];
    for (let i = 0; i < groups; i++) {
      lines.push(`X${i},Xavier,Day${i},x${i}@example.com,Dev,`);
      lines.push(`A${i},Ann,Lee${i},a${i}@example.com,v1,`);
      lines.push(`A${i},Ann,Lee${i},a${i}@example.com,v2,`);
    }
    const dir = tempDir('kill-changed-');
    const file = writeFile(dir, 'c.csv', `${lines.join('\n')}\n`);
    const final = await killAndResume(
      ['import', file, '--changed-only', '--concurrency', '8'],
      emulatorEnv(emu),
      join(dir, 'c.results.csv.journal'),
      [12_000, 30_000, 50_000, 70_000],
    );
    expect(final.code).toBe(0);
    const byId = new Map(emu.contacts().map((c) => [c.system_id, c]));
    const stale = seeded.filter((c) => byId.get(c.system_id)?.job_title !== 'v2');
    expect(stale.map((c) => c.system_id)).toEqual([]);
    for (let i = 0; i < groups; i++) expect(byId.has(`X${i}`)).toBe(true);
    const results = readResults(join(dir, 'c.results.csv'));
    expect(results).toHaveLength(3 * groups);
    expect(results.filter((r) => !['created', 'updated', 'unchanged', 'superseded'].includes(r.status ?? ''))).toEqual(
      [],
    );
  });

  it('delete: a contact its own killed attempt deleted is reported deleted, never failed not_found', async () => {
    const count = 1500;
    const emu = await emulator({ latencyMs: 3 });
    emu.seedContacts(
      Array.from({ length: count }, (_, i) => ({
        system_id: `D${i}`,
        first_name: 'Dee',
        last_name: `Lee${i}`,
        email: `d${i}@example.com`,
        job_title: null,
        mobile: null,
      })),
    );
    const dir = tempDir('kill-delete-');
    const file = writeFile(dir, 'd.csv', `system_id\n${Array.from({ length: count }, (_, i) => `D${i}`).join('\n')}\n`);
    const final = await killAndResume(
      ['delete', file, '--yes', '--concurrency', '8'],
      emulatorEnv(emu),
      join(dir, 'd.delete.csv.journal'),
      [20_000, 60_000, 110_000],
    );
    expect(final.code).toBe(0);
    expect(emu.contacts()).toHaveLength(0);
    const results = readResults(join(dir, 'd.delete.csv'));
    expect(results).toHaveLength(count);
    expect(results.filter((r) => r.status !== 'deleted').map((r) => `${r.system_id} ${r.status} ${r.error}`)).toEqual(
      [],
    );
  });
});
