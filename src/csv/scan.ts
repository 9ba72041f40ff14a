/**
 * Byte-level models of the quote rules, for two jobs csv-parse cannot do for us:
 * - the pre-scan finds an unclosed quote, and the line it opened on, before anything is
 *   sent (csv-parse only notices at the end of the file, and reports the last line);
 * - after csv-parse reports a broken record, `splitRecords` reads that stretch of the file
 *   again, record by record, so that one stray quote cannot swallow the rows after it.
 *
 * On well-formed CSV these agree with csv-parse 7 (lib/api/index.js, `relax_quotes: false`):
 * - a quote opens a quoted field only at the start of a field; elsewhere it is a literal
 *   (csv-parse reports an "invalid opening quote");
 * - inside quotes, `""` is a literal quote, and a quote followed by the delimiter, a record
 *   delimiter or the end of the data closes the field.
 * They part ways on the one broken case that matters: a quote inside quotes followed by
 * anything else (`"Lee" ,`: an "invalid closing quote"). csv-parse keeps the field open, so it
 * runs on to the next quote that happens to close, often lines later (README, "CSV rules").
 * Here that quote closes the field, as its writer meant, and the rest of the cell is literal:
 * the damage stays on its own line, and the record is reported as malformed.
 * All bytes that matter are ASCII, so this works on any ASCII-compatible encoding.
 */
import { ChunkCarry } from './chunks.js';

export const QUOTE = 0x22;
export const LF = 0x0a;
export const CR = 0x0d;
const START = -1;

export interface Dialect {
  /** The delimiter byte: `,`, `;` or tab. */
  delimiter: number;
  /** Old-Mac files end records with a bare CR; everything else with CRLF or LF. */
  mac: boolean;
}

/** The byte that ends a physical line: LF, or CR in an old-Mac file. */
export function eolByte(dialect: Dialect): number {
  return dialect.mac ? CR : LF;
}

/**
 * What both quote scanners follow: whether a quoted field is open, where it opened, the byte
 * before the current buffer, and the bytes carried to the next chunk.
 */
abstract class QuoteFollower {
  protected quoted = false;
  protected openedAt = -1;
  protected prev = START;
  protected readonly chunks = new ChunkCarry();
  protected readonly delimiter: number;
  protected readonly eol: number;

  constructor(dialect: Dialect) {
    this.delimiter = dialect.delimiter;
    this.eol = eolByte(dialect);
  }

  /**
   * From `i`, the next quote inside a quoted field, or -1. A quote before it opens a quoted field
   * at a field start (after a delimiter or a record delimiter; every record delimiter ends in
   * the line-end byte); elsewhere it is literal.
   */
  protected nextInnerQuote(buf: Buffer, i: number, base: number): number {
    for (;;) {
      const q = buf.indexOf(QUOTE, i);
      if (q === -1 || this.quoted) return q;
      const before = q === 0 ? this.prev : buf[q - 1]!;
      if (before === START || before === this.delimiter || before === this.eol) {
        this.quoted = true;
        this.openedAt = base + q;
        this.opened();
      }
      i = q + 1;
    }
  }

  /** A quoted field has just opened. */
  protected opened(): void {}

  /**
   * A quote inside a quoted field that is not half of a `""`: returns where to go on scanning,
   * or -1 to stop reading this buffer (its rest is carried, or the scan found what it looks for).
   */
  protected abstract afterInnerQuote(buf: Buffer, q: number, base: number, final: boolean): number;

  protected scan(buf: Buffer, base: number, final: boolean): void {
    const n = buf.length;
    let i = 0;
    for (;;) {
      const q = this.nextInnerQuote(buf, i, base);
      if (q === -1) break;
      // Inside quotes: `""` is a literal (see the top of this file); its second half may be in the next chunk.
      if (q + 1 >= n && !final) {
        this.chunks.keep(buf.subarray(q));
        return;
      }
      if (buf[q + 1] === QUOTE) {
        i = q + 2;
        continue;
      }
      i = this.afterInnerQuote(buf, q, base, final);
      if (i === -1) return;
    }
    if (n > 0) this.prev = buf[n - 1]!;
  }
}

