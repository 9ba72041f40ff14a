/**
 * `ciopulse-contacts import <file.csv>`: flags → library options → pipeline.
 */
import { DEFAULTS } from '../defaults.js';
import type { ArgumentsCamelCase, Argv } from 'yargs';
import type { Command } from './command.js';
import type { CountryCode } from 'libphonenumber-js/max';
import type { ContactField } from '../contact/schema.js';
import { INPUT_ENCODINGS, type InputEncoding } from '../csv/decode.js';
import { UsageError } from '../errors.js';
import { USAGE_ERRORS } from './words.js';
import type { Connection } from '../config.js';
import type { RunMode } from '../run/paths.js';
import type { RunOptions } from '../run/entry.js';
import { checkEnvFile } from '../config.js';
import { parseWhere } from '../run/where.js';
import {
  connectionFromArgs,
  rerunFromArgs,
  withConnectionOptions,
  withOutputOptions,
  type ConnectionArgs,
  type OutputArgs,
} from './options.js';

const DEFAULT_ENCODING: InputEncoding = 'utf8';

/** The flags `import` and `delete` share (withRunOptions, connection and output options). */
export interface RunArgs extends ConnectionArgs, OutputArgs {
  file: string;
  'dry-run'?: boolean | undefined;
  results?: string | undefined;
  errors?: string | undefined;
  concurrency: number;
  map?: string[] | undefined;
  'map-file'?: string | undefined;
  sheet?: string | undefined;
  limit?: number | undefined;
  /** Unset: UTF-8, or what a BOM says; set, it wins over a UTF-8 BOM. */
  encoding?: InputEncoding | undefined;
  retries: number;
  timeout: number;
  rate?: number | undefined;
  'max-retry-wait': number;
  'max-consecutive-failures': number;
  resume?: boolean | undefined;
  restart?: boolean | undefined;
  report?: string | undefined;
}

/** The cell rules `import` and `sync` share (withCellRuleOptions). */
export interface CellRuleArgs {
  'null-token'?: string | undefined;
  'default-country'?: string | undefined;
  where?: string[] | undefined;
  'fix-missing-plus'?: boolean | undefined;
}

export interface ImportArgs extends RunArgs, CellRuleArgs {
  plan?: boolean | undefined;
  fields?: string | undefined;
  empty: 'omit' | 'null';
  backup?: string | undefined;
  'changed-only'?: boolean | undefined;
}

/** The pipeline settings that come straight from the shared flags. */
export function runOptionsFromArgs(
  args: RunArgs,
  mode: RunMode,
  connection: Connection | undefined,
): Pick<
  RunOptions,
  | 'input'
  | 'mode'
  | 'results'
  | 'errors'
  | 'encoding'
  | 'map'
  | 'mapFile'
  | 'sheet'
  | 'limit'
  | 'connection'
  | 'concurrency'
  | 'retries'
  | 'timeoutMs'
  | 'rate'
  | 'maxRetryWaitMs'
  | 'maxConsecutiveFailures'
  | 'resume'
  | 'restart'
> {
  return {
    input: args.file,
    mode,
    results: args.results,
    errors: args.errors,
    encoding: args.encoding,
    map: args.map,
    mapFile: args['map-file'],
    sheet: args.sheet,
    limit: args.limit,
    connection,
    concurrency: args.concurrency,
    retries: args.retries,
    timeoutMs: args.timeout,
    rate: args.rate,
    maxRetryWaitMs: args['max-retry-wait'] * 1000,
    maxConsecutiveFailures: args['max-consecutive-failures'],
    resume: args.resume,
    restart: args.restart,
  };
}

