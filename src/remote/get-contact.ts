/**
 * One contact by system_id, as `get` prints it (README, "get"): GET /contacts/{system_id}, the
 * answer unwrapped (`{"contact":{"System_ID":…}}`, like the API document's `{"support_group":{…}}`
 * example) and its keys normalised exactly as `export` does, with the six contact fields first.
 * Values are as the API sent them: null stays null. Any answer but 200 is a typed error
 * (api/failures.ts); a 404 says there is no such contact.
 */
import type { ApiResult } from '../api/client.js';
import { answerError } from '../api/failures.js';
import { oneShotClientOptions, withApiClient, type OneShotOptions } from '../api/with-client.js';
import { CONTACT_FIELDS } from '../contact/fields.js';
import { ANSWER_ERRORS } from '../error-messages.js';
import { ApiError, InterruptedError, UsageError } from '../errors.js';
import { extractRecords } from './listing.js';

/** `signal` stops the request; the call then throws InterruptedError. */
export type GetContactOptions = Omit<OneShotOptions, 'onRetry'>;

/** The contact's fields, snake_case, the six contact fields first. */
export async function getContact(systemId: string, options: GetContactOptions): Promise<Record<string, unknown>> {
  // An empty segment, "." or ".." would address /contacts itself once URL parsers resolve dot segments (README, "system_id").
  if (systemId.trim() === '' || systemId === '.' || systemId === '..')
    throw new UsageError(ANSWER_ERRORS.notASystemId(systemId));
  const result = await withApiClient({ ...oneShotClientOptions(options), graceMs: 0 }, (client) =>
    client.getOne(systemId),
  );
  if (options.signal?.aborted === true) throw new InterruptedError('interrupted');
  return resolveContact(systemId, result, options.connection.baseUrl);
}

/** 200 → the flat record; everything else → the typed error (failures.ts). */
function resolveContact(systemId: string, result: ApiResult, baseUrl: string): Record<string, unknown> {
  if (result.fatal !== undefined) throw result.fatal;
  const url = `${baseUrl}/contacts/${encodeURIComponent(systemId)}`;
  if (result.status !== 200) {
    throw answerError(result, { method: 'GET', url, baseUrl, notFound: ANSWER_ERRORS.noContact(systemId) });
  }
  const body = result.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(ANSWER_ERRORS.notAContact(url, body === undefined));
  }
  // A contact is a one-record listing; extractRecords unwraps `{"contact":{…}}` and renames keys.
  const [record] = extractRecords([body]);
  return ordered(record ?? {});
}

/** The six fields first, then the rest as the API ordered them. */
function ordered(record: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const name of ['system_id', ...CONTACT_FIELDS]) if (name in record) result[name] = record[name];
  for (const [name, value] of Object.entries(record)) if (!(name in result)) result[name] = value;
  return result;
}
