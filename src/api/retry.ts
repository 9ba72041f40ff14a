/**
 * Retry policy (README, "Retries and rate limits"): exponential backoff with full jitter, as the
 * AWS SDKs do, never sooner than Retry-After, never longer than --max-retry-wait.
 */

/** The first retry waits up to 200 ms; each further one doubles that. */
export const BACKOFF_BASE_MS = 200;
/** No single wait exceeds 20 s, unless Retry-After asks for more. */
export const BACKOFF_CAP_MS = 20_000;

/** 429 and the 5xx codes a proxy or an overloaded server gives; 500 is "Transaction failed". */
const RETRYABLE_STATUS: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status);
}

/** Full jitter: a uniform random wait in [0, min(cap, base·2^attempt)), attempt counted from 0. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt));
}

/** `--max-retry-wait` default: no single wait is longer than this, whatever Retry-After asks. */

/** setTimeout fires after 1 ms for any delay above this (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface RetryWait {
  waitMs: number;
  /** Set when Retry-After asked for more than the clamp: what it asked for, in ms. */
  clampedFromMs: number | undefined;
}

/**
 * The wait before a retry: backoff, never sooner than Retry-After, never longer than the clamp.
 * A Retry-After past the clamp is honoured up to the clamp and reported, so the row stays in its
 * retry budget instead of sleeping for days (README, "Retries and rate limits").
 */
export function retryWait(
  attempt: number,
  retryAfterMs: number | undefined,
  maxWaitMs: number,
  random: () => number = Math.random,
): RetryWait {
  const wanted = Math.max(backoffDelay(attempt, random), retryAfterMs ?? 0);
  if (wanted <= maxWaitMs) return { waitMs: wanted, clampedFromMs: undefined };
  return {
    waitMs: maxWaitMs,
    clampedFromMs: retryAfterMs !== undefined && retryAfterMs > maxWaitMs ? retryAfterMs : undefined,
  };
}

/** Retry-After is delta-seconds or an HTTP date (RFC 9110 §10.2.3); returns milliseconds. */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(raw)) return Number(raw) * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Sleeps, but wakes early when `signal` aborts; resolves false when it was woken. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  // Longer than one timer can hold: sleep in pieces, never "after 1 ms" by overflow.
  let left = ms;
  while (left > MAX_TIMER_MS) {
    if (!(await sleepOnce(MAX_TIMER_MS, signal))) return false;
    left -= MAX_TIMER_MS;
  }
  return sleepOnce(left, signal);
}

function sleepOnce(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (!(ms > 0)) return Promise.resolve(!signal?.aborted);
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve(false);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
