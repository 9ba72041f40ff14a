/**
 * How often a run reads its input (docs/ARCHITECTURE.md, "The run pipeline, file by file"): a run
 * that sends or predicts pre-scans the file once, reads it once before anything is sent (the
 * pre-pass) and once for the rows. The second open takes the first one's pre-scan, and `--backup`
 * gathers its system_ids from the pre-pass, so neither reads the file again. The reads are real
 * opens of the file (countReads wraps node:fs), against the emulator.
 */
import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileError } from '../src/errors.js';
import { deleteContacts, importContacts, planImport, syncContacts, validateFile } from '../src/run/entry.js';
import { connectionOf, contact, countReads, readCsv, tempDir, useEmulators, writeFile } from './helpers.js';

const emulator = useEmulators();

/** K1 twice (the backup lists it once), K2 new, and a row with no system_id. */
const FILE = [
  'system_id,first_name,last_name,email,job_title',
  'K1,FK1,LK1,k1@example.com,Lead',
  'K2,FK2,LK2,k2@example.com,',
  ',Nobody,None,nobody@example.com,',
  'K1,FK1,LK1,k1@example.com,Lead',
  '',
].join('\n');

async function setUp(prefix: string) {
  const emu = await emulator();
  emu.seedContacts([contact('K1', { job_title: 'Dev' }), contact('K3', { job_title: 'Ops' })]);
  const dir = tempDir(prefix);
  return { emu, dir, input: writeFile(dir, 'people.csv', FILE), connection: connectionOf(emu) };
}

describe('the reads of the input', () => {
  it('import, import --plan, import --backup and sync --backup read the file three times, a dry run and a delete twice', async () => {
    const { dir, input, connection } = await setUp('input-reads-');
    const at = (name: string) => join(dir, name);
    const reads = {
      dryRun: (await countReads(input, () => validateFile({ input, results: at('dry.csv') }))).reads,
      plan: (await countReads(input, () => planImport({ input, connection, results: at('plan.csv') }))).reads,
      import: (await countReads(input, () => importContacts({ input, connection, results: at('import.csv') }))).reads,
      importBackup: (
        await countReads(input, () =>
          importContacts({ input, connection, results: at('import-b.csv'), backup: at('undo.csv') }),
        )
      ).reads,
      syncBackup: (
        await countReads(input, () =>
          syncContacts({
            input,
            connection,
            state: at('people.sync-state.json'),
            scope: { kind: 'all' },
            deleteMissing: true,
            results: at('sync.csv'),
            backup: at('sync-undo.csv'),
          }),
        )
      ).reads,
      delete: (await countReads(input, () => deleteContacts({ input, connection, results: at('delete.csv') }))).reads,
    };
    // The pre-scan, the pre-pass (person check, sync listing, backup ids) and the rows.
    expect(reads).toEqual({ dryRun: 2, plan: 3, import: 3, importBackup: 3, syncBackup: 3, delete: 2 });
  });

  it('--backup from the pre-pass: each system_id once, in file order, as the API held it', async () => {
    const { emu, dir, input, connection } = await setUp('input-reads-backup-');
    const backup = join(dir, 'undo.csv');
    const summary = await importContacts({ input, connection, results: join(dir, 'r.csv'), backup });
    expect(summary.backup).toMatchObject({ updated: 1, created: 1 });
    expect(readCsv(backup)).toEqual([
      ['system_id', 'first_name', 'last_name', 'email', 'job_title', 'mobile'],
      ['K1', 'FK1', 'LK1', 'k1@example.com', 'Dev', ''],
    ]);
    expect(readCsv(join(dir, 'undo.created.csv'))).toEqual([['system_id'], ['K2']]);
    // A sync's deletes are backed up after the file's own contacts.
    const syncBackup = join(dir, 'sync-undo.csv');
    emu.seedContacts([contact('K4', { job_title: 'Ops' })]);
    const synced = await syncContacts({
      input,
      connection,
      state: join(dir, 'people.sync-state.json'),
      scope: { kind: 'all' },
      deleteMissing: true,
      results: join(dir, 's.csv'),
      backup: syncBackup,
    });
    expect(synced.backup).toMatchObject({ updated: 2, created: 0, deleted: 2 });
    expect(readCsv(syncBackup).map((r) => [r[0], r[4]])).toEqual([
      ['system_id', 'job_title'],
      ['K1', 'Lead'],
      ['K2', ''],
      ['K3', 'Ops'],
      ['K4', 'Ops'],
    ]);
  });

  it('a file changed between the first open and the pre-pass stops the run before anything is sent', async () => {
    const { emu, dir, input, connection } = await setUp('input-reads-changed-');
    const run = importContacts({
      input,
      connection,
      results: join(dir, 'r.csv'),
      // Between the first open (its pre-scan) and the pre-pass: the file is touched.
      onStart: () => utimesSync(input, new Date(), new Date(Date.now() + 5000)),
    });
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileError);
    expect((error as FileError).message).toMatch(/the file changed while it was read/);
    expect(emu.stats().byMethod).not.toHaveProperty('PUT');
  });
});
