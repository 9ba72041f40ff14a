/**
 * `ciopulse-contacts delete <file.csv>`: DELETE every system_id in the file, on the same
 * pipeline as `import` (ordering, concurrency, retries, results and errors CSVs, resume).
 *
 * Deleting is the one command that cannot be undone, so it asks first (README, "delete"):
 * on a terminal it shows the count and the base URL and waits for "y"; without a terminal it
 * requires --yes, as `gh` does for destructive commands, because a script that pipes into it
 * cannot answer and must say so up front.
 */
import { createInterface } from 'node:readline/promises';
import type { ArgumentsCamelCase } from 'yargs';
import type { Command } from './command.js';
import type { Connection } from '../config.js';
import type { InputEncoding } from '../csv/read.js';
import { UsageError } from '../errors.js';
import { checkRunArgs, runOptionsFromArgs, withRunOptions, type RunArgs } from './import.js';
import { checkEnvFile } from '../config.js';
import { connectionFromArgs, rerunFromArgs, withConnectionOptions, withOutputOptions } from './options.js';
import { rerunCommand } from '../shell.js';
import { CLI_HINTS, CLI_LINES, USAGE_ERRORS } from './words.js';

export interface DeleteArgs extends RunArgs {
  'ignore-missing'?: boolean | undefined;
  yes?: boolean | undefined;
}

/** Data rows in the file (the header excluded); openCsv also checks the whole file first. */
export async function countRows(
  path: string,
  options: {
    encoding?: InputEncoding | undefined;
    map?: readonly string[] | undefined;
    mapFile?: string | undefined;
    sheet?: string | undefined;
  },
): Promise<number> {
  const { openCsv } = await import('../csv/read.js');
  const source = await openCsv(path, {
    encoding: options.encoding,
    ...(options.map === undefined ? {} : { map: options.map }),
    mapFile: options.mapFile,
    sheet: options.sheet,
    requiredFields: ['system_id'],
  });
  let rows = 0;
  try {
    for await (const _record of source.records) rows++;
  } finally {
    source.close();
  }
  return rows;
}

/** Asks on stderr, so stdout stays clean for --json; anything but y/yes is a no. */
export async function confirm(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(question);
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    prompt.close();
  }
}

async function confirmDelete(args: DeleteArgs, connection: Connection): Promise<boolean> {
  if (args.yes === true) return true;
  if (process.stdin.isTTY !== true) {
    throw new UsageError(USAGE_ERRORS.deleteUnconfirmed(), {
      // The dry run must read the file as this run would: the same --map, --encoding and settings.
      hint: CLI_HINTS.dryRunFirst(rerunCommand(rerunFromArgs(args), 'delete', args.file, ['--dry-run'])),
    });
  }
  const rows = await countRows(args.file, {
    encoding: args.encoding,
    map: args.map,
    mapFile: args['map-file'],
    sheet: args.sheet,
  });
  const count = args.limit === undefined ? rows : Math.min(rows, args.limit);
  return confirm(CLI_LINES.deletePrompt(args.resume === true, count, args.file, connection.baseUrl));
}

export const deleteCommand: Command<DeleteArgs> = {
  command: 'delete <file>',
  describe: 'DELETE every system_id in a CSV file; write a results CSV',
  builder: (yargs) =>
    withOutputOptions(
      withConnectionOptions(
        withRunOptions(yargs)
          .positional('file', {
            type: 'string',
            demandOption: true,
            describe: 'A CSV file with a system_id column (other columns are kept in the results, never sent)',
          })
          .option('dry-run', {
            type: 'boolean',
            describe: 'Check the file and list what would be deleted: send nothing, need no credentials',
          })
          .option('ignore-missing', {
            type: 'boolean',
            describe: 'A contact that is not there (404) counts as deleted',
          })
          .option('yes', {
            type: 'boolean',
            alias: 'y',
            describe: 'Do not ask for confirmation (required when stdin is not a terminal)',
          })
          .conflicts('dry-run', ['resume', 'restart'])
          .example('$0 delete leavers.csv --dry-run', 'Check the file; write leavers.delete-dryrun.csv; send nothing')
          .example('$0 delete leavers.csv', 'Ask, then delete; write leavers.delete.csv and leavers.delete.errors.csv')
          .example(
            '$0 delete leavers.csv --yes --ignore-missing',
            'In a script: no question, and already-gone contacts are fine',
          )
          .epilogue(
            'A contact that is the Support Lead or an Also Alert of a support group cannot be deleted (the API answers 400 naming the group): ' +
              'reassign the group in the Portal first. Those rows are failed, and the errors CSV lists them, ready to run again.',
          ),
      ),
    ),
  handler: async (args: ArgumentsCamelCase<DeleteArgs>) => {
    checkRunArgs(args);
    const dryRun = args['dry-run'] === true;
    // A dry run sends nothing, so it needs neither credentials nor confirmation.
    if (dryRun && args['env-file'] !== undefined) checkEnvFile(args['env-file']);
    const connection = dryRun ? undefined : connectionFromArgs(args);
    if (connection !== undefined && !(await confirmDelete(args, connection))) {
      process.stderr.write(`${CLI_LINES.deleteCancelled()}\n`);
      return 1;
    }
    const { runRowsAndReport } = await import('./run.js');
    return runRowsAndReport(
      {
        ...runOptionsFromArgs(args, dryRun ? 'delete-dry-run' : 'delete', connection),
        ignoreMissing: args['ignore-missing'] === true,
      },
      args,
      { report: args.report, rerun: rerunFromArgs(args) },
    );
  },
  hintFor: async (code, args) => (await import('./run.js')).runHint(code, 'delete', args.file, rerunFromArgs(args)),
};
