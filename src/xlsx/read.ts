/**
 * The .xlsx side of reading an input file: the chosen sheet's rows as the same records a CSV
 * file gives (src/csv/source.ts), numbered by their spreadsheet row, so the mapping, the row
 * rules and everything after them are the CSV path's own (README, ".xlsx round trips").
 *
 *   openWorkbook (zip, parts, sheet list) → pick the sheet → shared strings and date styles
 *   → stream the sheet (sheet.ts) → records: blank rows left out, the first row is the header
 */
import { FileError, UsageError } from '../errors.js';
import { INPUT_ERRORS } from '../error-messages.js';
import type { HeaderField, MapEntry } from '../csv/headers.js';
import type { CsvRecord } from '../csv/record-parser.js';
import { sourceFromBatches, type CsvSource } from '../csv/source.js';
import { readSheetRows, type SheetRow } from './sheet.js';
import { cellRef, columnLetters } from './values.js';
import { ROW_ERRORS } from '../contact/row-messages.js';
import { openWorkbook, type SheetInfo, type Workbook } from './workbook.js';

export interface XlsxReadOptions {
  mapEntries: readonly MapEntry[];
  requiredFields: readonly HeaderField[];
  /** `--sheet`: a sheet's name, or its position counting from 1; default the first. */
  sheet?: string | undefined;
  /** The file's size, for progress. */
  size: number;
}

/** `--sheet Contacts`, `--sheet 2`: a name first (exactly, then ignoring case), else a position. */
export function pickSheet(path: string, sheets: readonly SheetInfo[], wanted: string | undefined): SheetInfo {
  const first = sheets[0] as SheetInfo;
  if (wanted === undefined) return first;
  const named =
    sheets.find((s) => s.name === wanted) ?? sheets.find((s) => s.name.toLowerCase() === wanted.toLowerCase());
  if (named !== undefined) return named;
  const position = /^\d+$/.test(wanted) ? Number(wanted) : undefined;
  const numbered = position === undefined ? undefined : sheets[position - 1];
  if (numbered !== undefined) return numbered;
  throw new UsageError(
    INPUT_ERRORS.noSuchSheet(
      wanted,
      path,
      sheets.map((s) => s.name),
    ),
  );
}

function isBlank(row: SheetRow): boolean {
  if (row.uncached !== undefined) return false;
  for (const value of row.values) if (value.trim().length > 0) return false;
  return true;
}

function uncachedError(row: SheetRow, columns: readonly number[]): NonNullable<CsvRecord['error']> {
  const cells = columns.map((c) => cellRef(c, row.row));
  return { code: 'uncached_formula', message: ROW_ERRORS.uncached_formula.noSavedValue(cells) };
}

/** Sheet rows → records of exactly the header's width; the first non-blank row is the header. */
function toRecords(rows: AsyncGenerator<SheetRow[]>): AsyncGenerator<CsvRecord[]> {
  let width = -1;
  return (async function* () {
    for await (const batch of rows) {
      const records: CsvRecord[] = [];
      for (const row of batch) {
        if (isBlank(row)) continue;
        if (width < 0) {
          // Styled but empty cells after the last header are not columns.
          let end = row.values.length;
          while (end > 0 && (row.values[end - 1] ?? '').trim() === '') end--;
          width = end;
          const cells = row.values.slice(0, end);
          records.push(
            row.uncached === undefined
              ? { line: row.row, cells }
              : { line: row.row, cells, error: uncachedError(row, row.uncached) },
          );
          continue;
        }
        const values = row.values;
        const cells =
          values.length >= width
            ? values.slice(0, width)
            : values.concat(Array<string>(width - values.length).fill(''));
        const record: CsvRecord = { line: row.row, cells };
        const numeric = row.numeric?.filter((c) => c < width);
        if (numeric !== undefined && numeric.length > 0) record.numeric = numeric;
        const extra = values.slice(width);
        const extraAt = extra.findIndex((v) => v.trim() !== '');
        if (row.uncached !== undefined) record.error = uncachedError(row, row.uncached);
        else if (extraAt !== -1) {
          record.extra = extra;
          record.error = {
            code: 'ragged_row',
            message: ROW_ERRORS.ragged_row.xlsx(
              row.row,
              cellRef(width + extraAt, row.row),
              columnLetters(Math.max(width - 1, 0)),
              extra[extraAt] ?? '',
            ),
          };
        }
        records.push(record);
      }
      if (records.length > 0) yield records;
    }
  })();
}

export async function openXlsx(path: string, options: XlsxReadOptions): Promise<CsvSource> {
  const workbook: Workbook = await openWorkbook(path);
  try {
    const sheet = pickSheet(path, workbook.sheets, options.sheet);
    const tables = await workbook.loadTables();
    const stream = await workbook.openPart(sheet.part);
    let consumed = 0;
    const total = Math.max(workbook.partSize(sheet.part), 1);
    const rows = readSheetRows(stream, { ...tables, date1904: workbook.date1904 }, (length) => (consumed += length));
    const close = (): void => {
      stream.destroy();
      workbook.close();
    };
    const batches = (async function* (): AsyncGenerator<CsvRecord[]> {
      try {
        yield* toRecords(rows);
      } catch (error) {
        if (error instanceof FileError) throw error;
        throw new FileError(INPUT_ERRORS.sheetUnreadable(path, sheet.name, (error as Error).message), {
          file: path,
          cause: error,
        });
      } finally {
        close();
      }
    })();
    return await sourceFromBatches({
      path,
      format: 'xlsx',
      batches,
      mapEntries: options.mapEntries,
      requiredFields: options.requiredFields,
      problems: [],
      emptyFile: () =>
        new FileError(INPUT_ERRORS.emptySheet(path, sheet.name), {
          file: path,
          line: 1,
        }),
      meta: { delimiter: ',', encoding: 'xlsx', sheet: sheet.name },
      // The file's size, scaled by how much of the sheet has been read.
      bytesRead: () => Math.min(options.size, Math.round((consumed / total) * options.size)),
      bytesTotal: options.size,
      close,
    });
  } catch (error) {
    workbook.close();
    throw error;
  }
}

/** Every row of a workbook's first sheet as text, blank rows left out, padded to the first row's width. */
export async function* readWorkbookRows(path: string): AsyncGenerator<string[]> {
  const workbook = await openWorkbook(path);
  try {
    const sheet = pickSheet(path, workbook.sheets, undefined);
    const tables = await workbook.loadTables();
    const stream = await workbook.openPart(sheet.part);
    let width = -1;
    for await (const batch of readSheetRows(stream, { ...tables, date1904: workbook.date1904 })) {
      for (const row of batch) {
        if (isBlank(row)) continue;
        if (width < 0) width = row.values.length;
        const values = row.values;
        yield values.length >= width ? values : values.concat(Array<string>(width - values.length).fill(''));
      }
    }
  } finally {
    workbook.close();
  }
}
