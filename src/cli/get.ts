/**
 * `ciopulse-contacts get <system_id>`: one contact as pretty JSON, keys in snake_case.
 *
 * The API returns a contact in the listing's shape (`{"contact":{"System_ID":…}}`, like the
 * document's `{"support_group":{…}}` example); it is unwrapped and its keys normalised exactly as
 * `export` does, with the six contact fields first. Values are printed as the API sent them:
 * null stays null.
 */
import { DEFAULTS } from '../defaults.js';
import type { ArgumentsCamelCase } from 'yargs';
import type { Command } from './command.js';
import type { ApiResult } from '../api/client.js';
import { answerError } from '../api/failures.js';
import { ApiError, InterruptedError, UsageError } from '../errors.js';
import { CLI_LINES, USAGE_ERRORS } from './words.js';
import type { extractRecords as ExtractRecords } from '../remote/listing.js';
import { CONTACT_FIELDS } from '../contact/fields.js';
import { checkMaxRetryWait, maxRetryWaitOption, positiveInt } from './import.js';
import { createInterruptHandler } from './signals.js';
import { connectionFromArgs, oneShotClientOptions, withConnectionOptions, type ConnectionArgs } from './options.js';

export interface GetArgs extends ConnectionArgs {
  system_id: string;
  retries: number;
  timeout: number;
  'max-retry-wait': number;
  verbose?: boolean | undefined;
}

/** The six fields first, then the rest as the API ordered them. */
function ordered(record: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const name of ['system_id', ...CONTACT_FIELDS]) if (name in record) result[name] = record[name];
  for (const [name, value] of Object.entries(record)) if (!(name in result)) result[name] = value;
  return result;
}

/** 200 → the flat record; everything else → the typed error the top-level handler prints (failures.ts). */
export function resolveContact(
  systemId: string,
  result: ApiResult,
  baseUrl: string,
  extractRecords: typeof ExtractRecords,
): Record<string, unknown> {
  if (result.fatal !== undefined) throw result.fatal;
  const url = `${baseUrl}/contacts/${encodeURIComponent(systemId)}`;
  if (result.status !== 200) {
    throw answerError(result, { method: 'GET', url, baseUrl, notFound: CLI_LINES.noContact(systemId) });
  }
  const body = result.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(
      `GET ${url} answered 200 with ${body === undefined ? 'no body' : 'something that is not a contact'}`,
    );
  }
  // A contact is a one-record listing; extractRecords unwraps `{"contact":{…}}` and renames keys.
  const [record] = extractRecords([body]);
  return ordered(record ?? {});
}

export const getCommand: Command<GetArgs> = {
  command: 'get <system_id>',
  describe: 'Print one contact as JSON',
  builder: (yargs) =>
    withConnectionOptions(
      yargs
        // type string: a system_id such as 007 must not become the number 7.
        .positional('system_id', {
          type: 'string',
          demandOption: true,
          describe: 'The contact’s system_id, exactly as stored',
        })
        .option('retries', { type: 'number', default: DEFAULTS.retries, describe: 'Retries (429, 5xx, network)' })
        .option('timeout', {
          type: 'number',
          default: DEFAULTS.timeoutMs,
          describe: 'Time limit per attempt, in ms: connecting, the answer and its whole body',
        })
        .option('max-retry-wait', maxRetryWaitOption)
        .option('verbose', { type: 'boolean', describe: 'Stack traces for unexpected errors' })
        .example('$0 get CONTACT123', 'Print the contact CONTACT123')
        .example('$0 get CONTACT123 | jq -r .email', 'Just its email'),
    ),
  handler: async (args: ArgumentsCamelCase<GetArgs>) => {
    positiveInt('retries', args.retries, 0);
    positiveInt('timeout', args.timeout);
    checkMaxRetryWait(args['max-retry-wait']);
    const systemId = String(args.system_id);
    // An empty segment, "." or ".." would address /contacts itself once URL parsers resolve dot segments (README, "system_id").
    if (systemId.trim() === '' || systemId === '.' || systemId === '..') {
      throw new UsageError(USAGE_ERRORS.notASystemId(systemId));
    }
    const connection = connectionFromArgs(args);
    // Loaded when the command runs, so that other commands' start-up does not pay for undici.
    const [{ withApiClient }, { extractRecords }] = await Promise.all([
      import('../api/with-client.js'),
      import('../remote/listing.js'),
    ]);
    const interrupt = createInterruptHandler();
    let result: ApiResult;
    try {
      const settings = { ...oneShotClientOptions(connection, args, interrupt.signal), graceMs: 0 };
      result = await withApiClient(settings, (client) => client.getOne(systemId));
    } finally {
      interrupt.dispose();
    }
    if (interrupt.signal.aborted) throw new InterruptedError('interrupted');
    const record = resolveContact(systemId, result, connection.baseUrl, extractRecords);
    process.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
    return 0;
  },
};
