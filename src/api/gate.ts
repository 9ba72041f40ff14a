/**
 * The request gate: every HTTP attempt passes through it. It bounds requests in flight by an
 * AIMD window (a 429 halves it, successes grow it back one step at a time: README,
 * "Retries and rate limits"), and spaces requests to honour `--rate`. Permits are held per attempt, never
 * across a backoff wait, so a row sleeping out a Retry-After does not hold a slot.
 */
import { sleep } from './retry.js';

export interface GateStats {
  /** The current AIMD window: how many requests may be in flight now. */
  window: number;
  inFlight: number;
  waiting: number;
  /** How often a 429 halved the window. */
  throttles: number;
}

export interface RequestGate {
  /**
   * Resolves when a request may start; call the returned function when its answer arrived. A
   * `stop` that aborts ends the wait for a `--rate` token at once (the caller checks it and
   * releases), so a stop request is never held by a slow rate.
   */
  acquire(stop?: AbortSignal): Promise<() => void>;
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

/** A gate's settings and its mutable counters; the functions below each do one job on it. */
interface GateState {
  readonly maxWindow: number;
  readonly spacingMs: number;
  window: number;
  inFlight: number;
  successes: number;
  throttles: number;
  // Requests started since the last decrease: a burst of 429s from one window halves it once.
  startedSinceDecrease: number;
  nextStartAt: number;
  readonly waiters: (() => void)[];
  waitHead: number;
  freeWaiters: (() => void)[];
}

function createGateState(options: GateOptions): GateState {
  const maxWindow = Math.max(1, Math.floor(options.concurrency));
  return {
    maxWindow,
    spacingMs: options.rate !== undefined && options.rate > 0 ? 1000 / options.rate : 0,
    window: maxWindow,
    inFlight: 0,
    successes: 0,
    throttles: 0,
    startedSinceDecrease: Number.POSITIVE_INFINITY,
    nextStartAt: 0,
    waiters: [],
    waitHead: 0,
    freeWaiters: [],
  };
}

function isFree(gate: GateState): boolean {
  return gate.inFlight < gate.window && gate.waitHead === gate.waiters.length;
}

function release(gate: GateState): void {
  gate.inFlight--;
  pump(gate);
}

function notifyFree(gate: GateState): void {
  if (gate.freeWaiters.length === 0 || !isFree(gate)) return;
  const wake = gate.freeWaiters;
  gate.freeWaiters = [];
  for (const fn of wake) fn();
}

function grant(gate: GateState): () => void {
  gate.inFlight++;
  gate.startedSinceDecrease++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    release(gate);
  };
}

function pump(gate: GateState): void {
  const { waiters } = gate;
  while (gate.inFlight < gate.window && gate.waitHead < waiters.length) {
    const wake = waiters[gate.waitHead];
    waiters[gate.waitHead] = noop;
    gate.waitHead++;
    gate.inFlight++; // reserve the slot for the waiter now, so pump cannot over-grant
    wake?.();
  }
  if (gate.waitHead > 1024 && gate.waitHead * 2 > waiters.length) {
    waiters.splice(0, gate.waitHead);
    gate.waitHead = 0;
  }
  notifyFree(gate);
}

async function spaceOut(gate: GateState, stop: AbortSignal | undefined): Promise<void> {
  if (gate.spacingMs === 0) return;
  const now = performance.now();
  const at = Math.max(now, gate.nextStartAt);
  gate.nextStartAt = at + gate.spacingMs;
  if (at > now) await sleep(at - now, stop);
}

function whenFree(gate: GateState): Promise<void> | undefined {
  if (isFree(gate)) return undefined;
  return new Promise<void>((resolve) => gate.freeWaiters.push(resolve));
}

async function acquire(gate: GateState, stop: AbortSignal | undefined): Promise<() => void> {
  if (isFree(gate)) {
    const done = grant(gate);
    await spaceOut(gate, stop);
    return done;
  }
  await new Promise<void>((resolve) => gate.waiters.push(resolve));
  gate.inFlight--; // pump reserved the slot; grant() takes it again
  const done = grant(gate);
  await spaceOut(gate, stop);
  return done;
}

function onSuccess(gate: GateState): void {
  if (gate.window >= gate.maxWindow) return;
  gate.successes++;
  if (gate.successes >= gate.window) {
    gate.successes = 0;
    gate.window++;
    pump(gate);
  }
}

function onThrottle(gate: GateState): void {
  gate.throttles++;
  if (gate.startedSinceDecrease < gate.window) return;
  gate.window = Math.max(1, Math.floor(gate.window / 2));
  gate.successes = 0;
  gate.startedSinceDecrease = 0;
}

export function createRequestGate(options: GateOptions): RequestGate {
  const gate = createGateState(options);
  return {
    maxWindow: gate.maxWindow,
    whenFree: () => whenFree(gate),
    acquire: (stop) => acquire(gate, stop),
    onSuccess: () => onSuccess(gate),
    onThrottle: () => onThrottle(gate),
    stats: () => ({
      window: gate.window,
      inFlight: gate.inFlight,
      waiting: gate.waiters.length - gate.waitHead,
      throttles: gate.throttles,
    }),
  };
}

function noop(): void {}
