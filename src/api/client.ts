/**
 * The CIOPulse Contacts API client: Basic auth, JSON bodies, status → outcome, retries.
 * It uses an undici Pool sized to the concurrency, measured 6× faster than fetch on these
 * machines (shared/NOTES.md), or undici's EnvHttpProxyAgent when HTTPS_PROXY/HTTP_PROXY is set.
 */
import { randomBytes } from 'node:crypto';
import { EnvHttpProxyAgent, Pool, fetch, type Dispatcher } from 'undici';
import { jsonrepair } from 'jsonrepair';
import type { Connection } from '../config.js';
import type { ContactPatch } from '../contact.js';
import { createRequestGate, type RequestGate } from './gate.js';
import { backoffDelay, isRetryableStatus, parseRetryAfter, sleep } from './retry.js';

export type Method = 'GET' | 'PUT' | 'DELETE';

/** Why an attempt did not get an HTTP answer. */
export type TransportFailure = 'reset' | 'timeout' | 'refused' | 'network';

export interface RetryEvent {
  method: Method;
  systemId: string | undefined;
  attempt: number;
  reason: number | TransportFailure;
  waitMs: number;
}

export interface ApiResult {
  /** The final HTTP status; undefined when the last attempt got no answer. */
  status: number | undefined;
  /** The parsed JSON body of the final answer, if any. */
  body: unknown;
  /** The API's `message` from its error body, or a transport error description. */
  message: string | undefined;
  attempts: number;
  /** Attempts (1-based) that were sent but whose answer never arrived: the write may have been applied. */
  lostAttempts: number[];
  /** The last outcome was retryable (5xx, 429, transport) and the retries ran out, or the run stopped first. */
  retryable: boolean;
  /** The run was stopped while this request waited to retry. */
  stoppedBeforeRetry: boolean;
}

export interface ApiClientOptions {
  connection: Connection;
  /** Requests in flight at once; also the Pool's socket count. */
  concurrency?: number;
  /** Time limit per attempt, for the headers and for the body. */
  timeoutMs?: number;
  /** Retries per request after the first attempt. */
  retries?: number;
  /** Requests per second, across the whole client. */
  rate?: number | undefined;
  /** Once aborted, no new attempt starts; waits for a retry end early. */
  stopSignal?: AbortSignal | undefined;
  /** Once aborted, requests in flight are cut off; their answer counts as lost (the write may have landed). */
  abortSignal?: AbortSignal | undefined;
  onRetry?: ((event: RetryEvent) => void) | undefined;
  /** Called the moment a 401 arrives, before its permit is handed on (the run stops on it). */
  onUnauthorized?: (() => void) | undefined;
  /** For tests: a fixed random source for the jitter. */
  random?: () => number;
}

export interface ApiClient {
  put(systemId: string, patch: ContactPatch): Promise<ApiResult>;
  remove(systemId: string): Promise<ApiResult>;
  getOne(systemId: string): Promise<ApiResult>;
  /** The raw GET-all answer as a web stream, for export; retried like the rest until headers arrive. */
  getAllResponse(): Promise<{ status: number; body: ReadableStream<Uint8Array> | null; message: string | undefined }>;
  /**
   * One GET of a system_id that cannot exist: 404 means the credentials work
   * (DESIGN.md, "Credentials first"). Returns the status, or undefined when unreachable.
   */
  checkCredentials(): Promise<ApiResult>;
  readonly gate: RequestGate;
  readonly baseUrl: string;
  close(): Promise<void>;
}

function transportFailure(error: unknown): TransportFailure {
  const code = (error as { code?: string } | null)?.code ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return 'timeout';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE' || code === 'UND_ERR_CLOSED') return 'reset';
  return 'network';
}

