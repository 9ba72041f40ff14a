/**
 * What a command module is: yargs' own, except that its handler returns the exit code (README,
 * "Exit codes") or throws a typed error. Only main.ts turns either into `process.exitCode`, so no
 * command can overwrite another's code.
 */
import type { ArgumentsCamelCase, CommandModule } from 'yargs';

export interface Command<A> extends Omit<CommandModule<object, A>, 'handler'> {
  handler(args: ArgumentsCamelCase<A>): Promise<number>;
  /**
   * A better hint for a typed error, by its `code`, when the command knows what the library cannot:
   * the command line to paste (`--resume`, `--restart`). The error itself is never rewrapped.
   */
  hintFor?(code: string, args: ArgumentsCamelCase<A>): Promise<string | undefined>;
}
