/**
 * The input side of import and delete: open a CSV file, check the whole file, map its header,
 * then stream its records with backpressure and flat memory (DESIGN.md, "Reading the file",
 * "Headers").
 *
 *   openCsv: stat → sniff the head (BOM, binary, header line, delimiter, line ends)
 *            → pre-scan the whole file (encoding, quote balance) → parse the header → map it
 *   records: file → [transcode to UTF-8] → csv-parse (arrays) → CsvRecord
 *
 * Everything that makes the whole file unusable throws FileError before openCsv resolves, so
 * a caller that only sends after openCsv has resolved never sends part of a broken file.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { pipeline, type Readable, type TransformCallback } from 'node:stream';
import { Parser, type CsvError } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { FileError, UsageError } from '../errors.js';
import {
  chooseEncoding,
  decoderLabel,
  firstInvalidUtf16,
  createTranscoder,
  sniffBom,
  Utf8Checker,
  type ActualEncoding,
  type InputEncoding,
} from './decode.js';
import { detectDelimiter, mapHeader, normaliseHeader, parseMapFlags, type HeaderField } from './headers.js';
import { CR, LF, QuoteScanner, countByte, eolByte, splitRecords, type Dialect } from './scan.js';

export type { InputEncoding } from './decode.js';
export type { HeaderField } from './headers.js';
export { detectDelimiter, normaliseHeader, resolveHeaderField } from './headers.js';

export interface CsvReadOptions {
  encoding?: InputEncoding;
  /** --map "CSV header=field", repeatable. An empty field ("Header=") means: ignore this column. */
  map?: readonly string[];
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
}

