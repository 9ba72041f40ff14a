/**
 * The CLI's own sentences: its usage errors, their hints, the questions it asks before a delete,
 * and the lines it prints around a run (README, "Exit codes": every usage error is exit 2 with one
 * line saying what to do). In one place, so that they can be reviewed together: docs/MESSAGES.md
 * lists them for a sample input (test/row-messages.test.ts). The library's sentences are in
 * src/error-messages.ts and src/contact/row-messages.ts; the library never imports this file.
 *
 * The commands decide; these functions only word. A command to paste comes in already quoted
 * (`rerunCommand`, `commandLine`).
 */

import { plural } from '../report/words.js';

/** What was typed wrong (`error:`), exit 2. */
export const USAGE_ERRORS = {
  apiKeyFlag: () => 'the API key is never taken as a flag: it would sit in your shell history and show in `ps`',
  /** `suggestion` is yargs' own "did you mean". */
  unknownCommand: (word: string, suggestion?: string) =>
    `unknown command "${word}"${suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`}`,
  unexpectedArgument: (word: string) => `unexpected argument "${word}"`,
  /** `flags` are each worded by `unknownFlag`. */
  unknownOptions: (flags: readonly string[]) => `unknown option${flags.length === 1 ? '' : 's'}: ${flags.join(', ')}`,
  unknownFlag: (name: string, near: string | undefined) =>
    `--${name}${near === undefined ? '' : ` (did you mean --${near}?)`}`,
  /** A command without its argument. */
  needs: {
    get: () => 'get needs the system_id of a contact: ciopulse-contacts get <system_id>',
    import: () => 'import needs the CSV file to read: ciopulse-contacts import <file.csv>',
    delete: () => 'delete needs a CSV file with a system_id column: ciopulse-contacts delete <file.csv>',
  },
  deleteUnconfirmed: () => 'refusing to delete without confirmation: stdin is not a terminal; pass --yes',
  syncUnconfirmed: (deletes: number) =>
    `refusing to delete ${deletes} contacts without confirmation: stdin is not a terminal; pass --yes (nothing was sent)`,
  /** A flag's value (cli/import.ts, get.ts). */
  notWholeNumber: (flag: string, example: number) => `--${flag} needs a whole number, such as --${flag} ${example}`,
  belowMinimum: (flag: string, min: number, value: number) =>
    `--${flag} must be a whole number of at least ${min}, not ${value}`,
  maxRetryWait: (value: number) => `--max-retry-wait must be a number of seconds from 0 to 2000000, not ${value}`,
  rate: (value: number) => `--rate must be a positive number of requests per second, not ${value}`,
  notAField: (field: string, fields: readonly string[]) =>
    `--fields: "${field}" is not a field; the fields are ${fields.join(', ')}`,
  notACountry: (value: string) => `--default-country: "${value}" is not an ISO 3166 country code such as AU, GB or US`,
  jsonNeedsOut: () => '--json needs --out: without it, stdout carries the CSV itself',
  outFolderMissing: (out: string, folder: string) => `--out ${out}: the folder ${folder} does not exist`,
} as const;

/** The CLI's `hint:` lines; `command` is a command line to paste. */
export const CLI_HINTS = {
  apiKeyWays: () =>
    'set CIOPULSE_API_KEY in the environment or in an --env-file, or pass --api-key-file <file> (a file only you can read: chmod 600)',
  usage: () => 'run "ciopulse-contacts --help" for usage',
  options: (command: string | undefined) =>
    `run "ciopulse-contacts ${command === undefined ? '' : `${command} `}--help" for the options`,
  dryRunFirst: (command: string) => `check the file first with: ${command}`,
  planFirst: (command: string) => `preview them first with: ${command}`,
  planInstead: () => 'preview with --plan instead',
  mkdir: (command: string) => `create it first: ${command}`,
  /** `unfinished_run`: the two ways on, each a command. */
  resumeOrRestart: (resume: string, restart: string) =>
    `to continue it (only rows without an answer are sent): ${resume}\nto discard those answers and send every row again: ${restart}`,
  nothingToResume: () => 'run without --resume to start; with --results, name the results file of the run to continue',
  /** `sync_refused`: the preview, and no command that lifts the guard (cli/sync.ts says why). */
  syncRefused: (plan: string) =>
    `preview every delete: ${plan}\nif every one is meant, raise the limit to that count with --max-delete <n|p%>`,
  unexpected: () => 'run again with --verbose for details, and report it if it persists',
} as const;

/** `check`'s table (cli/check.ts): where each setting came from; the key is never shown. */
export const CHECK_LINES = {
  origin: {
    flag: () => 'from a flag',
    envFile: (path: string) => `from the env file ${path}`,
    keyFile: (path: string) => `from the key file ${path}`,
    dotEnv: () => 'from .env in the current directory',
    environment: () => 'from the environment',
    default: () => 'the default',
  },
  notSet: () => 'not set',
  key: (length: number | undefined, origin: string) =>
    `${length === undefined ? '' : `${length} characters, `}${origin} (never shown)`,
  dotEnvRead: () => 'read (it never overrides the environment)',
  dotEnvNotRead: (reason: string) => `not read: ${reason}`,
  credentialsWork: (proof: string) => `work (${proof})`,
} as const;

/** The questions before a delete, and the lines printed around a run (cli/delete.ts, sync.ts, run.ts, output.ts). */
export const CLI_LINES = {
  deletePrompt: (upTo: boolean, count: number, file: string, baseUrl: string) =>
    `Delete ${upTo ? 'up to ' : ''}${plural(count, 'contact')} listed in ${file} from ${baseUrl}? [y/N] `,
  syncPrompt: (
    file: string,
    baseUrl: string,
    counts: {
      rows: number;
      listed: number;
      creates: number;
      existing: number;
      deletes: number;
      scopeSize: number;
      scope: string;
    },
  ) =>
    [
      `Sync ${file} to ${baseUrl}:`,
      `  ${counts.rows} rows, ${counts.listed} system_ids kept`,
      `  ${counts.creates} to create, ${counts.existing} already there (sent only where a field differs)`,
      `  ${counts.deletes} to DELETE of the ${counts.scopeSize} contacts in scope ${counts.scope}`,
      `Delete ${plural(counts.deletes, 'contact')} and apply the rest? [y/N] `,
    ].join('\n'),
  deleteCancelled: () => 'cancelled: nothing was deleted',
  /** `--verbose`: a retry, for a run's rows and an export's GET all alike; `request` is `PUT AGT-1` or `GET all`. */
  retry: (request: string, attempt: number, reason: number | string, waitMs: number) =>
    `retry: ${request} attempt ${attempt} got ${typeof reason === 'number' ? `HTTP ${reason}` : reason}; waiting ${waitMs} ms`,
  stopping: (graceSeconds: number) =>
    `stopping: no new requests; those in flight get ${graceSeconds} s to finish (Ctrl-C again to quit at once)`,
  secondInterruptRun: () => 'second interrupt: exiting now; run again with --resume to continue',
  secondInterruptExport: () => 'second interrupt: exiting now; nothing was written',
  /** `--quiet`'s one line for a run that did not end well. */
  badRows: (bad: number) => `${bad} rows invalid, failed or uncertain`,
  internalError: (message: string) =>
    `internal error: ${message}; this is a bug in ciopulse-contacts, please report it (run again with --verbose for the details to include)`,
  unexpectedFailure: (message: string) => `unexpected failure: ${message}`,
} as const;
