/**
 * Reading the API's listing: which response shapes are a list of contacts, how the API's field
 * names become column names, and how a value becomes a cell. Shared by `export`, `get` and the
 * plan's snapshot, so the three read an answer the same way.
 *
 * Accepted shapes (README, "export"): a bare array of records, or an object holding one array of
 * records (other keys are ignored), each record bare or in a single-key wrapper such as the API
 * document's `{"support_group":{...}}`. Anything else is an ApiError, because guessing would
 * export the wrong thing.
 */
import type { Contact } from '../contact/schema.js';
import { ApiError, InternalError } from '../errors.js';
import { EXPORT_COLUMNS } from '../contact/fields.js';

/** The first columns of every export, in this order (README, "export"); src/contact/fields.ts derives them. */
export { EXPORT_COLUMNS };

/** Compressed spellings of the six export columns, so `SystemId`, `E-mail` and `FIRSTNAME` land on them. */
const CANONICAL: ReadonlyMap<string, string> = new Map(EXPORT_COLUMNS.map((c) => [c.replace(/_/g, ''), c]));

/**
 * A field name as the API spells it → a snake_case lower-case column name. The document's
 * listing uses PascalCase with underscores (`Support_Group_System_ID`); camelCase is split
 * at its humps. `First_Name` → `first_name`, `System_ID` → `system_id`, `firstName` →
 * `first_name`, `SystemID` → `system_id`, `E-mail` → `email`.
 */
export function normaliseKey(key: string): string {
  const snake = key
    .replace(/([\p{Ll}\p{N}])(\p{Lu})/gu, '$1_$2')
    .replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, '$1_$2')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '_')
    .replace(/^_+|_+$/g, '');
  if (snake === '') return key.trim().toLowerCase();
  return CANONICAL.get(snake.replace(/_/g, '')) ?? snake;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * `{"contact":{...}}` → `{...}`: a record that is a single key holding an object is a wrapper,
 * the shape of the document's `{"support_group":{...}}` listing.
 */
function unwrapRecord(value: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys(value);
  if (keys.length !== 1) return value;
  const inner = value[keys[0] as string];
  return isPlainObject(inner) ? inner : value;
}

/** Caches key spellings: an answer repeats the same few keys in every record. */
function createKeyNormaliser(): (key: string) => string {
  const cache = new Map<string, string>();
  return (key) => {
    let name = cache.get(key);
    if (name === undefined) {
      name = normaliseKey(key);
      if (cache.size < 10_000) cache.set(key, name);
    }
    return name;
  };
}

/**
 * Unwraps and renames one record. Two keys that normalise to the same name (`Email` and
 * `email`): the first non-null value wins, and `onCollision` hears about it.
 */
function flattenRecord(
  value: Record<string, unknown>,
  normalise: (key: string) => string,
  onCollision?: (name: string) => void,
): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(unwrapRecord(value))) {
    const name = normalise(key);
    if (name in record) {
      onCollision?.(name);
      if (record[name] !== null && record[name] !== undefined) continue;
    }
    record[name] = item;
  }
  return record;
}

/** The response-shape rules (see the top of this file), shared by the streaming walk and `extractRecords`. */
export interface ShapeTracker {
  root(kind: 'array' | 'object' | 'scalar', value?: unknown): void;
  /** A key of the top-level object. */
  key(name: string): void;
  /** A list starts: the answer itself (undefined) or the value of this key. */
  beginList(key: string | undefined): void;
  /** One element of the current list → a flat record, or undefined when the list is not one of records. */
  element(value: unknown): Record<string, unknown> | undefined;
  finish(): void;
  readonly collisions: ReadonlySet<string>;
}

