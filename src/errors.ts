/**
 * The typed errors the library throws. Each carries a stable string `code` (for scripts and the
 * `--json` summary; got does the same) and the exit code the CLI maps it to (README, "Exit
 * codes": 130 > 2 > 1 > 0). A bad *row* is never one of these: it is data in the results file.
 * Only whole-file and whole-run problems throw.
 */
export interface ErrorOptions {
  hint?: string | undefined;
  cause?: unknown;
  /** A more precise code than the class's own, e.g. `not_the_api` for an ApiError. */
  code?: string | undefined;
}

export abstract class CiopulseError extends Error {
  abstract readonly exitCode: number;
  /** Stable, machine-readable: never reworded once released. */
  readonly code: string;
  /** An optional second line for people: what to do about it. */
  readonly hint: string | undefined;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options?.hint;
    this.code = options?.code ?? (new.target as unknown as { defaultCode: string }).defaultCode;
  }

  static readonly defaultCode: string = 'error';
}

/** Wrong flags or arguments. */
export class UsageError extends CiopulseError {
  static override readonly defaultCode = 'usage';
  readonly exitCode = 2;
}

/** Settings that cannot work: a missing portal code, a key file others can read. */
export class ConfigError extends CiopulseError {
  static override readonly defaultCode = 'config';
  readonly exitCode = 2;
}

/** The API answered 401, or the key cannot be right (not 40 characters). */
export class AuthError extends CiopulseError {
  static override readonly defaultCode = 'auth';
  readonly exitCode = 2;
}

/**
 * A problem with the whole input file: unreadable, bad encoding, unclosed quote, no system_id.
 * One run reports every such problem it can find, so `problems` may hold several, one line
 * each; `message` is those lines joined by newlines.
 */
export class FileError extends CiopulseError {
  static override readonly defaultCode: string = 'file';
  readonly exitCode = 2;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly problems: readonly string[];

  constructor(
    message: string,
    options?: ErrorOptions & { file?: string; line?: number; problems?: readonly string[] },
  ) {
    super(message, options);
    this.file = options?.file;
    this.line = options?.line;
    this.problems = options?.problems ?? [message];
  }

  /** One FileError for several (from the pre-scan and the header), in the order found. */
  static combine(errors: readonly FileError[]): FileError {
    if (errors.length === 1) return errors[0]!;
    const problems = errors.flatMap((e) => e.problems);
    const first = errors[0];
    return new FileError(problems.join('\n'), { file: first?.file, line: first?.line, problems });
  }
}

/**
 * A whole-run API problem that is not about credentials: no answer, an answer export cannot
 * read, or a server that is not the API at all (code `not_the_api`).
 */
export class ApiError extends CiopulseError {
  static override readonly defaultCode = 'api';
  readonly exitCode = 2;
  readonly status: number | undefined;

  constructor(message: string, options?: ErrorOptions & { status?: number | undefined }) {
    super(message, options);
    this.status = options?.status;
  }
}

/** One thing that was asked for does not exist (`get` of an unknown system_id). */
export class NotFoundError extends CiopulseError {
  static override readonly defaultCode = 'not_found';
  readonly exitCode = 1;
}

/**
 * A sync that its guards refuse (too many deletes, a file that lists nothing): nothing was sent
 * (README, "Keeping CIOPulse in sync with your helpdesk").
 */
export class SyncRefusedError extends CiopulseError {
  static override readonly defaultCode = 'sync_refused';
  readonly exitCode = 2;
}

/** The person asked to confirm said no: nothing was sent. */
export class DeclinedError extends CiopulseError {
  static override readonly defaultCode = 'declined';
  readonly exitCode = 1;
}

/** Another live process holds the lock on this results file (`<results>.lock`). */
export class RunLockedError extends FileError {
  static override readonly defaultCode = 'run_locked';
  readonly pid: number;
  constructor(resultsPath: string, pid: number) {
    super(`another run is writing ${resultsPath} (pid ${pid})`, {
      file: resultsPath,
      hint: 'wait for it to finish, or write elsewhere with a different results path',
    });
    this.pid = pid;
  }
}

/** A journal of an unfinished run is there, and the caller asked neither to resume nor to restart. */
export class UnfinishedRunError extends FileError {
  static override readonly defaultCode = 'unfinished_run';
  readonly journalPath: string;
  readonly answered: number;
  constructor(journalPath: string, answered: number) {
    super(
      `an earlier run of this file did not finish: ${answered} ${answered === 1 ? 'row already has its' : 'rows already have their'} answer (journal ${journalPath})`,
      { file: journalPath },
    );
    this.journalPath = journalPath;
    this.answered = answered;
  }
}

/** Resume was asked for, but there is no earlier run at this path. */
export class NothingToResumeError extends FileError {
  static override readonly defaultCode = 'nothing_to_resume';
  constructor(resultsPath: string) {
    super(`nothing to resume: there is no ${resultsPath} and no journal beside it`, { file: resultsPath });
  }
}

/** Exit code for a run ended by SIGINT or SIGTERM after draining. */
export const EXIT_INTERRUPTED = 130;

/** The user stopped the command (Ctrl-C, SIGTERM) before it could finish. */
export class InterruptedError extends CiopulseError {
  static override readonly defaultCode = 'interrupted';
  readonly exitCode = EXIT_INTERRUPTED;
}

/**
 * A broken promise inside the tool itself, never the user's input or the server's answer. The
 * CLI prints it as one line that asks for a bug report.
 */
export class InternalError extends CiopulseError {
  static override readonly defaultCode = 'internal';
  readonly exitCode = 2;
}

export function isCiopulseError(error: unknown): error is CiopulseError {
  return error instanceof CiopulseError;
}
