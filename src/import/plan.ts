/**
 * `import --plan`: an online dry run. One GET all, then each row is predicted against that
 * snapshot as changed by the rows before it; nothing is written to the API. The predictions
 * follow the API document's rules: create needs first_name, last_name and email; emails are
 * unique; null clears a field and an omitted field stays as it is. A 422 gets the same second
 * chance as in a real import, so the plan and the import agree row by row.
 */
import type { ApiClient } from '../api/client.js';
import { parseApiJson } from '../api/client.js';
import { CONTACT_FIELDS, REQUIRED_ON_CREATE, type Contact, type ContactField, type RowError } from '../contact.js';
import { ApiError } from '../errors.js';
import { answerError } from '../api/failures.js';
import { extractRecords, toCell } from '../export.js';
import type { PreparedRow } from './outcomes.js';
import type { ResultRow } from './results.js';
import type { Override } from './deferred.js';

export type Prediction = Pick<ResultRow, 'status' | 'detail' | 'errors'>;

export interface Planner {
  predict(row: PreparedRow): Prediction;
  /** After the last row: the second look at predicted 422s, as overrides of rows already written. */
  finish(): Map<number, Override>;
  /** How many contacts the snapshot holds. */
  readonly snapshotSize: number;
}

type Values = { [K in ContactField]: string | null };

function show(value: string | null | undefined): string {
  return value === null || value === undefined || value === '' ? '(empty)' : value;
}

interface Pending {
  row: PreparedRow;
  prediction: Prediction;
  /** The system_id holding the wanted email when the row was predicted. */
  holder: string;
}

/**
 * Indexes the snapshot by system_id and by lower-cased email. Both maps are the memory cost of a
 * plan (measured in BENCHMARKS.md).
 */
