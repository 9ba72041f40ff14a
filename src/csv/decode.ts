/**
 * Input decoding: BOM sniffing, fast UTF-8 validation across chunk boundaries, and the
 * decoders for the other encodings. csv-parse itself always receives UTF-8 bytes: it reads
 * UTF-8 files as they are, and everything else is transcoded in front of it.
 */
import { isUtf8 } from 'node:buffer';
import { Transform } from 'node:stream';
import { ChunkCarry } from './chunks.js';

/**
 * The encodings `--encoding` takes: `windows-1252` is what Excel on Windows writes as "CSV (Comma
 * delimited)", `macintosh` (MacRoman) what Excel for Mac writes (README, "Encodings, delimiters, line endings").
 */
export const INPUT_ENCODINGS = ['utf8', 'windows-1252', 'macintosh', 'latin1', 'utf16le'] as const;
export type InputEncoding = (typeof INPUT_ENCODINGS)[number];
/** What we actually decode with: `latin1` is an alias, and a UTF-16 BOM overrides an 8-bit `--encoding`. */
export type ActualEncoding = 'utf8' | 'windows-1252' | 'macintosh' | 'utf16le' | 'utf16be';

export interface Bom {
  encoding: 'utf8' | 'utf16le' | 'utf16be';
  length: number;
}

export function sniffBom(head: Buffer): Bom | undefined {
  if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf)
    return { encoding: 'utf8', length: 3 };
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf16le', length: 2 };
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf16be', length: 2 };
  return undefined;
}

/**
 * Which encoding to read with. An explicit `--encoding` wins over a UTF-8 BOM: Excel and
 * other tools put that BOM in front of windows-1252 bytes often enough, and a user who names
 * the encoding has looked (README, "CSV rules"). The BOM's bytes are skipped either way. A
 * UTF-16 BOM still wins: read as 8-bit text, every other byte would be a NUL.
 * `latin1` becomes windows-1252: WHATWG TextDecoder maps the `latin1` label to windows-1252
 * anyway, and windows-1252 is what Excel writes (it puts `€` at 0x80, where true ISO-8859-1
 * has a C1 control).
 */
export function chooseEncoding(requested: InputEncoding | undefined, bom: Bom | undefined): ActualEncoding {
  if (bom !== undefined && (bom.encoding !== 'utf8' || requested === undefined)) return bom.encoding;
  const chosen = requested ?? 'utf8';
  return chosen === 'latin1' ? 'windows-1252' : chosen;
}

/** The WHATWG label for TextDecoder. */
export function decoderLabel(encoding: Exclude<ActualEncoding, 'utf8'>): string {
  return encoding === 'utf16le' ? 'utf-16le' : encoding === 'utf16be' ? 'utf-16be' : encoding;
}

/**
 * Where the last complete UTF-8 sequence of `buf` ends, so a sequence cut by the chunk
 * boundary is carried to the next chunk instead of being reported as invalid.
 */
function completeEnd(buf: Buffer): number {
  const n = buf.length;
  for (let back = 1; back <= 3 && back <= n; back++) {
    const b = buf[n - back]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back for the lead
    if (b < 0x80) return n;
    const len = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
    return back < len ? n - back : n;
  }
  return n; // three continuation bytes: complete or invalid, the validator decides
}

/**
 * Index of the first byte that does not start a valid UTF-8 sequence (WHATWG rules: no
 * overlongs, no surrogates, nothing above U+10FFFF), or -1. A per-byte loop, so it only
 * runs on the one chunk that `isUtf8` already rejected.
 */
export function firstInvalidUtf8(buf: Buffer): number {
  const n = buf.length;
  let i = 0;
  while (i < n) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let len: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) len = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      len = 3;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      len = 4;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    if (i + len > n) return i;
    const b2 = buf[i + 1]!;
    if (b2 < lo || b2 > hi) return i;
    for (let k = 2; k < len; k++) if ((buf[i + k]! & 0xc0) !== 0x80) return i;
    i += len;
  }
  return -1;
}

/**
 * Streaming UTF-8 validation with `buffer.isUtf8` (simdutf, which measured several times faster
 * than a fatal TextDecoder here). Offsets count from the first byte fed.
 */
export class Utf8Checker {
  private readonly chunks = new ChunkCarry();

  /** Returns the offset of the first invalid byte, or -1. */
  check(chunk: Buffer): number {
    const buf = this.chunks.join(chunk);
    const { base } = this.chunks;
    const cut = completeEnd(buf);
    const body = cut === buf.length ? buf : buf.subarray(0, cut);
    if (!isUtf8(body)) return base + firstInvalidUtf8(body);
    // Copy: the caller may reuse its buffer.
    if (cut < buf.length) this.chunks.keep(buf.subarray(cut));
    return -1;
  }

  /** A sequence still open at the end of the file is truncated, hence invalid. */
  end(): number {
    return this.chunks.carriedAt();
  }
}

/**
 * Transcodes to UTF-8 bytes for csv-parse. Not fatal: the pre-scan has already validated
 * the file, and windows-1252 and MacRoman map every byte. The BOM is skipped before this (start offset).
 */
export function createTranscoder(encoding: Exclude<ActualEncoding, 'utf8'>): Transform {
  const decoder = new TextDecoder(decoderLabel(encoding), { ignoreBOM: true });
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const text = decoder.decode(chunk, { stream: true });
      callback(null, text.length === 0 ? undefined : Buffer.from(text, 'utf8'));
    },
    flush(callback) {
      const text = decoder.decode();
      callback(null, text.length === 0 ? undefined : Buffer.from(text, 'utf8'));
    },
  });
}

/**
 * Byte offset of the first code unit a fatal UTF-16 decoder rejects: an unpaired surrogate,
 * or an odd byte at the end. For the error message only.
 */
export function firstInvalidUtf16(buf: Buffer, littleEndian: boolean): number {
  const units = Math.floor(buf.length / 2);
  for (let u = 0; u < units; u++) {
    const i = u * 2;
    const unit = littleEndian ? buf[i]! | (buf[i + 1]! << 8) : (buf[i]! << 8) | buf[i + 1]!;
    if (unit < 0xd800 || unit > 0xdfff) continue;
    if (unit >= 0xdc00) return i; // a low surrogate with no high one before it
    if (u + 1 >= units) return i;
    const j = i + 2;
    const next = littleEndian ? buf[j]! | (buf[j + 1]! << 8) : (buf[j]! << 8) | buf[j + 1]!;
    if (next < 0xdc00 || next > 0xdfff) return i;
    u++;
  }
  return buf.length % 2 === 1 ? buf.length - 1 : -1;
}
