/**
 * `export`: GET all → records → CSV (DESIGN.md, "Export").
 *
 *   GET /contacts ─► UTF-8 decode ─► stream-json tokens ─► one record at a time ─► spool file
 *                                                                                    │
 *   --out (temp file, renamed at the end) or a stream ◄── header + spooled rows ◄────┘
 *
 * Why a spool: the columns are the six contact fields and then every other field in first-seen
 * order, so the header is known only once the last record has been read. Holding the records
 * would grow with the portal (1M contacts is ~0.5 GB as JS objects), so each record becomes a
 * row in the columns known so far and is appended, as one JSON line, to a spool file; columns
 * are only ever appended, so an early row just lacks trailing cells and is padded on the way
 * out. Memory stays flat, nothing reaches the output before the whole answer has parsed, and a
 * failure at any point leaves an existing `--out` file untouched.
 *
 * Why stream-json and not `response.json()`: on 100k contacts both take about the same time, and
 * stream-json keeps memory flat as the portal grows (shared/NOTES.md: 500k records in 120 MB,
 * against 620 MB for `body.json()`).
 *
 * The API document's only listing example is not valid JSON (`"Also_Alert_1_System_ID":CONTACT456`),
 * so an answer that fails the strict parse is fetched again and read through jsonrepair's streaming
 * transform, with one warning. An answer that parsed cleanly up to its last byte but then stopped
 * mid-structure is never "repaired": closing its brackets would silently drop every contact after
 * the cut.
 *
 * Like the rest of the library, this module never prints and never exits: warnings go through
 * `onWarning`, failures are thrown as typed errors.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { access, constants, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Duplex, Transform } from 'node:stream';
import { stringify } from 'csv-stringify';
import { jsonrepairTransform } from 'jsonrepair/stream';
import Assembler from 'stream-json/assembler.js';
import parser from 'stream-json/parser.js';
import type { ApiClient } from './api/client.js';
import { resolveHeaderField } from './csv/headers.js';
import { createCsvWriter, type CsvWriter } from './csv/write.js';
import { excelSafe, isGuarded } from './csv/formula.js';
import { ApiError, CiopulseError, FileError, InternalError, InterruptedError } from './errors.js';
import { answerError } from './api/failures.js';

type Token = parser.Token;

/** The first columns of every export, in this order (DESIGN.md, "Export"). */
export const EXPORT_COLUMNS = ['system_id', 'first_name', 'last_name', 'email', 'job_title', 'mobile'] as const;

export interface ExportOptions {
  client: ApiClient;
  /** The CSV file to write, via a temporary file renamed at the end. Undefined: write to `stream`. */
  out?: string | undefined;
  /** Where the CSV goes when `out` is undefined (the CLI passes stdout). It is not ended. */
  stream?: NodeJS.WritableStream | undefined;
  /** Prefix `'` to cells a spreadsheet would run as a formula; `import` strips it again. */
  excelSafe?: boolean | undefined;
  /** Write a UTF-8 BOM first, so that Excel shows non-ASCII text correctly on a double-click. */
  bom?: boolean | undefined;
  /** Where the spool file goes; default: beside `out`, or the OS temp folder for a stream. */
  spoolDir?: string | undefined;
  /** Aborting stops the export; nothing is written to `out`. */
  signal?: AbortSignal | undefined;
  onWarning?: ((message: string) => void) | undefined;
}

export interface ExportSummary {
  rows: number;
  columns: string[];
  /** The answer was not valid JSON and was read through jsonrepair. */
  repaired: boolean;
  out: string | undefined;
  elapsedMs: number;
}

// ───────────────────────────── keys and records ─────────────────────────────

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

