/**
 * How a stored .xlsx cell becomes the text the importer reads (README, ".xlsx round trips"): a
 * number is its exact decimal, never `3.79843E+11` or `…0.0`; a date cell is ISO 8601 text; a
 * cell reference names a column by letters. Pure functions, shared by the reader and the writer.
 */

/**
 * The shortest decimal that reads back as the same double, written out in full:
 * `379843029871`, `0.30000000000000004`, `1e+21` → `1000000000000000000000`. JavaScript's own
 * String(n) is the shortest round trip already; only its exponent form is expanded here.
 */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Object.is(value, -0)) return '0';
  const text = String(value);
  const e = text.indexOf('e');
  if (e === -1) return text;
  const negative = text.startsWith('-');
  const mantissa = text.slice(negative ? 1 : 0, e);
  const exponent = Number(text.slice(e + 1));
  const point = mantissa.indexOf('.');
  const digits = point === -1 ? mantissa : mantissa.slice(0, point) + mantissa.slice(point + 1);
  // Where the decimal point goes, counted from the start of `digits`.
  const at = (point === -1 ? mantissa.length : point) + exponent;
  let out: string;
  if (at <= 0) out = `0.${'0'.repeat(-at)}${digits}`;
  else if (at >= digits.length) out = digits + '0'.repeat(at - digits.length);
  else out = `${digits.slice(0, at)}.${digits.slice(at)}`;
  return negative ? `-${out}` : out;
}

/** The text of a `<v>` number: its shortest round-trip decimal; a value that is no number stays as stored. */
export function numberText(stored: string): string {
  const value = Number(stored.trim());
  return stored.trim() === '' || Number.isNaN(value) ? stored : formatNumber(value);
}

/** Built-in number formats that show a date or a time (ECMA-376 part 1, 18.8.30), locale ones included. */
const DATE_FORMAT_IDS = new Set([
  14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47,
]);
for (let id = 50; id <= 58; id++) DATE_FORMAT_IDS.add(id);
const TIME_ONLY_IDS = new Set([18, 19, 20, 21, 45, 46, 47]);

export type DateKind = 'date' | 'datetime' | 'time';

/** Whether a number format shows a date, a time or both; undefined for anything else. */
export function dateKindOf(id: number, code: string | undefined): DateKind | undefined {
  if (code === undefined) {
    if (!DATE_FORMAT_IDS.has(id)) return undefined;
    if (TIME_ONLY_IDS.has(id)) return 'time';
    return id === 22 ? 'datetime' : 'date';
  }
  // Quoted text, escaped characters, colours and conditions say nothing about dates.
  const bare = code
    .replace(/"[^"]*"/g, '')
    .replace(/\\./g, '')
    .replace(/\[(?![hms]+\])[^\]]*\]/gi, '')
    .split(';')[0]
    ?.toLowerCase();
  if (bare === undefined || bare === 'general' || bare.includes('@')) return undefined;
  const hasDate = /[dy]/.test(bare) || (/m/.test(bare) && !/[hs]/.test(bare));
  const hasTime = /[hs]/.test(bare);
  if (hasDate && hasTime) return 'datetime';
  if (hasDate) return 'date';
  return hasTime ? 'time' : undefined;
}

const DAY_MS = 86_400_000;
/** Day 0 of the 1900 date system is 1899-12-31, but serial 60 is Excel's 29 February 1900, so later days count from 1899-12-30. */
const EPOCH_1900 = Date.UTC(1899, 11, 30);
const EPOCH_1904 = Date.UTC(1904, 0, 1);

/** A date serial as ISO 8601 text: `2024-03-01`, `2024-03-01T09:30:00`, or `09:30:00` for a time. */
export function serialToIso(serial: number, kind: DateKind, date1904: boolean): string {
  const days = date1904 || serial >= 61 ? serial : serial + 1;
  const ms = Math.round(((date1904 ? EPOCH_1904 : EPOCH_1900) + days * DAY_MS) / 1000) * 1000;
  const iso = new Date(ms).toISOString(); // 2024-03-01T09:30:00.000Z
  if (kind === 'date') return iso.slice(0, 10);
  if (kind === 'time') return iso.slice(11, 19);
  return iso.slice(0, 19);
}

/** `A` → 0, `AB` → 27: the column of a cell reference such as `AB12`; -1 when there are no letters. */
export function columnIndexOf(ref: string): number {
  let index = 0;
  let i = 0;
  for (; i < ref.length; i++) {
    const code = ref.charCodeAt(i) | 0x20; // lower case
    if (code < 0x61 || code > 0x7a) break;
    index = index * 26 + (code - 0x60);
  }
  return i === 0 ? -1 : index - 1;
}

/** 0 → `A`, 27 → `AB`. */
export function columnLetters(index: number): string {
  let letters = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26))
    letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters;
}

/** `F7`: the cell of column index 5 on row 7. */
export function cellRef(column: number, row: number): string {
  return `${columnLetters(column)}${row}`;
}

/**
 * Excel writes a character XML 1.0 cannot hold (a control character) as `_xHHHH_`, and a
 * literal `_xHHHH_` as `_x005F_xHHHH_` (ECMA-376 part 1, 22.9.2.19 ST_Xstring).
 */
const ESCAPED = /_x([0-9A-Fa-f]{4})_/g;
export function decodeXstring(text: string): string {
  return text.includes('_x') ? text.replace(ESCAPED, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))) : text;
}

// eslint-disable-next-line no-control-regex -- the characters XML 1.0 cannot hold are the point
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|_(?=x[0-9A-Fa-f]{4}_)/;
const NOT_XML_ALL = new RegExp(NOT_XML.source, 'g');
export function encodeXstring(text: string): string {
  return NOT_XML.test(text)
    ? text.replace(NOT_XML_ALL, (ch) => `_x${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}_`)
    : text;
}
