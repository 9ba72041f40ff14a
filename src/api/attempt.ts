/**
 * One HTTP attempt, and nothing else: send it, give it a total deadline (headers and body, so a
 * body that drips one byte at a time cannot outlive --timeout), read at most a capped amount of
 * the answer, and say what came back. Retrying, permits and wording live in client.ts and
 * failures.ts.
 */
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import { fetch, type Dispatcher } from 'undici';
import type { Redactor } from './redact.js';
import { parseRetryAfter } from './retry.js';

/** Why an attempt did not get an HTTP answer. `proxy`: the proxy did not open a tunnel. */
export type TransportFailure = 'reset' | 'timeout' | 'refused' | 'network' | 'proxy' | 'aborted';

/** No answer body is read past this (README, "Failure behaviour"); GET all streams instead. */
export const MAX_ANSWER_BYTES = 1024 * 1024;

export type BodyKind = 'json' | 'html' | 'empty' | 'text' | 'oversized';

export interface Answer {
  kind: 'answer';
  status: number;
  /** Parsed JSON (or the text, when it is not JSON) of a GET or an error; undefined for a 2xx write. */
  body: unknown;
  /** What the body looks like, from its first non-blank byte. */
  bodyKind: BodyKind;
  retryAfterMs: number | undefined;
  /** A redirect's `Location` header, never followed: the key must not go to another address. */
  location?: string | undefined;
  /** GET all's 2xx body, unread. */
  stream?: ReadableStream<Uint8Array> | undefined;
}

export interface Failure {
  kind: 'failure';
  failure: TransportFailure;
  /** The request may have reached the server, so a write may have been applied. */
  sent: boolean;
}

export type Outcome = Answer | Failure;

export interface AttemptRequest {
  origin: string;
  path: string;
  method: 'GET' | 'PUT' | 'DELETE';
  headers: Record<string, string>;
  payload: string | undefined;
  /** GET all: return the 2xx body as a stream; the deadline then covers the headers only. */
  stream: boolean;
}

export interface AttemptContext {
  dispatcher: Dispatcher;
  timeoutMs: number;
  /** The attempts in flight, so that the run's stop can abort them (cheaper than a listener each). */
  inFlight: InFlight;
  redact: Redactor;
  parse: (text: string) => unknown;
}

const TIMED_OUT = Symbol('timed out');
const ABORTED = Symbol('aborted');

/**
 * An abort signal for one attempt. An EventEmitter, which undici accepts as a signal: adding and
 * removing an EventTarget listener for every request is a visible share of a request's CPU.
 */
class AttemptSignal extends EventEmitter {
  aborted = false;
  reason: unknown = undefined;

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.emit('abort');
  }
}

/** The signals of the attempts in flight; once aborted, every later attempt is aborted at once. */
export interface InFlight {
  aborted: boolean;
  controllers: Set<AttemptSignal>;
}

export function createInFlight(): InFlight {
  return { aborted: false, controllers: new Set() };
}

/** Aborts every attempt in flight, and every later one: each counts as a lost answer. */
export function abortAll(inFlight: InFlight): void {
  inFlight.aborted = true;
  for (const controller of inFlight.controllers) controller.abort(ABORTED);
}

function transportFailure(error: unknown, reason: unknown): Failure {
  if (reason === TIMED_OUT) return { kind: 'failure', failure: 'timeout', sent: true };
  if (reason === ABORTED) return { kind: 'failure', failure: 'aborted', sent: true };
  const err = error as { code?: string; cause?: { code?: string } } | null;
  const code = err?.code ?? err?.cause?.code ?? '';
  if (code === 'UND_ERR_PROXY_CONNECT') return { kind: 'failure', failure: 'proxy', sent: false };
  if (code === 'ECONNREFUSED') return { kind: 'failure', failure: 'refused', sent: false };
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return { kind: 'failure', failure: 'timeout', sent: false };
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
    return { kind: 'failure', failure: 'timeout', sent: true };
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE' || code === 'UND_ERR_CLOSED')
    return { kind: 'failure', failure: 'reset', sent: true };
  return { kind: 'failure', failure: 'network', sent: true };
}

function kindOf(text: string): BodyKind {
  const first = /\S/.exec(text)?.[0];
  if (first === undefined) return 'empty';
  if (first === '{' || first === '[') return 'json';
  return first === '<' ? 'html' : 'text';
}

interface Capped {
  text: string;
  /** The body went on past the cap: the text is a prefix, never to be parsed or repaired. */
  truncated: boolean;
}

