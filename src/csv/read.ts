/**
 * The input side of import and delete: open a CSV file, check the whole file, map its header,
 * then stream its records with backpressure and flat memory (README, "CSV rules"). An .xlsx
 * workbook (by its name or its content) goes to src/xlsx/read.ts and comes back as the same
 * records, numbered by spreadsheet row.
 *
 *   openCsv: stat → sniff the head (BOM, binary, header line, delimiter, line ends)
 *            → pre-scan the whole file (encoding, quote balance) → parse the header → map it
 *   records: file → [transcode to UTF-8] → csv-parse (arrays) → CsvRecord (record-parser.ts)
 *
 * Everything that makes the whole file unusable throws FileError before openCsv resolves, so
 * a caller that only sends after openCsv has resolved never sends part of a broken file. The
 * problems are collected first, so one FileError names all of them.
 */
import { statSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import { FileError, UsageError } from '../errors.js';
import { FILE_ERRORS, HINTS, INPUT_ERRORS } from '../error-messages.js';
import { INPUT_ENCODINGS, type InputEncoding } from './decode.js';
import { parseMapFlags, type HeaderField } from './headers.js';
import { readMapFile } from './mapping.js';
import { checkFile, emptyFile, identityOf, prescan, sameFile, sniff, type Prescan } from './prescan.js';
import { startReader } from './record-parser.js';
import { sourceFromBatches, type CsvSource } from './source.js';

export { INPUT_ENCODINGS, type InputEncoding } from './decode.js';
export type { HeaderField, MappedBy } from './headers.js';
export type { FieldMapping, MappingDescription, UnsentColumn } from './mapping.js';
export type { CsvRecord } from './record-parser.js';
export type { CsvHeader, CsvSource, InputFormat } from './source.js';
export type { Prescan } from './prescan.js';
export { placeOf } from './source.js';
export { describeColumn, detectDelimiter, normaliseHeader, resolveHeaderField } from './headers.js';
export { nearField, readMapFile } from './mapping.js';

export interface CsvReadOptions {
  /** Unset: UTF-8, or what a BOM says. Set: this encoding, even over a UTF-8 BOM (decode.ts). */
  encoding?: InputEncoding | undefined;
  /** --map "CSV header=field", repeatable. An empty field ("Header=") means: ignore this column. */
  map?: readonly string[] | undefined;
  /** --map-file: the same mappings, one a line; `map` is applied after it, so a flag wins. */
  mapFile?: string | undefined;
  /** Which fields must have a column; default ['system_id']. delete uses ['system_id'] too. */
  requiredFields?: readonly HeaderField[];
  /** .xlsx: `--sheet`, a sheet's name or its position from 1; default the first sheet. */
  sheet?: string | undefined;
  /**
   * An earlier open's verdict on this file in the same run (`CsvSource.prescan`): taken instead of
   * pre-scanning the whole file again. A file that is no longer the one scanned (another inode,
   * size or mtime) stops the run as a file that changed while it was read.
   */
  prescanned?: Prescan | undefined;
}

/** A zip file's first bytes (ECMA-376 part 2: an .xlsx is a zip package). */
const ZIP_SIGNATURE = Buffer.from('PK\x03\x04', 'latin1');

/**
 * An .xlsx workbook by its name, or by its content: a file that starts as a zip is read as a
 * workbook whatever it is called, and one without a workbook inside is refused as such.
 */
export async function isWorkbookFile(path: string): Promise<boolean> {
  if (/^\.xls[xm]$/i.test(extname(path))) return true;
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return false; // the CSV path words the failure
  }
  try {
    const head = Buffer.alloc(ZIP_SIGNATURE.length);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return bytesRead === head.length && head.equals(ZIP_SIGNATURE);
  } finally {
    await handle.close();
  }
}

function changedWhileRead(path: string): FileError {
  return new FileError(FILE_ERRORS.changedWhileRead(path), { file: path, hint: HINTS.fileChanged() });
}

/** The end of the file came before the size it had at the start, or its size or mtime changed. */
function refuseChanged(path: string, started: Stats, bytesRead: number): void {
  let now: Stats | undefined;
  try {
    now = statSync(path);
  } catch {
    now = undefined;
  }
  if (bytesRead >= started.size && now?.size === started.size && now.mtimeMs === started.mtimeMs) return;
  throw changedWhileRead(path);
}

/**
 * The batches, then `check` at the end, never before: a file cut short or rewritten meanwhile
 * would otherwise read as a shorter file that went well (docs/ARCHITECTURE.md, "Reading CSV").
 */
async function* checkedAtEnd<T>(batches: AsyncIterable<T>, check: () => void): AsyncGenerator<T> {
  yield* batches;
  check();
}

/** Opens and checks the file; throws FileError for whole-file problems BEFORE returning (so nothing is sent). */
export async function openCsv(path: string, options: CsvReadOptions = {}): Promise<CsvSource> {
  // Flag problems first: they need no file.
  const requested = options.encoding;
  if (requested !== undefined && !(INPUT_ENCODINGS as readonly string[]).includes(requested)) {
    throw new UsageError(INPUT_ERRORS.encodingUnknown(String(requested), INPUT_ENCODINGS));
  }
  const mapEntries = [
    ...(options.mapFile === undefined ? [] : await readMapFile(options.mapFile)),
    ...parseMapFlags(options.map ?? []),
  ];
  const requiredFields = options.requiredFields ?? ['system_id'];

  const size = await checkFile(path);
  const started = statSync(path);
  const earlier = options.prescanned;
  let verdict: Prescan;
  if (earlier !== undefined && earlier.plan.path === path && earlier.requested === requested) {
    // Compared with the stat taken before the earlier scan: a change since then is a change meanwhile.
    if (!sameFile(earlier.identity, started)) throw changedWhileRead(path);
    verdict = earlier;
  } else {
    if (await isWorkbookFile(path)) {
      if (requested !== undefined) throw new UsageError(INPUT_ERRORS.encodingOfWorkbook(path));
      // Loaded only for a workbook, so reading CSV never pays for the zip and XML parsers.
      const { openXlsx } = await import('../xlsx/read.js');
      return openXlsx(path, { mapEntries, requiredFields, sheet: options.sheet, size });
    }
    if (options.sheet !== undefined) throw new UsageError(INPUT_ERRORS.sheetOfCsv(path));
    const plan = await sniff(path, size, requested);
    verdict = { identity: identityOf(started), requested, plan, ...(await prescan(plan)) };
  }
  const { plan } = verdict;

  const reader = startReader(plan);
  try {
    return await sourceFromBatches({
      path,
      format: 'csv',
      batches: checkedAtEnd(reader.batches, () => refuseChanged(path, started, reader.bytesRead())),
      mapEntries,
      requiredFields,
      // A copy: the header's own problems are added to it.
      problems: [...verdict.problems],
      emptyFile: () => emptyFile(path),
      meta: { delimiter: plan.delimiter, encoding: plan.encoding },
      bytesRead: reader.bytesRead,
      bytesTotal: size,
      rowsAtMost: verdict.lineEnds,
      close: reader.close,
      prescan: verdict,
    });
  } catch (error) {
    reader.close();
    throw error;
  }
}