export interface CsvRecord {
  /** 1-based physical line where the record STARTS (the header is line 1). A quoted newline makes a record span lines. */
  line: number;
  /** The raw cells, verbatim (not trimmed), exactly header.columns.length long: short rows padded with '', long rows truncated — see `error`. */
  cells: string[];
  /** Set for a ragged row or a row csv-parse could not read; the message keeps whatever `cells` could not. */
  error?: { code: 'ragged_row' | 'malformed_row'; message: string };
  /** A row longer than the header: the cells past its width, so the errors file can keep them. */
  extra?: string[];
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

const ENCODINGS: readonly InputEncoding[] = ['utf8', 'windows-1252', 'latin1', 'utf16le'];
/** Enough to hold any sane header line. */
const HEAD_BYTES = 64 * 1024;
/** Large reads: the pre-scan runs at GB/s with 1 MiB chunks and at a third of that with 64 KiB. */
const SCAN_CHUNK = 1024 * 1024;
const PARSE_CHUNK = 256 * 1024;

interface Plan {
  path: string;
  size: number;
  encoding: ActualEncoding;
  /** Bytes skipped at the start; every offset below counts from there. */
  bomLength: number;
  delimiter: ',' | ';' | '\t';
  dialect: Dialect;
}

/** Opens and checks the file; throws FileError for whole-file problems BEFORE returning (so nothing is sent). */
export async function openCsv(path: string, options: CsvReadOptions = {}): Promise<CsvSource> {
  // Flag problems first: they need no file.
  const requested = options.encoding ?? 'utf8';
  if (!ENCODINGS.includes(requested)) {
    throw new UsageError(`--encoding ${String(requested)} is not supported; use one of ${ENCODINGS.join(', ')}`);
  }
  const mapEntries = parseMapFlags(options.map ?? []);
  const requiredFields = options.requiredFields ?? ['system_id'];

  const size = await checkFile(path);
  const plan = await sniff(path, size, requested);
  await prescan(plan);

  const reader = startReader(plan);
  try {
    const first = await reader.batches.next();
    const headerRecord = first.done === true ? undefined : first.value[0];
    if (headerRecord === undefined) throw emptyFile(path);
    if (headerRecord.error !== undefined) {
      const reason = headerRecord.error.message.replace(/^lines? [\d-]+: cannot read this row: /, '');
      throw new FileError(`${path} line ${headerRecord.line}: cannot read the header row: ${reason}`, {
        file: path,
        line: headerRecord.line,
      });
    }
    const columns = headerRecord.cells;
    const { fields, columnFields } = mapHeader(columns, mapEntries, requiredFields, path, headerRecord.line);
    // The records that came with the header, then the rest, batch by batch.
    const rest = first.done === true ? [] : first.value.slice(1);
    const batches = (async function* (): AsyncGenerator<CsvRecord[]> {
      if (rest.length > 0) yield rest;
      yield* reader.batches;
    })();
    return {
      header: { columns, fields, columnFields, delimiter: plan.delimiter, encoding: plan.encoding },
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

// ---------------------------------------------------------------------------------------
// Whole-file checks

function emptyFile(path: string): FileError {
  return new FileError(`${path} is empty: a CSV file needs a header row with a system_id column`, { file: path, line: 1 });
}

function unreadable(path: string, error: unknown): FileError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new FileError(`${path} does not exist; check the path`, { file: path, cause: error });
  if (code === 'EACCES' || code === 'EPERM') {
    return new FileError(`${path} cannot be read (permission denied); check its permissions`, { file: path, cause: error });
  }
  if (code === 'EISDIR') return new FileError(`${path} is a directory, not a CSV file`, { file: path, cause: error });
  const reason = error instanceof Error ? error.message : String(error);
  return new FileError(`${path} cannot be read: ${reason}`, { file: path, cause: error });
}

async function checkFile(path: string): Promise<number> {
  let size: number;
  try {
    const stats = await stat(path);
    if (stats.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    size = stats.size;
  } catch (error) {
    throw unreadable(path, error);
  }
  if (size === 0) throw emptyFile(path);
  return size;
}

async function readHead(path: string, size: number): Promise<Buffer> {
  try {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(Math.min(size, HEAD_BYTES));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw unreadable(path, error);
  }
}

const BINARY_SIGNATURES: readonly { magic: Buffer; what: string }[] = [
  { magic: Buffer.from('PK\x03\x04', 'latin1'), what: 'a zip file, probably an Excel workbook (.xlsx); save it from Excel as "CSV UTF-8"' },
  {
    magic: Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]),
    what: 'an old Excel workbook (.xls); save it from Excel as "CSV UTF-8"',
  },
  { magic: Buffer.from('%PDF', 'latin1'), what: 'a PDF file' },
];

function notCsv(path: string, what: string): FileError {
  return new FileError(`${path} is not a CSV file: it looks like ${what}`, { file: path, line: 1 });
}

/**
 * The header line: the first non-blank line, cut at the first line break outside quotes.
 * Also tells an old-Mac file (a bare CR ends the line) from the rest.
 */
function findHeaderLine(text: string, wholeFile: boolean): { line: string; mac: boolean } | undefined {
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) quoted = !quoted;
    else if (!quoted && (c === LF || c === CR)) {
      if (i === start) {
        start = i + 1; // a blank line before the header: csv-parse skips it too
        continue;
      }
      const mac = c === CR && text.charCodeAt(i + 1) !== LF && (i + 1 < text.length || wholeFile);
      return { line: text.slice(start, i), mac };
    }
  }
  return start < text.length ? { line: text.slice(start), mac: false } : undefined;
}

