/**
 * A file system error in words, in one place: one wording per errno, the code named once after
 * it ("cannot write out.csv: no space left on device (ENOSPC)"), so every command says the same
 * thing about the same problem.
 */
import { CiopulseError, FileError } from './errors.js';

const WORDS: Readonly<Record<string, string>> = {
  ENOENT: 'it does not exist',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOSPC: 'no space left on device',
  EDQUOT: 'the disk quota is used up',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of its path is not a directory',
  EROFS: 'the file system is read-only',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
  EFBIG: 'the file is too large',
};

/** "no space left on device (ENOSPC)"; an error without a known code keeps Node's words. */
export function errnoMessage(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const words = code === undefined ? undefined : WORDS[code];
  if (words !== undefined) return `${words} (${code})`;
  const raw = error instanceof Error ? error.message : String(error);
  // Node's message is "EXDEV: cross-device link not permitted, rename 'a' -> 'b'"; keep the words, name the code once.
  const plain = raw.replace(/^[A-Z]+: /, '').replace(/, \w+( '[^']*')*( -> '[^']*')?$/, '');
  return code === undefined || plain.includes(code) ? plain : `${plain} (${code})`;
}

/** The same error as a thrown Error, for places that check a path by hand (a directory given for a file). */
export function errnoError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(WORDS[code] ?? code), { code });
}

/** "cannot read <what> <path>: <why>"; a FileError passes through. */
export function readFailure(path: string, error: unknown, what?: string): FileError {
  if (error instanceof FileError) return error;
  const name = what === undefined ? path : `${what} ${path}`;
  return new FileError(`cannot read ${name}: ${errnoMessage(error)}`, { file: path, cause: error });
}

/** "cannot write <what> <path>: <why>"; a FileError passes through. */
export function writeFailure(path: string, error: unknown, what?: string): FileError {
  if (error instanceof FileError) return error;
  const name = what === undefined ? path : `${what} ${path}`;
  return new FileError(`cannot write ${name}: ${errnoMessage(error)}`, { file: path, cause: error });
}

/** A disk problem on our side (no such folder, disk full) is a FileError, never blamed on the API; other typed errors pass. */
export function localWriteFailure(path: string, error: unknown): CiopulseError {
  return error instanceof CiopulseError ? error : writeFailure(path, error);
}
