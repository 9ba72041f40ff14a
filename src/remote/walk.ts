/**
 * The stream-json walk over GET all: the answer is decoded and tokenised as it arrives, and each
 * record is assembled on its own and handed out, so memory holds one record at a time and never
 * the answer's text. `export` spools the records; the plan and `--changed-only` index them.
 *
 *   GET /contacts ─► UTF-8 decode ─► stream-json tokens ─► one record at a time ─► onRecord
 *
 * The API document's only listing example is not valid JSON (`"Also_Alert_1_System_ID":CONTACT456`),
 * so an answer that fails the strict parse is fetched again and read through jsonrepair's streaming
 * transform; the caller words the warning. An answer that parsed cleanly up to its last byte but
 * then stopped mid-structure is never "repaired": closing its brackets would silently drop every
 * contact after the cut.
 */
import type { Duplex, Transform } from 'node:stream';
import { jsonrepairTransform } from 'jsonrepair/stream';
import Assembler from 'stream-json/assembler.js';
import parser from 'stream-json/parser.js';
import type { ApiClient } from '../api/client.js';
import { ApiError, CiopulseError, InterruptedError } from '../errors.js';
import { HINTS, LISTING_ERRORS } from '../error-messages.js';
import { answerError } from '../api/failures.js';
import { createBareIdScanner } from './bare-ids.js';
import { createShapeTracker, type ShapeTracker } from './listing.js';

type Token = parser.Token;

/** Receives each record; a promise means: wait before reading on (the consumer is behind). */
export type RecordHandler = (record: Record<string, unknown>) => Promise<void> | undefined;

export interface WalkOptions {
  client: ApiClient;
  /** Aborting stops the walk with an ApiError ("interrupted"). */
  signal?: AbortSignal | undefined;
  /**
   * Called before each read of the answer: once, or a second time when the first read was not
   * valid JSON and the answer is fetched again through jsonrepair. The consumer drops what the
   * first read gave it and returns the handler for this read's records.
   */
  begin(repair: boolean): Promise<RecordHandler> | RecordHandler;
  /** A repaired read: an unquoted system_id the repair changed (`True` → true) is named here (bare-ids.ts). */
  onWarning?: ((message: string) => void) | undefined;
}

export interface WalkResult {
  /** Why the strict parse failed, when the records came from jsonrepair; undefined when the answer was valid JSON. */
  repaired: string | undefined;
  /** Field names that two keys of one record both mapped to (`Email` and `email`). */
  collisions: ReadonlySet<string>;
  bytes: number;
}

/** Reads GET all once (twice, when it needs repair) and hands each record to the consumer. */
export async function walkListing(options: WalkOptions): Promise<WalkResult> {
  const attempt = async (repair: boolean): Promise<{ outcome: ReadOutcome; tracker: ShapeTracker }> => {
    const onRecord = await options.begin(repair);
    const tracker = createShapeTracker();
    const outcome = await readAnswer({
      client: options.client,
      repair,
      signal: options.signal,
      tracker,
      onRecord,
      onWarning: repair ? options.onWarning : undefined,
    });
    return { outcome, tracker };
  };
  const strict = await attempt(false);
  if (strict.outcome.ok)
    return { repaired: undefined, collisions: strict.tracker.collisions, bytes: strict.outcome.bytes };
  const first = strict.outcome;
  if (first.truncated) {
    throw new ApiError(LISTING_ERRORS.endedMidJson(first.bytes, first.message), { hint: HINTS.exportAgain() });
  }
  // "Also_Alert_1_System_ID":CONTACT456 in the document's own example: read it again through jsonrepair.
  const second = await attempt(true);
  if (!second.outcome.ok) {
    const { head, bytes, message } = second.outcome;
    const start = JSON.stringify(options.client.redact(head).replace(/\s+/g, ' ')).slice(1, -1);
    throw new ApiError(LISTING_ERRORS.notRepairable(first.message, message), {
      hint: HINTS.notJsonStart(`${start}${bytes > head.length ? '…' : ''}`),
    });
  }
  return { repaired: first.message, collisions: second.tracker.collisions, bytes: second.outcome.bytes };
}