function isPlainObject(value: unknown): value is Record<string, unknown> {
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
function flattenRecord(value: Record<string, unknown>, normalise: (key: string) => string, onCollision?: (name: string) => void): Record<string, unknown> {
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

/**
 * The response-shape rules, shared by the streaming reader and `extractRecords`. Accepted
 * (DESIGN.md, "Response shape"): a bare array of records; or an object holding one array of
 * records (other keys are ignored), each record bare or in a single-key wrapper. Anything else is
 * an ApiError, because guessing would export the wrong thing.
 */
interface ShapeTracker {
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

function createShapeTracker(): ShapeTracker {
  const normalise = createKeyNormaliser();
  const keys: string[] = [];
  const collisions = new Set<string>();
  let rootKind: 'array' | 'object' | 'scalar' | undefined;
  let lists = 0;
  let current: { id: number; key: string | undefined; count: number; records: number; scalar: string | undefined } | undefined;
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
          throw new ApiError(`the API's answer mixes records and ${list.scalar} values in ${name(list.key)} (item ${list.count})`);
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
        throw new ApiError(`item ${list.count} of ${name(list.key)} in the API's answer is ${describeValue(value)}, not a contact record`);
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
        throw new ApiError(`the API's answer holds no list of contacts: "${scalarList.key}" is a list of ${scalarList.what} values, not records`);
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

// ───────────────────────────── the spool ─────────────────────────────

/** A disk problem on our side (no such folder, disk full) is a FileError, never blamed on the API. */
function localFileError(path: string, error: unknown): CiopulseError {
  if (error instanceof CiopulseError) return error;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return new FileError(`cannot write ${path}: ${code ?? (error instanceof Error ? error.message : String(error))}`, { file: path, cause: error });
}

interface Spool {
  readonly path: string;
  /** Appends one row; a promise means: wait for it before the next (the file is behind). */
  push(cells: readonly string[]): Promise<void> | undefined;
  end(): Promise<void>;
  rows(): AsyncGenerator<string[]>;
  remove(): Promise<void>;
}

/**
 * Rows are spooled in batches, one JSON array of rows per line: one JSON.stringify and one
 * JSON.parse per batch instead of per row (per row, they were a tenth of the run at 100k).
 */
const SPOOL_BATCH_ROWS = 1000;

function createSpool(dir: string, stem: string): Spool {
  const path = join(dir, `.${stem}.${process.pid}-${randomBytes(4).toString('hex')}.spool`);
  const file: WriteStream = createWriteStream(path);
  let failure: Error | undefined;
  file.on('error', (error: NodeJS.ErrnoException) => (failure ??= localFileError(path, error)));
  // A function, because TypeScript cannot see the listener above assign `failure` across an await.
  const failed = (): Error | undefined => failure;
  let batch: (readonly string[])[] = [];
  const flush = (): Promise<void> | undefined => {
    if (failure !== undefined) return Promise.reject(failure);
    const text = `${JSON.stringify(batch)}\n`;
    batch = [];
    if (file.write(text)) return undefined;
    return new Promise((resolve, reject) => {
      const done = (): void => {
        file.off('error', fail);
        resolve();
      };
      const fail = (error: Error): void => {
        file.off('drain', done);
        reject(error);
      };
      file.once('drain', done);
      file.once('error', fail);
    });
  };
  return {
    path,
    push(cells) {
      batch.push(cells);
      return batch.length >= SPOOL_BATCH_ROWS ? flush() : undefined;
    },
    async end() {
      if (batch.length > 0) await flush();
      if (failure !== undefined) throw failure;
      file.end();
      await once(file, 'close');
      const late = failed();
      if (late !== undefined) throw late;
    },
    async *rows() {
      let rest = '';
      for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1024 * 1024 })) {
        const text = rest + (chunk as string);
        let start = 0;
        for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
          yield* JSON.parse(text.slice(start, end)) as string[][];
          start = end + 1;
        }
        rest = text.slice(start);
      }
      if (rest.length > 0) throw new InternalError(`the export spool ${path} ends mid-batch`);
    },
    async remove() {
      file.destroy();
      await rm(path, { force: true });
    },
  };
}

// ───────────────────────────── reading the answer ─────────────────────────────

