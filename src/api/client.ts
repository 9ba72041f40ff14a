/**
 * The CIOPulse Contacts API client: Basic auth, JSON bodies, and ONE request path for every
 * call (PUT, DELETE, GET one, GET all):
 *
 *   permit (gate) ─► attempt (total deadline, capped body) ─► classify ─► release ─► back off
 *
 * The permit is released before any wait, the stop signal is honoured before each attempt and
 * during each wait, and every retry and throttle is reported. Answers are worded in failures.ts.
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { jsonrepair } from 'jsonrepair';
import type { Dispatcher } from 'undici';
import type { Connection } from '../config.js';
import type { ContactPatch } from '../contact.js';
import { InternalError, InterruptedError, type CiopulseError } from '../errors.js';
import { attempt, type Outcome, type TransportFailure } from './attempt.js';
import { createDispatcher } from './dispatcher.js';
import { isApiErrorBody, noAnswerError, notTheApiError } from './failures.js';
import { createRequestGate, type RequestGate } from './gate.js';
import { createRedactor, type Redactor } from './redact.js';
import { DEFAULT_MAX_RETRY_WAIT_MS, isRetryableStatus, retryWait, sleep } from './retry.js';

export type { TransportFailure } from './attempt.js';
export type Method = 'GET' | 'PUT' | 'DELETE';

export interface RetryEvent {
  method: Method;
  systemId: string | undefined;
  attempt: number;
  reason: number | TransportFailure;
  waitMs: number;
  /** Retry-After asked for this many ms, more than --max-retry-wait allows. */
  clampedFromMs?: number | undefined;
}

export interface ApiResult {
  /** The final HTTP status; undefined when the last attempt got no answer. */
  status: number | undefined;
  /** The parsed JSON body of the final answer, if any (never read for a 2xx write). */
  body: unknown;
  /** The API's `message` from its error body, or a transport error description; credentials redacted. */
  message: string | undefined;
  attempts: number;
  /** Attempts (1-based) that were sent but whose answer never arrived: the write may have been applied. */
  lostAttempts: number[];
  /** The last outcome was retryable (5xx, 429, transport) and the retries ran out, or the run stopped first. */
  retryable: boolean;
  /** The run was stopped while this request waited to retry (or before it was sent). */
  stoppedBeforeRetry: boolean;
  /** The last attempt was cut short by `abortInFlight` (the run's stop, after its grace period). */
  aborted?: boolean | undefined;
  /** The answer shows the server cannot be the API (code `not_the_api`): the run must stop. */
  fatal?: CiopulseError | undefined;
  /** Things worth a line in the row's detail, e.g. a Retry-After that was clamped. */
  notes?: string[] | undefined;
}

export interface ThrottleEvent {
  method: Method;
  systemId: string | undefined;
  attempt: number;
  retryAfterMs: number | undefined;
}

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
  /** How long attempts in flight may finish after the stop signal (default 2 s). */
  graceMs?: number | undefined;
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
  /** One GET of a system_id that cannot exist: the API's own 404 means the credentials work. */
  checkCredentials(): Promise<ApiResult>;
  /** Aborts every attempt in flight now; each counts as a lost answer. */
  abortInFlight(): void;
  /** Hides the key, the base64 credential and any `Basic …` value in text from the server. */
  redact: Redactor;
  readonly gate: RequestGate;
  readonly baseUrl: string;
  close(): Promise<void>;
}

const TRANSPORT_TEXT: Record<TransportFailure, string> = {
  reset: 'the connection was reset before an answer arrived',
  timeout: 'no answer within the time limit',
  refused: 'the connection was refused (is the server running?)',
  network: 'a network error',
  proxy: 'the proxy did not open a connection to the server',
  aborted: 'the run stopped while waiting for the answer',
};

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

function messageOf(body: unknown): string | undefined {
  if (typeof body === 'object' && body !== null && 'message' in body) {
    const { message } = body;
    return typeof message === 'string' ? message : JSON.stringify(message);
  }
  return typeof body === 'string' && body.length > 0 ? body.slice(0, 200) : undefined;
}

const BODY_WORDS = { html: 'an HTML page', empty: 'an empty body', text: 'a body that is not JSON', json: 'JSON', oversized: 'a body over 1 MB, more than any one answer of the API' } as const;

