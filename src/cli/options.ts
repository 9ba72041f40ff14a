/**
 * Flags shared by several commands, and their conversion into library settings.
 */
import { basename, relative } from 'node:path';
import type { Argv } from 'yargs';
import { resolveConnection, type Connection } from '../config.js';
import type { Rerun } from '../shell.js';

export interface ConnectionArgs {
  'base-url'?: string | undefined;
  'portal-code'?: string | undefined;
  'api-key-file'?: string | undefined;
  'env-file'?: string | undefined;
  'allow-insecure'?: boolean | undefined;
}

export interface OutputArgs {
  json?: boolean | undefined;
  quiet?: boolean | undefined;
  verbose?: boolean | undefined;
}

export function withConnectionOptions<T>(yargs: Argv<T>): Argv<T & ConnectionArgs> {
  return yargs
    .option('base-url', { type: 'string', describe: 'API base URL (env CIOPULSE_BASE_URL)', group: 'Connection:' })
    .option('portal-code', {
      type: 'string',
      describe: 'Client Portal Code (env CIOPULSE_PORTAL_CODE)',
      group: 'Connection:',
    })
    .option('api-key-file', {
      type: 'string',
      describe: 'File holding the 40-character API key, mode 600 (or env CIOPULSE_API_KEY; never a flag)',
      group: 'Connection:',
    })
    .option('env-file', {
      type: 'string',
      describe:
        'Read CIOPULSE_* settings from this dotenv file (mode 600 when it holds the key); without it, .env here fills in what the environment lacks',
      group: 'Connection:',
    })
    .option('allow-insecure', {
      type: 'boolean',
      describe: 'Allow plain http to a non-loopback host',
      group: 'Connection:',
    });
}

export function withOutputOptions<T>(yargs: Argv<T>): Argv<T & OutputArgs> {
  return yargs
    .option('json', { type: 'boolean', describe: 'Print a machine-readable summary on stdout', group: 'Output:' })
    .option('quiet', { type: 'boolean', alias: 'q', describe: 'Print errors only', group: 'Output:' })
    .option('verbose', {
      type: 'boolean',
      describe: 'More detail, and stack traces for unexpected errors',
      group: 'Output:',
    });
}

export function connectionFromArgs(args: ConnectionArgs): Connection {
  const connection = resolveConnection({
    baseUrl: args['base-url'],
    portalCode: args['portal-code'],
    apiKeyFile: args['api-key-file'],
    envFile: args['env-file'],
    allowInsecure: args['allow-insecure'],
  });
  // A .env is read without being named, so say so: a surprise base URL would receive the key.
  if (connection.fromDotEnv !== undefined) {
    process.stderr.write(
      `note: ${connection.fromDotEnv.join(', ')} from ./.env (it never overrides the environment; \`check\` shows every source)\n`,
    );
  }
  return connection;
}

/** The retry flags of the one-shot commands (export, get). */
export interface OneShotArgs {
  retries: number;
  timeout: number;
  'max-retry-wait': number;
}

/** The retry settings of a one-shot command (export, get), as `exportContacts` and `getContact` take them. */
export function oneShotRetryOptions(args: OneShotArgs): { retries: number; timeoutMs: number; maxRetryWaitMs: number } {
  return { retries: args.retries, timeoutMs: args.timeout, maxRetryWaitMs: args['max-retry-wait'] * 1000 };
}

/**
 * How this process was started, as words for a `Next:` line: `node <script>` when a .js file
 * was named, `npx ciopulse-contacts` when npx ran the bin (npm sets npm_command=exec for `npx`
 * and `npm exec`), else the bin's name.
 */
export function launcherWords(env: NodeJS.ProcessEnv = process.env, script: string = process.argv[1] ?? ''): string[] {
  const name = basename(script);
  if (/\.[cm]?js$/.test(name)) {
    const rel = relative(process.cwd(), script);
    return ['node', '--', rel.startsWith('..') || rel === '' ? script : rel];
  }
  // Only the bin itself counts: npm_command is inherited by every process below an npx.
  if (env.npm_command === 'exec') return ['npx', 'ciopulse-contacts'];
  return [name === '' ? 'ciopulse-contacts' : name];
}

/** Flags whose value changes what the next run reads or sends, so `Next:` repeats them. */
const CARRIED = [
  'env-file',
  'base-url',
  'portal-code',
  'api-key-file',
  'allow-insecure',
  'map',
  'map-file',
  'sheet',
  'default-country',
  'fix-missing-plus',
  'null-token',
  'empty',
  'fields',
  'ignore-missing',
  'where',
  'state',
  'scope',
  'delete-missing',
  'max-delete',
] as const;
/** How to read the user's file: not for a file the tool wrote (an errors file is UTF-8). */
const CARRIED_FOR_INPUT = ['encoding'] as const;
/** A `--resume` must also see the same rows and write the same files. */
const CARRIED_ON_RESUME = ['limit', 'errors'] as const;
const DEFAULTS: Record<string, unknown> = { encoding: 'utf8', empty: 'omit' };

function flagWords(args: object, names: readonly string[]): string[] {
  const words: string[] = [];
  for (const name of names) {
    const value = (args as Record<string, unknown>)[name];
    if (value === undefined || value === false || value === DEFAULTS[name]) continue;
    if (value === true) words.push(`--${name}`);
    else for (const item of Array.isArray(value) ? value : [value]) words.push(`--${name}`, String(item));
  }
  return words;
}

/** This run's flags that the next run needs, and how it was started (README, "Next steps"). */
export function rerunFromArgs(args: object): Rerun {
  return {
    launcher: launcherWords(),
    flags: flagWords(args, CARRIED),
    inputFlags: flagWords(args, CARRIED_FOR_INPUT),
    resumeFlags: flagWords(args, CARRIED_ON_RESUME),
  };
}
