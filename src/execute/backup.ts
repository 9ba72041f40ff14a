/**
 * `import --backup <file.csv>` and `sync --backup`: the undo file. Before the first write, the current values of
 * every contact the input will update (and a sync will delete) go to an import-ready CSV (nulls as empty cells, so
 * importing it with `--empty null` also clears what was empty before); the system_ids the input
 * will create go to `<backup stem>.created.csv`, a ready `delete` file. A backup named `.xlsx` is a
 * real workbook (every cell text, README ".xlsx round trips"), since it must import as it is.
 */
import { CONTACT_FIELDS } from '../contact/schema.js';
import { openCsv, type CsvReadOptions } from '../csv/read.js';
import { cellText } from '../csv/formula.js';
import { createTableWriter } from '../csv/table.js';
import { createCsvWriter } from '../csv/write.js';
import { inputStem } from '../run/paths.js';
import type { SnapshotIndex } from '../remote/snapshot.js';

export interface BackupSummary {
  backupPath: string;
  createdPath: string;
  updated: number;
  created: number;
  /** `sync --delete-missing`: contacts the run will delete, also in the backup file. */
  deleted?: number | undefined;
}

export function resolveCreatedPath(backupPath: string): string {
  return `${inputStem(backupPath)}.created.csv`;
}

export async function writeBackup(options: {
  input: string;
  csv: Pick<CsvReadOptions, 'encoding' | 'map' | 'mapFile' | 'sheet'>;
  /** Read before any row is predicted: it must still hold the API's values. */
  snapshot: Pick<SnapshotIndex, 'get'>;
  backupPath: string;
  limit?: number | undefined;
  /** system_ids the run will delete: their values go to the backup too, so importing it brings them back. */
  deletes?: readonly string[] | undefined;
}): Promise<BackupSummary> {
  const source = await openCsv(options.input, { ...stripUndefined(options.csv), requiredFields: ['system_id'] });
  const idIndex = source.header.fields.system_id ?? 0;
  const createdPath = resolveCreatedPath(options.backupPath);
  const backup = createTableWriter(options.backupPath, { atomic: true });
  const created = createCsvWriter(createdPath, { atomic: true });
  const seen = new Set<string>();
  let updated = 0;
  let creates = 0;
  try {
    await backup.write(['system_id', ...CONTACT_FIELDS]);
    await created.write(['system_id']);
    let rows = 0;
    for await (const record of source.records) {
      if (options.limit !== undefined && rows >= options.limit) break;
      rows++;
      const id = cellText(record.cells[idIndex] ?? '');
      if (id === '' || seen.has(id)) continue;
      seen.add(id);
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
      const current = seen.has(id) ? undefined : options.snapshot.get(id);
      if (current !== undefined) await backup.write([id, ...CONTACT_FIELDS.map((f) => current[f] ?? '')]);
    }
    await Promise.all([backup.end(), created.end()]);
  } catch (error) {
    await Promise.all([backup.abort(), created.abort()]);
    throw error;
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

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
