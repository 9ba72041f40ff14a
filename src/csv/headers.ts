/**
 * Header handling: name normalisation, the alias table, `--map`, and delimiter detection.
 * We map headers ourselves instead of using csv-parse's `columns: true`, because that
 * collapses duplicate names, and every input column must reach the results CSV
 * (README, "CSV rules").
 */
import { CONTACT_FIELDS, type ContactField } from '../contact/fields.js';
import { UsageError } from '../errors.js';
import { INPUT_ERRORS } from '../error-messages.js';
import { mapFlag } from '../shell.js';

/**
 * What a column can feed: the key, a contact field, or `full_name`, one name column split into
 * first_name and last_name (src/contact/name.ts). full_name is only ever taken from `--map`: no
 * header maps to it by itself, because splitting names is a choice the user makes.
 */
export type HeaderField = 'system_id' | ContactField | 'full_name';

export const HEADER_FIELDS: readonly HeaderField[] = ['system_id', ...CONTACT_FIELDS, 'full_name'];

/** The fields a full_name column fills. */
export const FULL_NAME_PARTS = ['first_name', 'last_name'] as const satisfies readonly ContactField[];

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
  ['mobilephonenumber', 'mobile'],
  ['mobilenumber', 'mobile'],
  ['cellphone', 'mobile'],
  ['cellphonenumber', 'mobile'],
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
 * used: it throws on quoted fields and can pick a letter as the delimiter.
 */