async function sniff(path: string, size: number, requested: InputEncoding): Promise<Plan> {
  const head = await readHead(path, size);
  const bom = sniffBom(head);
  const encoding = chooseEncoding(requested, bom);
  const bomLength = bom?.length ?? 0;
  const body = head.subarray(bomLength);
  const utf16 = encoding === 'utf16le' || encoding === 'utf16be';

  if (!utf16) {
    for (const { magic, what } of BINARY_SIGNATURES) {
      if (body.subarray(0, magic.length).equals(magic)) throw notCsv(path, what);
    }
    // Text has no NUL bytes; UTF-16 without a BOM has plenty, every other byte.
    if (body.subarray(0, 1024).includes(0)) {
      throw notCsv(path, `a binary file (it holds NUL bytes); if it is UTF-16 text without a BOM, pass --encoding utf16le`);
    }
  }
  // Not fatal: this is only a sniff; the pre-scan validates every byte.
  const text = new TextDecoder(encoding === 'utf8' ? 'utf-8' : decoderLabel(encoding), { ignoreBOM: true }).decode(body);
  if (utf16 && text.slice(0, 512).includes('\u0000')) throw notCsv(path, 'a binary file (it holds NUL characters)');

  const header = findHeaderLine(text, head.length === size);
  if (header === undefined) {
    if (head.length === size) throw emptyFile(path);
    throw new FileError(`${path}: found no header row in the first ${HEAD_BYTES / 1024} KiB`, { file: path, line: 1 });
  }
  const first = header.line.trimStart().charAt(0);
  if ((first === '{' || first === '[' || first === '<') && !normaliseHeader(header.line).includes('systemid')) {
    throw notCsv(path, first === '<' ? 'HTML or XML' : 'JSON');
  }
  const delimiter = detectDelimiter(header.line);
  return { path, size, encoding, bomLength, delimiter, dialect: { delimiter: delimiter.charCodeAt(0), mac: header.mac } };
}

/**
 * The file as ASCII-compatible bytes after the BOM: the raw bytes, except UTF-16, which is
 * transcoded to UTF-8 (fatally, so a lone surrogate throws).
 */
async function* asciiChunks(plan: Plan): AsyncGenerator<Buffer> {
  const stream = createReadStream(plan.path, { start: plan.bomLength, highWaterMark: SCAN_CHUNK });
  if (plan.encoding !== 'utf16le' && plan.encoding !== 'utf16be') {
    for await (const chunk of stream) yield chunk as Buffer;
    return;
  }
  const decoder = new TextDecoder(decoderLabel(plan.encoding), { fatal: true, ignoreBOM: true });
  for await (const chunk of stream) yield Buffer.from(decoder.decode(chunk as Buffer, { stream: true }), 'utf8');
  yield Buffer.from(decoder.decode(), 'utf8');
}

/** Line number of an offset in `asciiChunks` (error paths only: it reads the file again). */
async function locate(plan: Plan, offset: number): Promise<{ line: number; byte: number | undefined; context: Buffer }> {
  const eol = eolByte(plan.dialect);
  let line = 1;
  let base = 0;
  for await (const chunk of asciiChunks(plan)) {
    if (offset < base + chunk.length) {
      const at = offset - base;
      line += countByte(chunk, eol, 0, at);
      const lineStart = at > 0 ? chunk.lastIndexOf(eol, at - 1) + 1 : 0;
      const lineEnd = chunk.indexOf(eol, at);
      const contextEnd = Math.min(at + 24, lineEnd === -1 ? chunk.length : lineEnd);
      return { line, byte: chunk[at], context: chunk.subarray(Math.max(lineStart, at - 24), contextEnd) };
    }
    line += countByte(chunk, eol);
    base += chunk.length;
  }
  return { line, byte: undefined, context: Buffer.alloc(0) };
}

async function utf8Error(plan: Plan, offset: number): Promise<FileError> {
  const { line, byte, context } = await locate(plan, offset);
  // Showing the bytes as windows-1252 lets people check the suggestion at a glance ("Café").
  const text = JSON.stringify(new TextDecoder('windows-1252').decode(context));
  const what =
    byte === undefined
      ? 'the file ends inside a multi-byte character'
      : `byte 0x${byte.toString(16).toUpperCase().padStart(2, '0')} in ${text}, shown as windows-1252`;
  return new FileError(
    `${plan.path} line ${line} is not valid UTF-8 (${what}); if the file came from Excel on Windows, run again with --encoding windows-1252`,
    { file: plan.path, line },
  );
}

