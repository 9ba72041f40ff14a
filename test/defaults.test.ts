/**
 * One place for defaults (src/defaults.ts): the flags' defaults (and so `--help`) are the
 * library's, for every command that has the flag.
 */
import { describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { DEFAULTS } from '../src/defaults.js';
import { importCommand } from '../src/cli/import.js';
import { deleteCommand } from '../src/cli/delete.js';
import { exportCommand } from '../src/cli/export.js';
import { getCommand } from '../src/cli/get.js';
import { checkCommand } from '../src/cli/check.js';
import { createRunControl } from '../src/run/control.js';

async function defaultsOf(command: { builder?: unknown }, argv: string[]): Promise<Record<string, unknown>> {
  const builder = command.builder as (y: ReturnType<typeof yargs>) => ReturnType<typeof yargs>;
  return await builder(yargs(argv)).exitProcess(false).parseAsync();
}

describe('defaults, one module', () => {
  it('import, delete, export and get take retries, timeout and the retry wait from DEFAULTS', async () => {
    for (const command of [importCommand, deleteCommand, exportCommand, getCommand]) {
      const args = await defaultsOf(command, ['x.csv']);
      expect(args.retries).toBe(DEFAULTS.retries);
      expect(args.timeout).toBe(DEFAULTS.timeoutMs);
      expect(args['max-retry-wait']).toBe(DEFAULTS.maxRetryWaitMs / 1000);
    }
    for (const command of [importCommand, deleteCommand]) {
      const args = await defaultsOf(command, ['x.csv']);
      expect(args.concurrency).toBe(DEFAULTS.concurrency);
      expect(args['max-consecutive-failures']).toBe(DEFAULTS.maxConsecutiveFailures);
    }
    const check = await defaultsOf(checkCommand, []);
    expect([check.retries, check.timeout]).toEqual([DEFAULTS.checkRetries, DEFAULTS.checkTimeoutMs]);
  });

  it('the run control cuts requests off after DEFAULTS.graceMs', () => {
    const controller = new AbortController();
    const control = createRunControl(controller.signal);
    const started = performance.now();
    controller.abort();
    return new Promise<void>((resolve) => {
      control.abortSignal.addEventListener('abort', () => {
        expect(performance.now() - started).toBeGreaterThanOrEqual(DEFAULTS.graceMs - 50);
        resolve();
      });
    });
  });
});
