/**
 * `ciopulse-contacts check`: the settings in force and where each came from (never the key),
 * then the credential check, in the spirit of `gh auth status`. Exit 0 when everything works,
 * 2 otherwise (README, "Where settings come from").
 */
import { DEFAULTS } from '../defaults.js';
import type { ArgumentsCamelCase } from 'yargs';
import type { Command } from './command.js';
import { inspectSettings, resolveConnection, type SettingOrigin, type SettingsReport } from '../config.js';
import { positiveInt } from './import.js';
import { CHECK_LINES } from './words.js';
import { withConnectionOptions, type ConnectionArgs } from './options.js';

export interface CheckArgs extends ConnectionArgs {
  retries: number;
  timeout: number;
}

function origin(from: SettingOrigin): string {
  switch (from.source) {
    case 'flag':
      return CHECK_LINES.origin.flag();
    case 'env file':
      return CHECK_LINES.origin.envFile(from.path ?? '');
    case 'key file':
      return CHECK_LINES.origin.keyFile(from.path ?? '');
    case '.env':
      return CHECK_LINES.origin.dotEnv();
    case 'environment':
      return CHECK_LINES.origin.environment();
    case 'default':
      return CHECK_LINES.origin.default();
  }
}

/** The settings as lines; the key is described by where it came from and its length only. */
export function formatSettings(settings: SettingsReport): string {
  const rows: [string, string][] = [
    ['base URL', `${settings.baseUrl.value}  (${origin(settings.baseUrl.from)})`],
    [
      'portal code',
      settings.portalCode === undefined
        ? CHECK_LINES.notSet()
        : `${settings.portalCode.value}  (${origin(settings.portalCode.from)})`,
    ],
    [
      'API key',
      settings.apiKey === undefined
        ? CHECK_LINES.notSet()
        : CHECK_LINES.key(
            settings.apiKey.length >= 0 ? settings.apiKey.length : undefined,
            origin(settings.apiKey.from),
          ),
    ],
  ];
  if (settings.dotEnv !== undefined)
    rows.push([
      '.env',
      settings.dotEnv.read ? CHECK_LINES.dotEnvRead() : CHECK_LINES.dotEnvNotRead(settings.dotEnv.reason ?? ''),
    ]);
  return rows.map(([name, value]) => `${name.padEnd(12)} ${value}\n`).join('');
}

export const checkCommand: Command<CheckArgs> = {
  command: 'check',
  describe: 'Show the connection settings and where each came from, then check the credentials',
  builder: (yargs) =>
    withConnectionOptions(
      yargs
        .option('retries', {
          type: 'number',
          default: DEFAULTS.checkRetries,
          describe: 'Retries for the check (429, 5xx, network)',
        })
        .option('timeout', {
          type: 'number',
          default: DEFAULTS.checkTimeoutMs,
          describe: 'Time limit for the check, in ms',
        })
        .example('$0 check --env-file .env', 'What the other commands would use, and whether it works'),
    ),
  handler: async (args: ArgumentsCamelCase<CheckArgs>) => {
    positiveInt('retries', args.retries, 0);
    positiveInt('timeout', args.timeout);
    const flags = {
      baseUrl: args['base-url'],
      portalCode: args['portal-code'],
      apiKeyFile: args['api-key-file'],
      envFile: args['env-file'],
      allowInsecure: args['allow-insecure'],
    };
    process.stdout.write(formatSettings(inspectSettings(flags)));
    const connection = resolveConnection(flags);
    const { runCredentialCheck } = await import('../api/credentials.js');
    const verdict = await runCredentialCheck({ connection, retries: args.retries, timeoutMs: args.timeout });
    if (!verdict.ok) throw verdict.error;
    process.stdout.write(`${'credentials'.padEnd(12)} ${CHECK_LINES.credentialsWork(verdict.proof)}\n`);
    return 0;
  },
};
