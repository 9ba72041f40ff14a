/**
 * The export's spool: rows in the columns known so far, appended to a temporary file in batches,
 * then read back once the header is complete (see src/export/index.ts for why).
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { InternalError } from '../errors.js';
import { localWriteFailure } from '../errno.js';

export interface Spool {
  readonly path: string;
  /** Appends one row; a promise means: wait for it before the next (the file is behind). */
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

export function createSpool(dir: string, stem: string): Spool {
  const path = join(dir, `.${stem}.${process.pid}-${randomBytes(4).toString('hex')}.spool`);
  const file: WriteStream = createWriteStream(path);
  let failure: Error | undefined;
  file.on('error', (error: NodeJS.ErrnoException) => (failure ??= localWriteFailure(path, error)));
  // A function, because TypeScript cannot see the listener above assign `failure` across an await.
  const failed = (): Error | undefined => failure;
  let batch: (readonly string[])[] = [];
  const flush = (): Promise<void> | undefined => {
    if (failure !== undefined) return Promise.reject(failure);
    const text = `${JSON.stringify(batch)}\n`;
    batch = [];
    if (file.write(text)) return undefined;
    return new Promise((resolve, reject) => {
      const done = (): void => {
        file.off('error', fail);
        resolve();
      };
      const fail = (error: Error): void => {
        file.off('drain', done);
        reject(error);
      };
      file.once('drain', done);
      file.once('error', fail);
    });
  };
  return {
    path,
    push(cells) {
      batch.push(cells);
      return batch.length >= SPOOL_BATCH_ROWS ? flush() : undefined;
    },
    async end() {
      if (batch.length > 0) await flush();
      if (failure !== undefined) throw failure;
      file.end();
      await once(file, 'close');
      const late = failed();
      if (late !== undefined) throw late;
    },
    async *rows() {
      let rest = '';
      for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1024 * 1024 })) {
        const text = rest + (chunk as string);
        let start = 0;
        for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
          yield* JSON.parse(text.slice(start, end)) as string[][];
          start = end + 1;
        }
        rest = text.slice(start);
      }
      if (rest.length > 0) throw new InternalError(`the export spool ${path} ends mid-batch`);
    },
    async remove() {
      file.destroy();
      await rm(path, { force: true });
    },
  };
}