/** Finds the first lone surrogate by reading the raw file again (error path only). */
async function utf16Error(plan: Plan): Promise<FileError> {
  const le = plan.encoding === 'utf16le';
  const lfUnit = le ? Buffer.from([LF, 0]) : Buffer.from([0, LF]);
  let line = 1;
  let carry = Buffer.alloc(0);
  const stream = createReadStream(plan.path, { start: plan.bomLength, highWaterMark: SCAN_CHUNK });
  for await (const chunk of stream) {
    const buf = Buffer.concat([carry, chunk as Buffer]);
    // Hold back an odd byte and a trailing high surrogate: its pair may start the next chunk.
    let cut = buf.length - (buf.length % 2);
    if (cut >= 2) {
      const last = le ? buf[cut - 2]! | (buf[cut - 1]! << 8) : (buf[cut - 2]! << 8) | buf[cut - 1]!;
      if (last >= 0xd800 && last <= 0xdbff) cut -= 2;
    }
    const body = buf.subarray(0, cut);
    const bad = firstInvalidUtf16(body, le);
    if (bad !== -1) {
      line += countUnits(body.subarray(0, bad), lfUnit);
      return utf16Message(plan, line);
    }
    line += countUnits(body, lfUnit);
    carry = Buffer.from(buf.subarray(cut));
  }
  const bad = firstInvalidUtf16(carry, le);
  line += countUnits(bad === -1 ? carry : carry.subarray(0, bad), lfUnit);
  return utf16Message(plan, line);
}

function countUnits(buf: Buffer, unit: Buffer): number {
  let count = 0;
  for (let i = buf.indexOf(unit); i !== -1; i = buf.indexOf(unit, i + 1)) if (i % 2 === 0) count++;
  return count;
}

function utf16Message(plan: Plan, line: number): FileError {
  const name = plan.encoding === 'utf16le' ? 'UTF-16LE' : 'UTF-16BE';
  return new FileError(
    `${plan.path} line ${line} is not valid ${name} (a broken surrogate pair or a cut-off last character); re-save the file, for example as "CSV UTF-8"`,
    { file: plan.path, line },
  );
}

/**
 * Reads the whole file once before anything is sent: encoding errors and an unclosed quote
 * would otherwise surface only after earlier rows had gone out. `isUtf8` and `indexOf` jumps
 * keep it at hundreds of MB/s, next to csv-parse's tens.
 */
async function prescan(plan: Plan): Promise<void> {
  const utf8 = plan.encoding === 'utf8' ? new Utf8Checker() : undefined;
  const quotes = new QuoteScanner(plan.dialect);
  try {
    for await (const chunk of asciiChunks(plan)) {
      if (utf8 !== undefined) {
        const bad = utf8.check(chunk);
        if (bad !== -1) throw await utf8Error(plan, bad);
      }
      quotes.feed(chunk);
    }
  } catch (error) {
    if (error instanceof FileError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ERR_ENCODING_INVALID_ENCODED_DATA') throw await utf16Error(plan);
    throw unreadable(plan.path, error);
  }
  const truncated = utf8?.end() ?? -1;
  if (truncated !== -1) throw await utf8Error(plan, truncated);
  const opened = quotes.finish();
  if (opened !== -1) {
    const { line } = await locate(plan, opened);
    throw new FileError(
      `${plan.path} line ${line}: a quoted value starts here and never ends, so it would swallow the rest of the file ` +
        `(a closing quote must be followed by a delimiter or the end of the line); fix the quotes, and write a quote inside a quoted value as ""`,
      { file: plan.path, line },
    );
  }
}

// ---------------------------------------------------------------------------------------
// Streaming records

interface Reader {
  batches: AsyncGenerator<CsvRecord[]>;
  bytesRead: () => number;
  close: () => void;
}

/** Records per batch: enough to amortise the await, small enough to keep the file stream paused. */
const BATCH_RECORDS = 512;

/**
 * Whatever records the parser has ready, as one array, then waits for more. One await per batch
 * instead of per record: a stream's own async iterator costs a promise and a microtask turn per
 * record, which at a million rows is a large share of a dry run. Reading only when asked keeps
 * the backpressure: the parser, and so the file, pause while the consumer works.
 */
async function* readBatches(stream: Readable): AsyncGenerator<CsvRecord[]> {
  try {
    for (;;) {
      const batch: CsvRecord[] = [];
      for (let record = stream.read() as CsvRecord | null; record !== null; record = stream.read() as CsvRecord | null) {
        batch.push(record);
        if (batch.length >= BATCH_RECORDS) break;
      }
      if (batch.length > 0) {
        yield batch;
        continue;
      }
      if (stream.errored !== null) throw stream.errored;
      if (stream.readableEnded || stream.destroyed) return;
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          stream.off('readable', wake);
          stream.off('end', wake);
          stream.off('close', wake);
          stream.off('error', wake);
          resolve();
        };
        stream.on('readable', wake);
        stream.on('end', wake);
        stream.on('close', wake);
        stream.on('error', wake);
      });
    }
  } finally {
    // Breaking out of the loop closes the file, as a stream's own iterator does.
    if (!stream.readableEnded) stream.destroy();
  }
}

