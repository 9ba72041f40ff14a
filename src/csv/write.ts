/**
 * Output files. CSV rows stream through csv-stringify into a file, honouring backpressure;
 * `end()` waits for 'finish', so a resolved end means the bytes reached the file. Files that
 * must never be seen half-written (export, the final results rewrite) go to a temporary file
 * that is renamed into place.
 */
import { createWriteStream, closeSync, openSync, renameSync, rmSync, writeSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { stringify, type Stringifier } from 'csv-stringify';

export interface CsvWriter {
  /** Writes one row; resolves at once unless the file is behind, then after 'drain'. */
  write(row: readonly string[]): Promise<void> | undefined;
  /** Flushes and closes; rejects if the file could not be written. */
  end(): Promise<void>;
  /** Closes and removes what was written (a failed export). */
  abort(): Promise<void>;
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

export function createCsvWriter(path: string, options: CsvWriterOptions = {}): CsvWriter {
  const target = options.atomic === true ? temporaryPathFor(path) : path;
  const file: WriteStream = createWriteStream(target);
  // CRLF is what RFC 4180 and Excel expect; csv-parse reads either. With a CRLF record
  // delimiter csv-stringify would leave a cell holding a bare LF unquoted, and every reader
  // would split the row there, so any cell with a line break is quoted.
  const stringifier: Stringifier = stringify({ bom: options.bom === true, record_delimiter: 'windows', quoted_match: /[\r\n]/ });
  stringifier.pipe(file);
  let failure: Error | undefined;
  const fail = (error: Error): void => {
    failure ??= error;
  };
  file.on('error', fail);
  stringifier.on('error', fail);

  // One 'drain' wait shared by every write made while the file is behind, so callers that do
  // not await each write cannot pile up listeners.
  let drained: Promise<void> | undefined;
  return {
    path,
    write(row) {
      if (failure !== undefined) return Promise.reject(failure);
      if (stringifier.write(row) && drained === undefined) return undefined;
      drained ??= once(stringifier, 'drain').then(() => {
        drained = undefined;
      });
      return drained;
    },
    async end() {
      if (failure === undefined) {
        stringifier.end();
        await Promise.race([once(file, 'finish'), once(file, 'error').then(([error]) => Promise.reject(error as Error))]);
      }
      if (failure !== undefined) throw failure;
      if (options.atomic === true) renameSync(target, path);
    },
    async abort() {
      stringifier.unpipe(file);
      file.destroy();
      await once(file, 'close').catch(() => undefined);
      rmSync(target, { force: true });
    },
  };
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
