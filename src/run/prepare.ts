/**
 * The "prepare" step of a run: one CSV record → a row ready to send (PreparedRow) or an invalid
 * result row. Every local rule applies here, in file order, whatever the mode, so a dry run, a
 * plan, an import and a resumed import judge each row the same way.
 */
import {
  CONTACT_FIELDS,
  REQUIRED_ON_CREATE,
  createRowParser,
  findMisdecoded,
  type ContactField,
  type RowCells,
  type RowError,
} from '../contact/schema.js';
import { FULL_NAME_PARTS, describeColumn, type HeaderField } from '../csv/headers.js';
import { splitFullName } from '../contact/name.js';
import {
  openCsv,
  placeOf,
  type CsvHeader,
  type CsvReadOptions,
  type CsvRecord,
  type InputEncoding,
} from '../csv/read.js';
import { lostPlusHint } from '../contact/phone.js';
import { ROW_ERRORS } from '../contact/row-messages.js';
import { cellRef } from '../xlsx/values.js';
import { createEmailIndex } from './email-index.js';
import type { RowRuleOptions } from './run-types.js';
import type { PreparedRow } from './outcomes.js';
import type { PrepassObserver } from './executor.js';
import type { ResultRow, RowOutcome } from './results.js';
import { createOverrideStore, type OverrideLookup } from './override-store.js';
import { createPersonIndex, type LaterRows, type PersonConflict, type PersonIndex } from './person-index.js';
import { compileWhere } from './where.js';
import { createTableWarmer } from './warm-tables.js';

/** The row rules a run was given (`--fields`, `--empty`, `--where`, …; `--where` first of all), and what prepare needs besides. */
export interface PrepareOptions extends RowRuleOptions {
  header: CsvHeader;
  isDelete: boolean;
  /**
   * The one-system_id-two-people check (person-index.ts): `complete` when a pre-pass has added
   * every row; otherwise each row is added as it comes (a dry run) and earlier rows are corrected.
   */
  people?: { index: PersonIndex; complete: boolean } | undefined;
  /** The in-file email check; off for the pre-pass, which only feeds the person index. */
  checkEmails?: boolean | undefined;
  /** The source's `rowsAtMost`: the in-file checks size their tables by it once. */
  rowsAtMost?: number | undefined;
}

export interface Preparer {
  prepare(record: CsvRecord, seq: number): PreparedRow | ResultRow;
  /** Before the batch's rows are prepared, in order: reads ahead what their in-file checks look up (warm-tables.ts). */
  warm(batch: readonly CsvRecord[]): void;
  /**
   * A one-pass person check: rows already written `valid` that a later row showed to conflict.
   * Spilled past a thousand (override-store.ts): a file of conflicting ids has one per row.
   */
  overrides(): OverrideLookup;
}

/**
 * `column "Mobile Phone"`, or `column 7 (no header)` for a column mapped by number (`--map "#7=mobile"`);
 * in a workbook, with a row, the cell too: `cell F7 (column "Mobile Phone")`.
 */
export function columnLabel(header: CsvHeader, field: HeaderField, line?: number): string {
  const index = header.fields[field];
  return index === undefined ? `column ${field}` : columnAt(header, index, line);
}

function columnAt(header: CsvHeader, index: number, line: number | undefined): string {
  const label = describeColumn(header.columns, index);
  // describeColumn already says "column 7 (no header)"; a named column reads `column "Mobile"`.
  const column = label.startsWith('"') ? `column ${label}` : label;
  return header.format === 'xlsx' && line !== undefined ? `cell ${cellRef(index, line)} (${column})` : column;
}

/** Names the column in every message: `column "Mobile Phone": "0412" is not …`. */
function withColumns(header: CsvHeader, errors: readonly RowError[], line: number): RowError[] {
  return errors.map((e) =>
    e.field === undefined ? e : { ...e, message: `${columnLabel(header, e.field, line)} ${e.message}` },
  );
}

/**
 * A workbook's mobile held as a number has lost its `+` (a spreadsheet reads `+61…` as a sum):
 * refused like a CSV mobile without its `+`, with the same hint, even when it would pass as
 * digits (README, ".xlsx round trips").
 */
