/**
 * The whole-file checks behind openCsv, run before a single record is handed out: the file
 * can be opened, its head looks like CSV (BOM, binary signatures, the header line, the
 * delimiter, the line ends), and a pre-scan of every byte finds bad encoding and an unclosed
 * quote (README, "CSV rules").
 */
import { errnoError, readFailure } from '../errno.js';
import { createReadStream, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { FileError } from '../errors.js';
import { INPUT_ERRORS } from '../error-messages.js';
import {
  chooseEncoding,
  decoderLabel,
  firstInvalidUtf16,
  sniffBom,
  Utf8Checker,
  type ActualEncoding,
  type InputEncoding,
} from './decode.js';
import type { Dialect } from './scan.js';
import { detectDelimiter, normaliseHeader } from './headers.js';
import { CR, LF, QuoteScanner, SwallowScanner, countByte, eolByte } from './scan.js';

/** Enough to hold any sane header line. */
const HEAD_BYTES = 64 * 1024;
/** Large reads: the pre-scan measured several times faster with 1 MiB chunks than with 64 KiB. */
const SCAN_CHUNK = 1024 * 1024;
/**
 * The longest stretch after a bad closing quote that the reader splits back into rows; a longer
 * one is refused up front, because the reader (and csv-parse) must hold all of it in memory.
 */
export const SWALLOW_LIMIT = 16 * 1024 * 1024;

/** What the sniff learnt about the file: how to read it from `bomLength` on. */
export interface Plan {
  path: string;
  size: number;
  encoding: ActualEncoding;
  /** Bytes skipped at the start; every offset below counts from there. */
  bomLength: number;
  delimiter: ',' | ';' | '\t';
  dialect: Dialect;
}

/** Which file a verdict is about: the same device and inode, at the same size and mtime. */
export type FileIdentity = Pick<Stats, 'dev' | 'ino' | 'size' | 'mtimeMs'>;

/**
 * One open's verdict on the whole file (the sniff's plan and the pre-scan's problems). A run reads
 * its input more than once (docs/ARCHITECTURE.md, "The run pipeline, file by file"); a later open
 * of the same file is handed this verdict and skips the whole-file read, once `sameFile` shows the
 * file is the one that was scanned.
 */
export interface Prescan {
  identity: FileIdentity;
  /** `--encoding` as it was asked for: the plan's encoding answers that question only. */
  requested: InputEncoding | undefined;
  plan: Plan;
  problems: readonly FileError[];
  /** The line ends the pre-scan counted: no more rows than that (the in-file checks size by it). */
  lineEnds: number;
}

export function identityOf(stats: Stats): FileIdentity {
  return { dev: stats.dev, ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs };
}

export function sameFile(a: FileIdentity, b: FileIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

export function emptyFile(path: string): FileError {
  return new FileError(INPUT_ERRORS.empty(path), {
    file: path,
    line: 1,
  });
}

export async function checkFile(path: string): Promise<number> {
  if (path === '' || path === '-') throw new FileError(INPUT_ERRORS.fromStdin(), { file: path });
  let size: number;
  try {
    const stats = await stat(path);
    if (stats.isDirectory()) throw errnoError('EISDIR');
    if (!stats.isFile()) throw new FileError(INPUT_ERRORS.notAFile(path), { file: path });
    size = stats.size;
  } catch (error) {
    throw readFailure(path, error);
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
    throw readFailure(path, error);
  }
}

const BINARY_SIGNATURES: readonly { magic: Buffer; what: string }[] = [
  {
    magic: Buffer.from('PK\x03\x04', 'latin1'),
    what: INPUT_ERRORS.looksLike.xlsx(),
  },
  {
    magic: Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]),
    what: INPUT_ERRORS.looksLike.xls(),
  },
  { magic: Buffer.from('%PDF', 'latin1'), what: INPUT_ERRORS.looksLike.pdf() },
];

