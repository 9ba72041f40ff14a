/**
 * The streaming half of openCsv: file → [transcode to UTF-8] → csv-parse (arrays) → CsvRecord,
 * in batches, with backpressure. csv-parse reads every well-formed record (the fast path); a
 * stretch that it cannot read is read again by scan.ts, record by record, so that every
 * physical record comes out as exactly one CsvRecord (README, "CSV rules").
 */
import { createReadStream } from 'node:fs';
import { pipeline, type Readable, type TransformCallback } from 'node:stream';
import { Parser, type CsvError } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { FileError } from '../errors.js';
import { createTranscoder } from './decode.js';
import type { Plan } from './prescan.js';
import { readFailure } from '../errno.js';
import { ROW_ERRORS, ROW_PHRASES } from '../contact/row-messages.js';
import { countByte, countChar, eolByte, foreignLineBreak, lenientCells, skipBlankLines, splitRecords } from './scan.js';

export interface CsvRecord {
  /** 1-based physical line where the record STARTS (the header is line 1). A quoted newline makes a record span lines. */
  line: number;
  /**
   * The raw cells, verbatim (not trimmed), exactly as many as the header has: a short row is
   * padded with '' (some exporters drop the separators of empty trailing cells), a long row
   * is cut (an error unless every extra cell is empty).
   */
  cells: string[];
  /**
   * Set for a long row or a row that breaks the quoting rules; the message keeps whatever `cells`
   * could not. An .xlsx row: a formula with no saved value.
   */
  error?: { code: 'ragged_row' | 'malformed_row' | 'uncached_formula'; message: string };
  /** .xlsx: the columns whose cell is a number rather than text (a mobile there has lost its +). */
  numeric?: readonly number[];
  /** A row longer than the header: the cells past its width, so the errors file can keep them. */
  extra?: string[];
}

const PARSE_CHUNK = 256 * 1024;