/** The columns seen so far; a record becomes a row in that order, new names appended. */
function createColumns(): { names: string[]; row(record: Record<string, unknown>): string[] } {
  const names: string[] = [...EXPORT_COLUMNS];
  const index = new Map<string, number>(names.map((n, i) => [n, i]));
  return {
    names,
    row(record) {
      for (const name of Object.keys(record)) {
        if (!index.has(name)) {
          index.set(name, names.length);
          names.push(name);
        }
      }
      const cells = new Array<string>(names.length).fill('');
      for (const [name, value] of Object.entries(record)) cells[index.get(name) as number] = toCell(value);
      return cells;
    },
  };
}

type ReadOutcome = { ok: true; bytes: number } | { ok: false; truncated: boolean; message: string; bytes: number; head: string };

/** Thrown out of the token handler to stop the read; carries the real error. */
class StopRead extends Error {
  constructor(readonly error: unknown) {
    super('stop');
  }
}

/**
 * Turns parser tokens into list elements. The records sit at depth 1 (a bare array) or depth 2
 * (an array that is the value of a top-level key); each is assembled on its own, so memory
 * holds one record at a time. Numbers keep their own digits (`numberAsString`).
 */
function createTokenHandler(tracker: ShapeTracker, onElement: (value: unknown) => void): (token: Token) => void {
  let depth = 0;
  let listDepth = -1;
  let rootIsObject = false;
  let key: string | undefined;
  let assembler: Assembler | undefined;
  const scalar = (value: unknown): void => {
    if (depth === 0) tracker.root('scalar', value);
    else if (depth === listDepth) onElement(value);
  };
  return (token) => {
    if (assembler !== undefined) {
      assembler.consume(token);
      if (assembler.done) {
        const value: unknown = assembler.current;
        assembler = undefined;
        onElement(value);
      }
      return;
    }
    switch (token.name) {
      case 'startObject':
      case 'startArray':
        if (depth === listDepth) {
          assembler = new Assembler({ numberAsString: true });
          assembler.consume(token);
          return;
        }
        if (depth === 0) {
          rootIsObject = token.name === 'startObject';
          tracker.root(rootIsObject ? 'object' : 'array');
          if (!rootIsObject) {
            tracker.beginList(undefined);
            listDepth = 1;
          }
        } else if (depth === 1 && rootIsObject && token.name === 'startArray') {
          tracker.beginList(key);
          listDepth = 2;
        }
        depth++;
        return;
      case 'endObject':
      case 'endArray':
        depth--;
        if (depth < listDepth) listDepth = -1;
        return;
      case 'keyValue':
        if (depth === 1) {
          key = token.value;
          tracker.key(key);
        }
        return;
      case 'stringValue':
      case 'numberValue':
        return scalar(token.value);
      case 'nullValue':
        return scalar(null);
      case 'trueValue':
        return scalar(true);
      case 'falseValue':
        return scalar(false);
      default:
        return;
    }
  };
}

function writeChunk(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (error?: Error | null) => (error ? reject(error) : resolve()));
  });
}

function transportMessage(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | null)?.cause;
  const text = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
  return text === 'terminated' ? 'the connection closed before the answer ended' : text;
}

interface ReadContext {
  client: ApiClient;
  repair: boolean;
  signal: AbortSignal | undefined;
  tracker: ShapeTracker;
  /** Receives each record; a promise means: wait before reading on (the spool is behind). */
  onRecord: (record: Record<string, unknown>) => Promise<void> | undefined;
}

const HEAD_CHARS = 60;

/** The token stream closed without ending: we destroyed it after the body failed. */
class Closed extends Error {}

const noop = (): void => undefined;

/**
 * Fetches GET all and streams its records out. Resolves `ok: false` when the JSON did not parse
 * (the caller may repair); throws for everything else: HTTP errors, a body that broke off, a
 * shape that is not a listing, an abort.
 */
