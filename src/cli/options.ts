/**
 * Flags shared by several commands, and their conversion into library settings.
 */
import type { Argv } from 'yargs';
import { resolveConnection, type Connection } from '../config.js';

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
    .option('portal-code', { type: 'string', describe: 'Client Portal Code (env CIOPULSE_PORTAL_CODE)', group: 'Connection:' })
    .option('api-key-file', {
      type: 'string',
      describe: 'File holding the 40-character API key, mode 600 (or env CIOPULSE_API_KEY; never a flag)',
      group: 'Connection:',
    })
    .option('env-file', { type: 'string', describe: 'Read CIOPULSE_* settings from this file', group: 'Connection:' })
    .option('allow-insecure', { type: 'boolean', describe: 'Allow plain http to a non-loopback host', group: 'Connection:' });
}

export function withOutputOptions<T>(yargs: Argv<T>): Argv<T & OutputArgs> {
  return yargs
    .option('json', { type: 'boolean', describe: 'Print a machine-readable summary on stdout', group: 'Output:' })
    .option('quiet', { type: 'boolean', alias: 'q', describe: 'Print errors only', group: 'Output:' })
    .option('verbose', { type: 'boolean', describe: 'More detail, and stack traces for unexpected errors', group: 'Output:' });
}

export function connectionFromArgs(args: ConnectionArgs): Connection {
  return resolveConnection({
    baseUrl: args['base-url'],
    portalCode: args['portal-code'],
    apiKeyFile: args['api-key-file'],
    envFile: args['env-file'],
    allowInsecure: args['allow-insecure'],
  });
}
