/**
 * Byte-level models of csv-parse's quote rules, for two jobs csv-parse cannot do for us:
 * - the pre-scan finds an unclosed quote, and the line it opened on, before anything is
 *   sent (csv-parse only notices at the end of the file, and reports the last line);
 * - after csv-parse skips a broken record, `splitRecords` finds where it started and ended.
 *
 * Both must agree with csv-parse 7 (lib/api/index.js) with `relax_quotes: false`:
 * - a quote opens a quoted field only at the start of a field; elsewhere it is an
 *   "invalid opening quote" error, kept as a literal, and the field stays unquoted;
 * - inside quotes, `""` is a literal quote; a quote followed by the delimiter, a record
 *   delimiter or the end of the data closes the field; any other quote is an "invalid
 *   closing quote" error, kept as a literal, and the field STAYS quoted.
 * All bytes that matter are ASCII, so this works on any ASCII-compatible encoding.
 */

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
 * The quote-balance half of the pre-scan. It jumps from quote to quote with
 * `Buffer.indexOf`, so its cost scales with the number of quotes, not bytes. Offsets count
 * from the first byte fed.
 */
export class QuoteScanner {
  private quoted = false;
  private openedAt = -1;
  private offset = 0;
  private prev = START;
  private carry: Buffer | undefined;
  private readonly delimiter: number;
  private readonly mac: boolean;

  constructor(dialect: Dialect) {
    this.delimiter = dialect.delimiter;
    this.mac = dialect.mac;
  }

  feed(chunk: Buffer): void {
    let buf = chunk;
    let base = this.offset;
    if (this.carry !== undefined) {
      buf = Buffer.concat([this.carry, chunk]);
      base -= this.carry.length;
      this.carry = undefined;
    }
    this.offset += chunk.length;
    this.scan(buf, base, false);
  }

  /** The offset of the quote that is still open at the end of the file, or -1. */
  finish(): number {
    if (this.carry !== undefined) {
      const buf = this.carry;
      this.carry = undefined;
      this.scan(buf, this.offset - buf.length, true);
    }
    return this.quoted ? this.openedAt : -1;
  }

  private scan(buf: Buffer, base: number, final: boolean): void {
    const n = buf.length;
    const { delimiter, mac } = this;
    let i = 0;
    for (;;) {
      const q = buf.indexOf(QUOTE, i);
      if (q === -1) break;
      if (!this.quoted) {
        const before = q === 0 ? this.prev : buf[q - 1]!;
        // At a field start (after a delimiter or a record delimiter; every record delimiter
        // ends in the line-end byte) the quote opens a quoted field; elsewhere it is literal.
        if (before === START || before === delimiter || before === (mac ? CR : LF)) {
          this.quoted = true;
          this.openedAt = base + q;
        }
        i = q + 1;
        continue;
      }
      // Inside quotes, the next one or two bytes decide. At a chunk end, carry the quote over.
      if (q + 1 >= n) {
        if (!final) {
          this.carry = Buffer.from(buf.subarray(q));
          return;
        }
        this.quoted = false; // a quote at the very end of the data closes
        break;
      }
      const next = buf[q + 1]!;
      if (next === QUOTE) {
        i = q + 2; // `""`: a literal quote
        continue;
      }
      let closes: boolean;
      if (next === delimiter || next === (mac ? CR : LF)) closes = true;
      else if (!mac && next === CR) {
        if (q + 2 >= n && !final) {
          this.carry = Buffer.from(buf.subarray(q));
          return;
        }
        closes = buf[q + 2] === LF; // a bare CR is not a record delimiter here
      } else closes = false;
      if (closes) this.quoted = false;
      i = q + 1;
    }
    if (n > 0) this.prev = buf[n - 1]!;
  }
}

export interface RawRecord {
  /** Offsets into the scanned buffer; `end` includes the record delimiter. */
  start: number;
  end: number;
}

/**
 * Splits `buf`, which must start at a record boundary, into records as csv-parse would,
 * leaving out blank lines (`skip_empty_lines`). A per-byte loop: it only runs over the few
 * bytes around a record csv-parse skipped.
 */
export function splitRecords(buf: Buffer, dialect: Dialect): RawRecord[] {
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
        const next = buf[i + 1];
        if (next === QUOTE) {
          fieldLength++;
          i += 2;
          continue;
        }
        if (next === undefined || next === delimiter || recordDelimiterLength(i + 1) > 0) {
          quoted = false;
          wasQuoted = true;
          i++;
          continue;
        }
      }
      fieldLength++;
      i++;
      continue;
    }
    if (c === QUOTE && fieldLength === 0) {
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
  if (quoted || wasQuoted || fields > 0 || fieldLength > 0) records.push({ start, end: n });
  return records;
}

/** How many times `byte` occurs in buf[from, to). */
export function countByte(buf: Buffer, byte: number, from = 0, to = buf.length): number {
  let count = 0;
  let i = buf.indexOf(byte, from);
  while (i !== -1 && i < to) {
    count++;
    i = buf.indexOf(byte, i + 1);
  }
  return count;
}
