/**
 * The input side of import and delete: open a CSV file, check the whole file, map its header,
 * then stream its records with backpressure and flat memory (README, "CSV rules").
 *
 *   openCsv: stat → sniff the head (BOM, binary, header line, delimiter, line ends)
 *            → pre-scan the whole file (encoding, quote balance) → parse the header → map it
 *   records: file → [transcode to UTF-8] → csv-parse (arrays) → CsvRecord (record-parser.ts)
 *
 * Everything that makes the whole file unusable throws FileError before openCsv resolves, so
 * a caller that only sends after openCsv has resolved never sends part of a broken file. The
 * problems are collected first, so one FileError names all of them.
 */
import { FileError, UsageError } from '../errors.js';
import { INPUT_ENCODINGS, type InputEncoding } from './decode.js';
import { mapHeader, parseMapFlags, type HeaderField } from './headers.js';
import { describeMapping, readMapFile, type MappingDescription } from './mapping.js';
import { checkFile, emptyFile, prescan, sniff } from './prescan.js';
import { startReader, type CsvRecord } from './record-parser.js';

export { INPUT_ENCODINGS, type InputEncoding } from './decode.js';
export type { HeaderField, MappedBy } from './headers.js';
export type { FieldMapping, MappingDescription, UnsentColumn } from './mapping.js';
export type { CsvRecord } from './record-parser.js';
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
}

export interface CsvHeader {
  /** Header cells verbatim (BOM removed), in order, duplicates kept. */
  columns: string[];
  /** field → column index */
  fields: Partial<Record<HeaderField, number>>;
  /** column index → field; undefined = unmapped (kept in results, never sent) */
  columnFields: (HeaderField | undefined)[];
  delimiter: ',' | ';' | '\t';
  /** The encoding actually used (e.g. 'utf16le' when a UTF-16 BOM was found). */
  encoding: string;
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
}

/** Opens and checks the file; throws FileError for whole-file problems BEFORE returning (so nothing is sent). */
export async function openCsv(path: string, options: CsvReadOptions = {}): Promise<CsvSource> {
  // Flag problems first: they need no file.
  const requested = options.encoding;
  if (requested !== undefined && !(INPUT_ENCODINGS as readonly string[]).includes(requested)) {
    throw new UsageError(`--encoding ${String(requested)} is not supported; use one of ${INPUT_ENCODINGS.join(', ')}`);
  }
  const mapEntries = [
    ...(options.mapFile === undefined ? [] : await readMapFile(options.mapFile)),
    ...parseMapFlags(options.map ?? []),
  ];
  const requiredFields = options.requiredFields ?? ['system_id'];

  const size = await checkFile(path);
  const plan = await sniff(path, size, requested);
  const problems = await prescan(plan);

  const reader = startReader(plan);
  try {
    const first = await reader.batches.next();
    const headerRecord = first.done === true ? undefined : first.value[0];
    if (headerRecord === undefined) throw emptyFile(path);
    const line = headerRecord.line;
    if (headerRecord.error !== undefined) {
      const reason = headerRecord.error.message.replace(/^lines? [\d-]+: cannot read this row: /, '');
      problems.push(new FileError(`${path} line ${line}: cannot read the header row: ${reason}`, { file: path, line }));
      throw FileError.combine(problems);
    }
    const columns = headerRecord.cells;
    const mapped = mapHeader(columns, mapEntries, requiredFields, path, line);
    for (const message of mapped.problems) problems.push(new FileError(message, { file: path, line }));
    if (problems.length > 0) throw FileError.combine(problems);
    // The records that came with the header, then the rest, batch by batch. The mapping block's
    // samples need some rows: when the header came alone, wait for the next batch.
    let rest = first.done === true ? [] : first.value.slice(1);
    if (rest.length === 0 && first.done !== true) {
      const next = await reader.batches.next();
      if (next.done !== true) rest = next.value;
    }
    const samples = rest.flatMap((r) => (r.error === undefined ? [r.cells] : []));
    const batches = (async function* (): AsyncGenerator<CsvRecord[]> {
      if (rest.length > 0) yield rest;
      yield* reader.batches;
    })();
    return {
      header: {
        columns,
        fields: mapped.fields,
        columnFields: mapped.columnFields,
        delimiter: plan.delimiter,
        encoding: plan.encoding,
        mapping: describeMapping(columns, mapped, samples),
      },
      records: {
        async *[Symbol.asyncIterator]() {
          for await (const batch of batches) yield* batch;
        },
      },
      batches: { [Symbol.asyncIterator]: () => batches },
      bytesRead: reader.bytesRead,
      bytesTotal: size,
      close: reader.close,
    };
  } catch (error) {
    reader.close();
    throw error;
  }
}