/** Options that `delete` shares with `import`. */
export function withRunOptions<T>(yargs: Argv<T>) {
  return yargs
    .option('results', {
      type: 'string',
      describe:
        'Results file (default beside the input: <stem>.results.csv, or <stem>.delete.csv for delete; .xlsx for an .xlsx input). A .xlsx path writes a workbook',
    })
    .option('errors', {
      type: 'string',
      describe:
        'Errors file (default: the results path with .errors.csv, or .errors.xlsx). A .xlsx path writes a workbook',
    })
    .option('concurrency', { type: 'number', default: DEFAULTS.concurrency, describe: 'Requests in flight at once' })
    .option('map', {
      type: 'string',
      array: true,
      describe: 'Map a header to a field: "<CSV header>=<field>"; "<header>=" ignores it',
    })
    .option('map-file', {
      type: 'string',
      describe: 'Read mappings from a file: one "<CSV header>=<field>" a line, # for comments; --map wins over it',
    })
    .option('sheet', {
      type: 'string',
      describe: 'An .xlsx workbook: the sheet to read, by name or by position from 1 (default: the first)',
    })
    .option('limit', { type: 'number', describe: 'A trial run on the first n rows' })
    .option('encoding', {
      choices: INPUT_ENCODINGS,
      describe: `Input encoding (default ${DEFAULT_ENCODING}, or what a BOM says; Excel on Windows writes windows-1252, Excel for Mac macintosh)`,
    })
    .option('retries', {
      type: 'number',
      default: DEFAULTS.retries,
      describe: 'Retries per request (429, 5xx, network)',
    })
    .option('timeout', {
      type: 'number',
      default: DEFAULTS.timeoutMs,
      describe: 'Time limit per attempt, in ms: connecting, the answer and its whole body',
    })
    .option('rate', { type: 'number', describe: 'Cap on requests per second' })
    .option('max-retry-wait', maxRetryWaitOption)
    .option('max-consecutive-failures', {
      type: 'number',
      default: DEFAULTS.maxConsecutiveFailures,
      describe: 'Rows in a row that may use up their retries before the run stops',
    })
    .option('resume', { type: 'boolean', describe: 'Continue an earlier run: send only rows without a final answer' })
    .option('restart', {
      type: 'boolean',
      describe: 'Discard an unfinished earlier run’s answers and send every row again',
    })
    .conflicts('resume', 'restart')
    .option('report', { type: 'string', describe: 'Also write an HTML report to this file' });
}

export function positiveInt(name: string, value: number | undefined, min = 1): void {
  if (value === undefined) return;
  if (Number.isNaN(value)) throw new UsageError(USAGE_ERRORS.notWholeNumber(name, Math.max(min, 1) * 10));
  if (!Number.isInteger(value) || value < min) throw new UsageError(USAGE_ERRORS.belowMinimum(name, min, value));
}

/** `--max-retry-wait <s>`: shared by every command that sends (README, "Retries and rate limits"). */
export const maxRetryWaitOption = {
  type: 'number',
  default: DEFAULTS.maxRetryWaitMs / 1000,
  describe: 'The longest wait before a retry, in seconds, whatever Retry-After asks',
} as const;

/** At most about 24 days: longer would not fit one timer, and no one waits that long for a row. */
export function checkMaxRetryWait(value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isFinite(value) || value < 0 || value > 2_000_000) {
    throw new UsageError(USAGE_ERRORS.maxRetryWait(value));
  }
}

export function checkRunArgs(args: {
  concurrency: number;
  retries: number;
  timeout: number;
  limit?: number | undefined;
  rate?: number | undefined;
  'max-consecutive-failures': number;
  'max-retry-wait'?: number | undefined;
}): void {
  checkMaxRetryWait(args['max-retry-wait']);
  positiveInt('concurrency', args.concurrency);
  positiveInt('retries', args.retries, 0);
  positiveInt('timeout', args.timeout);
  positiveInt('limit', args.limit);
  positiveInt('max-consecutive-failures', args['max-consecutive-failures']);
  if (args.rate !== undefined && !(args.rate > 0)) throw new UsageError(USAGE_ERRORS.rate(args.rate));
}

/**
 * The heavy modules (the pipeline, zod, libphonenumber's metadata) load only when a command runs,
 * so that `--help`, `get` and `export` start quickly.
 */
const loadRun = () => import('./run.js');

async function parseFields(list: string | undefined): Promise<ContactField[] | undefined> {
  if (list === undefined) return undefined;
  const { CONTACT_FIELDS } = await import('../contact/schema.js');
  const fields = list
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  for (const field of fields) {
    if (!(CONTACT_FIELDS as readonly string[]).includes(field)) {
      throw new UsageError(USAGE_ERRORS.notAField(field, CONTACT_FIELDS));
    }
  }
  return fields as ContactField[];
}