/** The API's answers are JSON; a 2xx that is not, or a 404 without the API's error body, is someone else. */
function notTheApi(method: Method, path: string, outcome: Extract<Outcome, { kind: 'answer' }>, stream: boolean): CiopulseError | undefined {
  const { status } = outcome;
  const what = `${method} ${path} answered ${status}`;
  if (status >= 200 && status < 300) return stream || outcome.bodyKind === 'json' ? undefined : notTheApiError(`${what} with ${BODY_WORDS[outcome.bodyKind]}`, status);
  if (status !== 404) return undefined;
  // An upsert creates what is missing, so the API never answers a PUT with 404.
  if (method === 'PUT') return notTheApiError(`${what}, which the API never does for a PUT (an upsert)`, status);
  return isApiErrorBody(outcome.body, 404) ? undefined : notTheApiError(`${what} without the API's JSON error body`, status);
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const { connection } = options;
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const retries = Math.max(0, options.retries ?? 5);
  const maxWaitMs = Math.max(0, options.maxRetryWaitMs ?? DEFAULT_MAX_RETRY_WAIT_MS);
  const random = options.random ?? Math.random;
  const base = new URL(connection.baseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  const dispatcher = options.dispatcher ?? createDispatcher(base.origin, { connections: concurrency, timeoutMs });
  const gate = createRequestGate({ concurrency, rate: options.rate });
  const authorization = connection.apiKey.authorization(connection.portalCode);
  const redact = createRedactor(authorization);
  const stop = options.stopSignal;
  const isStopped = (): boolean => stop?.aborted === true;
  const inFlight = new AbortController();
  // Every attempt in flight listens for the abort.
  setMaxListeners(0, inFlight.signal);
  let graceTimer: NodeJS.Timeout | undefined;
  const onStop = (): void => {
    graceTimer = setTimeout(() => inFlight.abort(), options.graceMs ?? 2000);
    graceTimer.unref();
  };
  if (isStopped()) onStop();
  else stop?.addEventListener('abort', onStop, { once: true });
  const context = { dispatcher, timeoutMs, abortSignal: inFlight.signal, redact, parse: parseApiJson };

  const pathFor = (systemId: string | undefined): string =>
    systemId === undefined ? `${basePath}/contacts` : `${basePath}/contacts/${encodeURIComponent(systemId)}`;

  interface Sent {
    result: ApiResult;
    stream?: ReadableStream<Uint8Array> | undefined;
  }

  async function send(method: Method, systemId: string | undefined, payload?: string, stream = false): Promise<Sent> {
    const lostAttempts: number[] = [];
    const notes: string[] = [];
    const path = pathFor(systemId);
    const headers: Record<string, string> = { authorization, accept: 'application/json' };
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const stopped = (count: number): Sent => ({
      result: { status: undefined, body: undefined, message: 'the run stopped before it was sent', attempts: count, lostAttempts, retryable: false, stoppedBeforeRetry: true, aborted: false, notes },
    });
    for (let n = 1; ; n++) {
      if (isStopped()) return stopped(n - 1);
      const release = await gate.acquire();
      // The run stopped while this request waited for a permit: it is never sent.
      if (isStopped()) {
        release();
        return stopped(n - 1);
      }
      let outcome: Outcome;
      let fatal: CiopulseError | undefined;
      try {
        outcome = await attempt({ origin: base.origin, path, method, headers, payload, stream }, context);
        // Before the permit goes to the next request, so that a revoked key or a server that is
        // not the API stops the run within the requests already in flight.
        if (outcome.kind === 'answer') {
          if (outcome.status === 401) options.onUnauthorized?.();
          fatal = notTheApi(method, path, outcome, stream);
          if (fatal !== undefined) options.onFatal?.(fatal);
        }
      } finally {
        release();
      }
      let result: ApiResult;
      let retryAfterMs: number | undefined;
      if (outcome.kind === 'failure') {
        if (outcome.sent) lostAttempts.push(n);
        const aborted = outcome.failure === 'aborted';
        result = { status: undefined, body: undefined, message: TRANSPORT_TEXT[outcome.failure], attempts: n, lostAttempts, retryable: true, stoppedBeforeRetry: aborted, aborted, notes };
        if (aborted) return { result };
      } else {
        const retryable = fatal === undefined && isRetryableStatus(outcome.status);
        if (outcome.status === 429) {
          gate.onThrottle();
          options.onThrottle?.({ method, systemId, attempt: n, retryAfterMs: outcome.retryAfterMs });
        } else if (!retryable) gate.onSuccess();
        retryAfterMs = outcome.retryAfterMs;
        const message = fatal?.message ?? messageOf(outcome.body);
        result = { status: outcome.status, body: outcome.body, message, attempts: n, lostAttempts, retryable, stoppedBeforeRetry: false, aborted: false, fatal, notes };
        if (!retryable) return { result, stream: outcome.stream };
        await outcome.stream?.cancel().catch(() => undefined);
      }
      if (n > retries) return { result };
      if (isStopped()) return { result: { ...result, stoppedBeforeRetry: true } };
      const wait = retryWait(n - 1, retryAfterMs, maxWaitMs, random);
      if (wait.clampedFromMs !== undefined) {
        notes.push(`Retry-After asked for ${Math.round(wait.clampedFromMs / 1000)} s; waited ${Math.round(wait.waitMs / 1000)} s (--max-retry-wait)`);
      }
      options.onRetry?.({ method, systemId, attempt: n, reason: outcome.kind === 'failure' ? outcome.failure : outcome.status, waitMs: wait.waitMs, clampedFromMs: wait.clampedFromMs });
      if (!(await sleep(wait.waitMs, stop))) return { result: { ...result, stoppedBeforeRetry: true } };
    }
  }

  const one = async (method: Method, systemId: string, payload?: string): Promise<ApiResult> => (await send(method, systemId, payload)).result;

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
    checkCredentials: () => one('GET', `ciopulse-contacts-credential-check-${randomBytes(8).toString('hex')}`),
    async getAllResponse() {
      const { result, stream } = await send('GET', undefined, undefined, true);
      if (result.stoppedBeforeRetry) throw new InterruptedError('interrupted: nothing was written');
      if (result.status === undefined) {
        throw noAnswerError(result, `${connection.baseUrl.replace(/\/+$/, '')}/contacts`);
      }
      return { status: result.status, body: result.status >= 200 && result.status < 300 ? (stream ?? null) : null, message: result.message, result };
    },
    abortInFlight: () => inFlight.abort(),
    async close() {
      clearTimeout(graceTimer);
      stop?.removeEventListener('abort', onStop);
      if (options.dispatcher === undefined) await dispatcher.close();
    },
  };
}
