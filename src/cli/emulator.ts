/**
 * `ciopulse-contacts emulator`: runs the local API until SIGINT or SIGTERM (README,
 * "emulator"). stdout gets exactly three env-file lines, so a script can `source` them or a test
 * can read them; every other note goes to stderr.
 */
import type { Argv } from 'yargs';
import type { Command } from './command.js';
import { API_KEY_LENGTH } from '../config.js';
import type { Emulator, EmulatorOptions } from '../emulator/server.js';
import { createInterruptHandler, exitNow } from './signals.js';

export interface EmulatorArgs {
  port: number;
  host: string;
  data: string | undefined;
  groups: string | undefined;
  latency: number | undefined;
  'fail-rate': number | undefined;
  'throttle-rate': number | undefined;
  'reset-rate': number | undefined;
  'lose-rate': number | undefined;
  seed: number;
  'revoke-after': number | undefined;
}

function fromEnv(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** Flags and environment → library options; the portal code and key come from the environment when set. */
export function toEmulatorOptions(args: EmulatorArgs): EmulatorOptions {
  const options: EmulatorOptions = { port: args.port, host: args.host, seed: args.seed };
  const portalCode = fromEnv('CIOPULSE_PORTAL_CODE');
  const apiKey = fromEnv('CIOPULSE_API_KEY');
  if (portalCode !== undefined) options.portalCode = portalCode;
  if (apiKey !== undefined) options.apiKey = apiKey;
  if (args.data !== undefined) options.dataFile = args.data;
  if (args.groups !== undefined) options.groups = args.groups;
  if (args.latency !== undefined) options.latencyMs = args.latency;
  if (args['fail-rate'] !== undefined) options.failRate = args['fail-rate'];
  if (args['throttle-rate'] !== undefined) options.throttleRate = args['throttle-rate'];
  if (args['reset-rate'] !== undefined) options.resetRate = args['reset-rate'];
  if (args['lose-rate'] !== undefined) options.loseRate = args['lose-rate'];
  if (args['revoke-after'] !== undefined) options.revokeAfter = args['revoke-after'];
  return options;
}

/**
 * The startup lines, in env-file form. The emulator's throwaway key is printed on purpose
 * (README, "Security").
 */
export function formatEnvLines(emulator: Pick<Emulator, 'baseUrl' | 'portalCode' | 'apiKey'>): string {
  return `CIOPULSE_BASE_URL=${emulator.baseUrl}\nCIOPULSE_PORTAL_CODE=${emulator.portalCode}\nCIOPULSE_API_KEY=${emulator.apiKey}\n`;
}

/** Resolves once a signal has arrived and the emulator is closed (the data file flushed). */
async function runUntilSignal(emulator: Emulator): Promise<void> {
  // A second Ctrl-C means "now": the flush in progress is abandoned.
  const interrupt = createInterruptHandler({
    onFirst: (signal) => process.stderr.write(`emulator: ${signal}; closing\n`),
    secondMessage: 'emulator: interrupted again; exiting without waiting',
  });
  try {
    await new Promise<void>((resolve) => interrupt.signal.addEventListener('abort', () => resolve(), { once: true }));
    await emulator.close();
  } finally {
    interrupt.dispose();
  }
}

export async function runEmulatorCommand(args: EmulatorArgs): Promise<number> {
  const options = toEmulatorOptions(args);
  if (options.apiKey !== undefined && options.apiKey.length !== API_KEY_LENGTH) {
    process.stderr.write(
      `emulator: warning: CIOPULSE_API_KEY has ${options.apiKey.length} characters; the client refuses keys that are not ${API_KEY_LENGTH}\n`,
    );
  }
  const { startEmulator } = await import('../emulator/server.js');
  const emulator = await startEmulator(options);
  process.stdout.write(formatEnvLines(emulator));
  if (emulator.listensEverywhere)
    process.stderr.write(
      `emulator: warning: it listens on every interface (--host ${args.host}): any machine that can reach this one can use it with the key above; use --host 127.0.0.1 to keep it to this machine\n`,
    );
  process.stderr.write(
    `emulator: listening on ${emulator.listenUrl}${args.data === undefined ? '' : `, persisting to ${args.data}`}; Ctrl-C to stop\n`,
  );
  await runUntilSignal(emulator);
  // Everything is closed, so node exits by itself; this only guards against a stray handle.
  setTimeout(() => exitNow(0), 2000).unref();
  return 0;
}

export const emulatorCommand: Command<EmulatorArgs> = {
  command: 'emulator',
  describe: 'Run the local CIOPulse API emulator',
  builder: (yargs: Argv<object>): Argv<EmulatorArgs> =>
    yargs
      .option('port', { type: 'number', default: 0, describe: 'Port to listen on; 0 picks a free one' })
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'Address to listen on' })
      .option('data', {
        type: 'string',
        describe: 'Persist contacts to this JSON file (atomic writes); loaded on start',
      })
      .option('groups', {
        type: 'string',
        describe: "Support groups JSON, in the API document's shape (default: samples/support-groups.json)",
      })
      .option('latency', { type: 'number', describe: 'Delay every request by this many ms' })
      .option('fail-rate', { type: 'number', describe: 'Probability of a 500, write not applied' })
      .option('throttle-rate', {
        type: 'number',
        describe: 'Probability of a 429 with Retry-After: 1, write not applied',
      })
      .option('reset-rate', { type: 'number', describe: 'Probability of a socket reset before the write' })
      .option('lose-rate', { type: 'number', describe: 'Probability that the write is applied and the response lost' })
      .option('seed', { type: 'number', default: 1, describe: 'Seed for every injected fault' })
      .option('revoke-after', { type: 'number', describe: 'Answer 401 to every request after this many' })
      .example('$0 emulator --port 8080 --data contacts.json', 'Run on a fixed port and keep contacts between runs')
      .example(
        '$0 emulator --latency 20 --fail-rate 0.05 --lose-rate 0.01 --seed 7',
        'Rehearse an import against a slow, flaky API',
      ),
  handler: (args) => runEmulatorCommand(args),
};