function startReader(plan: Plan): Reader {
  const file = createReadStream(plan.path, { start: plan.bomLength, highWaterMark: PARSE_CHUNK });
  const parser = new RecordParser(plan);
  // Registered before pipeline's own handlers, so the iterator rejects with our FileError.
  file.on('error', (error) => parser.destroy(unreadable(plan.path, error)));
  const done = (): void => {
    // Errors reach the consumer through the parser's iterator; a premature close is a normal `break`.
  };
  if (plan.encoding === 'utf8') pipeline(file, parser, done);
  else pipeline(file, createTranscoder(plan.encoding), parser, done);
  return {
    batches: readBatches(parser),
    bytesRead: () => plan.bomLength + file.bytesRead,
    close: () => {
      parser.destroy();
    },
  };
}

function countChar(cells: readonly string[], ch: string): number {
  let count = 0;
  for (const cell of cells) {
    for (let i = cell.indexOf(ch); i !== -1; i = cell.indexOf(ch, i + 1)) count++;
  }
  return count;
}

function isBlankRow(cells: readonly string[]): boolean {
  for (const cell of cells) if (cell.length > 0 && cell.trim().length > 0) return false;
  return true;
}

function quoteList(cells: readonly string[]): string {
  return cells.map((c) => JSON.stringify(c)).join(', ');
}

/**
 * csv-parse with array records (no `columns`: it collapses duplicate headers) that emits
 * CsvRecords with their physical start line.
 *
 * Line numbers without `info: true` (which costs about a third of parse speed): when csv-parse
 * hands over a record, `info.lines` and `info.empty_lines` are current. `info.lines` counts
 * every CR and LF, even inside quotes and both halves of a quoted CRLF, so it is no physical
 * line count, but when it moved by exactly one plus the blank lines skipped, the record sat
 * on one line. Only otherwise are the cells searched for line breaks.
 *
 * Broken records: `skip_records_with_error` keeps the stream going but drops the record, and
 * `on_skip` fires mid-record, without its bounds. So the bytes since the last good record
 * are kept (usually within one chunk), and at the next good record (or the end) they are
 * split with csv-parse's own quote rules (scan.ts) into the records that were skipped; each
 * becomes a `malformed_row` record, in order. Holding those bytes costs no more than
 * csv-parse, which holds a runaway quoted field in memory too.
 */
class RecordParser extends Parser {
  private readonly plan: Plan;
  private readonly eolChar: string;
  private width = -1;
  private columns: readonly string[] = [];
  /** The physical line on which the next record can start, blank lines aside. */
  private nextLine = 1;
  private lastInfoLines = 0;
  private lastEmptyLines = 0;
  /** The end of the last good record: a record boundary with a known line. */
  private anchorOffset = 0;
  private anchorLine = 1;
  /** Bytes fed to csv-parse from `retainedStart` on; older ones are dropped. */
  private retained: Buffer[] = [];
  private retainedStart = 0;
  private fed = 0;
  private skips: CsvError[] = [];

