#!/usr/bin/env -S node --
/**
 * The shebang's `--` matters: Node 20 reads its own `--env-file` anywhere on its command line,
 * even after the script name, and exits 9 before this file runs; `--` stops that scan, so our
 * `--env-file` reaches us (README, "Where settings come from").
 *
 * The CLI entry: yargs parses, one command module per file runs, and this one top-level catch
 * maps typed errors to exit codes (README, "Exit codes"). Nothing below src/cli/ prints or exits.
 */
import yargs, { type ArgumentsCamelCase, type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { isCiopulseError } from '../errors.js';
import type { Command } from './command.js';
import { reportFatal } from './output.js';
import { importCommand } from './import.js';
import { exportCommand } from './export.js';
import { deleteCommand } from './delete.js';
import { getCommand } from './get.js';
import { emulatorCommand } from './emulator.js';
import { demoCommand } from './demo.js';
import { checkCommand } from './check.js';
import { syncCommand } from './sync.js';
import { COMPLETION_HELP, explainUsage, isCompletionHelp, refuseKeyFlag } from './usage.js';
// Read at build time: the bundled CLI has no node_modules/yargs path from which yargs could find it.
import packageJson from '../../package.json' with { type: 'json' };

export async function main(argv: string[]): Promise<void> {
  const verbose = argv.includes('--verbose');
  let code = 0;
  let hint: string | undefined;
  /** The one exit path: a command returns its code or throws; both end here. */
  const register = <A>(command: Command<A>): CommandModule<object, A> => ({
    ...command,
    handler: async (args: ArgumentsCamelCase<A>) => {
      try {
        code = Math.max(code, await command.handler(args));
      } catch (error) {
        if (isCiopulseError(error)) hint = await command.hintFor?.(error.code, args);
        throw error;
      }
    },
  });
  try {
    refuseKeyFlag(argv);
    if (isCompletionHelp(argv)) {
      process.stdout.write(COMPLETION_HELP);
      return;
    }
    const cli = yargs(argv)
      .scriptName('ciopulse-contacts')
      .usage('$0 <command> [options]\n\nMove contacts between CSV files and the CIOPulse Contacts API v5.')
      .command(register(importCommand))
      .command(register(exportCommand))
      .command(register(deleteCommand))
      .command(register(syncCommand))
      .command(register(getCommand))
      .command(register(checkCommand))
      .command(register(emulatorCommand))
      .command(register(demoCommand))
      .completion('completion', 'Print a shell completion script (bash or zsh)')
      .example('$0 demo', 'Run an import and an export against the embedded emulator')
      .example('$0 import contacts.csv --dry-run', 'Check every row; send nothing')
      .example('$0 import contacts.csv --env-file .env', 'Upsert every row; write contacts.results.csv')
      .example('$0 export --out contacts.csv --excel-safe', 'Dump every contact to CSV')
      .demandCommand(1, 'Name a command: import, export, delete, sync, get, check, emulator or demo.')
      .strict()
      .recommendCommands()
      .help()
      .alias('h', 'help')
      .version(packageJson.version)
      .wrap(Math.min(110, process.stdout.columns || 100))
      .fail((message, error, usage) => {
        // yargs calls this for its own usage errors; rethrow so the one catch below handles all.
        throw (
          error ??
          explainUsage(
            message,
            argv,
            Object.keys((usage as unknown as { getDescriptions(): object }).getDescriptions()),
          )
        );
      });
    if (argv.length === 0) {
      // The bare command: the help, on stdout, but exit 2 like any usage error, so that a script
      // whose arguments went missing (an empty "$CMD") fails loudly instead of passing.
      process.stdout.write(`${await cli.getHelp()}\n`);
      code = 2;
    } else {
      await cli.parseAsync();
    }
  } catch (error) {
    code = Math.max(code, reportFatal(error, { verbose, hint }));
  }
  process.exitCode = code;
}

await main(hideBin(process.argv));
