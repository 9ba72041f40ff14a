/**
 * The snapshot that `--plan`, `--changed-only` and `--backup` read: one GET all, walked record by
 * record with export's reader (src/remote/walk.ts), straight into two maps: contacts by
 * system_id, and system_id by lower-cased email. Neither the answer's text nor a list of records
 * is ever held, so the index is the whole memory cost of a snapshot (BENCHMARKS.md).
 */
import type { ApiClient } from '../api/client.js';
import type { Contact, ContactField } from '../contact/schema.js';
import { createShapeTracker, toContact } from './listing.js';
import { NAMED_REPEATS, repeatedIdsWarning } from './repeated-ids.js';
import { createRecordSplitter } from './split.js';
import { abortError, answerBrokeOff, openAnswer, walkListing } from './walk.js';

/** A contact's fields without its system_id, which is the key it is stored under. */
export type SnapshotValues = { [K in ContactField]: string | null };

export interface SnapshotIndex {
  /** system_id → the contact's fields. The planner updates it as it predicts rows. */
  readonly contacts: Map<string, SnapshotValues>;
  /** Lower-cased email → the system_id that holds it. */
  readonly emailOwner: Map<string, string>;
  add(contact: Contact): void;
  /** A contact deleted before the rows are predicted (a sync's deletes), from both maps. */
  remove(systemId: string): void;
  /** The contact as it stood in the API when the snapshot was taken (before any prediction). */
  get(systemId: string): Contact | undefined;
  readonly size: number;
  /** system_ids the API listed more than once: how many, and the first few. */
  readonly repeated: { count: number; examples: string[] };
}

export function createSnapshotIndex(contacts: Iterable<Contact> = []): SnapshotIndex {
  const byId = new Map<string, SnapshotValues>();
  const emailOwner = new Map<string, string>();
  const repeated = { count: 0, examples: [] as string[] };
  const repeatedIds = new Set<string>();
  const index: SnapshotIndex = {
    contacts: byId,
    emailOwner,
    repeated,
    add(contact) {
      // Distinct ids, as export counts them (repeated-ids.ts); only the repeated ones are kept.
      if (byId.has(contact.system_id) && !repeatedIds.has(contact.system_id)) {
        repeatedIds.add(contact.system_id);
        repeated.count++;
        if (repeated.examples.length < NAMED_REPEATS) repeated.examples.push(contact.system_id);
      }
      // Built field by field: a rest pattern costs several times more, once per contact.
      const values: SnapshotValues = {
        first_name: contact.first_name,
        last_name: contact.last_name,
        email: contact.email,
        job_title: contact.job_title,
        mobile: contact.mobile,
      };
      byId.set(contact.system_id, values);
      if (values.email !== null && values.email !== '') emailOwner.set(values.email.toLowerCase(), contact.system_id);
    },
    remove(systemId) {
      const email = byId.get(systemId)?.email;
      if (email != null && emailOwner.get(email.toLowerCase()) === systemId) emailOwner.delete(email.toLowerCase());
      byId.delete(systemId);
    },
    get(systemId) {
      const values = byId.get(systemId);
      return values === undefined ? undefined : { system_id: systemId, ...values };
    },
    get size() {
      return byId.size;
    },
  };
  for (const contact of contacts) index.add(contact);
  return index;
}

/**
 * A copy of the contact whose strings are fresh and flat. The walk's strings can be slices of the
 * parser's text chunks, and V8 keeps a whole chunk alive for one slice of it: indexed as they are,
 * they held the answer's text (measured with bench/plan-memory.mjs: BENCHMARKS.md,
 * section 4). One JSON round trip per contact copies them all.
 */
function compact(contact: Contact): Contact {
  return JSON.parse(JSON.stringify(contact)) as Contact;
}

/** A failure of the connection itself, as opposed to an answer of another shape. */
class Transport extends Error {
  constructor(readonly error: Error) {
    super(error.message);
  }
}

/**
 * The fast path (src/remote/split.ts): one record's text at a time through JSON.parse. Undefined
 * when the answer is not plain JSON of strings and nulls, the walk then reads it again, and
 * either copes or words the problem. A refusal (401, 500…) or a body that broke off throws.
 */
async function readPlain(client: ApiClient, signal: AbortSignal | undefined): Promise<SnapshotIndex | undefined> {
  const body = await openAnswer(client, signal);
  const index = createSnapshotIndex();
  const splitter = createRecordSplitter(createShapeTracker(), (record) => index.add(toContact(record)));
  const reader = body.getReader();
  const onAbort = (): void => void reader.cancel().catch(() => undefined);
  signal?.addEventListener('abort', onAbort, { once: true });
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let bytes = 0;
  const read = async (): Promise<Awaited<ReturnType<typeof reader.read>>> => {
    try {
      return await reader.read();
    } catch (error) {
      // A transport failure is not a shape to read again: downloading GET all a second (and
      // third) time would hide it. It fails the run, typed, like export's.
      throw new Transport(answerBrokeOff(error, bytes));
    }
  };
  try {
    for (;;) {
      const { done, value } = await read();
      if (signal?.aborted === true) throw abortError();
      if (done) break;
      bytes += value.byteLength;
      splitter.push(decoder.decode(value, { stream: true }));
    }
    splitter.push(decoder.decode());
    splitter.end();
    return index;
  } catch (error) {
    if (signal?.aborted === true) throw abortError();
    if (error instanceof Transport) throw error.error;
    // NotPlain, a shape the walk words better, or bad UTF-8: the walk reads it again.
    return undefined;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await reader.cancel().catch(() => undefined);
  }
}

/**
 * Reads GET all into a new index. Accepts every shape export accepts (any key casing, wrapped or
 * bare records), and repairs the document's not-quite-JSON listing the same way, with one warning.
 * A plain answer takes the fast path; anything else is read again by export's walk.
 */
export async function loadSnapshot(
  client: ApiClient,
  options: { signal?: AbortSignal | undefined; onWarning?: ((message: string) => void) | undefined } = {},
): Promise<SnapshotIndex> {
  const plain = await readPlain(client, options.signal);
  if (plain !== undefined) return warnRepeated(plain, options.onWarning);
  let index = createSnapshotIndex();
  const walked = await walkListing({
    client,
    signal: options.signal,
    onWarning: options.onWarning,
    begin: () => {
      // A second read through jsonrepair starts from scratch.
      const current = createSnapshotIndex();
      index = current;
      return (record) => {
        current.add(compact(toContact(record)));
        return undefined;
      };
    },
  });
  if (walked.repaired !== undefined) {
    options.onWarning?.(
      `the API's list of contacts was not valid JSON (${walked.repaired}); it was repaired to read the contacts as they stand`,
    );
  }
  return warnRepeated(index, options.onWarning);
}

/** One system_id listed twice: which copy is current is unknown, so the plan says which it used. */
function warnRepeated(index: SnapshotIndex, onWarning: ((message: string) => void) | undefined): SnapshotIndex {
  const { count, examples } = index.repeated;
  if (count > 0)
    onWarning?.(repeatedIdsWarning(count, examples, 'each is compared with its last copy: check them with get'));
  return index;
}