  constructor(plan: Plan) {
    super({
      bom: true,
      delimiter: plan.delimiter,
      // Both, so a mixed file never keeps a trailing \r (NOTES.md); old-Mac files get a bare CR.
      record_delimiter: plan.dialect.mac ? ['\r'] : ['\r\n', '\n'],
      skip_empty_lines: true,
      // With array records csv-parse keeps a long row's extra cells (the loss NOTES.md
      // describes only happens with `columns`), so we check the length ourselves.
      relax_column_count: true,
      skip_records_with_error: true,
    });
    this.plan = plan;
    this.eolChar = plan.dialect.mac ? '\r' : '\n';
    // csv-parse's default on_skip emits 'skip' synchronously, before any later record.
    this.on('skip', (error: CsvError) => {
      this.skips.push(error);
    });
  }

  override _transform(chunk: Buffer, encoding: BufferEncoding, callback: TransformCallback): void {
    while (this.retained.length > 0 && this.retainedStart + this.retained[0]!.length <= this.anchorOffset) {
      this.retainedStart += this.retained.shift()!.length;
    }
    this.retained.push(chunk);
    this.fed += chunk.length;
    super._transform(chunk, encoding, (error?: Error | null) => callback(this.asFileError(error)));
  }

  override _flush(callback: TransformCallback): void {
    super._flush((error?: Error | null) => callback(this.asFileError(error)));
  }

  private asFileError(error: Error | null | undefined): Error | undefined {
    if (error === undefined || error === null) return undefined;
    return new FileError(`${this.plan.path}: cannot parse the file: ${error.message}`, { file: this.plan.path, cause: error });
  }