/** Reads at most `cap` bytes; past that the body is destroyed, never buffered. */
async function readCapped(body: Readable, cap: number, contentLength: number): Promise<Capped> {
  if (contentLength >= 0 && contentLength <= cap)
    return { text: await (body as unknown as { text(): Promise<string> }).text(), truncated: false };
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    const room = cap - size;
    chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
    size += Math.min(chunk.length, room);
    // Leaving the loop destroys the body.
    if (size >= cap) return { text: Buffer.concat(chunks).toString('utf8'), truncated: true };
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated: false };
}

/**
 * A 2xx write's body is never used, only checked to be the API's JSON: its first non-blank byte
 * is read and the rest is discarded unread (undici's dump keeps the socket when it is short).
 */
async function peekKind(body: Readable, contentLength: number): Promise<BodyKind> {
  if (contentLength >= 0 && contentLength <= 64 * 1024)
    return kindOf(await (body as unknown as { text(): Promise<string> }).text());
  let seen = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    const kind = kindOf(chunk.toString('latin1'));
    seen += chunk.length;
    if (kind !== 'empty' || seen > 64 * 1024) {
      await (body as unknown as { dump(options: { limit: number }): Promise<void> })
        .dump({ limit: 64 * 1024 })
        .catch(() => undefined);
      return kind;
    }
  }
  return 'empty';
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function contentLengthOf(value: string | string[] | undefined): number {
  const raw = Array.isArray(value) ? value[0] : value;
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : -1;
}

/** One attempt over the undici dispatcher (fetch for GET all's streamed body). */
export async function attempt(request: AttemptRequest, ctx: AttemptContext): Promise<Outcome> {
  const controller = new AttemptSignal();
  const timer = setTimeout(() => controller.abort(TIMED_OUT), ctx.timeoutMs);
  if (ctx.inFlight.aborted) controller.abort(ABORTED);
  ctx.inFlight.controllers.add(controller);
  try {
    if (request.stream) return await attemptStream(request, ctx, controller, () => clearTimeout(timer));
    const response = await ctx.dispatcher.request({
      origin: request.origin,
      path: request.path,
      method: request.method,
      headers: request.headers,
      body: request.payload,
      signal: controller,
    });
    const status = response.statusCode;
    const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
    const length = contentLengthOf(response.headers['content-length']);
    const location = headerText(response.headers.location);
    if (request.method !== 'GET' && status >= 200 && status < 300) {
      return { kind: 'answer', status, body: undefined, bodyKind: await peekKind(response.body, length), retryAfterMs };
    }
    const raw = await readCapped(response.body, MAX_ANSWER_BYTES, length);
    // An error answer may echo the request's Authorization header: redact before anything reads it.
    const text = status >= 300 ? ctx.redact(raw.text) : raw.text;
    return {
      kind: 'answer',
      status,
      body: raw.truncated ? text : ctx.parse(text),
      bodyKind: raw.truncated ? 'oversized' : kindOf(text),
      retryAfterMs,
      location,
    };
  } catch (error) {
    return transportFailure(error, controller.aborted ? controller.reason : undefined);
  } finally {
    clearTimeout(timer);
    ctx.inFlight.controllers.delete(controller);
  }
}

/**
 * fetch, not dispatcher.request: request() slows down super-linearly on a large body that arrives
 * in many small chunks under backpressure, which is exactly GET all. The deadline covers the
 * headers; the body is unbounded by design, and the caller stops it with its own signal.
 */
async function attemptStream(
  request: AttemptRequest,
  ctx: AttemptContext,
  abort: AttemptSignal,
  headersArrived: () => void,
): Promise<Outcome> {
  // fetch needs a real AbortSignal; GET all is one request, so its cost does not matter.
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(abort.reason);
  abort.once('abort', onAbort);
  try {
    const response = await fetch(`${request.origin}${request.path}`, {
      headers: request.headers,
      dispatcher: ctx.dispatcher,
      signal: controller.signal,
      // Never followed with the key: the answer names the new address, and the user decides (loop.ts).
      redirect: 'manual',
    });
    const status = response.status;
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after') ?? undefined);
    if (status >= 200 && status < 300) {
      // From here the body belongs to the caller, who stops it with its own signal.
      abort.off('abort', onAbort);
      headersArrived();
      return {
        kind: 'answer',
        status,
        body: undefined,
        bodyKind: 'json',
        retryAfterMs,
        stream: response.body ?? undefined,
      };
    }
    const text = ctx.redact(await readCappedWeb(response.body, MAX_ANSWER_BYTES));
    const location = response.headers.get('location') ?? undefined;
    return { kind: 'answer', status, body: ctx.parse(text), bodyKind: kindOf(text), retryAfterMs, location };
  } finally {
    abort.off('abort', onAbort);
  }
}

async function readCappedWeb(body: ReadableStream<Uint8Array> | null, cap: number): Promise<string> {
  if (body === null) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < cap) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value.subarray(0, cap - size));
      size += Math.min(value.length, cap - size);
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('utf8');
}
