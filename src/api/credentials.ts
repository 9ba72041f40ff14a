/**
 * The credential check, and its verdict in one place (README, "Failure behaviour"). A run makes
 * one GET of a system_id that cannot exist before its first row: the API's JSON 404 ("A Contact
 * with this System ID was not found", API document, "Error Handling") means the key was taken.
 *
 * `check` proves more, because that is its whole job: a 404 alone is not proof, since a server
 * that answers 404 whatever the key (a web server, a wrong path, a stub) would pass. So the same
 * URL is asked again with a deliberately wrong key, which the API must refuse with 401
 * ("Invalid security credentials (portal code and/or API key missing or invalid)").
 */
import { randomBytes } from 'node:crypto';
import { Secret, type Connection } from '../config.js';
import { ApiError, type CiopulseError } from '../errors.js';
import type { ApiClient, ApiClientOptions, ApiResult } from './client.js';
import { authError, describeAnswer, isApiErrorBody, NOT_THE_API, NOT_THE_API_HINT, noAnswerError } from './failures.js';
import { ANSWER_ERRORS, CREDENTIAL_CHECK, HINTS } from '../error-messages.js';
import { withApiClient } from './with-client.js';

/** How a failed check stops a run (the StopReason it maps to). */
export type CredentialFailure = 'auth' | 'not_api' | 'unreachable';

export type CredentialVerdict =
  { ok: true; proof: string } | { ok: false; reason: CredentialFailure; error: CiopulseError };

/**
 * Every credential check's system_id starts with this. The emulator injects no faults into the
 * check (README, "emulator"): its id is random, so a fault drawn for it would stop a run by chance.
 */
export const CREDENTIAL_CHECK_PREFIX = 'ciopulse-contacts-credential-check-';

/** A system_id no one has: the check's GET must find nothing there. */
function credentialCheckId(): string {
  return `${CREDENTIAL_CHECK_PREFIX}${randomBytes(8).toString('hex')}`;
}

/** The check's one request: a GET of a system_id that cannot exist. */
export function askCredentialCheck(
  client: Pick<ApiClient, 'getOne'>,
  systemId = credentialCheckId(),
): Promise<ApiResult> {
  return client.getOne(systemId);
}

function notTheApi(message: string, status: number | undefined): CredentialVerdict {
  return {
    ok: false,
    reason: 'not_api',
    error: new ApiError(ANSWER_ERRORS.notTheApi(message), {
      code: NOT_THE_API,
      hint: NOT_THE_API_HINT,
      ...(status === undefined ? {} : { status }),
    }),
  };
}

function unreachable(
  result: ApiResult,
  baseUrl: string,
  what: Parameters<typeof CREDENTIAL_CHECK.failed>[0],
): CredentialVerdict {
  if (result.status === undefined) return { ok: false, reason: 'unreachable', error: noAnswerError(result, baseUrl) };
  return {
    ok: false,
    reason: 'unreachable',
    error: new ApiError(CREDENTIAL_CHECK.failed(what, describeAnswer(result)), {
      hint: HINTS.unreachable(),
      status: result.status,
    }),
  };
}

/**
 * The verdict on the check's answer to the real key, and (for `check`) to a wrong one. Without
 * `wrongKey`, the API's JSON 404 is enough: a run's first request, which the client has already
 * classified (an HTML or bare 404 is `fatal`, not the API).
 */
export function judgeCredentialCheck(baseUrl: string, realKey: ApiResult, wrongKey?: ApiResult): CredentialVerdict {
  if (realKey.fatal !== undefined) return { ok: false, reason: 'not_api', error: realKey.fatal };
  if (realKey.status === 401) return { ok: false, reason: 'auth', error: authError(realKey, baseUrl) };
  // The client has already called a 404 without the API's JSON body, or an HTML page, fatal.
  if (realKey.status !== 404) {
    const success = realKey.status !== undefined && realKey.status >= 200 && realKey.status < 300;
    // A run has always taken a 2xx: a contact by that name would be a coincidence, not a fault.
    if (success && wrongKey === undefined) return { ok: true, proof: CREDENTIAL_CHECK.proofTook2xx(realKey.status) };
    if (success) return notTheApi(CREDENTIAL_CHECK.foundImpossible(realKey.status), realKey.status);
    return unreachable(realKey, baseUrl, 'the credential check');
  }
  if (!isApiErrorBody(realKey.body, 404)) return notTheApi(CREDENTIAL_CHECK.no404Body(), 404);
  if (wrongKey === undefined) return { ok: true, proof: CREDENTIAL_CHECK.proof404() };
  if (wrongKey.status === 401) return { ok: true, proof: CREDENTIAL_CHECK.proofBoth() };
  if (wrongKey.status === undefined || wrongKey.status >= 500 || wrongKey.status === 429)
    return unreachable(wrongKey, baseUrl, 'the check with a deliberately wrong key');
  return notTheApi(CREDENTIAL_CHECK.wrongKeyTaken(wrongKey.status), wrongKey.status);
}

/** A 40-character key that is not the user's: the API must refuse it. */
function wrongKeyFor(connection: Connection): Connection {
  let key = randomBytes(30).toString('base64').replace(/[+/=]/g, 'x').slice(0, 40);
  if (key.length < 40) key = key.padEnd(40, 'x');
  return { ...connection, apiKey: new Secret(key) };
}

export interface CredentialCheckOptions {
  connection: Connection;
  retries?: number | undefined;
  timeoutMs?: number | undefined;
  /** For tests: the dispatcher both clients use. */
  dispatcher?: ApiClientOptions['dispatcher'];
}

/**
 * `check`'s proof: the made-up system_id with the real key (the API's JSON 404), then with a
 * wrong key (401). Never throws for an answer: the verdict says what went wrong.
 */
export async function runCredentialCheck(options: CredentialCheckOptions): Promise<CredentialVerdict> {
  const id = credentialCheckId();
  const ask = (connection: Connection): Promise<ApiResult> =>
    withApiClient(
      {
        connection,
        concurrency: 1,
        retries: options.retries,
        timeoutMs: options.timeoutMs,
        dispatcher: options.dispatcher,
      },
      (client) => askCredentialCheck(client, id),
    );
  const realKey = await ask(options.connection);
  const first = judgeCredentialCheck(options.connection.baseUrl, realKey);
  if (!first.ok) return first;
  return judgeCredentialCheck(options.connection.baseUrl, realKey, await ask(wrongKeyFor(options.connection)));
}