export function createPlanner(snapshot: Iterable<Contact>): Planner {
  const contacts = new Map<string, Values>();
  const emailOwner = new Map<string, string>();
  for (const contact of snapshot) {
    const { system_id: id, ...values } = contact;
    contacts.set(id, values);
    if (values.email !== null && values.email !== '') emailOwner.set(values.email.toLowerCase(), id);
  }
  const snapshotSize = contacts.size;
  const pending: Pending[] = [];
  /** system_id → the latest row predicted to apply, for "superseded". */
  const lastApplied = new Map<string, { seq: number; line: number }>();
  const inFile = new Set<string>();

  const whoHolds = (email: string | null | undefined, self: string): string | undefined => {
    if (typeof email !== 'string') return undefined;
    const owner = emailOwner.get(email.toLowerCase());
    return owner !== undefined && owner !== self ? owner : undefined;
  };

  function apply(row: PreparedRow, current: Values | undefined): void {
    const next: Values = current === undefined ? { first_name: null, last_name: null, email: null, job_title: null, mobile: null } : { ...current };
    for (const field of CONTACT_FIELDS) {
      const value = row.patch[field];
      if (value !== undefined) next[field] = value;
    }
    if (current?.email != null && current.email.toLowerCase() !== next.email?.toLowerCase()) {
      if (emailOwner.get(current.email.toLowerCase()) === row.systemId) emailOwner.delete(current.email.toLowerCase());
    }
    if (next.email !== null && next.email !== '') emailOwner.set(next.email.toLowerCase(), row.systemId);
    contacts.set(row.systemId, next);
    inFile.add(row.systemId);
    lastApplied.set(row.systemId, { seq: row.seq, line: row.line });
  }

  function evaluate(row: PreparedRow): { prediction: Prediction; holder?: string } {
    const current = contacts.get(row.systemId);
    const holder = whoHolds(row.patch.email, row.systemId);
    if (holder !== undefined) {
      const where = inFile.has(holder) ? 'after the rows before this one' : 'in the API';
      const error: RowError = { code: 'email_taken', field: 'email', message: `the email ${String(row.patch.email)} is held by system_id ${holder} ${where}; the API would answer 422` };
      return { prediction: { status: 'would-fail', errors: [error] }, holder };
    }
    if (current === undefined) {
      const missing = REQUIRED_ON_CREATE.filter((f) => {
        const value = row.patch[f];
        return value === undefined || value === null || value === '';
      });
      if (missing.length > 0) {
        const error: RowError = { code: 'missing_required', message: `creating a contact needs ${missing.join(', ')}; the API would answer 400` };
        return { prediction: { status: 'would-fail', errors: [error] } };
      }
      const set = CONTACT_FIELDS.filter((f) => typeof row.patch[f] === 'string').map((f) => `${f}: ${show(row.patch[f])}`);
      return { prediction: { status: 'would-create', detail: joinDetail(set, row.warnings) } };
    }
    const changes: string[] = [];
    for (const field of CONTACT_FIELDS) {
      const value = row.patch[field];
      if (value === undefined) continue;
      // Compare as the API stores: exactly as sent; a null and an empty value both show as (empty).
      if ((value ?? null) !== (current[field] ?? null)) changes.push(`${field}: ${show(current[field])} → ${show(value)}`);
    }
    if (changes.length === 0) return { prediction: { status: 'unchanged', detail: joinDetail([], row.warnings) } };
    return { prediction: { status: 'would-update', detail: joinDetail(changes, row.warnings) } };
  }

  return {
    snapshotSize,
    predict(row) {
      const { prediction, holder } = evaluate(row);
      if (prediction.status === 'would-fail' && holder !== undefined) {
        pending.push({ row, prediction, holder });
      } else if (prediction.status !== 'would-fail') {
        apply(row, contacts.get(row.systemId));
      }
      return prediction;
    },
    finish() {
      const overrides = new Map<number, Override>();
      for (const { row, prediction } of pending) {
        const before: ResultRow = { ...row, ...prediction };
        const later = lastApplied.get(row.systemId);
        if (later !== undefined && later.seq > row.seq) {
          overrides.set(row.seq, { before, after: { ...before, status: 'superseded', errors: undefined, detail: `superseded by line ${later.line}` } });
          continue;
        }
        const second = evaluate(row);
        if (second.prediction.status === 'would-fail') continue;
        apply(row, contacts.get(row.systemId));
        const note = 'on the second attempt, once the rest of the file has freed the email';
        overrides.set(row.seq, { before, after: { ...before, ...second.prediction, errors: undefined, detail: joinDetail([note, second.prediction.detail ?? ''].filter((d) => d !== ''), []) } });
      }
      return overrides;
    },
  };
}

function joinDetail(parts: readonly string[], warnings: readonly string[]): string | undefined {
  const all = [...parts, ...warnings];
  return all.length > 0 ? all.join('; ') : undefined;
}

/**
 * One GET all, unwrapped like export does (any casing, wrapped or bare records), and turned into
 * contacts. Held in memory, because a plan looks each row's system_id and email up in it.
 */
export async function loadSnapshot(client: ApiClient, onWarning?: (message: string) => void): Promise<Contact[]> {
  const response = await client.getAllResponse();
  if (response.status !== 200 || response.body === null) {
    throw answerError(response.result, { method: 'GET', url: `${client.baseUrl}/contacts`, baseUrl: client.baseUrl });
  }
  const text = await new Response(response.body).text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = parseApiJson(text);
    if (typeof body === 'string') throw new ApiError('the API’s list of contacts is not JSON, even after repair');
    onWarning?.('the API’s list of contacts was not valid JSON; it was repaired to make the plan');
  }
  return extractRecords(body).map((record) => {
    const value = (field: string): string | null => {
      const cell = record[field];
      return cell === null || cell === undefined ? null : toCell(cell);
    };
    return {
      system_id: toCell(record.system_id),
      first_name: value('first_name'),
      last_name: value('last_name'),
      email: value('email'),
      job_title: value('job_title'),
      mobile: value('mobile'),
    };
  });
}
