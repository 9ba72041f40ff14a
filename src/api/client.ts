/**
 * The CIOPulse Contacts API client: Basic auth, JSON bodies, and ONE request path for every call
 * (PUT, DELETE, GET one, GET all) through loop.ts. Answers are worded in failures.ts.
 */
import { jsonrepair } from 'jsonrepair';
import type { Dispatcher } from 'undici';
import type { Connection } from '../config.js';
import type { ContactPatch } from '../contact/schema.js';
import { InternalError, InterruptedError, type CiopulseError } from '../errors.js';
import { abortAll, createInFlight } from './attempt.js';
import { createDispatcher } from './dispatcher.js';
import { noAnswerError } from './failures.js';
import { createRequestGate, type RequestGate } from './gate.js';
import {
  sendRequest,
  type ApiResult,
  type LoopContext,
  type Method,
  type RetryEvent,
  type Sent,
  type ThrottleEvent,
} from './loop.js';
import { createRedactor, type Redactor } from './redact.js';
import { DEFAULTS } from '../defaults.js';

export type { TransportFailure } from './attempt.js';
export type { ApiResult, Method, RetryEvent, ThrottleEvent } from './loop.js';

export interface ApiClientOptions {
  connection: Connection;
  /** Requests in flight at once; also the Pool's socket count. */
  concurrency?: number;
  /** A total deadline per attempt: connecting, the headers and the whole body (GET all: headers only). */
  timeoutMs?: number;
  /** Retries per request after the first attempt. */
  retries?: number;
  /** Requests per second, across the whole client. */
  rate?: number | undefined;
  /** The longest single wait before a retry, whatever Retry-After asks (`--max-retry-wait`). */
  maxRetryWaitMs?: number | undefined;
  /** Once aborted, no new attempt starts, waits for a retry end early, and after `graceMs` the attempts in flight are aborted. */
  stopSignal?: AbortSignal | undefined;
  /** How long attempts in flight may finish after the stop signal (DEFAULTS.graceMs). */
  graceMs?: number | undefined;
  /**
   * Instead of `graceMs`: the caller decides when attempts in flight are cut off (the run's
   * control aborts it a grace period after Ctrl-C). Each one counts as a lost answer.
   */
  abortSignal?: AbortSignal | undefined;
  onRetry?: ((event: RetryEvent) => void) | undefined;
  /** A 429 arrived (the gate's window may halve). */
  onThrottle?: ((event: ThrottleEvent) => void) | undefined;
  /** Called the moment a 401 arrives, before its permit is handed on (the run stops on it). */
  onUnauthorized?: (() => void) | undefined;
  /** Called the moment an answer shows the server is not the API, before its permit is handed on. */
  onFatal?: ((error: CiopulseError) => void) | undefined;
  /** For tests and special networks: the undici dispatcher to use instead of the built-in one. */
  dispatcher?: Dispatcher | undefined;
  /** For tests: a fixed random source for the jitter. */
  random?: () => number;
}

export interface GetAllAnswer {
  status: number;
  body: ReadableStream<Uint8Array> | null;
  message: string | undefined;
  result: ApiResult;
}

export interface ApiClient {
  put(systemId: string, patch: ContactPatch): Promise<ApiResult>;
  remove(systemId: string): Promise<ApiResult>;
  getOne(systemId: string): Promise<ApiResult>;
  /**
   * GET all, through the same path, its 2xx body as an unread stream. Throws InterruptedError
   * when stopped, ApiError (`no_answer`) when no answer came after every retry.
   */
  getAllResponse(): Promise<GetAllAnswer>;
  /** Aborts every attempt in flight now; each counts as a lost answer. */
  abortInFlight(): void;
  /** Hides the key, the base64 credential and any `Basic …` value in text from the server. */
  redact: Redactor;
  readonly gate: RequestGate;
  readonly baseUrl: string;
  close(): Promise<void>;
}

/** Parses a JSON answer; the API's JSON is not always valid (API document example), so repair it. */
export function parseApiJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    try {
      return JSON.parse(jsonrepair(text));
    } catch {
      return text;
    }
  }
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const { connection } = options;
  const concurrency = Math.max(1, options.concurrency ?? DEFAULTS.concurrency);
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  const retries = Math.max(0, options.retries ?? DEFAULTS.retries);
  const maxWaitMs = Math.max(0, options.maxRetryWaitMs ?? DEFAULTS.maxRetryWaitMs);
  const random = options.random ?? Math.random;
  const base = new URL(connection.baseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  const dispatcher = options.dispatcher ?? createDispatcher(base.origin, { connections: concurrency, timeoutMs });
  const gate = createRequestGate({ concurrency, rate: options.rate });
  const authorization = connection.apiKey.authorization(connection.portalCode);
  const redact = createRedactor(authorization);
  const stop = options.stopSignal;
  const inFlight = createInFlight();
  let graceTimer: NodeJS.Timeout | undefined;
  const abortSignal = options.abortSignal;
  const onStop = (): void => {
    graceTimer = setTimeout(() => abortAll(inFlight), options.graceMs ?? DEFAULTS.graceMs);
    graceTimer.unref();
  };
  const onAbort = (): void => abortAll(inFlight);
  // One of the two decides when attempts in flight are cut off: the caller's signal, or the grace timer.
  const trigger = abortSignal ?? stop;
  const handler = abortSignal === undefined ? onStop : onAbort;
  if (trigger?.aborted === true) handler();
  else trigger?.addEventListener('abort', handler, { once: true });

  const pathFor = (systemId: string | undefined): string =>
    systemId === undefined ? `${basePath}/contacts` : `${basePath}/contacts/${encodeURIComponent(systemId)}`;
  const loop: LoopContext = {
    origin: base.origin,
    authorization,
    gate,
    attempt: { dispatcher, timeoutMs, inFlight, redact, parse: parseApiJson },
    retries,
    maxWaitMs,
    random,
    stop,
    onRetry: options.onRetry,
    onThrottle: options.onThrottle,
    onUnauthorized: options.onUnauthorized,
    onFatal: options.onFatal,
  };
  const send = (method: Method, systemId: string | undefined, payload?: string, stream = false): Promise<Sent> =>
    sendRequest(loop, method, pathFor(systemId), payload, stream, systemId);

  const one = async (method: Method, systemId: string, payload?: string): Promise<ApiResult> =>
    (await send(method, systemId, payload)).result;

  return {
    gate,
    redact,
    baseUrl: connection.baseUrl,
    put(systemId, patch) {
      const payload = JSON.stringify(patch);
      // The schema already refuses every value JSON would escape; this guards the API's rule itself.
      if (payload.includes('\\')) throw new InternalError('a request body with a backslash reached the client');
      return one('PUT', systemId, payload);
    },
    remove: (systemId) => one('DELETE', systemId),
    getOne: (systemId) => one('GET', systemId),
    async getAllResponse() {
      const { result, stream } = await send('GET', undefined, undefined, true);
      if (result.stoppedBeforeRetry) throw new InterruptedError('interrupted: nothing was written');
      if (result.status === undefined) {
        throw noAnswerError(result, `${connection.baseUrl.replace(/\/+$/, '')}/contacts`);
      }
      return {
        status: result.status,
        body: result.status >= 200 && result.status < 300 ? (stream ?? null) : null,
        message: result.message,
        result,
      };
    },
    abortInFlight: () => abortAll(inFlight),
    async close() {
      clearTimeout(graceTimer);
      trigger?.removeEventListener('abort', handler);
      if (options.dispatcher === undefined) await dispatcher.close();
    },
  };
}
