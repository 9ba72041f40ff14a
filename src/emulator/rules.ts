/**
 * What each Contacts route does, per the API document, free of HTTP plumbing: every action
 * returns the status and the JSON body to send. The server adds transport, auth and faults.
 */
import { isUtf8 } from 'node:buffer';
import type { z } from 'zod';
import {
  CONTACT_FIELDS,
  contactCreateSchema,
  contactPatchSchema,
  toRowErrors,
  type Contact,
  type ContactPatch,
} from '../contact/schema.js';
import { apiKey, emptyFields, EXPORT_COLUMNS, type ExportColumn } from '../contact/fields.js';
import { describeProtection, type ProtectionIndex } from './groups.js';
import type { ContactStore } from './store.js';

export interface Reply {
  status: number;
  /** JSON text. */
  body: string;
}

/**
 * "a description of the error will also be returned in JSON format": `{"message":"Invalid security
 * credentials","status":401}`. The emulator answers a DELETE (202) in the same shape.
 */
export function messageBody(status: number, message: string): string {
  return JSON.stringify({ message, status });
}

export function errorReply(status: number, message: string): Reply {
  return { status, body: messageBody(status, message) };
}

/** The messages the document gives for its error codes, word for word. */
export const MESSAGES = {
  unauthorized: 'Invalid security credentials',
  notFound: 'A Contact with this System ID was not found',
  emailTaken: 'Another Contact already has this email address',
  transactionFailed: 'Transaction failed',
} as const;

const BACKSLASH = 0x5c;

/** `System_ID`, `First_Name`, …: the record's keys, in export's column order. */
const RECORD_KEYS = EXPORT_COLUMNS.map(apiKey);

/**
 * A contact as GET returns it: PascalCase keys in a single-key wrapper, the shape of the
 * document's only listing example (`{"support_group":{"Support_Group_System_ID":…}}`), as
 * docs/ARCHITECTURE.md, "Decisions where the API document is silent" (GET all), fixes it.
 */
export function toRecordJson(contact: Contact): string {
  const record: Record<string, string | null> = {};
  for (let i = 0; i < EXPORT_COLUMNS.length; i++)
    record[RECORD_KEYS[i] as string] = contact[EXPORT_COLUMNS[i] as ExportColumn];
  return `{"contact":${JSON.stringify(record)}}`;
}

/** "Field value invalid or missing": each issue names its field, e.g. `mobile: "0412" is not …`. */
function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return toRowErrors(issues)
    .map((error) => (error.field === undefined ? error.message : `${error.field}: ${error.message}`))
    .join('; ');
}

/**
 * The raw body → a JSON object, or the 400 that says why not. The backslash rule is checked on
 * the raw bytes: "Your JSON must never include a backslash (\) anywhere within it", so even a
 * valid escape such as `\u0041` or `\/` is refused.
 */
function parseBody(raw: Buffer): { ok: true; value: Record<string, unknown> } | { ok: false; reply: Reply } {
  if (raw.indexOf(BACKSLASH) !== -1) {
    // The message itself avoids the character, so this answer carries no escape either.
    return {
      ok: false,
      reply: errorReply(400, 'JSON is malformed: your JSON must never include a backslash anywhere within it'),
    };
  }
  // Decoding invalid UTF-8 would silently store U+FFFD; refusing it is the emulator's decision.
  if (!isUtf8(raw)) return { ok: false, reply: errorReply(400, 'JSON is malformed: the body is not valid UTF-8') };
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    return { ok: false, reply: errorReply(400, `JSON is malformed: ${(error as Error).message}`) };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    // "The JSON payload may only contain information for a single Contact".
    return {
      ok: false,
      reply: errorReply(400, 'JSON is malformed: the payload must be a JSON object holding a single Contact'),
    };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

/** "Set to value - Update the field", "Set to null - Set the field to 'no value'", "Omitted - Leave the current field value unchanged". */
function applyPatch(systemId: string, existing: Contact | undefined, patch: ContactPatch): Contact {
  const next: Contact = existing === undefined ? { system_id: systemId, ...emptyFields() } : { ...existing };
  for (const field of CONTACT_FIELDS) {
    const value = patch[field];
    if (value !== undefined) next[field] = value;
  }
  return next;
}

export interface ContactActions {
  /** PUT /contacts/{system_id}: 201 created, 200 updated; the body is the stored record. */
  runPut(systemId: string, raw: Buffer): Reply;
  /** DELETE /contacts/{system_id}: 202, 404, or 400 for a Support Lead or Also Alert. */
  runDelete(systemId: string): Reply;
  /** GET /contacts/{system_id}: 200 with the record, or 404. */
  runGetOne(systemId: string): Reply;
}

export function createContactActions(store: ContactStore, protections: ProtectionIndex): ContactActions {
  const notFound = errorReply(404, MESSAGES.notFound);
  const deleted: Reply = { status: 202, body: messageBody(202, 'Contact deleted') };

  return {
    runPut(systemId, raw) {
      const parsed = parseBody(raw);
      if (!parsed.ok) return parsed.reply;
      const existing = store.get(systemId);
      // "The following fields are mandatory in the JSON when adding a new Contact: first_name last_name email".
      // reportInput: toRowErrors tells a wrong type from a missing field by the issue's input, which zod 4 omits by default.
      const schema = existing === undefined ? contactCreateSchema : contactPatchSchema;
      const result = schema.safeParse(parsed.value, { reportInput: true });
      if (!result.success) return errorReply(400, describeIssues(result.error.issues));
      const patch: ContactPatch = result.data;
      if (typeof patch.email === 'string') {
        const owner = store.emailOwner(patch.email);
        if (owner !== undefined && owner !== systemId) return errorReply(422, MESSAGES.emailTaken);
      }
      const contact = applyPatch(systemId, existing, patch);
      store.set(contact);
      return { status: existing === undefined ? 201 : 200, body: toRecordJson(contact) };
    },

    runDelete(systemId) {
      if (store.get(systemId) === undefined) return notFound;
      // "The Contact to be deleted must not be the Support Lead or Also Alert for any Support Group."
      const protection = protections.get(systemId);
      if (protection !== undefined) return errorReply(400, describeProtection(systemId, protection));
      store.delete(systemId);
      return deleted;
    },

    runGetOne(systemId) {
      const contact = store.get(systemId);
      return contact === undefined ? notFound : { status: 200, body: toRecordJson(contact) };
    },
  };
}

/** The fixed answers the server gives outside the contact rules. */
export const UNAUTHORIZED = errorReply(401, MESSAGES.unauthorized);
export const TRANSACTION_FAILED = errorReply(500, MESSAGES.transactionFailed);
export const THROTTLED = errorReply(429, 'Too many requests; retry after 1 second');
export const BAD_ESCAPE = errorReply(400, 'The system_id in the URL is not valid percent-encoding');
export const RETRY_AFTER = ['Retry-After', '1'] as const;