/**
 * The quote-balance half of the pre-scan. It jumps from quote to quote with
 * `Buffer.indexOf`, so its cost scales with the number of quotes, not bytes. Offsets count
 * from the first byte fed.
 */
export class QuoteScanner extends QuoteFollower {
  feed(chunk: Buffer): void {
    this.scan(this.chunks.join(chunk), this.chunks.base, false);
  }

  /** The offset of the quote that is still open at the end of the file, or -1. */
  finish(): number {
    const rest = this.chunks.takeRest();
    if (rest !== undefined) this.scan(rest, this.chunks.base, true);
    return this.quoted ? this.openedAt : -1;
  }

  /** Inside quotes: `""` is a literal; any other quote closes (see the top of this file). */
  protected afterInnerQuote(_buf: Buffer, q: number): number {
    this.quoted = false;
    return q + 1;
  }
}

/**
 * The stretch csv-parse itself would read as one quoted field after a bad closing quote: it
 * keeps the field open until the next quote that happens to close (see the top of this file).
 * RecordParser reads such a stretch again record by record, but it must hold the stretch's bytes
 * to do so, and csv-parse holds it as one field. So the pre-scan follows csv-parse's rules too,
 * and a stretch longer than `limit` bytes is refused before anything is sent, naming the line of
 * the quote that started it. Offsets count from the first byte fed.
 */
export class SwallowScanner extends QuoteFollower {
  private strayAt = -1;
  private found = -1;
  private readonly mac: boolean;
  private readonly limit: number;

  constructor(dialect: Dialect, limit: number) {
    super(dialect);
    this.mac = dialect.mac;
    this.limit = limit;
  }

  protected override opened(): void {
    this.strayAt = -1;
  }

  feed(chunk: Buffer): void {
    if (this.found !== -1) return;
    this.scan(this.chunks.join(chunk), this.chunks.base, false);
    this.checkOpenStretch();
  }

  /** The offset of the bad closing quote that starts a stretch over the limit, or -1. */
  finish(): number {
    const rest = this.found === -1 ? this.chunks.takeRest() : undefined;
    if (rest !== undefined) this.scan(rest, this.chunks.base, true);
    this.checkOpenStretch();
    return this.found;
  }

  /** A stretch still open, after a bad closing quote, that has already run past the limit. */
  private checkOpenStretch(): void {
    if (this.found === -1 && this.quoted && this.strayAt !== -1 && this.chunks.offset - this.openedAt > this.limit)
      this.found = this.strayAt;
  }

  /** csv-parse's rule: the quote closes before a delimiter, a record delimiter or the end; else it is a stray. */
  protected afterInnerQuote(buf: Buffer, q: number, base: number, final: boolean): number {
    const { delimiter, mac, eol } = this;
    const next = buf[q + 1];
    let closes: boolean;
    if (next === undefined || next === delimiter || next === eol) closes = true;
    else if (!mac && next === CR) {
      if (q + 2 >= buf.length && !final) {
        this.chunks.keep(buf.subarray(q));
        return -1;
      }
      closes = buf[q + 2] === LF;
    } else closes = false;
    if (closes) {
      this.quoted = false;
      if (this.strayAt !== -1 && base + q - this.openedAt > this.limit) {
        this.found = this.strayAt;
        return -1;
      }
    } else if (this.strayAt === -1) this.strayAt = base + q;
    return q + 1;
  }
}

export interface RawRecord {
  /** Offsets into the scanned buffer; `end` includes the record delimiter. */
  start: number;
  end: number;
}

/**
 * Splits `buf`, which must start at a record boundary, into records by the rules above,
 * leaving out blank lines (`skip_empty_lines`). `rest` is where an unfinished last record
 * starts (`buf.length` when the bytes end on a record boundary); with `final`, the bytes run
 * to the end of the file and the last record is complete whatever it holds. A per-byte loop:
 * it only runs over the bytes around a record csv-parse could not read.
 */
