/**
 * `ciopulse-contacts get <system_id>`: flags → `getContact` → one contact as pretty JSON, keys in
 * snake_case (README, "get").
 */
import { DEFAULTS } from '../defaults.js';
import type { ArgumentsCamelCase } from 'yargs';
import type { Command } from './command.js';
import { checkMaxRetryWait, maxRetryWaitOption, positiveInt } from './import.js';
import { createInterruptHandler } from './signals.js';
import { connectionFromArgs, oneShotRetryOptions, withConnectionOptions, type ConnectionArgs } from './options.js';

export interface GetArgs extends ConnectionArgs {
  system_id: string;
  retries: number;
  timeout: number;
  'max-retry-wait': number;
  verbose?: boolean | undefined;
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
    const connection = connectionFromArgs(args);
    // Loaded when the command runs, so that other commands' start-up does not pay for it.
    const { getContact } = await import('../remote/get-contact.js');
    const interrupt = createInterruptHandler();
    try {
      const record = await getContact(String(args.system_id), {
        connection,
        ...oneShotRetryOptions(args),
        signal: interrupt.signal,
      });
      process.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
      return 0;
    } finally {
      interrupt.dispose();
    }
  },
};
