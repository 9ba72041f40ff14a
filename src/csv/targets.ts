/**
 * Where an output really goes, in one place for every command (README, "Default paths"):
 *
 * - An output that is not a regular file (a FIFO, a terminal, `/dev/stdout`, a device) is written
 *   straight: never renamed over (as root, a rename replaces the device node itself), and no
 *   journal, lock or temporary file is created beside it.
 * - An output reached through a symlink is renamed into place at the link's target, so the link
 *   stays a link.
 * - An output that is the input, or another output (same device and inode, or the same real
 *   path: symlinks and hard links included), is refused before anything is read or sent.
 */
import { lstatSync, readlinkSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { FileError } from '../errors.js';
import { HINTS, INPUT_ERRORS } from '../error-messages.js';

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** Exists, and is neither a regular file nor a folder: written straight, nothing created beside it. */
export function isSpecialFile(path: string): boolean {
  const stat = statOf(path);
  return stat !== undefined && !stat.isFile() && !stat.isDirectory();
}

/**
 * The path a rename must land on: a symlink's final target (so the link is kept), else the path.
 * A dangling link resolves to where it points, which is where a write through it would go.
 */
export function renameTarget(path: string): string {
  let current = resolve(path);
  for (let hops = 0; hops < 40; hops++) {
    let link: string;
    try {
      if (!lstatSync(current).isSymbolicLink()) break;
      link = readlinkSync(current);
    } catch {
      break;
    }
    current = resolve(dirname(current), link);
  }
  try {
    return join(realpathSync(dirname(current)), basename(current));
  } catch {
    return current;
  }
}

/** One output (or the input) to compare, named for the message: "the results file", "--report". */
export interface NamedFile {
  label: string;
  path: string;
}

/** An identity for comparing: the device and inode when it exists, else the real path it would get. */
function identityOf(path: string): { key: string; stat: Stats | undefined } {
  const stat = statOf(path);
  if (stat !== undefined) return { key: `${stat.dev}:${stat.ino}`, stat };
  return { key: renameTarget(path), stat };
}

/**
 * Throws a FileError (exit 2) when an output is the input, or two outputs are one file. Two
 * outputs on one terminal or `/dev/null` are fine: nothing is truncated or renamed there.
 */
export function refuseSameFiles(input: NamedFile | undefined, outputs: readonly NamedFile[]): void {
  const seen: { file: NamedFile; key: string; shareable: boolean }[] = [];
  const inputId = input === undefined ? undefined : identityOf(input.path);
  const problems: string[] = [];
  for (const file of outputs) {
    const { key, stat } = identityOf(file.path);
    if (input !== undefined && inputId?.key === key) {
      problems.push(INPUT_ERRORS.outputIsInput(`${file.label} ${file.path}`, input.path));
      continue;
    }
    const shareable = stat?.isCharacterDevice() === true;
    const twin = seen.find((other) => other.key === key && !(shareable && other.shareable));
    if (twin !== undefined)
      problems.push(INPUT_ERRORS.sameOutput(`${file.label} ${file.path}`, `${twin.file.label} ${twin.file.path}`));
    else seen.push({ file, key, shareable });
  }
  if (problems.length > 0) {
    const error = new FileError(problems.join('\n'), {
      file: outputs[0]?.path,
      problems,
      hint: HINTS.separateOutputs(),
    });
    throw error;
  }
}
