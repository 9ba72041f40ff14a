/**
 * Deterministic fault injection (README, "emulator"): each fault is drawn from a hash of
 * (seed, method, system_id, attempt number), so a run gets the same faults whatever the
 * concurrency. No random generator carries state between requests: one request's fault
 * depends only on its own key, so arrival order across keys cannot change the outcome.
 */
import { ConfigError } from '../errors.js';

export type FaultKind = 'fail' | 'throttle' | 'reset' | 'lose';

export interface FaultRates {
  /** 500 "Transaction failed", write not applied. */
  failRate?: number | undefined;
  /** 429 with `Retry-After: 1`, write not applied. */
  throttleRate?: number | undefined;
  /** Socket destroyed before applying. */
  resetRate?: number | undefined;
  /** Write applied, then the socket destroyed without a response. */
  loseRate?: number | undefined;
  seed?: number | undefined;
}

export interface FaultPlan {
  /** False when every rate is 0: the server then skips hashing altogether. */
  readonly active: boolean;
  draw(method: string, systemId: string, attempt: number): FaultKind | undefined;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function fnv1a(hash: number, text: string): number {
  let h = hash;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h;
}

/** murmur3's finaliser: FNV-1a alone mixes its last bytes poorly, and the attempt is the last input. */
function fmix32(hash: number): number {
  let h = hash;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashes the seed once; `drawUnit` continues from it for every request. */
export function hashSeed(seed: number): number {
  return fnv1a(FNV_OFFSET, String(seed));
}

/** A number in [0, 1) that depends only on (seed, method, system_id, attempt). */
export function drawUnit(seedHash: number, method: string, systemId: string, attempt: number): number {
  // The separators keep ("PUT", "Xa") and ("PUTX", "a") apart.
  let h = fnv1a(seedHash ^ 0x20, method);
  h = fnv1a(Math.imul(h ^ 0x0a, FNV_PRIME), systemId);
  h = Math.imul(h ^ attempt, FNV_PRIME);
  return fmix32(h) / 4294967296;
}

function checkRate(name: string, value: number | undefined): number {
  const rate = value ?? 0;
  if (!Number.isFinite(rate) || rate < 0 || rate > 1) {
    throw new ConfigError(`${name} must be a probability between 0 and 1, not ${String(value)}`);
  }
  return rate;
}

/**
 * One draw per request is compared with cumulative thresholds (fail, throttle, reset, lose),
 * so the kinds are mutually exclusive and each occurs at its own rate.
 */
export function createFaultPlan(rates: FaultRates): FaultPlan {
  const fail = checkRate('failRate', rates.failRate);
  const throttle = fail + checkRate('throttleRate', rates.throttleRate);
  const reset = throttle + checkRate('resetRate', rates.resetRate);
  const lose = reset + checkRate('loseRate', rates.loseRate);
  if (lose > 1 + 1e-9) throw new ConfigError(`the fault rates add up to ${lose}, more than 1`);
  const seed = rates.seed ?? 1;
  if (!Number.isFinite(seed)) throw new ConfigError(`seed must be a number, not ${String(rates.seed)}`);
  const seedHash = hashSeed(seed);

  return {
    active: lose > 0,
    draw(method, systemId, attempt) {
      const u = drawUnit(seedHash, method, systemId, attempt);
      if (u < fail) return 'fail';
      if (u < throttle) return 'throttle';
      if (u < reset) return 'reset';
      if (u < lose) return 'lose';
      return undefined;
    },
  };
}

/**
 * Counts how many times each (method, system_id) has arrived before: attempt 0 is the first.
 * One Map per method, so the hot path builds no key string. GET all (no system_id) has its own
 * counter per method.
 */
export function createAttemptCounter(): (method: string, systemId: string | null) => number {
  const byMethod = new Map<string, Map<string, number>>();
  const withoutId = new Map<string, number>();
  return (method, systemId) => {
    let seen: Map<string, number> | undefined = withoutId;
    if (systemId !== null) {
      seen = byMethod.get(method);
      if (seen === undefined) byMethod.set(method, (seen = new Map<string, number>()));
    }
    const key = systemId ?? method;
    const attempt = seen.get(key) ?? 0;
    seen.set(key, attempt + 1);
    return attempt;
  };
}

/** An emulator option that must be a number in a range (latency, body limit, port…). */
export function checkNumber(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max = Infinity,
): number {
  const n = value ?? fallback;
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new ConfigError(
      `${name} must be a number from ${min}${max === Infinity ? ' up' : ` to ${max}`}, not ${String(value)}`,
    );
  }
  return n;
}
