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
  NothingToResumeError,
  RunLockedError,
  UnfinishedRunError,
  UsageError,
} from '../src/errors.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { answerError, unauthorizedHint } from '../src/api/failures.js';
import { errnoError, errnoMessage, readFailure, writeFailure } from '../src/errno.js';
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
      [new RunLockedError('r.csv', 1), 'run_locked', 2],
      [new UnfinishedRunError('r.csv.journal', 3), 'unfinished_run', 2],
      [new NothingToResumeError('r.csv'), 'nothing_to_resume', 2],
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
      expect(exit).toHaveBeenCalledWith(130);
      expect(stderr()).toContain('second interrupt: bye');
    } finally {
      interrupt.dispose();
    }
    expect(process.listenerCount('SIGINT')).toBe(listeners);
  });
});

describe('one exit path (issue 21 item 4)', () => {
  it('only src/cli/main.ts sets process.exitCode; commands return a code or throw', () => {
    const root = new URL('../src/', import.meta.url);
    const setters = readdirSync(root, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .filter((file) => /process\.exitCode\s*=(?!=)/.test(readFileSync(new URL(file, root), 'utf8')));
    expect(setters).toEqual([join('cli', 'main.ts')]);
  });
});

describe('errno in words, one wording each (issue 21 item 2)', () => {
  it('reading and writing say the same words for the same errno, the code named once', () => {
    const cases: [string, string][] = [
      ['ENOENT', 'it does not exist (ENOENT)'],
      ['EACCES', 'permission denied (EACCES)'],
      ['ENOSPC', 'no space left on device (ENOSPC)'],
      ['EISDIR', 'it is a directory (EISDIR)'],
      ['EROFS', 'the file system is read-only (EROFS)'],
    ];
    for (const [code, words] of cases) {
      expect(errnoMessage(errnoError(code))).toBe(words);
      expect(readFailure('a.csv', errnoError(code)).message).toBe(`cannot read a.csv: ${words}`);
      expect(writeFailure('b.csv', errnoError(code), 'the report').message).toBe(
        `cannot write the report b.csv: ${words}`,
      );
    }
    const node = Object.assign(new Error("EXDEV: cross-device link not permitted, rename 'a' -> 'b'"), {
      code: 'EXDEV',
    });
    expect(errnoMessage(node)).toBe('cross-device link not permitted (EXDEV)');
  });
});
