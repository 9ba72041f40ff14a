#!/usr/bin/env node
/**
 * The CLI entry: yargs parses, one command module per file runs, and this one top-level catch
 * maps typed errors to exit codes (DESIGN.md, "Exit codes"). Nothing below src/cli/ prints or exits.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { UsageError } from '../errors.js';
import { reportFatal } from './output.js';
import { importCommand } from './import.js';
import { exportCommand } from './export.js';
import { deleteCommand } from './delete.js';
import { getCommand } from './get.js';
import { emulatorCommand } from './emulator.js';
import { demoCommand } from './demo.js';
// Read at build time: the bundled CLI has no node_modules/yargs path from which yargs could find it.
import packageJson from '../../package.json' with { type: 'json' };

export async function main(argv: string[]): Promise<void> {
  const verbose = argv.includes('--verbose');
  try {
    await yargs(argv)
      .scriptName('ciopulse-contacts')
      .usage('$0 <command> [options]\n\nMove contacts between CSV files and the CIOPulse Contacts API v5.')
      .command(importCommand)
      .command(exportCommand)
      .command(deleteCommand)
      .command(getCommand)
      .command(emulatorCommand)
      .command(demoCommand)
      .completion('completion', 'Print a shell completion script (bash or zsh)')
      .example('$0 demo', 'Run an import and an export against the embedded emulator')
      .example('$0 import contacts.csv --dry-run', 'Check every row; send nothing')
      .example('$0 import contacts.csv --env-file .env', 'Upsert every row; write contacts.results.csv')
      .example('$0 export --out contacts.csv --excel-safe', 'Dump every contact to CSV')
      .demandCommand(1, 'Name a command: import, export, delete, get, emulator or demo.')
      .strict()
      .recommendCommands()
      .help()
      .alias('h', 'help')
      .version(packageJson.version)
      .wrap(Math.min(110, process.stdout.columns || 100))
      .fail((message, error) => {
        // yargs calls this for its own usage errors; rethrow so the one catch below handles all.
        throw error ?? new UsageError(`${message}\nRun "ciopulse-contacts --help" for usage.`);
      })
      .parseAsync();
  } catch (error) {
    process.exitCode = reportFatal(error, { verbose });
  }
}

await main(hideBin(process.argv));
