/**
 * What every input file becomes, whatever its format: a mapped header and a stream of records,
 * each with the number of the line (CSV) or row (.xlsx) it came from. read.ts opens CSV files,
 * src/xlsx/read.ts workbooks; both end here, so the mapping, the row rules and everything after
 * them never know which format the rows came from (docs/ARCHITECTURE.md, "Reading .xlsx").
 */
import { FileError } from '../errors.js';
import { mapHeader, type HeaderField, type MapEntry } from './headers.js';
import { describeMapping, type MappingDescription } from './mapping.js';
import type { Prescan } from './prescan.js';
import type { CsvRecord } from './record-parser.js';

export type InputFormat = 'csv' | 'xlsx';

export interface CsvHeader {
  /** Header cells verbatim (BOM removed), in order, duplicates kept. */
  columns: string[];
  /** field → column index */
  fields: Partial<Record<HeaderField, number>>;
  /** column index → field; undefined = unmapped (kept in results, never sent) */
  columnFields: (HeaderField | undefined)[];
  /** CSV only; a workbook's is ','. */
  delimiter: ',' | ';' | '\t';
  /** The encoding actually used (e.g. 'utf16le' when a UTF-16 BOM was found); 'xlsx' for a workbook. */
  encoding: string;
  /** Which kind of file the rows came from: messages say `line 7` for CSV, `row 7` and `F7` for .xlsx. */
  format: InputFormat;
  /** .xlsx: the sheet read. */
  sheet?: string | undefined;
  /** For people, before anything is sent: each field's column with sample values, and the columns not sent. */
  mapping: MappingDescription;
}

export interface CsvSource {
  header: CsvHeader;
  /** Pull-based: iterating with for-await applies backpressure to the file stream. Iterate once. */
  records: AsyncIterable<CsvRecord>;
  /** The same records, in arrays of what was ready: the fast way for a hot loop. Use one or the other. */
  batches: AsyncIterable<CsvRecord[]>;
  /** Bytes of the file consumed so far, and the file size (for progress bars). */
  bytesRead(): number;
  bytesTotal: number;
  /** Stops reading and closes the file; for a caller that does not iterate to the end. Breaking out of for-await does this too. */
  close(): void;
  /** A CSV file's whole-file verdict, for a later open of the same file (`CsvReadOptions.prescanned`). */
  prescan?: Prescan | undefined;
}

/** A spreadsheet numbers rows, a CSV file lines. */
export function lineWord(format: InputFormat | undefined): 'line' | 'row' {
  return format === 'xlsx' ? 'row' : 'line';
}

/** `line 7` in a CSV file, `row 7` in a workbook. */
export function placeOf(format: InputFormat | undefined, line: number): string {
  return `${lineWord(format)} ${line}`;
}

/** The first batch's first record is the header; the rest, and every later batch, are rows. */
export async function sourceFromBatches(ctx: {
  path: string;
  format: InputFormat;
  batches: AsyncGenerator<CsvRecord[]>;
  mapEntries: readonly MapEntry[];
  requiredFields: readonly HeaderField[];
  /** Whole-file problems found before the header (a CSV pre-scan's); reported with the header's. */
  problems: FileError[];
  emptyFile: () => FileError;
  meta: Pick<CsvHeader, 'delimiter' | 'encoding' | 'sheet'>;
  bytesRead: () => number;
  bytesTotal: number;
  close: () => void;
  prescan?: Prescan | undefined;
}): Promise<CsvSource> {
  const { path, problems } = ctx;
  const first = await ctx.batches.next();
  const headerRecord = first.done === true ? undefined : first.value[0];
  if (headerRecord === undefined) throw ctx.emptyFile();
  const line = headerRecord.line;
  const where = `${path} ${placeOf(ctx.format, line)}`;
  if (headerRecord.error !== undefined) {
    const reason = headerRecord.error.message.replace(/^lines? [\d-]+: cannot read this row: /, '');
    problems.push(new FileError(`${where}: cannot read the header row: ${reason}`, { file: path, line }));
    throw FileError.combine(problems);
  }
  const columns = headerRecord.cells;
  const mapped = mapHeader(columns, ctx.mapEntries, ctx.requiredFields, path, where);
  for (const message of mapped.problems) problems.push(new FileError(message, { file: path, line }));
  if (problems.length > 0) throw FileError.combine(problems);
  // The records that came with the header, then the rest, batch by batch. The mapping block's
  // samples need some rows: when the header came alone, wait for the next batch.
  let rest = first.done === true ? [] : first.value.slice(1);
  if (rest.length === 0 && first.done !== true) {
    const next = await ctx.batches.next();
    if (next.done !== true) rest = next.value;
  }
  const samples = rest.flatMap((r) => (r.error === undefined ? [r.cells] : []));
  const source = ctx.batches;
  const batches = (async function* (): AsyncGenerator<CsvRecord[]> {
    if (rest.length > 0) yield rest;
    yield* source;
  })();
  return {
    header: {
      columns,
      fields: mapped.fields,
      columnFields: mapped.columnFields,
      ...ctx.meta,
      format: ctx.format,
      mapping: describeMapping(columns, mapped, samples),
    },
    records: {
      async *[Symbol.asyncIterator]() {
        for await (const batch of batches) yield* batch;
      },
    },
    batches: { [Symbol.asyncIterator]: () => batches },
    bytesRead: ctx.bytesRead,
    bytesTotal: ctx.bytesTotal,
    close: ctx.close,
    prescan: ctx.prescan,
  };
}
