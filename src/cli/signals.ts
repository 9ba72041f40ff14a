/**
 * Ctrl-C for every command, in one place. The first SIGINT or SIGTERM aborts the command's
 * AbortController (the library stops gracefully: no new requests, a short grace for those in
 * flight). A second one exits at once, with 130 (README, "Exit codes").
 */
import { EXIT_INTERRUPTED } from '../errors.js';

export interface Interrupt {
  /** Aborted by the first signal. */
  signal: AbortSignal;
  dispose(): void;
}

export interface InterruptOptions {
  /** Called on the first signal, after the abort (e.g. to say what happens now). */
  onFirst?: ((signal: NodeJS.Signals) => void) | undefined;
  /** Printed on stderr before a second signal exits. */
  secondMessage?: string | undefined;
}

/** The only place the CLI exits before its handler returns. */
export function exitNow(code: number): never {
  process.exit(code);
}

export function createInterruptHandler(options: InterruptOptions = {}): Interrupt {
  const controller = new AbortController();
  const handler = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      if (options.secondMessage !== undefined) process.stderr.write(`\n${options.secondMessage}\n`);
      exitNow(EXIT_INTERRUPTED);
    }
    controller.abort();
    options.onFirst?.(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
