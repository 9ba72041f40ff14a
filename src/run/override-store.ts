/**
 * After-the-fact answers (deferred 422s, superseded rows) until the final rewrite puts them in
 * the results file. A file where every row got 422 has one per row, so they are not held in
 * memory: each goes to a spill file (src/spill.ts) as it arrives, and only its byte range is
 * kept, by seq (two numbers a row). The rewrite reads each one back when it reaches that seq.
 */
import { createSpill } from '../spill.js';
import type { Override } from './results.js';

export interface OverrideLookup {
  readonly size: number;
  get(seq: number): Override | undefined;
  /** Removes a temporary file, if one was used. */
  dispose?(): void;
}

export interface OverrideStore extends OverrideLookup {
  set(seq: number, override: Override): void;
  /** Replaces an override's `after` (a swap named once every row is known). */
  update(seq: number, change: (override: Override) => Override): void;
  dispose(): void;
}

/** Overrides kept in memory below this count; past it they are spilled to a temporary file. */
const IN_MEMORY = 1000;

export function createOverrideStore(): OverrideStore {
  const memory = new Map<number, Override>();
  // Byte range of each spilled override, by seq: twelve bytes a row in typed arrays, off the JS heap.
  let offsets = new Float64Array(0);
  let lengths = new Int32Array(0);
  let spilledCount = 0;
  const spilledAt = (seq: number): number => lengths[seq] ?? 0;
  const spill = createSpill<Override>('overrides');
  const read = (seq: number): Override | undefined => {
    const length = spilledAt(seq);
    return length === 0 ? memory.get(seq) : spill.readAt({ offset: offsets[seq] ?? 0, length });
  };
  const store: OverrideStore = {
    get size() {
      return memory.size + spilledCount;
    },
    get: read,
    set(seq, override) {
      if (memory.size < IN_MEMORY && spilledAt(seq) === 0) {
        memory.set(seq, override);
        return;
      }
      memory.delete(seq);
      const range = spill.append(override);
      if (seq >= lengths.length) {
        const capacity = Math.max(seq + 1, lengths.length * 2, 1024);
        const grownOffsets = new Float64Array(capacity);
        grownOffsets.set(offsets);
        offsets = grownOffsets;
        const grownLengths = new Int32Array(capacity);
        grownLengths.set(lengths);
        lengths = grownLengths;
      }
      if (spilledAt(seq) === 0) spilledCount++;
      offsets[seq] = range.offset;
      lengths[seq] = range.length;
    },
    update(seq, change) {
      const current = read(seq);
      if (current !== undefined) store.set(seq, change(current));
    },
    dispose() {
      spill.dispose();
    },
  };
  return store;
}

/** An in-memory lookup over a Map (the plan's and the supersede tracker's few overrides). */
export function mergeOverrides(...sources: (ReadonlyMap<number, Override> | OverrideLookup)[]): OverrideLookup {
  return {
    get size() {
      return sources.reduce((n, s) => n + s.size, 0);
    },
    get(seq) {
      // Later sources win: the second chance decides over the supersede tracker.
      for (let i = sources.length - 1; i >= 0; i--) {
        const found = sources[i]?.get(seq);
        if (found !== undefined) return found;
      }
      return undefined;
    },
    dispose() {
      for (const source of sources) if (!(source instanceof Map)) (source as OverrideLookup).dispose?.();
    },
  };
}
