/**
 * Spill files, in one place: what would otherwise grow with the input in memory (the 422 rows
 * awaiting their second chance, after-the-fact answers, a plan's predicted 422s, the export's
 * rows) goes to a JSON Lines file, one record a line, and is read back in order or by byte range
 * (docs/ARCHITECTURE.md, "One concept, one place").
 *
 * The records are contact data, so a spill file is created at mode 600, hidden, and named
 * `.ciopulse-<kind>.<pid>-<random>.jsonl`: a run killed before it could remove its files leaves
 * them behind, and the next run that spills into the same folder removes those whose pid is gone.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, createReadStream, openSync, readdirSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFailure } from './errno.js';

/** Writes are gathered up to this many bytes or records: one write(2) for many records. */
const FLUSH_BYTES = 256 * 1024;
const FLUSH_RECORDS = 256;
const NAME = /^\.ciopulse-[a-z-]+\.(\d+)-[0-9a-f]+\.jsonl$/;

export interface SpillRange {
  offset: number;
  length: number;
}

export interface Spill<T> {
  /** Records appended so far. */
  readonly count: number;
  /** Appends one record (buffered); its byte range, for `readAt`. */
  append(record: T): SpillRange;
  /** Writes what is buffered; a full disk throws a FileError here. */
  flush(): void;
  readAt(range: SpillRange): T;
  /** Every record, in the order appended, streamed from the file. */
  records(): AsyncGenerator<T>;
  /** Removes the file; the spill is empty again. */
  dispose(): void;
}

/** Is a process with this pid running? EPERM: it is, under another user. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the files in `dir` that a killed run left: `pidOf` reads the writer's pid from a name
 * (undefined: not such a file), and a file whose pid is gone is removed. The one sweep behind
 * stale spills and stale `.tmp-<pid>` outputs.
 */
export function removeStaleByPid(dir: string, pidOf: (name: string) => number | undefined): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return; // the folder's own problem is reported when a file is created there
  }
  for (const name of names) {
    const pid = pidOf(name);
    if (pid === undefined || !Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    rmSync(join(dir, name), { force: true });
  }
}

const swept = new Set<string>();

/** Removes spill files that a killed run left in `dir` (their pid is gone); once per folder and process. */
export function removeStaleSpills(dir: string): void {
  if (swept.has(dir)) return;
  swept.add(dir);
  removeStaleByPid(dir, (name) => {
    const pid = NAME.exec(name)?.[1];
    return pid === undefined ? undefined : Number(pid);
  });
}

/** A spill of `kind` records in `dir` (default: the OS temp folder). The file is created at the first flush. */
export function createSpill<T>(kind: string, dir: string = tmpdir()): Spill<T> {
  let path: string | undefined;
  let fd: number | undefined;
  let pending = '';
  let pendingCount = 0;
  let end = 0;
  let written = 0;
  let count = 0;
  const open = (): number => {
    if (fd !== undefined) return fd;
    removeStaleSpills(dir);
    path = join(dir, `.ciopulse-${kind}.${process.pid}-${randomBytes(4).toString('hex')}.jsonl`);
    try {
      // 'wx': never follow or reuse a file someone else put there; 600: contact data.
      fd = openSync(path, 'wx+', 0o600);
    } catch (error) {
      throw writeFailure(path, error);
    }
    return fd;
  };
  const spill: Spill<T> = {
    get count() {
      return count;
    },
    append(record) {
      const line = JSON.stringify(record);
      const length = Buffer.byteLength(line);
      const range = { offset: end, length };
      pending += `${line}\n`;
      end += length + 1;
      count++;
      if (++pendingCount >= FLUSH_RECORDS || pending.length >= FLUSH_BYTES) spill.flush();
      return range;
    },
    flush() {
      if (pending === '') return;
      const target = open();
      try {
        writeSync(target, pending);
      } catch (error) {
        throw writeFailure(path ?? dir, error);
      }
      pending = '';
      pendingCount = 0;
      written = end;
    },
    readAt(range) {
      if (range.offset + range.length > written) spill.flush();
      const buffer = Buffer.alloc(range.length);
      readSync(open(), buffer, 0, range.length, range.offset);
      return JSON.parse(buffer.toString('utf8')) as T;
    },
    async *records() {
      spill.flush();
      if (path === undefined) return;
      let rest = '';
      for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1024 * 1024 })) {
        const text = rest + (chunk as string);
        let start = 0;
        for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', start)) {
          yield JSON.parse(text.slice(start, at)) as T;
          start = at + 1;
        }
        rest = text.slice(start);
      }
    },
    dispose() {
      if (fd !== undefined) closeSync(fd);
      if (path !== undefined) rmSync(path, { force: true });
      [fd, path, pending, pendingCount, end, written, count] = [undefined, undefined, '', 0, 0, 0, 0];
    },
  };
  return spill;
}
