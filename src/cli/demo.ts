/**
 * `ciopulse-contacts demo`: the first five minutes. Starts the emulator in-process, imports
 * samples/contacts.csv (which holds a few rows that break a rule on purpose), exports the result,
 * prints the summary and the paths, and stops. Exits 0 when it ran, whatever the rows did.
 */
import { DEFAULTS } from '../defaults.js';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, relative } from 'node:path';
import type { ArgumentsCamelCase } from 'yargs';
import type { Command } from './command.js';
import { Secret, type Connection } from '../config.js';
import { commandLine } from '../shell.js';
import { createStyles, resolveColor } from '../report/styles.js';

/** The package root, from src/cli (vitest) or dist/cli (built). */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface DemoArgs {
  out: string;
  concurrency: number;
}

function show(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
}

/**
 * The demo's emulator stops with it, so the commands to go on start one that stays up (README,
 * "A 60-second tour"): its three env lines saved to a private .env, then the same import by hand.
 */
function tryByHand(input: string, styles: ReturnType<typeof createStyles>): string {
  return [
    '',
    `${styles.bold('Try it by hand')} ${styles.dim('(the emulator above stopped with the demo; in a checkout, run npm link once first):')}`,
    `  1. in another terminal:  ciopulse-contacts emulator --port 8787 | tee .env`,
    `  2. then here:            chmod 600 .env && ${commandLine(['ciopulse-contacts', 'import', input, '--env-file', '.env'])}`,
    `  3. follow its Next: line, then the tour in README.md.`,
    '',
  ].join('\n');
}

export const demoCommand: Command<DemoArgs> = {
  command: 'demo',
  describe: 'Start the emulator, import samples/contacts.csv, export, print the summary',
  builder: (yargs) =>
    yargs
      .option('out', {
        type: 'string',
        default: join(ROOT, 'samples', 'out'),
        describe: 'Folder for the results, errors, report and export files',
      })
      .option('concurrency', { type: 'number', default: DEFAULTS.concurrency, describe: 'Requests in flight at once' })
      .example('$0 demo', 'The whole round trip against the embedded emulator, in a second'),
  handler: async (args: ArgumentsCamelCase<DemoArgs>) => {
    // Loaded here, not at the top, so that other commands' start-up does not pay for them.
    const [
      { startEmulator },
      { exportContacts },
      { runImport },
      { writeHtmlReport },
      { formatSummary },
      { createReportCollector },
    ] = await Promise.all([
      import('../emulator/server.js'),
      import('../export/index.js'),
      import('../run/entry.js'),
      import('../report/html.js'),
      import('../report/summary.js'),
      import('../report/collect.js'),
    ]);
    const styles = createStyles(resolveColor(process.stdout));
    const out = args.out;
    mkdirSync(out, { recursive: true });
    const emulator = await startEmulator({ port: 0, groups: join(ROOT, 'samples', 'support-groups.json') });
    try {
      process.stdout.write(
        `${styles.bold('CIOPulse emulator')} on ${emulator.baseUrl} (portal ${emulator.portalCode}, a throwaway key)\n\n`,
      );
      const connection: Connection = {
        baseUrl: emulator.baseUrl,
        portalCode: emulator.portalCode,
        apiKey: new Secret(emulator.apiKey),
      };
      const input = join(ROOT, 'samples', 'contacts.csv');
      const collected = createReportCollector();
      const summary = await runImport({
        input,
        mode: 'import',
        results: join(out, 'contacts.results.csv'),
        connection,
        concurrency: args.concurrency,
        onStart: (info) => collected.useHeader(info.header),
        onRow: (row, replaces) => collected.onRow(row, replaces),
      });
      // No Next: line: its command would need this emulator, which stops when the demo exits.
      process.stdout.write(formatSummary(summary, styles, undefined, { next: false }));

      const report = await writeHtmlReport({
        summary,
        collected,
        outPath: join(out, 'contacts.report.html'),
        next: undefined,
      });
      // The library's connection form: the export builds its own client and closes it.
      const exported = await exportContacts({ connection, out: join(out, 'contacts.export.csv') });
      process.stdout.write(
        `Report:  ${show(report.path)}\nExport:  ${show(join(out, 'contacts.export.csv'))} (${exported.rows} contacts: edit it and import it again)\n`,
      );
      process.stdout.write(tryByHand(show(input), styles));
    } finally {
      await emulator.close();
    }
    return 0;
  },
};
