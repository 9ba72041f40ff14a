/**
 * The "prepare" step of a run: one CSV record → a row ready to send (PreparedRow) or an invalid
 * result row. Every local rule applies here, in file order, whatever the mode, so a dry run, a
 * plan, an import and a resumed import judge each row the same way.
 */
import type { CountryCode } from 'libphonenumber-js/max';
import { CONTACT_FIELDS, createRowParser, type ContactField, type RowCells, type RowError } from '../contact/schema.js';
import { FULL_NAME_PARTS, describeColumn, type HeaderField } from '../csv/headers.js';
import { splitFullName } from '../contact/name.js';
import type { CsvHeader, CsvRecord } from '../csv/read.js';
import { createEmailIndex } from './email-index.js';
import type { PreparedRow } from './outcomes.js';
import type { ResultRow } from './results.js';

export interface PrepareOptions {
  header: CsvHeader;
  isDelete: boolean;
  fields?: readonly ContactField[] | undefined;
  empty?: 'omit' | 'null' | undefined;
  nullToken?: string | undefined;
  defaultCountry?: CountryCode | undefined;
}

export interface Preparer {
  prepare(record: CsvRecord, seq: number): PreparedRow | ResultRow;
}

/** `column "Mobile Phone"`, or `column 7 (no header)` for a column mapped by number (`--map "#7=mobile"`). */
function columnLabel(header: CsvHeader, field: HeaderField): string {
  const index = header.fields[field];
  if (index === undefined) return `column ${field}`;
  const label = describeColumn(header.columns, index);
  // describeColumn already says "column 7 (no header)"; a named column reads `column "Mobile"`.
  return label.startsWith('"') ? `column ${label}` : label;
}

/** Names the column in every message: `column "Mobile Phone": "0412" is not …`. */
function withColumns(header: CsvHeader, errors: readonly RowError[]): RowError[] {
  return errors.map((e) =>
    e.field === undefined ? e : { ...e, message: `${columnLabel(header, e.field)} ${e.message}` },
  );
}

export function systemIdCell(header: CsvHeader, record: CsvRecord): string {
  return record.cells[header.fields.system_id ?? 0] ?? '';
}

export function isPrepared(row: PreparedRow | ResultRow): row is PreparedRow {
  return !('status' in row);
}

/** The fields a row sends (`--fields`, or all the file maps) and the column each comes from. */
export function sentFieldColumns(
  header: CsvHeader,
  fields: readonly ContactField[] | undefined,
): (readonly [ContactField, number])[] {
  return (fields ?? CONTACT_FIELDS)
    .filter((f) => header.fields[f] !== undefined)
    .map((f) => [f, header.fields[f] ?? 0] as const);
}

export function createPreparer(options: PrepareOptions): Preparer {
  const { header, isDelete } = options;
  const parseRow = createRowParser({
    empty: options.empty,
    nullToken: options.nullToken,
    defaultCountry: options.defaultCountry,
  });
  const fieldColumns = sentFieldColumns(header, options.fields);
  // full_name feeds the name parts the run sends (the header mapping refuses a file that also maps them).
  const fullNameColumn = isDelete ? undefined : header.fields.full_name;
  const nameParts = FULL_NAME_PARTS.filter((f) => options.fields === undefined || options.fields.includes(f));
  const emailOwner = isDelete ? undefined : createEmailIndex();

  // Objects are built whole, not spread: this runs for every row of a million-row file.
  const invalid = (record: CsvRecord, seq: number, systemId: string, errors: RowError[]): ResultRow => ({
    seq,
    line: record.line,
    cells: record.cells,
    extraCells: record.extra,
    systemId,
    status: 'invalid',
    errors,
  });

  return {
    prepare(record, seq) {
      const rawId = systemIdCell(header, record);
      if (record.error !== undefined)
        return invalid(record, seq, rawId.trim(), [{ code: record.error.code, message: record.error.message }]);
      const cells: RowCells = { system_id: rawId };
      if (!isDelete) for (const [field, index] of fieldColumns) cells[field] = record.cells[index] ?? '';
      let nameError: RowError | undefined;
      if (fullNameColumn !== undefined && nameParts.length > 0) {
        const full = record.cells[fullNameColumn] ?? '';
        const split = full.trim() === '' ? { ok: true as const, first: '', last: '' } : splitFullName(full);
        if (split.ok) for (const part of nameParts) cells[part] = part === 'first_name' ? split.first : split.last;
        else nameError = { code: 'one_word_name', field: 'full_name', message: split.message };
      }
      const parsed = parseRow(cells);
      if (!parsed.ok || nameError !== undefined) {
        const errors = [...(nameError === undefined ? [] : [nameError]), ...(parsed.ok ? [] : parsed.errors)];
        return invalid(record, seq, parsed.systemId, withColumns(header, errors));
      }
      const email = parsed.patch.email;
      if (emailOwner !== undefined && typeof email === 'string') {
        const ownerLine = emailOwner(email, parsed.systemId, record.line);
        if (ownerLine !== undefined) {
          return invalid(record, seq, parsed.systemId, [
            {
              code: 'duplicate_email',
              field: 'email',
              message: `${columnLabel(header, 'email')} "${email}" is already used by line ${ownerLine} for another system_id (emails are unique, compared case-insensitively)`,
            },
          ]);
        }
      }
      return {
        seq,
        line: record.line,
        cells: record.cells,
        systemId: parsed.systemId,
        patch: parsed.patch,
        warnings: parsed.warnings,
        notes: parsed.notes,
      };
    },
  };
}
