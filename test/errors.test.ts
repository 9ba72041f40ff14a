/**
 * Typed errors carry a stable code and an exit code; the CLI prints an internal error as one line
 * that asks for a bug report; one interrupt helper: the first signal aborts, the second exits 130.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ApiError,
  AuthError,
  ConfigError,
  FileError,
  InternalError,
  InterruptedError,
  NotFoundError,
  UsageError,
} from '../src/errors.js';
import { answerError, unauthorizedHint } from '../src/api/failures.js';
import { reportFatal } from '../src/cli/output.js';
import { createInterruptHandler } from '../src/cli/signals.js';

afterEach(() => {
  vi.restoreAllMocks();
});

function captureStderr(): () => string {
  let text = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  });
  return () => text;
}

describe('typed errors', () => {
  it('every class has a stable string code and an exit code', () => {
    const cases = [
      [new UsageError('x'), 'usage', 2],
      [new ConfigError('x'), 'config', 2],
      [new AuthError('x'), 'auth', 2],
      [new FileError('x', { file: 'a.csv' }), 'file', 2],
      [new ApiError('x'), 'api', 2],
      [new ApiError('x', { code: 'not_the_api' }), 'not_the_api', 2],
      [new NotFoundError('x'), 'not_found', 1],
      [new InterruptedError('x'), 'interrupted', 130],
      [new InternalError('x'), 'internal', 2],
    ] as const;
    for (const [error, code, exitCode] of cases)
      expect([error.name, error.code, error.exitCode]).toEqual([error.constructor.name, code, exitCode]);
  });

  it('maps answers to errors in one place: 401, 404, no answer, anything else', () => {
    const facts = { message: 'm', attempts: 3, retryable: true, stoppedBeforeRetry: false };
    const request = { method: 'GET', url: 'https://x.test/api/v5/contacts', baseUrl: 'https://x.test/api/v5' };
    expect(answerError({ ...facts, status: 401 }, request)).toBeInstanceOf(AuthError);
    expect(answerError({ ...facts, status: 404 }, request)).toBeInstanceOf(NotFoundError);
    expect(answerError({ ...facts, status: undefined }, request)).toMatchObject({
      code: 'no_answer',
      message: 'no answer from https://x.test/api/v5: m (3 attempts)',
    });
    expect(answerError({ ...facts, status: 503 }, request)).toMatchObject({
      code: 'api',
      status: 503,
      message: 'GET https://x.test/api/v5/contacts answered 503: m (3 attempts)',
    });
    expect(unauthorizedHint('http://127.0.0.1:4010/api/v5')).toMatch(
      /if it is the emulator, it makes a new key each time it starts, so copy the three CIOPULSE_ lines it printed again$/,
    );
    expect(unauthorizedHint('https://app.cio-pulse.com/api/v5')).not.toMatch(/emulator/);
  });

  it('prints an internal error as one line asking for a bug report; an interrupt as a plain line', () => {
    const stderr = captureStderr();
    expect(reportFatal(new InternalError('no spool'), { verbose: false })).toBe(2);
    expect(reportFatal(new InterruptedError('interrupted: nothing was written'), { verbose: false })).toBe(130);
    expect(stderr().split('\n')).toEqual([
      expect.stringMatching(/^error: internal error: no spool; this is a bug in ciopulse-contacts, please report it/),
      'interrupted: nothing was written',
      '',
    ]);
  });
});

describe('the interrupt helper', () => {
  it('aborts on the first signal and exits 130 on the second, in one place', () => {
    const stderr = captureStderr();
    const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);
    const firsts: string[] = [];
    const previousExitCode = process.exitCode;
    const listeners = process.listenerCount('SIGINT');
    const interrupt = createInterruptHandler({
      onFirst: (signal) => firsts.push(signal),
      secondMessage: 'second interrupt: bye',
    });
    try {
      process.emit('SIGINT', 'SIGINT');
      expect(interrupt.signal.aborted).toBe(true);
      expect(firsts).toEqual(['SIGINT']);
      expect(exit).not.toHaveBeenCalled();
      process.emit('SIGTERM', 'SIGTERM');
      expect(exit).toHaveBeenCalledTimes(1);
      expect(process.exitCode).toBe(130);
      expect(stderr()).toContain('second interrupt: bye');
    } finally {
      interrupt.dispose();
      process.exitCode = previousExitCode;
    }
    expect(process.listenerCount('SIGINT')).toBe(listeners);
  });
});
