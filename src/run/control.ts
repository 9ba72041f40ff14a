/**
 * How a run stops (README, "Failure behaviour"). The first stop, whatever its cause, ends new
 * requests at once (`stopSignal`). A stop by the caller's signal (Ctrl-C) also aborts the
 * requests still in flight after a short grace period (`abortSignal`), so that an answer that
 * never ends cannot hold the run; those rows become `uncertain`.
 */
import { DEFAULTS } from '../defaults.js';
import { setMaxListeners } from 'node:events';
import type { StopReason } from './outcomes.js';
import { RUN_STOPS } from '../error-messages.js';

export interface Stopped {
  reason: StopReason;
  message: string;
  hint?: string | undefined;
}

export interface RunControl {
  /** Aborted at the first stop: no new request starts, retry waits end early. */
  readonly stopSignal: AbortSignal;
  /** Aborted `graceMs` after an interrupt: requests in flight are cut off. */
  readonly abortSignal: AbortSignal;
  stopped(): Stopped | undefined;
  stop(reason: StopReason, message: string, hint?: string): void;
  dispose(): void;
}

/** How long requests in flight may finish after an interrupt. */

export function createRunControl(signal: AbortSignal | undefined, graceMs: number = DEFAULTS.graceMs): RunControl {
  const stopController = new AbortController();
  const abortController = new AbortController();
  // Every row sleeping out a backoff listens for the stop: up to 2 × concurrency at once.
  setMaxListeners(0, stopController.signal);
  setMaxListeners(0, abortController.signal);
  let stopped: Stopped | undefined;
  let timer: NodeJS.Timeout | undefined;

  const stop = (reason: StopReason, message: string, hint?: string): void => {
    if (stopped !== undefined) return;
    stopped = { reason, message, hint };
    stopController.abort();
  };
  const onAbort = (): void => {
    stop('signal', RUN_STOPS.interrupted());
    // unref: a run that drains sooner must not wait for this timer to exit.
    timer = setTimeout(() => abortController.abort(), graceMs).unref();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted === true) onAbort();

  return {
    stopSignal: stopController.signal,
    abortSignal: abortController.signal,
    stopped: () => stopped,
    stop,
    dispose() {
      signal?.removeEventListener('abort', onAbort);
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
