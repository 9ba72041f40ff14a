/**
 * Checks made before a run sends anything (README, "Resume"): every output path can be written,
 * no other run is writing the same results file (a lock beside it), and an unfinished run's
 * journal is neither silently discarded nor resumed from nothing. The errors thrown here name
 * files and counts; the CLI adds which flag to use.
 */
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { renameTarget } from '../csv/targets.js';
import { FileError, RunLockedError } from '../errors.js';
import { errnoError, writeFailure } from '../errno.js';
import { isAlive, removeStaleByPid } from '../spill.js';
import { readJournal } from './journal.js';
import { readResultRows } from './results-file.js';
import { RESULT_COLUMNS } from './results.js';
import { FINAL_STATUSES, type RowStatus } from './statuses.js';

/** Throws a FileError naming the path when it cannot be created or overwritten. */
export function checkWritable(path: string): void {
  const fail = (why: string): never => {
    throw new FileError(`cannot write ${path}: ${why}`, { file: path });
  };
  if (existsSync(path)) {
    const stat = statSync(path);
    if (stat.isDirectory()) throw writeFailure(path, errnoError('EISDIR'));
    try {
      accessSync(path, constants.W_OK);
    } catch (error) {
      throw writeFailure(path, error);
    }
    return;
  }
  // A dangling symlink is written where it points: that folder is the one that must exist.
  const target = renameTarget(path);
  if (target !== resolve(path)) {
    if (!existsSync(dirname(target))) fail(`it is a symlink to ${target}, whose folder does not exist`);
  }
  const dir = dirname(target === resolve(path) ? path : target);
  if (!existsSync(dir)) fail(`the folder ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) fail(`${dir} is not a folder`);
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch {
    fail(`the folder ${dir} is not writable`);
  }
}

export function resolveLockPath(resultsPath: string): string {
  return `${resultsPath}.lock`;
}

/**
 * Takes `<results>.lock`, created with O_EXCL and holding this process's pid. A lock whose pid is
 * no longer alive was left by a killed run and is taken over. Returns the release function.
 */
export function acquireLock(resultsPath: string): () => void {
  const lockPath = resolveLockPath(resultsPath);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2)
        throw new FileError(`cannot create the lock ${lockPath}: ${String(error)}`, { file: lockPath });
      const pid = Number.parseInt(readLock(lockPath), 10);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid))
        throw new RunLockedError(resultsPath, pid);
      rmSync(lockPath, { force: true }); // stale: its run is gone
    }
  }
  return () => {
    if (readLock(lockPath).trim() === String(process.pid)) rmSync(lockPath, { force: true });
  };
}

function readLock(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Rows of an earlier run that have a final answer, from its results file and its journal. */
export async function countAnswered(resultsPath: string, journalPath: string): Promise<number> {
  const answered = new Set<number>();
  if (existsSync(resultsPath)) {
    let seq = 0;
    // Any width: a line a crash cut short ends the reading, and the rows before it still count.
    for await (const record of readResultRows(resultsPath)) {
      const status = record[record.length - RESULT_COLUMNS.length] as RowStatus;
      if (FINAL_STATUSES.has(status)) answered.add(seq);
      seq++;
    }
  }
  for await (const entry of readJournal(journalPath)) if (FINAL_STATUSES.has(entry.status)) answered.add(entry.seq);
  return answered.size;
}

/**
 * Removes `<file>.tmp-<pid>` files left by runs that were killed (their pid is gone): a resumed
 * run's results, and every .xlsx output, which is written whole to a temporary file first.
 * Nothing beside a special file (a device, a FIFO) is looked at: it never gets a temporary.
 */
export function removeStaleTemporaries(paths: readonly string[]): void {
  for (const path of paths) {
    if (existsSync(path) && !statSync(path).isFile()) continue;
    const prefix = `${basename(path)}.tmp-`;
    removeStaleByPid(dirname(path), (name) =>
      name.startsWith(prefix) ? Number(name.slice(prefix.length)) : undefined,
    );
  }
}
