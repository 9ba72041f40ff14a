/**
 * The one request loop every call goes through (README, "Retries and rate limits"):
 *
 *   permit (gate) ─► attempt (total deadline, capped body) ─► classify ─► release ─► back off
 *
 * The permit is released before any wait, the stop signal is honoured before each attempt and
 * during each wait, and every retry and throttle is reported.
 */
import type { CiopulseError } from '../errors.js';
import { attempt, type AttemptContext, type Outcome, type TransportFailure } from './attempt.js';
import { isApiErrorBody, notTheApiError, redirectError, REDIRECTS } from './failures.js';
import { NOT_THE_API_WHY } from '../error-messages.js';
import type { RequestGate } from './gate.js';
import { isRetryableStatus, retryWait, sleep } from './retry.js';

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

/** What the loop needs from its client. */
export interface LoopContext {
  origin: string;
  authorization: string;
  gate: RequestGate;
  attempt: AttemptContext;
  retries: number;
  maxWaitMs: number;
  random: () => number;
  stop: AbortSignal | undefined;
  onRetry?: ((event: RetryEvent) => void) | undefined;
  onThrottle?: ((event: ThrottleEvent) => void) | undefined;
  onUnauthorized?: (() => void) | undefined;
  onFatal?: ((error: CiopulseError) => void) | undefined;
}

export interface Sent {
  result: ApiResult;
  /** GET all's 2xx body, unread. */
  stream?: ReadableStream<Uint8Array> | undefined;
}

const TRANSPORT_TEXT: Record<TransportFailure, string> = {
  reset: 'the connection was reset before an answer arrived',
  timeout: 'no answer within the time limit',
  refused: 'the connection was refused (is the server running?)',
  network: 'a network error',
  proxy: 'the proxy did not open a connection to the server',
  aborted: 'the run stopped while waiting for the answer',
};

function messageOf(body: unknown): string | undefined {
  if (typeof body === 'object' && body !== null && 'message' in body) {
    const { message } = body;
    return typeof message === 'string' ? message : JSON.stringify(message);
  }
  return typeof body === 'string' && body.length > 0 ? body.slice(0, 200) : undefined;
}

const BODY_WORDS = NOT_THE_API_WHY.body;

/**
 * A 2xx write with no body at all is the API's success: the API document promises JSON only for
 * errors (docs/ARCHITECTURE.md, "Decisions where the API document is silent").
 */
function isEmptySuccess(method: Method, outcome: Extract<Outcome, { kind: 'answer' }>): boolean {
  return method !== 'GET' && outcome.status >= 200 && outcome.status < 300 && outcome.bodyKind === 'empty';
}

/**
 * The API's answers are JSON; a 2xx that is not, or a 404 without the API's error body, is someone
 * else. A redirect is never followed with the key: it stops the run and names the new address.
 */
function notTheApi(
  ctx: LoopContext,
  method: Method,
  path: string,
  outcome: Extract<Outcome, { kind: 'answer' }>,
  stream: boolean,
): CiopulseError | undefined {
  const { status } = outcome;
  const what = `${method} ${path} answered ${status}`;
  if (REDIRECTS.has(status)) return redirectError(`${ctx.origin}${path}`, what, outcome.location, status);
  if (status >= 200 && status < 300)
    return stream || outcome.bodyKind === 'json' || isEmptySuccess(method, outcome)
      ? undefined
      : notTheApiError(NOT_THE_API_WHY.withBody(what, BODY_WORDS[outcome.bodyKind]), status);
  if (status !== 404) return undefined;
  // An upsert creates what is missing, so the API never answers a PUT with 404.
  if (method === 'PUT') return notTheApiError(NOT_THE_API_WHY.putAnswered404(what), status);
  // The document's only 404 is "A Contact with this System ID was not found": the list has no system_id.
  if (stream) return notTheApiError(NOT_THE_API_WHY.listAnswered404(what), status);
  return isApiErrorBody(outcome.body, 404) ? undefined : notTheApiError(NOT_THE_API_WHY.no404Body(what), status);
}

