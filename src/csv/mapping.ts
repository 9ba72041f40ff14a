/**
 * What a run will send, column by column, before it sends anything (README, "CSV rules"): each
 * field with its column and two sample values, each column left unsent and why, and for a
 * column whose name is close to a field that has no column, the `--map` that would send it.
 * Also `--map-file`: the same mappings, kept in a file.
 */
import { readFailure } from '../errno.js';
import { readFile } from 'node:fs/promises';
import { FileError } from '../errors.js';
import {
  FULL_NAME_PARTS,
  HEADER_FIELDS,
  describeColumn,
  normaliseHeader,
  parseMapEntry,
  type HeaderField,
  type HeaderMapping,
  type MapEntry,
  type MappedBy,
} from './headers.js';

export interface FieldMapping {
  field: HeaderField;
  column: number;
  /** `"Job Title"`, or `column 7 (no header)`. */
  label: string;
  by: MappedBy;
  /** Up to two non-empty values from the first rows, trimmed. */
  samples: string[];
}

export interface UnsentColumn {
  column: number;
  label: string;
  /** unknown: no field has this name; ignored: `"Header="`; shadowed: another column took its field. */
  reason: 'unknown' | 'ignored' | 'shadowed';
  /** For `shadowed`: the column that is sent instead, and the field. */
  shadowedBy?: { label: string; field: HeaderField };
  /** For a name close to a field that has no column: the `--map` value that would send it (`Cell=mobile`). */
  suggestion?: { field: HeaderField; map: string };
}

export interface MappingDescription {
  fields: FieldMapping[];
  unsent: UnsentColumn[];
}

/**
 * Normalised name fragments that make a column look like a field, most telling first. A role
 * (`Role`: Agent, Admin) is not a job title, and `Last Login` is not a last name: only the words
 * that name the field count.
 */
const NEAR: readonly (readonly [RegExp, HeaderField])[] = [
  [/mobile|cell/, 'mobile'],
  [/e?mail/, 'email'],
  [/given|firstname|forename|^first$/, 'first_name'],
  [/surname|familyname|lastname|^last$/, 'last_name'],
  [/position|jobtitle|occupation|designation/, 'job_title'],
  [/^(name|fullname|displayname|agentname|contactname)$/, 'full_name'],
];

/** The field a header name is close to, if any (`Cell`, `Phone (Mobile)`, `E-mail 1 - Value`, `Position`). */
export function nearField(name: string): HeaderField | undefined {
  const n = normaliseHeader(name);
  if (n === '') return undefined;
  for (const [pattern, field] of NEAR) if (pattern.test(n)) return field;
  return undefined;
}

/** A date or a timestamp (`2024-11-01T10:00:00Z`, `2024-11-01 10:00`, `01/11/2024`): never a name or a title. */
const DATE_LIKE =
  /^\d{4}-\d{2}-\d{2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$|^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}( \d{1,2}:\d{2}(:\d{2})?( ?[AP]M)?)?$/i;

/** What a helpdesk calls a person's access level: a role, not a job title. */
const ROLE_WORDS: ReadonlySet<string> = new Set([
  'agent',
  'admin',
  'administrator',
  'account admin',
  'account administrator',
  'billing admin',
  'end-user',
  'end user',
  'enduser',
  'light agent',
  'chat agent',
  'contributor',
  'supervisor',
  'requester',
  'viewer',
]);

/**
 * Whether a column's first values look like the field a header name suggests (README, "CSV
 * rules"). Names and titles are never dates, never role words, never an address; an email has
 * an @; a mobile is digits and separators; a full name has two words. A column with no values
 * in the first rows is judged by its name alone.
 */
export function samplesFit(field: HeaderField, samples: readonly string[]): boolean {
  return samples.every((value) => {
    if (DATE_LIKE.test(value)) return false;
    switch (field) {
      case 'email':
        return value.includes('@');
      case 'mobile':
        return /^\+?[\d\s().-]{6,}$/.test(value);
      case 'job_title':
        return !ROLE_WORDS.has(value.toLowerCase()) && !value.includes('@');
      case 'full_name':
        return /\p{L}/u.test(value) && !value.includes('@') && /\S\s+\S/.test(value);
      default:
        return /\p{L}/u.test(value) && !value.includes('@');
    }
  });
}