async function readAnswer(ctx: ReadContext): Promise<ReadOutcome> {
  const { client, tracker, signal } = ctx;
  let answer: Awaited<ReturnType<ApiClient['getAllResponse']>>;
  try {
    answer = await client.getAllResponse();
  } catch (error) {
    if (signal?.aborted === true) throw abortError();
    throw error;
  }
  if (answer.status !== 200 || answer.body === null) {
    throw answerError(answer.result, { method: 'GET', url: `${client.baseUrl}/contacts`, baseUrl: client.baseUrl });
  }

  const tokens: Duplex = parser.asStream({ packValues: true, streamValues: false });
  const repairer: Transform | undefined = ctx.repair ? jsonrepairTransform() : undefined;
  const input: NodeJS.WritableStream = repairer ?? tokens;
  if (repairer !== undefined) repairer.pipe(tokens);
  const reader = answer.body.getReader();
  const decoder = new TextDecoder('utf-8');
  let bytes = 0;
  /** The answer's first characters, to show people what came back when it is not JSON. */
  let head = '';
  let inputComplete = false;
  let stopped = false;

  const handle = createTokenHandler(tracker, (value) => {
    const record = tracker.element(value);
    if (record === undefined) return;
    const wait = ctx.onRecord(record);
    if (wait !== undefined) {
      // The spool is behind: stop the tokens; the parser then stops taking text, and the body waits.
      tokens.pause();
      wait.then(
        () => tokens.resume(),
        (error: unknown) => tokens.destroy(new StopRead(error)),
      );
    }
  });

  const parsed = new Promise<void>((resolve, reject) => {
    tokens.on('data', (token: Token) => {
      try {
        handle(token);
      } catch (error) {
        tokens.destroy(new StopRead(error));
      }
    });
    tokens.once('end', resolve);
    tokens.once('error', reject);
    tokens.once('close', () => reject(new Closed()));
    repairer?.once('error', reject);
  });
  // A failed parse stops the body; a failed body stops the parse: each side then settles.
  const parseSettled = parsed.then(noop, (error: unknown) => {
    stopped = true;
    void reader.cancel().catch(noop);
    return error;
  });
  const pump = async (): Promise<void> => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || stopped) break;
      bytes += value.byteLength;
      const text = decoder.decode(value, { stream: true });
      if (head.length < HEAD_CHARS) head += text.slice(0, HEAD_CHARS - head.length);
      // Awaiting each write means: once the last write is accepted, every byte has parsed.
      if (text.length > 0) await writeChunk(input, text);
    }
    if (stopped) return;
    const tail = decoder.decode();
    if (tail.length > 0) await writeChunk(input, tail);
    inputComplete = true;
    input.end();
  };
  const pumpSettled = pump().then(noop, (error: unknown) => {
    tokens.destroy();
    return error;
  });
  const onAbort = (): void => {
    tokens.destroy(new StopRead(abortError()));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const [pumpError, parseError] = await Promise.all([pumpSettled, parseSettled]);
    if (parseError instanceof StopRead) throw unwrapStop(parseError, bytes, signal);
    if (signal?.aborted === true) throw abortError();
    if (parseError !== undefined && !(parseError instanceof Closed)) {
      if (bytes === 0) throw new ApiError(`GET ${client.baseUrl}/contacts answered 200 with an empty body`);
      const message = parseError instanceof Error ? parseError.message : JSON.stringify(parseError);
      // Every byte was accepted and only the end failed: a valid prefix of JSON, cut short.
      return { ok: false, truncated: inputComplete, message, bytes, head };
    }
    if (pumpError !== undefined || parseError !== undefined) throw readFailure(pumpError ?? parseError, bytes);
    tracker.finish();
    return { ok: true, bytes };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    tokens.destroy();
    repairer?.destroy();
    await reader.cancel().catch(noop);
  }
}

function abortError(): CiopulseError {
  return new InterruptedError('interrupted: nothing was written');
}

function readFailure(error: unknown, bytes: number): CiopulseError {
  if (error instanceof CiopulseError) return error;
  return new ApiError(`the API's answer broke off after ${bytes} bytes: ${transportMessage(error)}; nothing was written`, {
    cause: error,
    hint: 'run the export again; if it keeps failing, the server may be cutting long answers',
  });
}