export function createShapeTracker(): ShapeTracker {
  const normalise = createKeyNormaliser();
  const keys: string[] = [];
  const collisions = new Set<string>();
  let rootKind: 'array' | 'object' | 'scalar' | undefined;
  let lists = 0;
  let current:
    { id: number; key: string | undefined; count: number; records: number; scalar: string | undefined } | undefined;
  /** The list the records come from; a second one makes the answer ambiguous. */
  let recordList: { id: number; key: string | undefined } | undefined;
  let scalarList: { key: string; what: string } | undefined;
  const name = (key: string | undefined): string => (key === undefined ? 'the list' : `"${key}"`);

  return {
    collisions,
    root(kind, value) {
      rootKind = kind;
      if (kind === 'scalar') {
        throw new ApiError(`the API's answer is ${describeValue(value)}, not a list of contacts`);
      }
    },
    key(key) {
      if (keys.length < 8) keys.push(key);
    },
    beginList(key) {
      lists++;
      current = { id: lists, key, count: 0, records: 0, scalar: undefined };
    },
    element(value) {
      if (current === undefined) throw new InternalError('an element outside a list');
      const list = current;
      list.count++;
      if (isPlainObject(value)) {
        if (list.scalar !== undefined) {
          throw new ApiError(
            `the API's answer mixes records and ${list.scalar} values in ${name(list.key)} (item ${list.count})`,
          );
        }
        if (recordList !== undefined && recordList.id !== list.id) {
          throw new ApiError(
            `the API's answer holds two lists of records, ${name(recordList.key)} and ${name(list.key)}; which one holds the contacts is unclear`,
          );
        }
        recordList = { id: list.id, key: list.key };
        list.records++;
        return flattenRecord(value, normalise, (n) => collisions.add(n));
      }
      if (list.key === undefined || list.records > 0) {
        throw new ApiError(
          `item ${list.count} of ${name(list.key)} in the API's answer is ${describeValue(value)}, not a contact record`,
        );
      }
      list.scalar ??= describeValue(value);
      scalarList ??= { key: list.key, what: list.scalar };
      return undefined;
    },
    finish() {
      if (rootKind === undefined) throw new ApiError("the API's answer is empty");
      if (lists === 0) {
        const seen = keys.length === 0 ? 'an empty object' : `an object with the keys ${keys.join(', ')}`;
        throw new ApiError(`the API's answer holds no list of contacts: it is ${seen}`);
      }
      if (recordList === undefined && scalarList !== undefined) {
        throw new ApiError(
          `the API's answer holds no list of contacts: "${scalarList.key}" is a list of ${scalarList.what} values, not records`,
        );
      }
    },
  };
}

/**
 * Pure: any accepted response shape → flat records with snake_case keys; values untouched.
 * Throws ApiError for a shape that is not a listing.
 */
export function extractRecords(body: unknown): Record<string, unknown>[] {
  const tracker = createShapeTracker();
  const records: Record<string, unknown>[] = [];
  const take = (value: unknown): void => {
    const record = tracker.element(value);
    if (record !== undefined) records.push(record);
  };
  if (Array.isArray(body)) {
    tracker.root('array');
    tracker.beginList(undefined);
    for (const item of body as unknown[]) take(item);
  } else if (isPlainObject(body)) {
    tracker.root('object');
    for (const [key, value] of Object.entries(body)) {
      tracker.key(key);
      if (!Array.isArray(value)) continue;
      tracker.beginList(key);
      for (const item of value as unknown[]) take(item);
    }
  } else {
    tracker.root('scalar', body);
  }
  tracker.finish();
  return records;
}

/**
 * A value → its cell text. Strings are kept verbatim (leading zeros, `+`, long digit strings);
 * null is an empty cell, which `import` leaves unchanged, so an unedited file round-trips;
 * numbers and booleans as text (the streaming reader keeps a number's own digits); nested
 * values as JSON.
 */
export function toCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/** A flat record (from extractRecords or the streaming walk) → the contact it describes. */
export function toContact(record: Record<string, unknown>): Contact {
  const value = (field: string): string | null => {
    const cell = record[field];
    return cell === null || cell === undefined ? null : toCell(cell);
  };
  return {
    system_id: toCell(record.system_id),
    first_name: value('first_name'),
    last_name: value('last_name'),
    email: value('email'),
    job_title: value('job_title'),
    mobile: value('mobile'),
  };
}