export function splitRecords(buf: Buffer, dialect: Dialect, final: boolean): { records: RawRecord[]; rest: number } {
  const { delimiter, mac } = dialect;
  const n = buf.length;
  const recordDelimiterLength = (i: number): number => {
    const c = buf[i];
    if (mac) return c === CR ? 1 : 0;
    if (c === LF) return 1;
    return c === CR && buf[i + 1] === LF ? 2 : 0;
  };
  const records: RawRecord[] = [];
  let start = 0;
  let quoted = false;
  let wasQuoted = false;
  let fieldLength = 0;
  let fields = 0;
  let i = 0;
  while (i < n) {
    const c = buf[i]!;
    if (quoted) {
      if (c === QUOTE) {
        if (buf[i + 1] === QUOTE) {
          fieldLength++;
          i += 2;
          continue;
        }
        quoted = false;
        wasQuoted = true;
        i++;
        continue;
      }
      fieldLength++;
      i++;
      continue;
    }
    if (c === QUOTE && fieldLength === 0 && !wasQuoted) {
      quoted = true;
      i++;
      continue;
    }
    const rd = recordDelimiterLength(i);
    if (rd > 0) {
      if (wasQuoted || fields > 0 || fieldLength > 0) records.push({ start, end: i + rd });
      i += rd;
      start = i;
      quoted = wasQuoted = false;
      fieldLength = fields = 0;
      continue;
    }
    if (c === delimiter) {
      fields++;
      fieldLength = 0;
      wasQuoted = false;
    } else fieldLength++;
    i++;
  }
  const pending = quoted || wasQuoted || fields > 0 || fieldLength > 0;
  if (!pending) return { records, rest: n };
  if (!final) return { records, rest: start };
  records.push({ start, end: n });
  return { records, rest: n };
}

/**
 * The cells of one broken record, read by the rules above (a bad closing quote ends the quoted
 * part; what follows it up to the delimiter is kept as typed), so that the results and errors
 * files still show every cell in its column.
 */
export function lenientCells(text: string, delimiter: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else {
          quoted = false;
          wasQuoted = true;
        }
      } else cell += c;
    } else if (c === '"' && cell === '' && !wasQuoted) quoted = true;
    else if (c === delimiter) {
      cells.push(cell);
      cell = '';
      wasQuoted = false;
    } else cell += c;
  }
  cells.push(cell);
  return cells;
}

/**
 * The first line break outside quotes that is not the file's own (a bare CR in an LF or CRLF
 * file, an LF in an old-Mac file), or -1. Such a break is invisible to csv-parse, which would
 * read the lines on either side as one value (README, "CSV rules").
 */
export function foreignLineBreak(buf: Buffer, dialect: Dialect): number {
  let quoted = false;
  let wasQuoted = false;
  let fieldLength = 0;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]!;
    if (quoted) {
      if (c === QUOTE) {
        if (buf[i + 1] === QUOTE) i++;
        else {
          quoted = false;
          wasQuoted = true;
        }
      }
      continue;
    }
    if (c === QUOTE && fieldLength === 0 && !wasQuoted) quoted = true;
    else if (c === dialect.delimiter || c === (dialect.mac ? CR : LF)) {
      fieldLength = 0;
      wasQuoted = false;
    } else if (dialect.mac ? c === LF : c === CR && buf[i + 1] !== LF) return i;
    else fieldLength++;
  }
  return -1;
}

/** Where a record's own bytes start: after the blank lines csv-parse skipped before it. */
export function skipBlankLines(buf: Buffer, dialect: Dialect): number {
  let i = 0;
  for (;;) {
    if (dialect.mac ? buf[i] === CR : buf[i] === LF) i++;
    else if (!dialect.mac && buf[i] === CR && buf[i + 1] === LF) i += 2;
    else return i;
  }
}

/** How many times `byte` occurs in buf[from, to). */
/** How many times `ch` occurs in the cells: the line breaks inside a record's quoted cells. */
export function countChar(cells: readonly string[], ch: string): number {
  let count = 0;
  for (const cell of cells) {
    for (let i = cell.indexOf(ch); i !== -1; i = cell.indexOf(ch, i + 1)) count++;
  }
  return count;
}

export function countByte(buf: Buffer, byte: number, from = 0, to = buf.length): number {
  let count = 0;
  let i = buf.indexOf(byte, from);
  while (i !== -1 && i < to) {
    count++;
    i = buf.indexOf(byte, i + 1);
  }
  return count;
}