export interface Reader {
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
      for (
        let record = stream.read() as CsvRecord | null;
        record !== null;
        record = stream.read() as CsvRecord | null
      ) {
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

export function startReader(plan: Plan): Reader {
  const file = createReadStream(plan.path, { start: plan.bomLength, highWaterMark: PARSE_CHUNK });
  const parser = new RecordParser(plan);
  // Registered before pipeline's own handlers, so the iterator rejects with our FileError.
  file.on('error', (error) => parser.destroy(readFailure(plan.path, error)));
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

function isBlankRow(cells: readonly string[]): boolean {
  for (const cell of cells) if (cell.length > 0 && cell.trim().length > 0) return false;
  return true;
}

function quoteList(cells: readonly string[]): string {
  return cells.map((c) => JSON.stringify(c)).join(', ');
}

/** A raw line for a message, as the user typed it: no escaping, line breaks shown as ⏎. */
function shownAsTyped(text: string): string {
  const shown = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  return shown.replace(/\r\n|\n|\r/g, '⏎');
}

/**
 * csv-parse with array records (no `columns`: it collapses duplicate headers) that emits
 * CsvRecords with their physical start line.
 *
 * Line numbers without `info: true` (which costs about a third of parse speed): when csv-parse
 * hands over a record, `info.lines` and `info.empty_lines` are current. `info.lines` counts
 * every CR and LF, even inside quotes and both halves of a quoted CRLF, so it is no physical
 * line count, but when it moved by exactly one plus the blank lines skipped, the record sat
 * on one line. Only otherwise are the cells searched for line breaks (and the raw bytes for a
 * line break that is not the file's own, such as a bare CR in an LF file).
 *
 * Broken records: `skip_records_with_error` keeps the stream going but drops the record, and
 * after a bad closing quote csv-parse keeps reading the field, often across many good lines.
 * So from the end of the last good record (the anchor) the bytes are kept, csv-parse's
 * records are held back, and at each record csv-parse ends, the stretch since the anchor is
 * split again with scan.ts's rules. Once that split ends on the same boundary as csv-parse,
 * each of its records is emitted: read strictly, a well-formed one is an ordinary record, the
 * rest are `malformed_row`. Holding those bytes costs no more than csv-parse, which holds a
 * runaway quoted field in memory too.
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
  /** The end of the last record emitted: a record boundary with a known line. */
  private anchorOffset = 0;
  private anchorLine = 1;
  /** Bytes fed to csv-parse from `retainedStart` on; older ones are dropped. */
  private retained: Buffer[] = [];
  private retainedStart = 0;
  private fed = 0;
  /** Errors csv-parse reported since the anchor; while any are held, records wait for a resync. */
  private skips: CsvError[] = [];
  /** In _flush, `info.bytes` can stop short of a final bare CR (see recordEnd). */
  private flushing = false;

  constructor(plan: Plan) {
    super({
      bom: true,
      delimiter: plan.delimiter,
      // Both, so a mixed file never keeps a trailing \r (csv-parse would, with LF first); old-Mac files get a bare CR.
      record_delimiter: plan.dialect.mac ? ['\r'] : ['\r\n', '\n'],
      skip_empty_lines: true,
      // With array records csv-parse keeps a long row's extra cells, so we check the length ourselves.
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
    this.flushing = true;
    super._flush((error?: Error | null) => callback(this.asFileError(error)));
  }

  private asFileError(error: Error | null | undefined): Error | undefined {
    if (error === undefined || error === null) return undefined;
    return new FileError(`${this.plan.path}: cannot parse the file: ${error.message}`, {
      file: this.plan.path,
      cause: error,
    });
  }

  /** csv-parse calls this once per record, synchronously, while its `info` describes that record. */
  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null) {
      if (this.skips.length > 0) this.resync(this.fed, true);
      return super.push(null, encoding);
    }
    const cells = chunk as string[];
    const info = this.info;
    const blank = info.empty_lines - this.lastEmptyLines;
    this.lastEmptyLines = info.empty_lines;
    const lines = info.lines - this.lastInfoLines;
    this.lastInfoLines = info.lines;
    if (this.skips.length > 0) return this.resync(info.bytes, false);
    const line = this.nextLine + blank;
    const start = this.anchorOffset;
    this.anchorOffset = info.bytes;
    if (lines - 1 - blank === 0 && !this.flushing) {
      this.nextLine = this.anchorLine = line + 1;
      return this.emitRecord(line, cells);
    }
    this.nextLine = this.anchorLine = line + 1 + countChar(cells, this.eolChar);
    if (
      this.width >= 0 &&
      (this.plan.dialect.mac ? countChar(cells, '\n') : countChar(cells, '\r')) > 0 &&
      !isBlankRow(cells)
    ) {
      const bytes = this.slice(start, this.recordEnd(start, info.bytes));
      const raw = bytes.subarray(skipBlankLines(bytes, this.plan.dialect));
      const at = foreignLineBreak(raw, this.plan.dialect);
      if (at !== -1) return this.foreignBreak(line, raw, at);
    }
    return this.emitRecord(line, cells);
  }

  /**
   * Where the record csv-parse just ended stops in the bytes. In _flush, `info.bytes` can stop
   * short of a final bare CR that belongs to the last record (`x,y\r` at the end of the file),
   * so an unterminated last record runs to the end of the data. A record that already ended with
   * the file's line break keeps its end: what follows it is the next line's (a lone CR there is a
   * blank line, not part of this record).
   */
  private recordEnd(start: number, end: number): number {
    if (!this.flushing || end >= this.fed || end <= start) return end;
    const last = this.slice(end - 1, end)[0];
    return last === eolByte(this.plan.dialect) ? end : this.fed;
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
    // Short rows: some exporters drop the separators of empty trailing cells.
    if (cells.length < width)
      return super.push({
        line,
        cells: cells.concat(Array<string>(width - cells.length).fill('')),
      } satisfies CsvRecord);
    const extra = cells.slice(width);
    if (isBlankRow(extra)) return super.push({ line, cells: cells.slice(0, width) } satisfies CsvRecord);
    const delimiter = this.plan.delimiter === '\t' ? '\\t' : this.plan.delimiter;
    return super.push({
      line,
      cells: cells.slice(0, width),
      extra,
      error: {
        code: 'ragged_row',
        message: ROW_ERRORS.ragged_row.csv(line, cells.length, width, quoteList(extra), delimiter),
      },
    } satisfies CsvRecord);
  }

  /**
   * Reads the bytes since the anchor again, record by record (scan.ts). Unless `final`, they
   * end where csv-parse ended a record; if our split is in the middle of a record there, the
   * records wait for the next boundary the two agree on. Returns csv-parse's push verdict.
   */
  private resync(end: number, final: boolean): boolean {
    const bytes = this.slice(this.anchorOffset, end);
    const { records, rest } = splitRecords(bytes, this.plan.dialect, final);
    if (rest < bytes.length) return true;
    this.skips = [];
    const eol = eolByte(this.plan.dialect);
    let line = this.anchorLine;
    let at = 0;
    let more = true;
    for (const record of records) {
      line += countByte(bytes, eol, at, record.start);
      at = record.start;
      const raw = bytes.subarray(record.start, record.end);
      const lastLine = line + countByte(raw, eol, 0, raw.length - 1);
      more = this.emitRaw(line, lastLine, raw);
    }
    line += countByte(bytes, eol, at, bytes.length);
    this.anchorOffset = end;
    this.nextLine = this.anchorLine = line;
    return more;
  }

  /** One record of a resync: read strictly, it is either an ordinary record or a malformed one. */
  private emitRaw(line: number, lastLine: number, raw: Buffer): boolean {
    const text = raw.toString('utf8');
    let cells: string[] | undefined;
    let reason: string;
    try {
      const rows = parseSync(text, {
        delimiter: this.plan.delimiter,
        record_delimiter: this.plan.dialect.mac ? ['\r'] : ['\r\n', '\n'],
        relax_column_count: true,
      });
      cells = rows.length === 1 ? rows[0] : undefined;
      reason = ROW_PHRASES.csvQuoting.notQuotingRules();
    } catch (error) {
      reason = describeCsvError(error as CsvError);
    }
    if (cells !== undefined) {
      const at = this.width < 0 || isBlankRow(cells) ? -1 : foreignLineBreak(raw, this.plan.dialect);
      return at === -1 ? this.emitRecord(line, cells) : this.foreignBreak(line, raw, at);
    }
    const where = lastLine > line ? `lines ${line}-${lastLine}` : `line ${line}`;
    const typed = text.replace(/\r?\n$|\r$/, '');
    const message = ROW_ERRORS.malformed_row.quoting(where, reason, shownAsTyped(typed));
    return super.push({
      line,
      cells: this.fit(lenientCells(typed, this.plan.delimiter)),
      error: { code: 'malformed_row', message },
    } satisfies CsvRecord);
  }

  /** A record holding a line break that is not the file's own: csv-parse read two or more lines as one. */
  private foreignBreak(line: number, raw: Buffer, at: number): boolean {
    const text = raw.toString('utf8').replace(/\r?\n$|\r$/, '');
    const [found, file] = this.plan.dialect.mac ? ['an LF line break', 'CR'] : ['a bare CR line break', 'LF or CRLF'];
    const message = ROW_ERRORS.malformed_row.foreignLineBreak(line, found, at + 1, file, shownAsTyped(text));
    return super.push({
      line,
      cells: this.fit(lenientCells(text, this.plan.delimiter)),
      error: { code: 'malformed_row', message },
    } satisfies CsvRecord);
  }

  private fit(cells: string[]): string[] {
    const width = this.width;
    if (width < 0) return cells;
    return cells.length >= width ? cells.slice(0, width) : cells.concat(Array<string>(width - cells.length).fill(''));
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
}

function describeCsvError(error: CsvError): string {
  switch (error.code) {
    case 'CSV_INVALID_CLOSING_QUOTE':
      return ROW_PHRASES.csvQuoting.closingQuote();
    case 'INVALID_OPENING_QUOTE':
      return ROW_PHRASES.csvQuoting.openingQuote(typeof error.column === 'number' ? error.column + 1 : undefined);
    default:
      return error.message;
  }
}