  /** csv-parse calls this once per record, synchronously, while its `info` describes that record. */
  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null) {
      if (this.skips.length > 0) this.settle(this.fed, false);
      return super.push(null, encoding);
    }
    const cells = chunk as string[];
    const info = this.info;
    const blank = info.empty_lines - this.lastEmptyLines;
    this.lastEmptyLines = info.empty_lines;
    let line: number;
    if (this.skips.length === 0) {
      line = this.nextLine + blank;
      const oneLine = info.lines - this.lastInfoLines - 1 - blank === 0;
      this.nextLine = oneLine ? line + 1 : line + 1 + countChar(cells, this.eolChar);
    } else {
      line = this.settle(info.bytes, true);
    }
    this.lastInfoLines = info.lines;
    this.anchorOffset = info.bytes;
    this.anchorLine = this.nextLine;
    return this.emitRecord(line, cells);
  }

  private emitRecord(line: number, cells: string[]): boolean {
    const width = this.width;
    if (width < 0) {
      this.width = cells.length;
      this.columns = cells;
      return super.push({ line, cells } satisfies CsvRecord);
    }
    // A row of empty cells (Excel writes ",,,," for formatted but empty rows) holds no data.
    if (isBlankRow(cells)) return true;
    if (cells.length === width) return super.push({ line, cells } satisfies CsvRecord);
    return super.push(this.ragged(line, cells));
  }

  private ragged(line: number, cells: string[]): CsvRecord {
    const width = this.width;
    const counts = `line ${line} has ${cells.length} ${cells.length === 1 ? 'cell' : 'cells'} but the header has ${width}`;
    if (cells.length > width) {
      return {
        line,
        cells: cells.slice(0, width),
        extra: cells.slice(width),
        error: {
          code: 'ragged_row',
          message: `${counts}; extra cells: ${quoteList(cells.slice(width))} (a value holding "${this.plan.delimiter === '\t' ? '\\t' : this.plan.delimiter}" must be quoted)`,
        },
      };
    }
    const missing = this.columns.slice(cells.length);
    const padded = cells.concat(Array<string>(width - cells.length).fill(''));
    return { line, cells: padded, error: { code: 'ragged_row', message: `${counts}; missing: ${quoteList(missing)}` } };
  }

  /**
   * Emits the records csv-parse skipped since the last good one. With `current`, the bytes
   * end with a good record (the last split) and its start line is returned; otherwise the
   * bytes run to the end of the file.
   */
  private settle(end: number, current: boolean): number {
    const bytes = this.slice(this.anchorOffset, end);
    const records = splitRecords(bytes, this.plan.dialect);
    const good = current ? records.pop() : undefined;
    const eol = eolByte(this.plan.dialect);
    let line = this.anchorLine;
    let at = 0;
    const lineAt = (offset: number): number => {
      line += countByte(bytes, eol, at, offset);
      at = offset;
      return line;
    };
    const errors = this.skips;
    this.skips = [];
    let e = 0;
    records.forEach((record, k) => {
      const mine: CsvError[] = [];
      const last = k === records.length - 1;
      // An error's `bytes` is the last field or record end csv-parse passed before it: at or
      // after the end of the previous record, and before the end of its own.
      while (e < errors.length && (last || errorOffset(errors[e]!) - this.anchorOffset < record.end)) mine.push(errors[e++]!);
      const start = lineAt(record.start);
      const raw = bytes.subarray(record.start, record.end);
      super.push(this.malformed(start, start + countByte(raw, eol, 0, raw.length - 1), raw, mine));
    });
    if (good === undefined) {
      // Only if our split disagreed with csv-parse; keep going with the best line we have.
      this.nextLine = line + 1;
      return line;
    }
    const start = lineAt(good.start);
    this.nextLine = start + countByte(bytes, eol, good.start, good.end);
    return start;
  }

  private slice(from: number, to: number): Buffer {
    const parts: Buffer[] = [];
    let offset = this.retainedStart;
    for (const chunk of this.retained) {
      const lo = Math.max(from, offset);
      const hi = Math.min(to, offset + chunk.length);
      if (lo < hi) parts.push(chunk.subarray(lo - offset, hi - offset));
      offset += chunk.length;
    }
    return Buffer.concat(parts);
  }

  private malformed(line: number, lastLine: number, raw: Buffer, errors: readonly CsvError[]): CsvRecord {
    const text = raw.toString('utf8').replace(/\r?\n$|\r$/, '');
    const where = lastLine > line ? `lines ${line}-${lastLine}` : `line ${line}`;
    const reasons = errors.length > 0 ? [...new Set(errors.map(describeCsvError))].join('; ') : 'it does not follow the CSV quoting rules';
    const shown = text.length > 200 ? `${text.slice(0, 200)}…` : text;
    const message =
      `${where}: cannot read this row: ${reasons}; quote a value that holds a quote and write the quote as "" ` +
      `(the row reads ${JSON.stringify(shown)})`;
    let cells = this.bestEffortCells(text);
    if (this.width >= 0) cells = cells.length >= this.width ? cells.slice(0, this.width) : cells.concat(Array<string>(this.width - cells.length).fill(''));
    return { line, cells, error: { code: 'malformed_row', message } };
  }

  /** The cells of a broken row as a lenient parser reads them, so results and errors CSVs still show them; else the raw text. */
  private bestEffortCells(text: string): string[] {
    try {
      const rows = parseSync(text, {
        delimiter: this.plan.delimiter,
        relax_quotes: true,
        relax_column_count: true,
        record_delimiter: this.plan.dialect.mac ? ['\r'] : ['\r\n', '\n'],
      });
      if (rows.length === 1 && rows[0] !== undefined) return rows[0];
    } catch {
      // fall through to the raw text
    }
    return [text];
  }
}

function errorOffset(error: CsvError): number {
  return typeof error.bytes === 'number' ? error.bytes : 0;
}

function describeCsvError(error: CsvError): string {
  switch (error.code) {
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'a closing quote is followed by more text instead of a delimiter or the end of the line';
    case 'INVALID_OPENING_QUOTE': {
      const column = typeof error.column === 'number' ? ` in cell ${error.column + 1}` : '';
      return `a quote appears in the middle of an unquoted value${column}`;
    }
    default:
      return error.message;
  }
}
