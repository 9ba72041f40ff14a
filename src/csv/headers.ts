/**
 * Header handling: name normalisation, the alias table, `--map`, and delimiter detection.
 * We map headers ourselves instead of using csv-parse's `columns: true`, because that
 * collapses duplicate names, and every input column must reach the results CSV
 * (DESIGN.md, "Headers").
 */
import { CONTACT_FIELDS, type ContactField } from '../fields.js';
import { FileError, UsageError } from '../errors.js';

export type HeaderField = 'system_id' | ContactField;

export const HEADER_FIELDS: readonly HeaderField[] = ['system_id', ...CONTACT_FIELDS];

/** Lowercase, with spaces (any whitespace, so a stray NBSP from Excel too), `_` and `-` removed. */
export function normaliseHeader(name: string): string {
  return name.toLowerCase().replace(/[\s_-]+/g, '');
}

/** Normalised header → field. Keys are normalised, so `E-mail`, `E_Mail` and `e mail` all hit `email`. */
const ALIASES: ReadonlyMap<string, HeaderField> = new Map<string, HeaderField>([
  ['systemid', 'system_id'],
  ['firstname', 'first_name'],
  ['givenname', 'first_name'],
  ['lastname', 'last_name'],
  ['surname', 'last_name'],
  ['familyname', 'last_name'],
  ['email', 'email'],
  ['emailaddress', 'email'],
  ['jobtitle', 'job_title'],
  ['title', 'job_title'],
  ['mobile', 'mobile'],
  ['mobilephone', 'mobile'],
  ['mobilenumber', 'mobile'],
  ['cellphone', 'mobile'],
]);

export function resolveHeaderField(name: string): HeaderField | undefined {
  return ALIASES.get(normaliseHeader(name));
}

const QUOTE = 0x22;
const DELIMITERS = [',', ';', '\t'] as const;

/**
 * Counts `,`, `;` and tab outside quotes in the header line and picks the most frequent;
 * ties (and a one-column header) go to `,`. Stops at the first line break outside quotes,
 * so passing more than the header line is harmless. csv-parse's `delimiter_auto` is not
 * used: it is broken (NOTES.md).
 */
export function detectDelimiter(headerLine: string): ',' | ';' | '\t' {
  const counts = [0, 0, 0];
  let quoted = false;
  for (let i = 0; i < headerLine.length; i++) {
    const c = headerLine.charCodeAt(i);
    if (c === QUOTE) quoted = !quoted; // `""` toggles twice: still right
    else if (quoted) continue;
    else if (c === 0x2c) counts[0]!++;
    else if (c === 0x3b) counts[1]!++;
    else if (c === 0x09) counts[2]!++;
    else if (c === 0x0a || c === 0x0d) break;
  }
  let best = 0;
  for (let i = 1; i < 3; i++) if (counts[i]! > counts[best]!) best = i;
  return DELIMITERS[best]!;
}

export interface MapEntry {
  /** The text before the last `=`, untrimmed: it is matched verbatim first. */
  header: string;
  /** undefined = ignore this column (`"Header="`). */
  field: HeaderField | undefined;
  /** The flag as given, for messages. */
  raw: string;
}

const FIELD_BY_NORMALISED: ReadonlyMap<string, HeaderField> = new Map(HEADER_FIELDS.map((f) => [normaliseHeader(f), f]));

/**
 * Parses `--map "CSV header=field"` flags. Split at the last `=`, because a header may hold
 * one and a field name never does. The field part may be spelled loosely (`System ID`), but
 * must name a real field: an alias like `title` is not accepted here, so a typo never
 * silently maps somewhere unexpected.
 */
export function parseMapFlags(map: readonly string[]): MapEntry[] {
  return map.map((raw) => {
    const eq = raw.lastIndexOf('=');
    if (eq <= 0) {
      throw new UsageError(`--map "${raw}" must look like "CSV header=field" (or "CSV header=" to ignore the column)`);
    }
    const header = raw.slice(0, eq);
    const fieldText = raw.slice(eq + 1).trim();
    if (fieldText === '') return { header, field: undefined, raw };
    const field = FIELD_BY_NORMALISED.get(normaliseHeader(fieldText));
    if (field === undefined) {
      throw new UsageError(`--map "${raw}": unknown field "${fieldText}"; the fields are ${HEADER_FIELDS.join(', ')} (or leave it empty to ignore the column)`);
    }
    return { header, field, raw };
  });
}

/**
 * The columns a `--map` header part names: verbatim matches first, then normalised ones,
 * then `#N` (1-based position), which is the only way to tell apart two columns with the
 * very same name.
 */
function columnsNamed(columns: readonly string[], header: string): number[] {
  const verbatim: number[] = [];
  columns.forEach((c, i) => {
    if (c === header) verbatim.push(i);
  });
  if (verbatim.length > 0) return verbatim;
  const wanted = normaliseHeader(header);
  const loose: number[] = [];
  columns.forEach((c, i) => {
    if (normaliseHeader(c) === wanted) loose.push(i);
  });
  if (loose.length > 0) return loose;
  const position = /^#(\d+)$/.exec(header.trim());
  if (position) {
    const i = Number(position[1]) - 1;
    if (i >= 0 && i < columns.length) return [i];
  }
  return [];
}

function listHeaders(columns: readonly string[]): string {
  return columns.map((c) => JSON.stringify(c)).join(', ');
}

export interface HeaderMapping {
  fields: Partial<Record<HeaderField, number>>;
  columnFields: (HeaderField | undefined)[];
}

/**
 * Maps columns to fields: `--map` first, then the alias table. Throws UsageError for a map
 * naming no column, and FileError for two columns on one field or a missing required field.
 */
export function mapHeader(
  columns: readonly string[],
  mapEntries: readonly MapEntry[],
  requiredFields: readonly HeaderField[],
  file: string,
  headerLine = 1,
): HeaderMapping {
  const columnFields: (HeaderField | undefined)[] = columns.map((c) => resolveHeaderField(c));
  for (const entry of mapEntries) {
    const hits = columnsNamed(columns, entry.header);
    if (hits.length === 0) {
      throw new UsageError(`--map "${entry.raw}": ${file} has no column "${entry.header}"; its headers are ${listHeaders(columns)}`);
    }
    for (const i of hits) columnFields[i] = entry.field; // a later --map for the same header wins
  }

  const fields: Partial<Record<HeaderField, number>> = {};
  columnFields.forEach((field, i) => {
    if (field === undefined) return;
    const first = fields[field];
    if (first === undefined) {
      fields[field] = i;
      return;
    }
    const a = columns[first]!;
    const b = columns[i]!;
    // Identical names can only be told apart by position.
    const ignore = a === b ? `#${i + 1}` : b;
    throw new FileError(
      `${file} line ${headerLine}: columns ${first + 1} ("${a}") and ${i + 1} ("${b}") both map to ${field}; ` +
        `keep one, e.g. ignore the other with --map "${ignore}="`,
      { file, line: headerLine },
    );
  });

  for (const field of requiredFields) {
    if (fields[field] !== undefined) continue;
    // Suggest a real header when one looks like an ID ("Customer ID", "CustNo" does not).
    const idLike = field === 'system_id' ? columns.find((c, i) => columnFields[i] === undefined && /\bid\b|id\s*$/i.test(c)) : undefined;
    const suggestion = idLike ?? '<header>';
    throw new FileError(
      `${file} line ${headerLine}: no ${field} column; the headers are ${listHeaders(columns)}. ` +
        `Rename the column, or pass --map "${suggestion}=${field}"`,
      { file, line: headerLine },
    );
  }
  return { fields, columnFields };
}
