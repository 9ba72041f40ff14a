/**
 * The export's spool: rows in the columns known so far, appended to a temporary file in batches,
 * then read back once the header is complete (see src/export/index.ts for why). The file is a
 * spill file (src/spill.ts): mode 600, and left-overs of a killed export are removed by the next.
 */
import { createSpill } from '../spill.js';

export interface Spool {
  /** Appends one row; a promise means: wait for it before the next (kept for callers; the spill writes synchronously). */
  push(cells: readonly string[]): Promise<void> | undefined;
  end(): Promise<void>;
  rows(): AsyncGenerator<string[]>;
  remove(): Promise<void>;
}

/**
 * Rows are spooled in batches, one JSON array of rows per line: one JSON.stringify and one
 * JSON.parse per batch instead of per row (per row, they measured as a large share of the run).
 */
const SPOOL_BATCH_ROWS = 1000;

/** A spool in `dir` (beside `--out`, so the rename at the end stays on one file system). */
export function createSpool(dir: string): Spool {
  const spill = createSpill<(readonly string[])[]>('export', dir);
  let batch: (readonly string[])[] = [];
  const flush = (): void => {
    spill.append(batch);
    batch = [];
  };
  return {
    push(cells) {
      batch.push(cells);
      if (batch.length < SPOOL_BATCH_ROWS) return undefined;
      try {
        flush();
        return undefined;
      } catch (error) {
        // A full disk (a FileError from the spill): the walk waits on this promise, so it stops the read.
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
    end() {
      if (batch.length > 0) flush();
      spill.flush();
      return Promise.resolve();
    },
    async *rows() {
      for await (const rows of spill.records()) yield* rows as string[][];
    },
    remove() {
      spill.dispose();
      return Promise.resolve();
    },
  };
}
