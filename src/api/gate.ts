/**
 * The request gate: every HTTP attempt passes through it. It bounds requests in flight by an
 * AIMD window (a 429 halves it, successes grow it back one step at a time: README,
 * "Retries and rate limits"), and spaces requests to honour `--rate`. Permits are held per attempt, never
 * across a backoff wait, so a row sleeping out a Retry-After does not hold a slot.
 */

export interface GateStats {
  /** The current AIMD window: how many requests may be in flight now. */
  window: number;
  inFlight: number;
  waiting: number;
  /** How often a 429 halved the window. */
  throttles: number;
}

export interface RequestGate {
  /** Resolves when a request may start; call the returned function when its answer arrived. */
  acquire(): Promise<() => void>;
  /**
   * Undefined when a permit is free now, else a promise for when one is. The pipeline waits on
   * this before reading the next row, which is what bounds the rows in flight.
   */
  whenFree(): Promise<void> | undefined;
  /** A request succeeded: additive increase. */
  onSuccess(): void;
  /** A 429 arrived: multiplicative decrease (at most once per window's worth of requests). */
  onThrottle(): void;
  stats(): GateStats;
  /** The configured concurrency: the window never grows past it. */
  readonly maxWindow: number;
}

export interface GateOptions {
  concurrency: number;
  /** Requests per second; undefined = no cap. */
  rate?: number | undefined;
}

export function createRequestGate(options: GateOptions): RequestGate {
  const maxWindow = Math.max(1, Math.floor(options.concurrency));
  const spacingMs = options.rate !== undefined && options.rate > 0 ? 1000 / options.rate : 0;
  let window = maxWindow;
  let inFlight = 0;
  let successes = 0;
  let throttles = 0;
  // Requests started since the last decrease: a burst of 429s from one window halves it once.
  let startedSinceDecrease = Number.POSITIVE_INFINITY;
  let nextStartAt = 0;
  const waiters: (() => void)[] = [];
  let waitHead = 0;
  let freeWaiters: (() => void)[] = [];

  const isFree = (): boolean => inFlight < window && waitHead === waiters.length;

  const release = (): void => {
    inFlight--;
    pump();
  };

  function notifyFree(): void {
    if (freeWaiters.length === 0 || !isFree()) return;
    const wake = freeWaiters;
    freeWaiters = [];
    for (const fn of wake) fn();
  }

  const grant = (): (() => void) => {
    inFlight++;
    startedSinceDecrease++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
    };
  };

  function pump(): void {
    while (inFlight < window && waitHead < waiters.length) {
      const wake = waiters[waitHead];
      waiters[waitHead] = noop;
      waitHead++;
      inFlight++; // reserve the slot for the waiter now, so pump cannot over-grant
      wake?.();
    }
    if (waitHead > 1024 && waitHead * 2 > waiters.length) {
      waiters.splice(0, waitHead);
      waitHead = 0;
    }
    notifyFree();
  }

  async function spaceOut(): Promise<void> {
    if (spacingMs === 0) return;
    const now = performance.now();
    const at = Math.max(now, nextStartAt);
    nextStartAt = at + spacingMs;
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
  }

  return {
    maxWindow,
    whenFree() {
      if (isFree()) return undefined;
      return new Promise<void>((resolve) => freeWaiters.push(resolve));
    },
    async acquire() {
      if (isFree()) {
        const done = grant();
        await spaceOut();
        return done;
      }
      await new Promise<void>((resolve) => waiters.push(resolve));
      inFlight--; // pump reserved the slot; grant() takes it again
      const done = grant();
      await spaceOut();
      return done;
    },
    onSuccess() {
      if (window >= maxWindow) return;
      successes++;
      if (successes >= window) {
        successes = 0;
        window++;
        pump();
      }
    },
    onThrottle() {
      throttles++;
      if (startedSinceDecrease < window) return;
      window = Math.max(1, Math.floor(window / 2));
      successes = 0;
      startedSinceDecrease = 0;
    },
    stats: () => ({ window, inFlight, waiting: waiters.length - waitHead, throttles }),
  };
}

function noop(): void {}
