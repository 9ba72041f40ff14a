/**
 * What the CLI prints for people: the one-line fatal error (no stack trace unless --verbose).
 */
import { FileError, InternalError, InterruptedError, isCiopulseError } from '../errors.js';
import { createStyles, resolveColor, type Styles } from '../report/styles.js';
import { CLI_HINTS, CLI_LINES } from './words.js';

export const stderrStyles: Styles = createStyles(resolveColor(process.stderr));

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
    process.stderr.write(`${s.red('error:')} ${CLI_LINES.internalError(error.message)}\n`);
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
  process.stderr.write(`${s.red('error:')} ${CLI_LINES.unexpectedFailure(message)}\n`);
  if (options.verbose && error instanceof Error && error.stack !== undefined)
    process.stderr.write(`${s.dim(error.stack)}\n`);
  else process.stderr.write(`${s.dim('hint:')} ${CLI_HINTS.unexpected()}\n`);
  return 2;
}