/** `--null-token`, `--default-country`, `--fix-missing-plus` and `--where`: how cells are read, for `import` and `sync` alike. */
export function withCellRuleOptions<T>(yargs: Argv<T>): Argv<T & CellRuleArgs> {
  return yargs
    .option('null-token', {
      type: 'string',
      describe: 'A cell equal to this text is sent as null (#N/A is the usual choice)',
    })
    .option('default-country', {
      type: 'string',
      describe: 'Normalise local mobile numbers for this ISO country, e.g. AU',
    })
    .option('fix-missing-plus', {
      type: 'boolean',
      describe:
        'Put the + back on mobiles a spreadsheet stored as digits (61412345678), where the result is a valid mobile',
    })
    .option('where', {
      type: 'string',
      array: true,
      describe:
        'Keep only rows where COLUMN=VALUE (or COLUMN!=VALUE); repeatable, all must hold; the rest are filtered',
    });
}

export async function parseCountry(value: string | undefined): Promise<CountryCode | undefined> {
  if (value === undefined) return undefined;
  const { isSupportedCountry } = await import('libphonenumber-js/max');
  const code = value.toUpperCase();
  if (!isSupportedCountry(code)) throw new UsageError(USAGE_ERRORS.notACountry(value));
  return code;
}

export const importCommand: Command<ImportArgs> = {
  command: 'import <file>',
  describe: 'Upsert every row of a CSV file; write a results CSV',
  builder: (yargs) =>
    withOutputOptions(
      withConnectionOptions(
        withCellRuleOptions(withRunOptions(yargs))
          .positional('file', { type: 'string', demandOption: true, describe: 'The CSV file to import' })
          .option('dry-run', { type: 'boolean', describe: 'Validate only: send nothing, need no credentials' })
          .option('plan', {
            type: 'boolean',
            describe: 'Online dry run: read GET all once, predict each row, write nothing',
          })
          .option('fields', { type: 'string', describe: 'Send only these fields, comma-separated' })
          .option('empty', {
            choices: ['omit', 'null'] as const,
            default: 'omit' as const,
            describe: 'An empty cell: omit (field unchanged) or null (field cleared)',
          })
          .option('backup', {
            type: 'string',
            describe: 'Before writing, save the current values of the contacts to be updated (an undo file)',
          })
          .option('changed-only', {
            type: 'boolean',
            describe: 'Read GET all once; send only the rows that would create or change something',
          })
          .conflicts('dry-run', ['plan', 'resume', 'restart', 'backup', 'changed-only'])
          .conflicts('plan', ['resume', 'restart', 'backup', 'changed-only'])
          .example('$0 import contacts.csv --dry-run', 'Check every row; write contacts.dryrun.csv')
          .example(
            '$0 import contacts.csv --env-file .env',
            'Upsert; write contacts.results.csv and contacts.results.errors.csv',
          )
          .example(
            '$0 import contacts.csv --plan --report plan.html',
            'Preview every change against the API, as a report',
          )
          .example('$0 import contacts.csv --changed-only', 'A round trip: send only the rows edited since the export')
          .example('$0 import contacts.csv --resume', 'Continue a run that was stopped or crashed')
          .example(
            '$0 import legacy.csv --encoding windows-1252 --null-token "#N/A" --default-country AU',
            'An Excel export',
          )
          .example(
            '$0 import samples/outlook-export.csv --map-file samples/outlook.map --dry-run',
            'An Outlook export, with its column mappings kept in a file',
          ),
      ),
    ),
  handler: async (args: ArgumentsCamelCase<ImportArgs>) => {
    checkRunArgs(args);
    const mode: RunMode = args['dry-run'] === true ? 'dry-run' : args.plan === true ? 'plan' : 'import';
    const fields = await parseFields(args.fields);
    const defaultCountry = await parseCountry(args['default-country']);
    if (mode === 'dry-run' && args['env-file'] !== undefined) checkEnvFile(args['env-file']);
    const connection = mode === 'dry-run' ? undefined : connectionFromArgs(args);
    const { runRowsAndReport } = await loadRun();
    return runRowsAndReport(
      {
        ...runOptionsFromArgs(args, mode, connection),
        fields,
        empty: args.empty,
        nullToken: args['null-token'],
        defaultCountry,
        fixMissingPlus: args['fix-missing-plus'],
        backup: args.backup,
        changedOnly: args['changed-only'],
        where: parseWhere(args.where ?? []),
      },
      args,
      { report: args.report, rerun: rerunFromArgs(args) },
    );
  },
  hintFor: async (code, args) => (await loadRun()).runHint(code, 'import', args.file, rerunFromArgs(args)),
};
