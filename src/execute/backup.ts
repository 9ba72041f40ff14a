/**
 * `import --backup <file.csv>` and `sync --backup`: the undo file. Before the first write, the current values of
 * every contact the input will update (and a sync will delete) go to an import-ready CSV (nulls as empty cells, so
 * importing it with `--empty null` also clears what was empty before); the system_ids the input
 * will create go to `<backup stem>.created.csv`, a ready `delete` file. A backup named `.xlsx` is a
 * real workbook (every cell text, README ".xlsx round trips"), since it must import as it is.
 */
import { CONTACT_FIELDS } from '../contact/schema.js';
import { cellText } from '../csv/formula.js';
import type { CsvHeader } from '../csv/read.js';
import { createTableWriter } from '../csv/table.js';
import { createCsvWriter } from '../csv/write.js';
import { InternalError } from '../errors.js';
import { createFingerprintTable, idFingerprint } from '../fingerprints.js';
import { inputStem } from '../run/paths.js';
import type { BackupSummary, Executor, PrepassObserver } from '../run/executor.js';
import type { SnapshotIndex } from '../remote/snapshot.js';
import { createSpill } from '../spill.js';

export type { BackupSummary } from '../run/executor.js';

/**
 * The system_ids a backup covers, gathered by the run's pre-pass (run/executor.ts, `PrepassObserver`)
 * instead of a read of the file of its own: each distinct id once, in file order, kept in a spill
 * file (spill.ts), and in memory only its 64-bit fingerprint (fingerprints.ts), to tell a repeat.
 */
export interface BackupIds extends PrepassObserver {
  /** Every distinct id, in the order the file first lists it; after the pre-pass only. */
  ids(): AsyncGenerator<string>;
  /** Whether the file listed `id`. */
  listed(id: string): boolean;
  dispose(): void;
}

export function createBackupIds(header: CsvHeader): BackupIds {
  const idIndex = header.fields.system_id ?? 0;
  const seen = createFingerprintTable();
  const spill = createSpill<string>('backup-ids');
  let complete = false;
  return {
    record(record) {
      const id = cellText(record.cells[idIndex] ?? '');
      // Two ids that share a fingerprint (about n²/2⁶⁵, fingerprints.ts) would leave the later one out.
      if (id === '') return;
      const { a, b } = idFingerprint(id);
      if (seen.claim(a, b, 1) === 0) spill.append(id);
    },
    end() {
      complete = true;
    },
    ids() {
      // A backup short of the file would leave contacts the run changes with no undo.
      if (!complete) throw new InternalError('backup: the file was not read through before the backup was written');
      return spill.records();
    },
    listed(id) {
      const { a, b } = idFingerprint(id);
      return seen.get(a, b) !== 0;
    },
    dispose: () => spill.dispose(),
  };
}

/** `executor` with the backup's ids gathered by the same pre-pass as its own observer's, and removed when it closes. */
export function withBackupIds(executor: Executor, ids: BackupIds | undefined): Executor {
  if (ids === undefined) return executor;
  const own = executor.prepass;
  const prepass: PrepassObserver =
    own === undefined
      ? ids
      : {
          record(record) {
            own.record(record);
            ids.record(record);
          },
          end() {
            own.end();
            ids.end();
          },
        };
  return {
    ...executor,
    prepass,
    async close() {
      ids.dispose();
      await executor.close();
    },
  };
}

export function resolveCreatedPath(backupPath: string): string {
  return `${inputStem(backupPath)}.created.csv`;
}

export async function writeBackup(options: {
  /** The pre-pass's ids (createBackupIds): the file, up to `--limit`, is not read again. */
  ids: BackupIds;
  /** Read before any row is predicted: it must still hold the API's values. */
  snapshot: Pick<SnapshotIndex, 'get'>;
  backupPath: string;
  /** system_ids the run will delete: their values go to the backup too, so importing it brings them back. */
  deletes?: readonly string[] | undefined;
}): Promise<BackupSummary> {
  const createdPath = resolveCreatedPath(options.backupPath);
  const backup = createTableWriter(options.backupPath, { atomic: true });
  const created = createCsvWriter(createdPath, { atomic: true });
  let updated = 0;
  let creates = 0;
  try {
    await backup.write(['system_id', ...CONTACT_FIELDS]);
    await created.write(['system_id']);
    for await (const id of options.ids.ids()) {
      const current = options.snapshot.get(id);
      if (current === undefined) {
        creates++;
        await created.write([id]);
      } else {
        updated++;
        await backup.write([id, ...CONTACT_FIELDS.map((f) => current[f] ?? '')]);
      }
    }
    for (const id of options.deletes ?? []) {
      const current = options.ids.listed(id) ? undefined : options.snapshot.get(id);
      if (current !== undefined) await backup.write([id, ...CONTACT_FIELDS.map((f) => current[f] ?? '')]);
    }
    await Promise.all([backup.end(), created.end()]);
  } catch (error) {
    await Promise.all([backup.abort(), created.abort()]);
    throw error;
  } finally {
    options.ids.dispose();
  }
  const deleted = options.deletes?.length;
  return {
    backupPath: options.backupPath,
    createdPath,
    updated,
    created: creates,
    ...(deleted === undefined ? {} : { deleted }),
  };
}
