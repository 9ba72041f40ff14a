/**
 * `ciopulse-contacts export [--out file.csv]`: GET all contacts → CSV (README, "export").
 *
 * stdout carries the CSV unless `--out` is given, so everything for people (the summary line,
 * warnings) goes to stderr. `--json` prints a JSON summary on stdout, which is only possible when
 * the CSV goes to a file; without `--out` it is a usage error rather than a mix of CSV and JSON.
 */
import { DEFAULTS } from '../defaults.js';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ArgumentsCamelCase } from 'yargs';
import type { Command } from './command.js';
import { commandLine } from '../shell.js';
import { UsageError } from '../errors.js';
import { CLI_HINTS, CLI_LINES, USAGE_ERRORS } from './words.js';
import type { ExportSummary } from '../export/index.js';
import { EXPORT_COLUMNS } from '../contact/fields.js';
import { checkMaxRetryWait, maxRetryWaitOption, positiveInt } from './import.js';
import { createInterruptHandler } from './signals.js';
import {
  connectionFromArgs,
  oneShotRetryOptions,
  withConnectionOptions,
  withOutputOptions,
  type ConnectionArgs,
  type OutputArgs,
} from './options.js';

export interface ExportArgs extends ConnectionArgs, OutputArgs {
  out?: string | undefined;
  'excel-safe'?: boolean | undefined;
  bom?: boolean | undefined;
  retries: number;
  timeout: number;
  'max-retry-wait': number;
}

function seconds(ms: number): string {
  return ms < 10_000 ? (ms / 1000).toFixed(1) : String(Math.round(ms / 1000));
}

function summaryLine(summary: ExportSummary): string {
  const noun = summary.rows === 1 ? 'contact' : 'contacts';
  const where = summary.out === undefined ? 'stdout' : summary.out;
  return `exported ${summary.rows} ${noun} to ${where} in ${seconds(summary.elapsedMs)} s${summary.repaired ? ' (the answer was repaired)' : ''}\n`;
}

/** Peak resident memory of this process, from the kernel's own count (KiB on Linux). */
function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

function isBrokenPipe(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'EPIPE';
}

export const exportCommand: Command<ExportArgs> = {
  command: 'export',
  describe: 'Write every contact to CSV (stdout, or --out file.csv)',
  builder: (yargs) =>
    withOutputOptions(
      withConnectionOptions(
        yargs
          .option('out', {
            type: 'string',
            alias: 'o',
            describe:
              'Write to this file: CSV, or an .xlsx workbook of text cells when it ends in .xlsx (via a temporary file renamed at the end, so a failed export never leaves half a file); default: CSV on stdout',
          })
          .option('excel-safe', {
            type: 'boolean',
            describe:
              "For files people will open in a spreadsheet: prefix ' to cells that start with = + - @ (or a tab), so Excel, Sheets and LibreOffice show them as text instead of running them as formulas. import strips the prefix again",
          })
          .option('bom', {
            type: 'boolean',
            describe:
              'Start the file with a UTF-8 byte order mark. Use it when the file will be opened by double-clicking it in Excel, so accents and other non-ASCII text show right',
          })
          .option('retries', {
            type: 'number',
            default: DEFAULTS.retries,
            describe: 'Retries for the GET (429, 5xx, network)',
          })
          .option('timeout', {
            type: 'number',
            default: DEFAULTS.timeoutMs,
            describe: 'Time limit, in ms, for the answer to start and between its chunks',
          })
          .option('max-retry-wait', maxRetryWaitOption)
          .example('$0 export --out contacts.csv', 'Every contact to contacts.csv')
          .example('$0 export --out contacts.xlsx', 'A workbook to edit in Excel; import it back with --changed-only')
          .example(
            '$0 export --out contacts.csv --excel-safe --bom',
            'A file to open in Excel: formulas defused, accents right',
          )
          .example('$0 export > contacts.csv', 'The CSV on stdout; the summary on stderr')
          .example('$0 export --out contacts.csv --json', 'A machine-readable summary on stdout')
          .epilogue(
            `Columns: ${EXPORT_COLUMNS.join(', ')}, then any other field the API returns, in first-seen order. ` +
              'An empty field is an empty cell, so importing the unchanged file changes nothing.',
          ),
      ),
    ),
  handler: async (args: ArgumentsCamelCase<ExportArgs>) => {
    positiveInt('retries', args.retries, 0);
    positiveInt('timeout', args.timeout);
    checkMaxRetryWait(args['max-retry-wait']);
    if (args.json === true && args.out === undefined) {
      throw new UsageError(USAGE_ERRORS.jsonNeedsOut());
    }
    if (args.out !== undefined) {
      // Named up front, before any request: "cannot write nodir: ENOENT" said neither what nor why.
      const folder = dirname(resolve(args.out));
      if (!existsSync(folder))
        throw new UsageError(USAGE_ERRORS.outFolderMissing(args.out, dirname(args.out)), {
          hint: CLI_HINTS.mkdir(commandLine(['mkdir', '-p', dirname(args.out)])),
        });
    }
    const connection = connectionFromArgs(args);
    const quiet = args.quiet === true;
    // Loaded when the command runs (it loads undici itself), so other commands' start-up does not pay for it.
    const { exportContacts } = await import('../export/index.js');
    // One stop signal for the GET's retries and for reading its body: Ctrl-C works in both.
    const interrupt = createInterruptHandler({ secondMessage: CLI_LINES.secondInterruptExport() });
    const warnings: string[] = [];
    let summary: ExportSummary;
    try {
      summary = await exportContacts({
        connection,
        ...oneShotRetryOptions(args),
        onRetry:
          args.verbose === true
            ? (event) =>
                process.stderr.write(`${CLI_LINES.retry('GET all', event.attempt, event.reason, event.waitMs)}\n`)
            : undefined,
        out: args.out,
        stream: args.out === undefined ? process.stdout : undefined,
        excelSafe: args['excel-safe'] === true,
        bom: args.bom === true,
        signal: interrupt.signal,
        onWarning: (message) => {
          warnings.push(message);
          if (!quiet) process.stderr.write(`warning: ${message}\n`);
        },
      });
    } catch (error) {
      // `export | head`: the reader left; that is not a failure worth a message.
      if (isBrokenPipe(error)) return 0;
      // An InterruptedError goes on to the top-level handler: "interrupted: nothing was written", 130.
      throw error;
    } finally {
      interrupt.dispose();
    }
    if (args.json === true) {
      process.stdout.write(
        `${JSON.stringify({ command: 'export', ...summary, elapsedMs: Math.round(summary.elapsedMs), warnings })}\n`,
      );
    } else if (!quiet) {
      process.stderr.write(summaryLine(summary));
    }
    if (args.verbose === true) {
      process.stderr.write(`columns: ${summary.columns.join(', ')}\npeak RSS: ${peakRssMb()} MB\n`);
    }
    return 0;
  },
};