/** How many of a column's first values decide whether it looks like a field. */
const SAMPLES_JUDGED = 5;

/** Up to `count` non-empty values of a column from the first rows, trimmed. */
function samplesOf(rows: readonly (readonly string[])[], column: number, count: number): string[] {
  const samples: string[] = [];
  for (const row of rows) {
    const value = row[column]?.trim() ?? '';
    if (value !== '') samples.push(value);
    if (samples.length === count) break;
  }
  return samples;
}

/** `--map` value for a column: its name, or `#N` when it has none or shares it with another column. */
function mapTarget(columns: readonly string[], index: number): string {
  const name = columns[index] ?? '';
  const unique = columns.indexOf(name) === index && columns.lastIndexOf(name) === index;
  return name.trim() === '' || !unique || name.includes('=') ? `#${index + 1}` : name;
}

export function describeMapping(
  columns: readonly string[],
  mapping: HeaderMapping,
  sampleRows: readonly (readonly string[])[],
): MappingDescription {
  const fields: FieldMapping[] = [];
  for (const [field, column] of Object.entries(mapping.fields) as [HeaderField, number][]) {
    const samples = samplesOf(sampleRows, column, 2);
    fields.push({
      field,
      column,
      label: describeColumn(columns, column),
      by: mapping.how[column] as MappedBy,
      samples,
    });
  }
  fields.sort((a, b) => HEADER_FIELDS.indexOf(a.field) - HEADER_FIELDS.indexOf(b.field));
  const suggested = new Set<HeaderField>();
  const unsent: UnsentColumn[] = [];
  columns.forEach((_, i) => {
    if (mapping.columnFields[i] !== undefined) return;
    const label = describeColumn(columns, i);
    const shadow = mapping.shadowedBy[i];
    if (shadow !== undefined) {
      const field = mapping.columnFields[shadow]!;
      unsent.push({
        column: i,
        label,
        reason: 'shadowed',
        shadowedBy: { label: describeColumn(columns, shadow), field },
      });
      return;
    }
    if (mapping.how[i] === 'ignored') {
      unsent.push({ column: i, label, reason: 'ignored' });
      return;
    }
    const near = nearField(columns[i] ?? '');
    if (
      near !== undefined &&
      mapping.fields[near] === undefined &&
      !suggested.has(near) &&
      // One name column only where the file has no name columns of its own.
      (near !== 'full_name' || FULL_NAME_PARTS.every((part) => mapping.fields[part] === undefined)) &&
      samplesFit(near, samplesOf(sampleRows, i, SAMPLES_JUDGED))
    ) {
      suggested.add(near);
      unsent.push({
        column: i,
        label,
        reason: 'unknown',
        suggestion: { field: near, map: `${mapTarget(columns, i)}=${near}` },
      });
      return;
    }
    unsent.push({ column: i, label, reason: 'unknown' });
  });
  return { fields, unsent };
}

/**
 * Reads `--map-file`: one `CSV header=field` a line, as for `--map`; blank lines and lines
 * starting with `#` are skipped (but `#7=mobile`, a column by position, is a mapping). Every
 * bad line is reported at once, each naming the file and line.
 */
export async function readMapFile(path: string): Promise<MapEntry[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw readFailure(path, error, '--map-file');
  }
  const entries: MapEntry[] = [];
  const problems: string[] = [];
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n|\r/)
    .forEach((line, i) => {
      if (line.trim() === '' || (/^\s*#/.test(line) && !/^#\d+=/.test(line))) return;
      const entry = parseMapEntry(line, `${path} line ${i + 1}`);
      if (typeof entry === 'string') problems.push(entry);
      else entries.push(entry);
    });
  if (problems.length > 0) throw new FileError(problems.join('\n'), { file: path, problems });
  return entries;
}
