import { relative } from 'node:path';

/**
 * Commands the tool suggests, as text that runs when pasted into a POSIX shell (README, "Next
 * steps"): `Next:`, hints, the mapping block's `--map` advice, and the resume/restart lines. Every
 * one of them is built here, so a word is quoted the same way wherever it appears.
 */

/** Quotes a word for a POSIX shell, only when it needs it: `it's` → `'it'\''s'`, `Cell=mobile` stays bare. */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Words → one command line, each word quoted as it needs. */
export function commandLine(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}

/** `--map 'Mobile Phone=mobile'`: the flag that sends a column to a field (empty field: leave it unsent). */
export function mapFlag(header: string, field: string): string {
  return commandLine(['--map', `${header}=${field}`]);
}

/** A path as people see it in a message or a command: relative to the working folder when it is below it. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') || rel === '' ? path : rel;
}

/**
 * How to start the next run: the way this one was started (`npx ciopulse-contacts`, the bin on
 * the PATH, `node dist/cli/main.js`) and the flags of this run that the next one needs, as words.
 */
export interface Rerun {
  launcher: readonly string[];
  flags: readonly string[];
  /**
   * Flags that say how to read the user's own file (`--encoding`): a command that reads a file the
   * tool wrote (an errors file, always UTF-8) leaves them out.
   */
  inputFlags?: readonly string[];
  /** Flags a `--resume` needs besides those (`--limit`), since it must see the same rows. */
  resumeFlags?: readonly string[];
}

export const DEFAULT_RERUN: Rerun = { launcher: ['ciopulse-contacts'], flags: [] };

/**
 * The one builder of a run to paste: started as this run was, with the flags the next one needs.
 * `ownFile`: the input is a file the tool wrote (an errors file), so the input's `--encoding` is
 * left out (README, "Next steps").
 */
/** The command a run belongs to. */
export type RunVerb = 'import' | 'delete' | 'sync';

export function rerunCommand(
  rerun: Rerun | undefined,
  verb: RunVerb,
  input: string,
  extra: readonly string[] = [],
  options: { ownFile?: boolean } = {},
): string {
  const { launcher, flags, inputFlags = [] } = rerun ?? DEFAULT_RERUN;
  const reading = options.ownFile === true ? [] : inputFlags;
  return commandLine([...launcher, verb, displayPath(input), ...flags, ...reading, ...extra]);
}
