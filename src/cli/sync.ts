/**
 * `ciopulse-contacts sync <file>`: flags → `syncContacts` → summary (README, "Keeping CIOPulse in
 * sync with your helpdesk"). Deletes are asked for as `delete` asks: on a terminal the plan's counts
 * and a question; without a terminal `--yes` is required, and only when the sync would delete.
 */
import type { ArgumentsCamelCase } from 'yargs';
import type { Connection } from '../config.js';
import { UsageError } from '../errors.js';
import { SYNC_ERRORS } from '../error-messages.js';
import type { SyncPlanCounts } from '../execute/sync.js';
import { parseMaxDelete, parseScope } from '../execute/sync-scope.js';
import { parseWhere } from '../run/where.js';
import { rerunCommand, type Rerun } from '../shell.js';
import type { Command } from './command.js';
import { CLI_HINTS, CLI_LINES, USAGE_ERRORS } from './words.js';
import { confirm } from './delete.js';
import {
  checkRunArgs,
  parseCountry,
  runOptionsFromArgs,
  withCellRuleOptions,
  withRunOptions,
  type CellRuleArgs,
  type RunArgs,
} from './import.js';
import { connectionFromArgs, rerunFromArgs, withConnectionOptions, withOutputOptions } from './options.js';

export interface SyncArgs extends RunArgs, CellRuleArgs {
  plan?: boolean | undefined;
  state?: string | undefined;
  scope?: string | undefined;
  'delete-missing'?: boolean | undefined;
  'max-delete'?: string | undefined;
  yes?: boolean | undefined;
  backup?: string | undefined;
}

function describeCounts(counts: SyncPlanCounts, file: string, connection: Connection): string {
  return CLI_LINES.syncPrompt(file, connection.baseUrl, counts);
}

/** The question before the first write, asked only when the sync would delete something. */
function confirmDeletes(
  args: SyncArgs,
  connection: Connection,
  rerun: Rerun,
): ((counts: SyncPlanCounts) => Promise<boolean>) | undefined {
  if (args.yes === true || args.plan === true) return undefined;
  return async (counts) => {
    if (process.stdin.isTTY !== true)
      throw new UsageError(USAGE_ERRORS.syncUnconfirmed(counts.deletes), {
        hint: CLI_HINTS.planFirst(rerunCommand(rerun, 'sync', args.file, ['--plan'])),
      });
    return confirm(describeCounts(counts, args.file, connection));
  };
}

export const syncCommand: Command<SyncArgs> = {
  command: 'sync <file>',
  describe: 'Make the portal match the file: create, update changed fields, and delete what left (--delete-missing)',
  builder: (yargs) =>
    withOutputOptions(
      withConnectionOptions(
        withCellRuleOptions(withRunOptions(yargs))
          .positional('file', { type: 'string', demandOption: true, describe: 'The export of your helpdesk' })
          .option('plan', { type: 'boolean', describe: 'Preview every create, update and delete; write nothing' })
          .option('delete-missing', {
            type: 'boolean',
            describe: 'Delete the contacts in --scope that the file no longer lists',
          })
          .option('scope', {
            type: 'string',
            describe:
              'Which contacts the file governs: owned (default: what syncs with this --state wrote), prefix:<text>, all',
          })
          .option('state', {
            type: 'string',
            describe: 'The sync state file (default beside the input: <stem>.sync-state.json)',
          })
          .option('max-delete', {
            type: 'string',
            describe:
              'Refuse to delete more than n contacts, or p% of the scope (default: more than 10 and more than 25%)',
          })
          .option('yes', {
            type: 'boolean',
            alias: 'y',
            describe: 'Do not ask before deleting (required without a terminal)',
          })
          .option('backup', {
            type: 'string',
            describe:
              'Before writing, save the contacts to be updated or deleted (import it with --empty null to undo)',
          })
          .conflicts('plan', ['resume', 'restart', 'backup', 'yes'])
          .example('$0 sync agents.csv --map-file samples/zendesk.map --plan', 'Preview what a sync would change')
          .example(
            '$0 sync agents.csv --map-file samples/zendesk.map --where "Suspended!=TRUE" --delete-missing --yes',
            'Create, update and delete so the portal matches the export',
          ),
      ),
    ),
  handler: async (args: ArgumentsCamelCase<SyncArgs>) => {
    checkRunArgs(args);
    if (args.limit !== undefined) throw new UsageError(SYNC_ERRORS.noLimit(), { hint: CLI_HINTS.planInstead() });
    const where = parseWhere(args.where ?? []);
    const scope = parseScope(args.scope);
    const maxDelete = parseMaxDelete(args['max-delete']);
    const defaultCountry = await parseCountry(args['default-country']);
    const connection = connectionFromArgs(args);
    const { runRowsAndReport } = await import('./run.js');
    const rerun = rerunFromArgs(args);
    return runRowsAndReport(
      {
        ...runOptionsFromArgs(args, args.plan === true ? 'sync-plan' : 'sync', connection),
        where,
        nullToken: args['null-token'],
        defaultCountry,
        fixMissingPlus: args['fix-missing-plus'],
        backup: args.backup,
        sync: {
          state: args.state,
          scope,
          deleteMissing: args['delete-missing'] === true,
          maxDelete,
          confirmDeletes: confirmDeletes(args, connection, rerun),
        },
      },
      args,
      { report: args.report, rerun },
    );
  },
  // The guard's refusal, with the preview to paste. No command that lifts the guard is offered: a
  // cut-short export is the case the guard is for, and pasting `--max-delete 100%` would empty the
  // portal (README, "Keeping CIOPulse in sync with your helpdesk").
  hintFor: (code, args) =>
    Promise.resolve(
      code === 'sync_refused'
        ? CLI_HINTS.syncRefused(rerunCommand(rerunFromArgs(args), 'sync', args.file, ['--plan']))
        : undefined,
    ),
};
