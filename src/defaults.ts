/**
 * Every default a user can change with a flag or an option, in one place: the library (api/,
 * export/, run/) and the CLI's flags and `--help` read them from here, so they cannot drift
 * (README, "Retries and rate limits", "Exit codes").
 */
export const DEFAULTS = {
  /** Requests in flight at once (`--concurrency`). */
  concurrency: 8,
  /** Retries per request on 429, 5xx and transport failures (`--retries`). */
  retries: 5,
  /** Time limit per attempt, in ms (`--timeout`). */
  timeoutMs: 30_000,
  /** How long requests in flight may finish after a stop (Ctrl-C) before they are cut off, in ms. */
  graceMs: 2_000,
  /** Rows in a row that may use up their retries before the run stops: the server looks down (`--max-consecutive-failures`). */
  maxConsecutiveFailures: 10,
  /** The longest wait before a retry, whatever Retry-After asks, in ms (`--max-retry-wait`, given in seconds). */
  maxRetryWaitMs: 60_000,
  /** `check` is one quick request: fewer retries and a shorter limit than a run. */
  checkRetries: 2,
  checkTimeoutMs: 10_000,
} as const;