/** Sends one request through permit → attempt → classify → back off, until it is settled. */
export async function sendRequest(
  ctx: LoopContext,
  method: Method,
  path: string,
  payload: string | undefined,
  stream: boolean,
  systemId: string | undefined,
): Promise<Sent> {
  const lostAttempts: number[] = [];
  const notes: string[] = [];
  const headers: Record<string, string> = { authorization: ctx.authorization, accept: 'application/json' };
  if (payload !== undefined) headers['content-type'] = 'application/json';
  const isStopped = (): boolean => ctx.stop?.aborted === true;
  const stopped = (count: number): Sent => ({
    result: {
      status: undefined,
      body: undefined,
      message: 'the run stopped before it was sent',
      attempts: count,
      lostAttempts,
      retryable: false,
      stoppedBeforeRetry: true,
      aborted: false,
      notes,
    },
  });
  for (let n = 1; ; n++) {
    if (isStopped()) return stopped(n - 1);
    const release = await ctx.gate.acquire(ctx.stop);
    // The run stopped while this request waited for a permit: it is never sent.
    if (isStopped()) {
      release();
      return stopped(n - 1);
    }
    let outcome: Outcome;
    let fatal: CiopulseError | undefined;
    try {
      outcome = await attempt({ origin: ctx.origin, path, method, headers, payload, stream }, ctx.attempt);
      // Before the permit goes to the next request, so that a revoked key or a server that is
      // not the API stops the run within the requests already in flight.
      if (outcome.kind === 'answer') {
        if (outcome.status === 401) ctx.onUnauthorized?.();
        fatal = notTheApi(ctx, method, path, outcome, stream);
        if (fatal !== undefined) ctx.onFatal?.(fatal);
      }
    } finally {
      release();
    }
    let result: ApiResult;
    let retryAfterMs: number | undefined;
    if (outcome.kind === 'failure') {
      if (outcome.sent) lostAttempts.push(n);
      const aborted = outcome.failure === 'aborted';
      result = {
        status: undefined,
        body: undefined,
        message: TRANSPORT_TEXT[outcome.failure],
        attempts: n,
        lostAttempts,
        retryable: true,
        stoppedBeforeRetry: aborted,
        aborted,
        notes,
      };
      if (aborted) return { result };
    } else {
      const retryable = fatal === undefined && isRetryableStatus(outcome.status);
      if (outcome.status === 429) {
        ctx.gate.onThrottle();
        ctx.onThrottle?.({ method, systemId, attempt: n, retryAfterMs: outcome.retryAfterMs });
      } else if (!retryable) ctx.gate.onSuccess();
      retryAfterMs = outcome.retryAfterMs;
      const message = fatal?.message ?? messageOf(outcome.body);
      if (fatal === undefined && isEmptySuccess(method, outcome))
        notes.push(`the API answered ${outcome.status} with an empty body`);
      result = {
        status: outcome.status,
        body: outcome.body,
        message,
        attempts: n,
        lostAttempts,
        retryable,
        stoppedBeforeRetry: false,
        aborted: false,
        fatal,
        notes,
      };
      if (!retryable) return { result, stream: outcome.stream };
      await outcome.stream?.cancel().catch(() => undefined);
    }
    if (n > ctx.retries) return { result };
    if (isStopped()) return { result: { ...result, stoppedBeforeRetry: true } };
    const wait = retryWait(n - 1, retryAfterMs, ctx.maxWaitMs, ctx.random);
    if (wait.clampedFromMs !== undefined) {
      notes.push(
        `Retry-After asked for ${Math.round(wait.clampedFromMs / 1000)} s; waited ${Math.round(wait.waitMs / 1000)} s (--max-retry-wait)`,
      );
    }
    ctx.onRetry?.({
      method,
      systemId,
      attempt: n,
      reason: outcome.kind === 'failure' ? outcome.failure : outcome.status,
      waitMs: wait.waitMs,
      clampedFromMs: wait.clampedFromMs,
    });
    if (!(await sleep(wait.waitMs, ctx.stop))) return { result: { ...result, stoppedBeforeRetry: true } };
  }
}