export function detectDelimiter(headerLine: string): ',' | ';' | '\t' {
  const counts = [0, 0, 0];
  let quoted = false;
  for (let i = 0; i < headerLine.length; i++) {
    const c = headerLine.charCodeAt(i);
    if (c === QUOTE)
      quoted = !quoted; // `""` toggles twice: still right
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
  /** Where it came from, for messages: `--map "…"` or `<map file> line N`. */
  source?: string;
}

const FIELD_BY_NORMALISED: ReadonlyMap<string, HeaderField> = new Map(
  HEADER_FIELDS.map((f) => [normaliseHeader(f), f]),
);

/**
 * Parses `--map "CSV header=field"` flags. Split at the last `=`, because a header may hold
 * one and a field name never does. The field part may be spelled loosely (`System ID`), but
 * must name a real field: an alias like `title` is not accepted here, so a typo never
 * silently maps somewhere unexpected.
 */
export function parseMapFlags(map: readonly string[]): MapEntry[] {
  return map.map((raw) => {
    const entry = parseMapEntry(raw, `--map "${raw}"`);
    if (typeof entry === 'string') throw new UsageError(entry);
    return entry;
  });
}

/** One `header=field` mapping, or the message saying what is wrong with it. */
export function parseMapEntry(raw: string, source: string): MapEntry | string {
  const eq = raw.lastIndexOf('=');
  if (eq <= 0) return INPUT_ERRORS.mapForm(source);
  const header = raw.slice(0, eq);
  const fieldText = raw.slice(eq + 1).trim();
  if (fieldText === '') return { header, field: undefined, raw, source };
  const field = FIELD_BY_NORMALISED.get(normaliseHeader(fieldText));
  if (field === undefined) return INPUT_ERRORS.mapField(source, fieldText, HEADER_FIELDS);
  return { header, field, raw, source };
}

/** Whether a header names a field itself (`Job Title`, `job_title`, `JobTitle`), not through an alias (`Title`). */
export function isExactHeader(name: string, field: HeaderField): boolean {
  return FIELD_BY_NORMALISED.get(normaliseHeader(name)) === field;
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

/** How people see a column in a message: `"Job Title"`, or `column 7 (no header)` for an empty name. */
export function describeColumn(columns: readonly string[], index: number): string {
  const name = columns[index] ?? '';
  return name.trim() === '' ? `column ${index + 1} (no header)` : JSON.stringify(name);
}

/** `2 ("Email")`, or `7 (no header)`. */
function numbered(columns: readonly string[], index: number): string {
  const name = columns[index] ?? '';
  return `${index + 1} (${name.trim() === '' ? 'no header' : JSON.stringify(name)})`;
}

function listHeaders(columns: readonly string[]): string {
  return columns.map((_, i) => describeColumn(columns, i)).join(', ');
}

/** How a column got its field: `--map`/`--map-file`, its own name, or the alias table. */
export type MappedBy = 'map' | 'exact' | 'alias';

export interface HeaderMapping {
  fields: Partial<Record<HeaderField, number>>;
  columnFields: (HeaderField | undefined)[];
  /** Per column: how it got its field; 'ignored' for a `"Header="` mapping; undefined when unmapped. */
  how: (MappedBy | 'ignored' | undefined)[];
  /** Per column: the column that took the field this one would have had (an exact name beats an alias). */
  shadowedBy: (number | undefined)[];
  /** Whole-file problems (two columns on one field, a missing required field), one line each. */
  problems: string[];
}

const RANK: Record<MappedBy, number> = { alias: 1, exact: 2, map: 3 };

/**
 * Maps columns to fields. Candidates come from `--map` (the user's word), a header that names
 * a field exactly, and the alias table, in that order of strength: when two columns claim one
 * field, the stronger one wins and the other is left unsent (README, "CSV rules"). Only a tie
 * is a problem. Throws UsageError for a map naming no column; every other problem is returned.
 */
export function mapHeader(
  columns: readonly string[],
  mapEntries: readonly MapEntry[],
  requiredFields: readonly HeaderField[],
  file: string,
  /** Where the header is, for messages: `contacts.csv line 1`, `contacts.xlsx row 1`. */
  headerPlace = `${file} line 1`,
): HeaderMapping {
  const columnFields: (HeaderField | undefined)[] = columns.map((c) => resolveHeaderField(c));
  const how: HeaderMapping['how'] = columnFields.map((f, i) =>
    f === undefined ? undefined : isExactHeader(columns[i]!, f) ? 'exact' : 'alias',
  );
  for (const entry of mapEntries) {
    const hits = columnsNamed(columns, entry.header);
    if (hits.length === 0) {
      throw new UsageError(
        INPUT_ERRORS.mapColumn(entry.source ?? `--map "${entry.raw}"`, file, entry.header, listHeaders(columns)),
      );
    }
    for (const i of hits) {
      // A later mapping for the same header wins.
      columnFields[i] = entry.field;
      how[i] = entry.field === undefined ? 'ignored' : 'map';
    }
  }

  const shadowedBy: (number | undefined)[] = columns.map(() => undefined);
  const problems: string[] = [];
  const fields: Partial<Record<HeaderField, number>> = {};
  for (const field of HEADER_FIELDS) {
    const claims = columnFields.flatMap((f, i) => (f === field ? [i] : []));
    if (claims.length === 0) continue;
    const best = Math.max(...claims.map((i) => RANK[how[i] as MappedBy]));
    const winners = claims.filter((i) => RANK[how[i] as MappedBy] === best);
    const winner = winners[0]!;
    fields[field] = winner;
    for (const i of claims) {
      if (RANK[how[i] as MappedBy] === best) continue;
      columnFields[i] = undefined;
      shadowedBy[i] = winner;
    }
    if (winners.length > 1) {
      const other = winners[1]!;
      // Identical names can only be told apart by position.
      const ignore =
        columns[winner] === columns[other] || (columns[other] ?? '').trim() === '' ? `#${other + 1}` : columns[other]!;
      problems.push(
        INPUT_ERRORS.twoColumnsOneField(
          headerPlace,
          numbered(columns, winner),
          numbered(columns, other),
          field,
          mapFlag(ignore, ''),
        ),
      );
    }
  }

  const fullName = fields.full_name;
  if (fullName !== undefined) {
    for (const part of FULL_NAME_PARTS) {
      const own = fields[part];
      if (own === undefined) continue;
      problems.push(
        INPUT_ERRORS.fullNameAndPart(
          headerPlace,
          numbered(columns, fullName),
          numbered(columns, own),
          part,
          mapFlag(columns[own] ?? `#${own + 1}`, ''),
        ),
      );
    }
  }

  for (const field of requiredFields) {
    if (fields[field] !== undefined) continue;
    // Suggest a real header when one looks like an ID ("Customer ID", "CustNo" does not).
    const idLike =
      field === 'system_id'
        ? columns.find((c, i) => columnFields[i] === undefined && /\bid\b|id\s*$/i.test(c))
        : undefined;
    const suggestion = idLike ?? '<header>';
    problems.push(INPUT_ERRORS.noColumn(headerPlace, field, listHeaders(columns), mapFlag(suggestion, field)));
  }
  return { fields, columnFields, how, shadowedBy, problems };
}
