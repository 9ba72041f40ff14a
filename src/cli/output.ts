/**
 * What the CLI prints for people: the one-line fatal error (no stack trace unless --verbose).
 */
import { FileError, InternalError, InterruptedError, isCiopulseError } from '../errors.js';
import { createStyles, resolveColor, type Styles } from '../report/styles.js';

export const stderrStyles: Styles = createStyles(resolveColor(process.stderr));

const BUG =
  'this is a bug in ciopulse-contacts, please report it (run again with --verbose for the details to include)';

/** Prints a whole-run error as one readable line (plus a hint) and returns the exit code. */
export function reportFatal(error: unknown, options: { verbose: boolean; hint?: string | undefined }): number {
  const s = stderrStyles;
  const stack = (): void => {
    if (options.verbose && error instanceof Error && error.stack !== undefined)
      process.stderr.write(`${s.dim(error.stack)}\n`);
  };
  if (error instanceof InterruptedError) {
    // Ctrl-C is the user's own choice, not an error.
    process.stderr.write(`${error.message}\n`);
    return error.exitCode;
  }
  if (error instanceof InternalError) {
    process.stderr.write(`${s.red('error:')} internal error: ${error.message}; ${BUG}\n`);
    stack();
    return error.exitCode;
  }
  if (isCiopulseError(error)) {
    // A FileError may carry several problems: one `error:` line each.
    const lines = error instanceof FileError ? error.problems : [error.message];
    for (const line of lines) process.stderr.write(`${s.red('error:')} ${line}\n`);
    const hint = options.hint ?? error.hint;
    if (hint !== undefined) process.stderr.write(`${s.dim('hint:')} ${hint}\n`);
    stack();
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${s.red('error:')} unexpected failure: ${message}\n`);
  if (options.verbose && error instanceof Error && error.stack !== undefined)
    process.stderr.write(`${s.dim(error.stack)}\n`);
  else process.stderr.write(`${s.dim('hint:')} run again with --verbose for details, and report it if it persists\n`);
  return 2;
}
