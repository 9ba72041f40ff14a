/**
 * Output files. Rows are formatted as CSV (formatCsvRow) in batches and written to a file
 * stream, honouring backpressure; `end()` waits for 'finish', so a resolved end means the bytes
 * reached the file. Files that must never be seen half-written (export, the final results
 * rewrite) go to a temporary file that is renamed into place.
 */
import { createWriteStream, closeSync, openSync, renameSync, rmSync, writeSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { isSpecialFile, renameTarget } from './targets.js';

export interface CsvWriter {
  /** Writes one row; resolves at once unless the file is behind, then after 'drain'. */
  write(row: readonly string[]): Promise<void> | undefined;
  /** Flushes and closes; rejects if the file could not be written. */
  end(): Promise<void>;
  /** Closes and removes what was written (a failed export). */
  abort(): Promise<void>;
  /**
   * An atomic writer's file goes into place now, and writing goes on into it (a rename keeps
   * the open file): the results of a run that has had its first answer (README, "Resume").
   */
  publish(): void;
  readonly path: string;
}

export interface CsvWriterOptions {
  /** Write a UTF-8 BOM first, so that Excel opens non-ASCII text correctly. */
  bom?: boolean;
  /** Write to `<path>.tmp-<pid>` and rename over `path` on end(). */
  atomic?: boolean;
}

/** Where an atomic writer puts its bytes until end(). */
export function temporaryPathFor(path: string): string {
  return `${path}.tmp-${process.pid}`;
}

/**
 * One row as RFC 4180 CSV with CRLF, the way Excel writes it: a cell is quoted exactly when it
 * holds a quote, a comma or a line break (a bare LF too), and inner quotes are doubled. This is
 * the project's one CSV writer: every results, errors, backup and export file and export to
 * stdout go through it. It is the hot path of every run, and csv-stringify in its place costs
 * about a tenth of the dry run's throughput (BENCHMARKS.md, section 1, fix D1); the property test
 * in test/units.test.ts checks it against csv-stringify's output byte for byte, on any text.
 */
const NEEDS_QUOTES = /[",\r\n]/;
export function formatCsvRow(row: readonly string[]): string {
  let line = '';
  for (let i = 0; i < row.length; i++) {
    const cell = row[i] ?? '';
    if (i > 0) line += ',';
    line += NEEDS_QUOTES.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
  }
  return `${line}\r\n`;
}

/**
 * Bytes the file stream holds before a write waits for 'drain'. Node's 16 KiB is less than one
 * batch, so every batch waited for the disk thread, and a busy machine left the run idle between
 * batches (BENCHMARKS.md, section 1).
 */
const WRITE_BUFFER = 1024 * 1024;
/** Rows per write to the file: one write call per batch rather than per row. */
const BATCH_ROWS = 256;
/** A batch that is not full is still written this soon, so the file keeps up with a slow run. */
const FLUSH_MS = 100;

export function createCsvWriter(path: string, options: CsvWriterOptions = {}): CsvWriter {
  // A FIFO or a device is written straight: a rename would replace it (targets.ts).
  const atomic = options.atomic === true && !isSpecialFile(path);
  const final = atomic ? renameTarget(path) : path;
  const target = atomic ? temporaryPathFor(final) : path;
  // A temporary file is created now, not when the stream's own open gets its turn: `publish` may
  // rename it at once (a run's first answer can come before that), and renaming a file that does
  // not exist yet failed the run. Should this open fail, the stream's own open fails again and
  // reports it as every write failure is reported. (A FIFO or a device is never opened here: an
  // open for writing waits for a reader.)
  const fd = atomic ? openNow(target) : undefined;
  const file: WriteStream = createWriteStream(target, {
    highWaterMark: WRITE_BUFFER,
    ...(fd === undefined ? {} : { fd }),
  });
  let published = false;
  let failure: Error | undefined;
  file.on('error', (error) => {
    failure ??= error;
  });
  if (options.bom === true) file.write('\uFEFF');

  let batch: (readonly string[])[] = [];
  let timer: NodeJS.Timeout | undefined;
  // One 'drain' wait shared by every write made while the file is behind, so callers that do
  // not await each write cannot pile up listeners.
  let drained: Promise<void> | undefined;

  function flush(): boolean {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (batch.length === 0 || failure !== undefined) return true;
    let text = '';
    for (const row of batch) text += formatCsvRow(row);
    batch = [];
    return file.write(text);
  }

  return {
    path,
    write(row) {
      if (failure !== undefined) return Promise.reject(failure);
      batch.push(row);
      if (batch.length < BATCH_ROWS) {
        timer ??= setTimeout(flush, FLUSH_MS).unref();
        return drained;
      }
      if (flush() && drained === undefined) return undefined;
      drained ??= once(file, 'drain').then(() => {
        drained = undefined;
      });
      return drained;
    },
    async end() {
      flush();
      if (failure === undefined) {
        file.end();
        await Promise.race([
          once(file, 'finish'),
          once(file, 'error').then(([error]) => Promise.reject(error as Error)),
        ]);
      }
      if (failure !== undefined) throw failure;
      if (atomic && !published) renameSync(target, final);
    },
    publish() {
      if (!atomic || published) return;
      renameSync(target, final);
      published = true;
    },
    async abort() {
      if (timer !== undefined) clearTimeout(timer);
      batch = [];
      file.destroy();
      // A stream that failed may have closed already: 'close' would never come again.
      if (!file.closed) await once(file, 'close').catch(() => undefined);
      // Only a file of our own is removed: never a FIFO or a device the user named, nor one in place.
      if (!published && !isSpecialFile(target)) rmSync(target, { force: true });
    },
  };
}

/** The file opened for writing (created or emptied), or undefined when that fails. */
function openNow(path: string): number | undefined {
  try {
    return openSync(path, 'w');
  } catch {
    return undefined;
  }
}

/**
 * An append-only journal, one JSON object per line, each written with its own write(2):
 * the kernel has the line even if the process is killed a moment later.
 */
export interface Journal {
  append(entry: object): void;
  close(): void;
  remove(): void;
  readonly path: string;
}

/** `append` keeps an earlier run's lines (a resumed run); otherwise the journal starts empty. */
export function openJournal(path: string, options: { append: boolean }): Journal {
  const fd = openSync(path, options.append ? 'a' : 'w');
  let open = true;
  return {
    path,
    append(entry) {
      writeSync(fd, `${JSON.stringify(entry)}\n`);
    },
    close() {
      if (open) closeSync(fd);
      open = false;
    },
    remove() {
      if (open) closeSync(fd);
      open = false;
      rmSync(path, { force: true });
    },
  };
}