const TRANSPORT_TEXT: Record<TransportFailure, string> = {
  reset: 'the connection was reset before an answer arrived',
  timeout: 'no answer within the time limit',
  refused: 'the connection was refused (is the server running?)',
  network: 'a network error',
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

function createDispatcher(origin: string, connections: number, timeoutMs: number): Dispatcher {
  const env = process.env;
  const proxied = [env.HTTPS_PROXY, env.https_proxy, env.HTTP_PROXY, env.http_proxy].some((v) => v !== undefined && v !== '');
  const common = { headersTimeout: timeoutMs, bodyTimeout: timeoutMs, keepAliveTimeout: 30_000 };
  // EnvHttpProxyAgent reads HTTPS_PROXY, HTTP_PROXY and NO_PROXY itself.
  return proxied ? new EnvHttpProxyAgent({ ...common, connections }) : new Pool(origin, { ...common, connections });
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const { connection } = options;
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const retries = Math.max(0, options.retries ?? 5);
  const random = options.random ?? Math.random;
  const base = new URL(connection.baseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  const dispatcher = createDispatcher(base.origin, concurrency, timeoutMs);
  const gate = createRequestGate({ concurrency, rate: options.rate });
  const authorization = connection.apiKey.authorization(connection.portalCode);
  const stop = options.stopSignal;

  const pathFor = (systemId: string | undefined): string =>
    systemId === undefined ? `${basePath}/contacts` : `${basePath}/contacts/${encodeURIComponent(systemId)}`;

  async function attemptOnce(
    method: Method,
    systemId: string | undefined,
    payload: string | undefined,
  ): Promise<{ status: number; body: unknown; retryAfterMs: number | undefined } | { failure: TransportFailure }> {
    const headers: Record<string, string> = { authorization, accept: 'application/json' };
    if (payload !== undefined) headers['content-type'] = 'application/json';
    try {
      const response = await dispatcher.request({
        origin: base.origin,
        path: pathFor(systemId),
        method,
        headers,
        body: payload,
        signal: options.abortSignal,
      });
      const text = await response.body.text();
      // A write's 2xx body is never used; only errors (for their message) and GETs are parsed.
      const parse = method === 'GET' || response.statusCode >= 300;
      return {
        status: response.statusCode,
        body: parse ? parseApiJson(text) : undefined,
        retryAfterMs: parseRetryAfter(response.headers['retry-after']),
      };
    } catch (error) {
      return { failure: transportFailure(error) };
    }
  }

  async function send(method: Method, systemId: string | undefined, payload?: string): Promise<ApiResult> {
    const lostAttempts: number[] = [];
    let attempt = 0;
    for (;;) {
      attempt++;
      const release = await gate.acquire();
      if (stop?.aborted) {
        // The run stopped while this request waited for a permit: it is never sent.
        release();
        return { status: undefined, body: undefined, message: 'the run stopped before it was sent', attempts: attempt - 1, lostAttempts, retryable: false, stoppedBeforeRetry: true };
      }
      let outcome: Awaited<ReturnType<typeof attemptOnce>>;
      try {
        outcome = await attemptOnce(method, systemId, payload);
        // Before the permit goes to the next request, so that a revoked key stops the run
        // within the requests already in flight.
        if ('status' in outcome && outcome.status === 401) options.onUnauthorized?.();
      } finally {
        release();
      }
      let reason: number | TransportFailure;
      let retryAfterMs: number | undefined;
      let result: ApiResult;
      if ('failure' in outcome) {
        // A refused connection never reached the server; anything else may have been applied.
        if (outcome.failure !== 'refused') lostAttempts.push(attempt);
        reason = outcome.failure;
        result = {
          status: undefined,
          body: undefined,
          message: TRANSPORT_TEXT[outcome.failure],
          attempts: attempt,
          lostAttempts,
          retryable: true,
          stoppedBeforeRetry: false,
        };
      } else {
        const retryable = isRetryableStatus(outcome.status);
        if (outcome.status === 429) gate.onThrottle();
        else if (!retryable) gate.onSuccess();
        reason = outcome.status;
        retryAfterMs = outcome.retryAfterMs;
        result = {
          status: outcome.status,
          body: outcome.body,
          message: messageOf(outcome.body),
          attempts: attempt,
          lostAttempts,
          retryable,
          stoppedBeforeRetry: false,
        };
        if (!retryable) return result;
      }
      if (attempt > retries) return result;
      if (stop?.aborted) return { ...result, stoppedBeforeRetry: true };
      const waitMs = Math.max(backoffDelay(attempt - 1, random), retryAfterMs ?? 0);
      options.onRetry?.({ method, systemId, attempt, reason, waitMs });
      const slept = await sleep(waitMs, stop);
      if (!slept) return { ...result, stoppedBeforeRetry: true };
    }
  }

  return {
    gate,
    baseUrl: connection.baseUrl,
    put(systemId, patch) {
      const payload = JSON.stringify(patch);
      // The schema already refuses every value JSON would escape; this guards the API's rule itself.
      if (payload.includes('\\')) throw new Error('internal: a request body with a backslash reached the client');
      return send('PUT', systemId, payload);
    },
    remove: (systemId) => send('DELETE', systemId),
    getOne: (systemId) => send('GET', systemId),
    checkCredentials: () => send('GET', `ciopulse-contacts-credential-check-${randomBytes(8).toString('hex')}`),
    async getAllResponse() {
      let attempt = 0;
      for (;;) {
        attempt++;
        const release = await gate.acquire();
        try {
          // fetch, not undici.request: NOTES.md measured request() going super-linear on a large,
          // finely chunked body under backpressure.
          const response = await fetch(`${base.origin}${pathFor(undefined)}`, {
            headers: { authorization, accept: 'application/json' },
            dispatcher,
          });
          if (!isRetryableStatus(response.status) || attempt > retries) {
            const message = response.ok ? undefined : messageOf(parseApiJson(await response.text()));
            return { status: response.status, body: response.ok ? response.body : null, message };
          }
          await response.body?.cancel();
          await sleep(Math.max(backoffDelay(attempt - 1, random), parseRetryAfter(response.headers.get('retry-after') ?? undefined) ?? 0), stop);
        } catch (error) {
          if (attempt > retries || stop?.aborted) throw error;
          await sleep(backoffDelay(attempt - 1, random), stop);
        } finally {
          release();
        }
      }
    },
    async close() {
      await dispatcher.close();
    },
  };
}