function unwrapStop(stop: StopRead, bytes: number, signal: AbortSignal | undefined): CiopulseError {
  const inner = stop.error;
  if (inner instanceof CiopulseError) return inner;
  if (signal?.aborted === true) return abortError();
  const message = inner instanceof Error ? inner.message : String(inner);
  return new ApiError(`the export failed after ${bytes} bytes of the answer: ${message}`, { cause: inner });
}

// ───────────────────────────── writing ─────────────────────────────

/**
 * Waits for `event`, or for the stream to close: a stringifier destroyed by EPIPE emits neither
 * 'drain' nor 'end', and a wait on those alone would never settle (`export | head`).
 */
function settled(stream: NodeJS.EventEmitter & { destroyed: boolean }, event: string): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed) {
      resolve();
      return;
    }
    const done = (): void => {
      stream.removeListener(event, done);
      stream.removeListener('close', done);
      resolve();
    };
    stream.once(event, done);
    stream.once('close', done);
  });
}

/** csv-stringify straight into a caller's stream, which stays open (stdout). */
async function writeToStream(stream: NodeJS.WritableStream, bom: boolean, rows: AsyncIterable<readonly string[]>): Promise<void> {
  const csv = stringify({ bom, record_delimiter: 'windows' });
  let failure: Error | undefined;
  csv.on('error', (error: Error) => (failure ??= error));
  // EPIPE from `export | head`: stop the stringifier; its pending 'drain' or 'end' then rejects.
  const onStreamError = (error: Error): void => {
    failure ??= error;
    csv.destroy(error);
  };
  stream.on('error', onStreamError);
  csv.pipe(stream, { end: false });
  try {
    for await (const row of rows) {
      if (failure !== undefined) throw failure;
      if (!csv.write(row)) await settled(csv, 'drain');
    }
    const ended = settled(csv, 'end');
    csv.end();
    await ended;
    if (failure !== undefined) throw failure;
  } finally {
    csv.unpipe(stream);
    // A broken stream may report again later (stdout at exit); keep a listener on it so that is not fatal.
    if (failure === undefined) stream.removeListener('error', onStreamError);
  }
}

async function writeToFile(writer: CsvWriter, rows: AsyncIterable<readonly string[]>): Promise<void> {
  for await (const row of rows) {
    const wait = writer.write(row);
    if (wait !== undefined) await wait;
  }
  await writer.end();
}

/** import trims every cell, so padding spaces do not come back. */
function hasPadding(cell: string): boolean {
  return cell.length > 0 && cell !== cell.trim();
}

// ───────────────────────────── runExport ─────────────────────────────