type ReadOutcome =
  { ok: true; bytes: number } | { ok: false; truncated: boolean; message: string; bytes: number; head: string };

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
  onRecord: RecordHandler;
  onWarning: ((message: string) => void) | undefined;
}

const HEAD_CHARS = 60;

/** The token stream closed without ending: we destroyed it after the body failed. */
class Closed extends Error {}

const noop = (): void => undefined;

/** Sends GET all; the body of a 200, or a typed error for every other outcome. */
export async function openAnswer(
  client: ApiClient,
  signal: AbortSignal | undefined,
): Promise<ReadableStream<Uint8Array>> {
  let answer: Awaited<ReturnType<ApiClient['getAllResponse']>>;
  try {
    answer = await client.getAllResponse();
  } catch (error) {
    if (signal?.aborted === true) throw abortError();
    // The client's own typed errors: no answer after every retry, or stopped.
    throw error;
  }
  if (answer.status !== 200 || answer.body === null) {
    throw answerError(answer.result, { method: 'GET', url: `${client.baseUrl}/contacts`, baseUrl: client.baseUrl });
  }
  return answer.body;
}

/**
 * The parser's token stream, each record handed to `onRecord` as it completes. `parsed` settles
 * when the tokens end (resolves) or fail, are stopped or are destroyed (rejects).
 */
function createTokenStream(
  ctx: ReadContext,
  repairer: Transform | undefined,
): { tokens: Duplex; parsed: Promise<void> } {
  const { tracker } = ctx;
  const tokens: Duplex = parser.asStream({ packValues: true, streamValues: false });
  if (repairer !== undefined) repairer.pipe(tokens);
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
  return { tokens, parsed };
}

/**
 * Fetches GET all and streams its records out. Resolves `ok: false` when the JSON did not parse
 * (the caller may repair); throws for everything else: HTTP errors, a body that broke off, a
 * shape that is not a listing, an abort.
 */
async function readAnswer(ctx: ReadContext): Promise<ReadOutcome> {
  const { client, tracker, signal } = ctx;
  const body = await openAnswer(client, signal);
  const repairer: Transform | undefined = ctx.repair ? jsonrepairTransform() : undefined;
  const { tokens, parsed } = createTokenStream(ctx, repairer);
  const input: NodeJS.WritableStream = repairer ?? tokens;
  const bareIds = ctx.onWarning === undefined ? undefined : createBareIdScanner(ctx.onWarning);
  const reader = body.getReader();
  const decoder = new TextDecoder('utf-8');
  let bytes = 0;
  /** The answer's first characters, to show people what came back when it is not JSON. */
  let head = '';
  let inputComplete = false;
  let stopped = false;

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
      bareIds?.scan(text);
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
    if (pumpError !== undefined || parseError !== undefined) throw answerBrokeOff(pumpError ?? parseError, bytes);
    tracker.finish();
    bareIds?.finish();
    return { ok: true, bytes };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    tokens.destroy();
    repairer?.destroy();
    await reader.cancel().catch(noop);
  }
}

export function abortError(): CiopulseError {
  return new InterruptedError('interrupted: nothing was written');
}

/** A body that broke off mid-answer: a typed error, never a silent second download. */
export function answerBrokeOff(error: unknown, bytes: number): CiopulseError {
  if (error instanceof CiopulseError) return error;
  return new ApiError(LISTING_ERRORS.brokeOff(bytes, transportMessage(error)), {
    cause: error,
    hint: HINTS.exportAgain(),
  });
}

function unwrapStop(stop: StopRead, bytes: number, signal: AbortSignal | undefined): CiopulseError {
  const inner = stop.error;
  if (inner instanceof CiopulseError) return inner;
  if (signal?.aborted === true) return abortError();
  const message = inner instanceof Error ? inner.message : String(inner);
  return new ApiError(`the export failed after ${bytes} bytes of the answer: ${message}`, { cause: inner });
}