function numericMobile(header: CsvHeader, record: CsvRecord): RowError | undefined {
  const index = header.fields.mobile;
  if (index === undefined || record.numeric === undefined || !record.numeric.includes(index)) return undefined;
  const value = (record.cells[index] ?? '').trim();
  return {
    code: 'invalid_mobile',
    field: 'mobile',
    message: ROW_ERRORS.invalid_mobile.numberCell(value, lostPlusHint(value)),
  };
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

/**
 * The fields that creating a contact needs (API document, "Adding a new Contact") that no column
 * sends: a `full_name` column gives both names. With any missing, only contacts already in
 * CIOPulse can be updated; every new one would be refused.
 */
export function missingForCreate(header: CsvHeader, fields: readonly ContactField[] | undefined): ContactField[] {
  const sent = new Set(sentFieldColumns(header, fields).map(([field]) => field));
  if (header.fields.full_name !== undefined)
    for (const part of FULL_NAME_PARTS) if (fields === undefined || fields.includes(part)) sent.add(part);
  return REQUIRED_ON_CREATE.filter((field) => !sent.has(field));
}

export function createPreparer(options: PrepareOptions): Preparer {
  const { header, isDelete } = options;
  const parseRow = createRowParser({
    empty: options.empty,
    nullToken: options.nullToken,
    defaultCountry: options.defaultCountry,
    fixMissingPlus: options.fixMissingPlus,
  });
  const fieldColumns = sentFieldColumns(header, options.fields);
  // full_name feeds the name parts the run sends (the header mapping refuses a file that also maps them).
  const fullNameColumn = isDelete ? undefined : header.fields.full_name;
  const nameParts = FULL_NAME_PARTS.filter((f) => options.fields === undefined || options.fields.includes(f));
  // The columns the row parser does not read: a C1 control or U+FFFD there still means the file
  // was decoded wrongly, and its results row would carry the damage (README, "Encodings, delimiters, line endings").
  const checked = new Set<number>([
    header.fields.system_id ?? 0,
    ...(isDelete ? [] : fieldColumns.map(([, i]) => i)),
    ...(fullNameColumn === undefined || nameParts.length === 0 ? [] : [fullNameColumn]),
  ]);
  const otherColumns = header.columns.map((_, i) => i).filter((i) => !checked.has(i));
  const misdecodedCell = (record: CsvRecord): RowError | undefined => {
    for (const index of otherColumns) {
      const found = findMisdecoded(record.cells[index] ?? '');
      if (found !== undefined) return { ...found, message: `${columnAt(header, index, record.line)} ${found.message}` };
    }
    return undefined;
  };
  const emailOwner = isDelete || options.checkEmails === false ? undefined : createEmailIndex(options.rowsAtMost);
  const people = isDelete ? undefined : options.people;
  // A pre-pass's complete person index is not looked up per row.
  const warmer = createTableWarmer(
    { systemId: header.fields.system_id ?? 0, email: header.fields.email },
    people === undefined || people.complete ? undefined : people.index,
    emailOwner,
  );
  const corrected = createOverrideStore();
  const conflictError = (systemId: string, conflict: PersonConflict): RowError => ({
    code: 'conflicting_person',
    field: 'system_id',
    message: ROW_ERRORS.conflicting_person.twoPeople(
      systemId,
      placeOf(header.format, conflict.line),
      columnLabel(header, conflict.field),
    ),
  });
  const filter = compileWhere(options.where ?? [], header.columns);

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
      // A left-out row is judged by nothing else: its email takes no place in the in-file check.
      const leftOut = record.error === undefined ? filter?.(record.cells) : undefined;
      if (leftOut !== undefined)
        return {
          seq,
          line: record.line,
          cells: record.cells,
          systemId: rawId.trim(),
          status: 'filtered',
          detail: leftOut,
        };
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
      // --fix-missing-plus puts the + back on digits, whether a cell held them as text or as a number.
      const numeric = isDelete || options.fixMissingPlus === true ? undefined : numericMobile(header, record);
      if (!parsed.ok || nameError !== undefined || numeric !== undefined) {
        const fieldErrors = parsed.ok ? [] : parsed.errors;
        const errors = [
          ...(nameError === undefined ? [] : [nameError]),
          ...(numeric === undefined ? fieldErrors : [...fieldErrors.filter((e) => e.field !== 'mobile'), numeric]),
        ];
        return invalid(record, seq, parsed.systemId, withColumns(header, errors, record.line));
      }
      const damaged = otherColumns.length === 0 ? undefined : misdecodedCell(record);
      if (damaged !== undefined) return invalid(record, seq, parsed.systemId, [damaged]);
      warmer.prime(record);
      if (people !== undefined) {
        const { systemId, patch } = parsed;
        // The common case, one person per system_id, costs one lookup (a dry run) or none.
        const added = people.complete
          ? people.index.conflicts === 0
            ? 'none'
            : 'shared'
          : people.index.add(systemId, patch, record.line, seq);
        const conflict = added === 'none' ? undefined : people.index.conflictOf(systemId, patch, record.line);
        if (added === 'made' && conflict !== undefined) {
          // A dry run wrote the earlier rows of this system_id as valid: they are refused too.
          const errors = withColumns(
            header,
            [conflictError(systemId, { ...conflict, line: record.line })],
            record.line,
          );
          for (const earlier of people.index.takeEarlier(systemId)) {
            const before: RowOutcome = { line: earlier.line, systemId, status: 'valid' };
            corrected.set(earlier.seq, { before, after: { ...before, status: 'invalid', errors } });
          }
        }
        if (conflict !== undefined)
          return invalid(record, seq, systemId, withColumns(header, [conflictError(systemId, conflict)], record.line));
      }
      const email = parsed.patch.email;
      if (emailOwner !== undefined && typeof email === 'string') {
        const ownerLine = emailOwner(email, parsed.systemId, record.line);
        if (ownerLine !== undefined) {
          return invalid(record, seq, parsed.systemId, [
            {
              code: 'duplicate_email',
              field: 'email',
              message: ROW_ERRORS.duplicate_email.usedEarlier(
                columnLabel(header, 'email', record.line),
                email,
                placeOf(header.format, ownerLine),
              ),
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
    warm: (batch) => warmer.warm(batch),
    overrides: () => corrected,
  };
}

/** How a run opens its input (the pre-pass opens it the same way, with the first open's pre-scan). */
export function csvOptions(options: {
  encoding?: InputEncoding | undefined;
  map?: readonly string[] | undefined;
  mapFile?: string | undefined;
  sheet?: string | undefined;
  prescanned?: CsvReadOptions['prescanned'];
}): CsvReadOptions {
  return {
    ...(options.prescanned === undefined ? {} : { prescanned: options.prescanned }),
    ...(options.encoding === undefined ? {} : { encoding: options.encoding }),
    ...(options.map === undefined ? {} : { map: options.map }),
    mapFile: options.mapFile,
    sheet: options.sheet,
    requiredFields: ['system_id'],
  };
}

/** What a run learns before its first row (runPrePass). */
export interface PrePass {
  /** The one-system_id-two-people check, for prepare; undefined for a delete. */
  people: PrepareOptions['people'];
  /** Which rows a later row with the same system_id follows; undefined without a pre-pass. */
  later: LaterRows | undefined;
}

/**
 * The one-system_id-two-people check (person-index.ts). Given the input, a run that sends or
 * predicts reads the file once more first (up to `limit` rows): every row that passes the local
 * checks is added, so the first row of a shared system_id is refused before anything is sent, and
 * each row learns whether a later one shares its system_id. A dry run (no input here) sends
 * nothing, so it checks in its one pass and corrects the earlier rows after: a second read would
 * cost it a third of its speed (BENCHMARKS.md, section 1). `observer` sees every record of this
 * read (a sync lists the file's system_ids from it, `--backup` the ids it saves), so neither reads
 * the file again; a delete and a dry run have no pre-pass. The open takes `input.prescanned`, the
 * run's first open's pre-scan, so the whole-file check is not redone.
 */
export async function runPrePass(
  input: (Parameters<typeof csvOptions>[0] & { input: string; limit?: number | undefined }) | undefined,
  rules: Omit<PrepareOptions, 'people' | 'checkEmails'>,
  observer?: PrepassObserver,
): Promise<PrePass> {
  // A delete applies nothing that could supersede a row (run/supersede.ts), and holds no people.
  if (rules.isDelete) return { people: undefined, later: undefined };
  if (input === undefined)
    return {
      people: { index: createPersonIndex({ trackEarlier: true }, rules.rowsAtMost), complete: false },
      later: undefined,
    };
  const source = await openCsv(input.input, csvOptions(input));
  const index = createPersonIndex({ trackEarlier: false }, Math.min(source.rowsAtMost ?? 0, input.limit ?? Infinity));
  const preparer = createPreparer({ ...rules, checkEmails: false });
  let seq = 0;
  try {
    reading: for await (const batch of source.batches) {
      for (const record of batch) {
        if (input.limit !== undefined && seq >= input.limit) break reading;
        observer?.record(record);
        const row = preparer.prepare(record, seq);
        if (isPrepared(row)) index.add(row.systemId, row.patch, row.line, seq);
        seq++;
      }
    }
  } finally {
    source.close();
  }
  observer?.end();
  return { people: { index, complete: true }, later: index.laterRows() };
}