export async function runExport(options: ExportOptions): Promise<ExportSummary> {
  const started = performance.now();
  const { client, out } = options;
  const warn = options.onWarning ?? (() => undefined);
  if (out === undefined && options.stream === undefined) throw new InternalError('runExport needs `out` or `stream`');
  const spoolDir = options.spoolDir ?? (out === undefined ? tmpdir() : dirname(out));
  const stem = out === undefined ? 'ciopulse-export' : basename(out);
  // Before the GET: a folder we cannot write to would otherwise fail only after the whole download.
  for (const dir of new Set([spoolDir, ...(out === undefined ? [] : [dirname(out)])])) {
    await access(dir, constants.W_OK).catch((error: unknown) => {
      throw localFileError(dir, error);
    });
  }

  let spool: Spool | undefined;
  let columns = createColumns();
  let repaired = false;
  let rows = 0;
  let noSystemId = 0;
  let padded = 0;
  let guarded = 0;
  const safe = options.excelSafe === true;
  let tracker = createShapeTracker();

  const attempt = async (repair: boolean): Promise<ReadOutcome> => {
    await spool?.remove();
    const current = createSpool(spoolDir, stem);
    spool = current;
    columns = createColumns();
    tracker = createShapeTracker();
    rows = 0;
    noSystemId = 0;
    padded = 0;
    guarded = 0;
    const outcome = await readAnswer({
      client,
      repair,
      signal: options.signal,
      tracker,
      onRecord: (record) => {
        rows++;
        const cells = columns.row(record);
        if (cells[0] === '') noSystemId++;
        // Only the six columns matter: import reads no other.
        for (let i = 0; i < EXPORT_COLUMNS.length; i++) {
          const cell = cells[i] as string;
          if (hasPadding(cell)) padded++;
          // `'=x` reads as a guarded `=x`; --excel-safe nests the guard (`''=x`), so only a plain export loses it.
          if (!safe && isGuarded(cell)) guarded++;
        }
        return current.push(cells);
      },
    });
    if (outcome.ok) await current.end();
    return outcome;
  };

  let writer: CsvWriter | undefined;
  try {
    const strict = await attempt(false);
    if (!strict.ok) {
      if (strict.truncated) {
        throw new ApiError(`the API's answer ended in the middle of its JSON after ${strict.bytes} bytes (${strict.message}); the listing is incomplete, so nothing was written`, {
          hint: 'run the export again; if it keeps failing, the server may be cutting long answers',
        });
      }
      // "Also_Alert_1_System_ID":CONTACT456 in the document's own example: read it again through jsonrepair.
      const second = await attempt(true);
      if (!second.ok) {
        const start = JSON.stringify(client.redact(second.head).replace(/\s+/g, ' ')).slice(1, -1);
        throw new ApiError(`the API's answer is not valid JSON and could not be repaired (${strict.message}; then ${second.message})`, {
          hint: `it starts with "${start}${second.bytes > second.head.length ? '…' : ''}": an error page from a proxy, or the wrong base URL?`,
        });
      }
      repaired = true;
      warn(`the API's answer was not valid JSON (${strict.message}); repaired it with jsonrepair and read it again: check the exported values`);
    }
    if (spool === undefined) throw new InternalError('no spool');
    for (const name of tracker.collisions) warn(`the API's records hold two fields that both map to "${name}"; the first non-empty value was kept`);
    if (noSystemId > 0) warn(`${noSystemId} records have no system_id; import will refuse those rows`);
    if (padded > 0) warn(`${padded} cells start or end with spaces; import trims cells, so importing this file back would change them`);
    if (guarded > 0) {
      warn(`${guarded} cells start with ' before a formula character; import strips that ', so importing this file back would change them: export with --excel-safe to keep them`);
    }

    const header = columns.names;
    // import matches headers loosely (`Title` → job_title): an extra column it would read as a field
    // clashes with the real one, and the file would not import back.
    const clashing = header.slice(EXPORT_COLUMNS.length).filter((name) => resolveHeaderField(name) !== undefined);
    if (clashing.length > 0) {
      const flags = clashing.map((name) => `--map "${name}="`).join(' ');
      warn(`import would read the extra column${clashing.length === 1 ? '' : 's'} ${clashing.join(', ')} as a contact field too; to import this file back, drop ${clashing.length === 1 ? 'it' : 'them'} or pass ${flags}`);
    }
    const width = header.length;
    const source = spool;
    async function* finalRows(): AsyncGenerator<string[]> {
      yield safe ? header.map(excelSafe) : header;
      for await (const cells of source.rows()) {
        if (options.signal?.aborted === true) throw abortError();
        while (cells.length < width) cells.push('');
        yield safe ? cells.map(excelSafe) : cells;
      }
    }
    if (options.signal?.aborted === true) throw abortError();
    if (out !== undefined) {
      writer = createCsvWriter(out, { atomic: true, bom: options.bom === true });
      await writeToFile(writer, finalRows()).catch((error: unknown) => {
        throw localFileError(out, error);
      });
      writer = undefined;
    } else {
      await writeToStream(options.stream as NodeJS.WritableStream, options.bom === true, finalRows());
    }
    return { rows, columns: [...header], repaired, out, elapsedMs: performance.now() - started };
  } catch (error) {
    await writer?.abort();
    throw error;
  } finally {
    await spool?.remove();
  }
}