function notCsv(path: string, what: string): FileError {
  return new FileError(INPUT_ERRORS.notCsv(path, what), { file: path, line: 1 });
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

export async function sniff(path: string, size: number, requested: InputEncoding | undefined): Promise<Plan> {
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
      throw notCsv(path, INPUT_ERRORS.looksLike.nulBytes());
    }
  }
  // Not fatal: this is only a sniff; the pre-scan validates every byte.
  const text = new TextDecoder(encoding === 'utf8' ? 'utf-8' : decoderLabel(encoding), { ignoreBOM: true }).decode(
    body,
  );
  if (utf16 && text.slice(0, 512).includes('\u0000')) throw notCsv(path, INPUT_ERRORS.looksLike.nulCharacters());

  const header = findHeaderLine(text, head.length === size);
  if (header === undefined) {
    if (head.length === size) throw emptyFile(path);
    throw new FileError(INPUT_ERRORS.noHeaderRow(path, HEAD_BYTES / 1024), { file: path, line: 1 });
  }
  const first = header.line.trimStart().charAt(0);
  if ((first === '{' || first === '[' || first === '<') && !normaliseHeader(header.line).includes('systemid')) {
    throw notCsv(path, first === '<' ? INPUT_ERRORS.looksLike.markup() : INPUT_ERRORS.looksLike.json());
  }
  const delimiter = detectDelimiter(header.line);
  return {
    path,
    size,
    encoding,
    bomLength,
    delimiter,
    dialect: { delimiter: delimiter.charCodeAt(0), mac: header.mac },
  };
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
async function locate(
  plan: Plan,
  offset: number,
): Promise<{ line: number; byte: number | undefined; context: Buffer }> {
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

/** How much of a non-UTF-8 file the encoding guess reads: enough for thousands of names. */
const GUESS_BYTES = 4 * 1024 * 1024;

/** For each byte 0x80–0xFF: does this 8-bit encoding decode it to a lower-case letter? */
function lowerCaseTable(label: string): boolean[] {
  const text = new TextDecoder(label).decode(Uint8Array.from({ length: 128 }, (_, i) => 0x80 + i));
  return [...text].map((ch) => /\p{Ll}/u.test(ch));
}

/** Bytes that windows-1252 leaves undefined (TextDecoder turns them into C1 controls); MacRoman maps each to a letter. */
const UNDEFINED_IN_1252 = new Set([0x81, 0x8d, 0x8f, 0x90, 0x9d]);

function isAsciiLetter(byte: number | undefined): boolean {
  return byte !== undefined && ((byte >= 0x61 && byte <= 0x7a) || (byte >= 0x41 && byte <= 0x5a));
}

/**
 * Which legacy encoding the bytes of a file that is not UTF-8 fit: Excel on Windows writes
 * windows-1252, Excel for Mac MacRoman (README, "Encodings, delimiters, line endings"). An accented letter inside a
 * word decodes to a lower-case letter in the right one: `Jos` + 0x8E is `José` in MacRoman and
 * `JosŽ` in windows-1252, `Jos` + 0xE9 the other way round. Bare-CR line ends, and bytes that
 * windows-1252 leaves undefined, point to MacRoman too. A tie is windows-1252, the common case.
 */
export async function guessLegacyEncoding(plan: Plan): Promise<'windows-1252' | 'macintosh'> {
  const win = lowerCaseTable('windows-1252');
  const mac = lowerCaseTable('macintosh');
  let score = plan.dialect.mac ? 3 : 0;
  let previous: number | undefined;
  const stream = createReadStream(plan.path, { start: plan.bomLength, end: plan.bomLength + GUESS_BYTES - 1 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    for (const byte of chunk) {
      if (byte >= 0x80) {
        if (UNDEFINED_IN_1252.has(byte)) score += 3;
        else if (isAsciiLetter(previous)) score += (mac[byte - 0x80] ? 1 : 0) - (win[byte - 0x80] ? 1 : 0);
      }
      previous = byte;
    }
  }
  return score > 0 ? 'macintosh' : 'windows-1252';
}

async function utf8Error(plan: Plan, offset: number): Promise<FileError> {
  const { line, byte, context } = await locate(plan, offset);
  const guess = await guessLegacyEncoding(plan);
  // Showing the bytes as the guessed encoding lets people check the suggestion at a glance ("José").
  const text = JSON.stringify(new TextDecoder(guess).decode(context));
  const what =
    byte === undefined
      ? INPUT_ERRORS.cutCharacter()
      : INPUT_ERRORS.badByte(byte.toString(16).toUpperCase().padStart(2, '0'), text, guess);
  return new FileError(INPUT_ERRORS.notUtf8(plan.path, line, what, INPUT_ERRORS.legacyEncoding[guess]()), {
    file: plan.path,
    line,
  });
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
  return new FileError(INPUT_ERRORS.notUtf16(plan.path, line, name), { file: plan.path, line });
}

/**
 * Reads the whole file once before anything is sent: encoding errors and an unclosed quote
 * would otherwise surface only after earlier rows had gone out. `isUtf8` and `indexOf` jumps
 * keep it many times faster than csv-parse itself. Returns every problem it found, so
 * that the caller can report them together with the header's (README, "CSV rules"), and the
 * number of line ends: no file has more rows than that, so the in-file checks size their tables
 * by it once (src/fingerprints.ts).
 */
export async function prescan(plan: Plan): Promise<{ problems: FileError[]; lineEnds: number }> {
  const utf8 = plan.encoding === 'utf8' ? new Utf8Checker() : undefined;
  const eol = eolByte(plan.dialect);
  let lineEnds = 0;
  let badUtf8 = -1;
  const quotes = new QuoteScanner(plan.dialect);
  const swallow = new SwallowScanner(plan.dialect, SWALLOW_LIMIT);
  try {
    for await (const chunk of asciiChunks(plan)) {
      if (utf8 !== undefined && badUtf8 === -1) badUtf8 = utf8.check(chunk);
      quotes.feed(chunk);
      swallow.feed(chunk);
      lineEnds += countByte(chunk, eol);
    }
  } catch (error) {
    // Broken UTF-16 leaves nothing after it to trust.
    if ((error as NodeJS.ErrnoException).code === 'ERR_ENCODING_INVALID_ENCODED_DATA')
      return { problems: [await utf16Error(plan)], lineEnds };
    throw readFailure(plan.path, error);
  }
  const problems: FileError[] = [];
  if (utf8 !== undefined && badUtf8 === -1) badUtf8 = utf8.end();
  if (badUtf8 !== -1) problems.push(await utf8Error(plan, badUtf8));
  const opened = quotes.finish();
  if (opened !== -1) {
    const { line } = await locate(plan, opened);
    problems.push(new FileError(INPUT_ERRORS.unclosedQuote(plan.path, line), { file: plan.path, line }));
  }
  const stray = opened === -1 ? swallow.finish() : -1;
  if (stray !== -1) {
    const { line } = await locate(plan, stray);
    problems.push(
      new FileError(INPUT_ERRORS.swallowingQuote(plan.path, line, SWALLOW_LIMIT / 1024 / 1024), {
        file: plan.path,
        line,
      }),
    );
  }
  return { problems, lineEnds };
}
