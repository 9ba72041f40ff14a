/**
 * The one place where an API answer becomes words and typed errors: 401 → AuthError with the one
 * 401 hint, 404, no answer, and "this is not the API". Every command (get, export, plan, import,
 * delete) maps answers through here, so each rule is written once.
 */
import { isLoopbackHost } from '../config.js';
import { ApiError, AuthError, NotFoundError } from '../errors.js';
import { ANSWER_ERRORS, HINTS } from '../error-messages.js';

/** The `code` of an ApiError for a server that is not the CIOPulse API. */
export const NOT_THE_API = 'not_the_api';

export const NOT_THE_API_HINT = HINTS.notTheApi();

/** The hint for every 401: the API document names the portal code, the key and the IP allow-list. */
export function unauthorizedHint(baseUrl: string): string {
  let loopback: boolean;
  try {
    loopback = isLoopbackHost(new URL(baseUrl).hostname);
  } catch {
    loopback = false;
  }
  // A loopback URL is almost always the emulator, which makes up a new key each time it starts
  // (README, "emulator"), so a saved .env goes stale.
  return HINTS.unauthorized(loopback);
}

/** What the client knows about an answer, enough to word it. */
export interface AnswerFacts {
  status: number | undefined;
  message: string | undefined;
  attempts: number;
  retryable: boolean;
  stoppedBeforeRetry: boolean;
  /** Set when the answer shows the server is not the API: that wins over the status. */
  fatal?: Error | undefined;
}

/** "400 First name is required", or "no answer after 6 attempts: the connection was reset …". */
export function describeAnswer(result: AnswerFacts): string {
  const tries = result.attempts > 1 ? ` after ${result.attempts} attempts` : '';
  if (result.status === undefined) return `no answer${tries}: ${result.message ?? 'a network error'}`;
  const message = result.message === undefined ? '' : ` ${result.message}`;
  const stopped = result.stoppedBeforeRetry ? ' (the run stopped before it could retry)' : '';
  return `${result.status}${message}${result.retryable ? tries : ''}${stopped}`;
}

/**
 * The API's error body, `{"message":"…","status":404}` (API document, "Error Handling"). A 404
 * without it came from something else: a web server, a proxy, a base URL without /api/v5.
 */
export function isApiErrorBody(body: unknown, status: number): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const record = body as Record<string, unknown>;
  return typeof record.message === 'string' && Number(record.status) === status;
}

/** The error that stops a run (or a command) whose server cannot be the API. */
export function notTheApiError(what: string, status: number): ApiError {
  return new ApiError(ANSWER_ERRORS.notTheApi(what), {
    code: NOT_THE_API,
    hint: NOT_THE_API_HINT,
    status,
  });
}

/** Answers that point elsewhere; following them would send the key to an address the user never gave. */
export const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/**
 * A redirect stops the run (exit 2) and names where it points, with the base URL that address
 * implies: the part before `/contacts`, as the request's own URL is built from the base URL.
 */
export function redirectError(url: string, what: string, location: string | undefined, status: number): ApiError {
  if (location === undefined)
    return new ApiError(ANSWER_ERRORS.redirectWithoutLocation(what), { code: 'redirect', status });
  let target = location;
  try {
    target = new URL(location, url).href;
  } catch {
    // kept as written: the message still shows it
  }
  const base = /^(.*?)\/contacts(?:\/[^/?#]*)?(?:[?#].*)?$/.exec(target)?.[1];
  return new ApiError(ANSWER_ERRORS.redirectTo(what, target, base), {
    code: 'redirect',
    status,
    hint: HINTS.redirect(),
  });
}

export function authError(result: Pick<AnswerFacts, 'message'>, baseUrl: string, context = ''): AuthError {
  return new AuthError(ANSWER_ERRORS.refusedCredentials(result.message, context), { hint: unauthorizedHint(baseUrl) });
}

/** No HTTP answer at all, after every retry. */
export function noAnswerError(result: Pick<AnswerFacts, 'message' | 'attempts'>, baseUrl: string): ApiError {
  return new ApiError(ANSWER_ERRORS.noAnswer(baseUrl, result.message, result.attempts), {
    code: 'no_answer',
    hint: HINTS.unreachable(),
  });
}

/**
 * An answer that is not the success a command needed, as the typed error the CLI prints:
 * 401 → AuthError, 404 → NotFoundError, no answer → ApiError `no_answer`, else ApiError.
 */
export function answerError(
  result: AnswerFacts,
  request: { method: string; url: string; baseUrl: string; notFound?: string },
): Error {
  if (result.fatal !== undefined) return result.fatal;
  switch (result.status) {
    case 401:
      return authError(result, request.baseUrl);
    case 404:
      return new NotFoundError(
        ANSWER_ERRORS.notFound(request.notFound ?? `${request.method} ${request.url}: not found`, result.message),
        { hint: HINTS.notFound() },
      );
    case undefined:
      return noAnswerError(result, request.baseUrl);
    default: {
      const attempts = result.retryable ? result.attempts : 1;
      return new ApiError(
        ANSWER_ERRORS.answered(`${request.method} ${request.url}`, result.status, result.message, attempts),
        { status: result.status },
      );
    }
  }
}
