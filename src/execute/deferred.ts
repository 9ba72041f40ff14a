/**
 * The second chance for 422 (README, "Statuses"): "Another Contact already has this email
 * address" may be moot once the rest of the file is applied, because a later row can free the
 * email, as in a rename. Each such row gets one more attempt after all the others, unless a later
 * row for the same system_id was applied already (then it is superseded). A swap of two emails
 * cannot be resolved by ordering; it is named as such.
 *
 * The deferred rows are not held in memory: each goes to a spill file (src/spill.ts) as only what
 * the second attempt needs (seq, line, system_id, patch and its first answer), and the pass reads
 * them back in order. A file whose every email is taken stays as small in memory as any other.
 */
import { placeOf, type InputFormat } from '../csv/source.js';
import { createSpill } from '../spill.js';
import { createKeyedWindow } from '../run/keyed-window.js';
import type { LaterRows } from '../run/person-index.js';
import { ROW_DETAILS, ROW_ERRORS } from '../contact/row-messages.js';
import type { ApiClient } from '../api/client.js';
import type { ContactPatch } from '../contact/schema.js';
import { toResult, type PreparedRow } from '../run/outcomes.js';
import { outcomeOf, type ResultRow, type RowOutcome } from '../run/results.js';
import { isSuperseded, supersededOutcome } from '../run/supersede.js';
import { createOverrideStore, type OverrideStore } from '../run/override-store.js';

/** What the second attempt needs of a row that got 422. */
export interface DeferredRow {
  seq: number;
  line: number;
  systemId: string;
  patch: ContactPatch;
  /** What the results file says now: failed, 422. */
  before: RowOutcome;
}

export interface DeferredList {
  add(job: PreparedRow, result: ResultRow): void;
  /** A row was applied: remembered for the system_ids that have a deferred row. */
  applied(job: Pick<PreparedRow, 'seq' | 'line' | 'systemId'>): void;
  readonly size: number;
  /** The rows in the order they were added (file order within a system_id), then the list is gone. */
  drain(): AsyncGenerator<DeferredRow>;
  /** The latest row applied for a system_id with a deferred row. */
  appliedAfter(systemId: string): { seq: number; line: number } | undefined;
  dispose(): void;
}

/**
 * `later` (the pre-pass): which rows a later row of the same system_id follows. Only their
 * system_ids need the rows applied after them; without it, every deferred row's id is kept.
 */
export function createDeferredList(later?: LaterRows): DeferredList {
  const spill = createSpill<DeferredRow>('deferred');
  const keys = new Set<string>();
  const appliedAfter = new Map<string, { seq: number; line: number }>();
  return {
    get size() {
      return spill.count;
    },
    add(job, result) {
      spill.append({
        seq: job.seq,
        line: job.line,
        systemId: job.systemId,
        patch: job.patch,
        before: outcomeOf(result),
      });
      if (later === undefined || later.hasLater(job.seq)) keys.add(job.systemId);
    },
    applied(job) {
      if (keys.has(job.systemId)) appliedAfter.set(job.systemId, { seq: job.seq, line: job.line });
    },
    appliedAfter: (systemId) => appliedAfter.get(systemId),
    drain: () => spill.records(),
    dispose: () => spill.dispose(),
  };
}

/** At most this many GETs to explain the 422s that remain. */
const SWAP_LOOKUP_LIMIT = 1000;

export async function runDeferredPass(options: {
  client: ApiClient;
  deferred: DeferredList;
  stopSignal: AbortSignal;
  /** The input's kind: details name `line 7` of a CSV file, `row 7` of a workbook. */
  format?: InputFormat | undefined;
}): Promise<OverrideStore> {
  const { client, deferred, stopSignal, format } = options;
  const overrides = createOverrideStore();
  const stillTaken: DeferredRow[] = [];
  // Rows of one system_id stay in file order; different ones go concurrently, at most the gate's
  // window at once, read from the spill only as fast as they are sent.
  const keyed = createKeyedWindow({ limit: client.gate.maxWindow });
  const second = async (row: DeferredRow): Promise<void> => {
    const later = deferred.appliedAfter(row.systemId);
    if (isSuperseded(later, row.seq)) {
      overrides.set(row.seq, { before: row.before, after: supersededOutcome(row.before, later, format) });
      return;
    }
    if (stopSignal.aborted) return;
    const result = await client.put(row.systemId, row.patch);
    const job: PreparedRow = {
      seq: row.seq,
      line: row.line,
      cells: [],
      systemId: row.systemId,
      patch: row.patch,
      warnings: [],
      notes: [],
    };
    const after = toResult(job, result, { isDelete: false, ignoreMissing: false });
    const note = ROW_DETAILS.secondChance();
    if (result.status === 422 && stillTaken.length < SWAP_LOOKUP_LIMIT) stillTaken.push(row);
    overrides.set(row.seq, {
      before: row.before,
      after: { ...outcomeOf(after), detail: after.detail === undefined ? note : `${note}; ${after.detail}` },
    });
  };
  try {
    for await (const row of deferred.drain()) await keyed.add(row.systemId, () => second(row));
    await keyed.idle();
  } finally {
    deferred.dispose();
  }
  await explainSwaps(client, stillTaken, overrides, format);
  return overrides;
}

/**
 * For the 422s that remain, look up who holds each wanted email among those same rows' contacts.
 * A cycle (A wants B's email while B wants A's) is a swap that no ordering can apply.
 */
async function explainSwaps(
  client: ApiClient,
  rows: DeferredRow[],
  overrides: OverrideStore,
  format: InputFormat | undefined,
): Promise<void> {
  if (rows.length < 2) return;
  const looked = rows.slice(0, SWAP_LOOKUP_LIMIT);
  const holder = new Map<string, DeferredRow>();
  const keyed = createKeyedWindow({ limit: client.gate.maxWindow });
  for (const row of looked)
    await keyed.add(row.systemId, async () => {
      const result = await client.getOne(row.systemId);
      const email = currentEmail(result.body);
      if (email !== undefined) holder.set(email.toLowerCase(), row);
    });
  await keyed.idle();
  for (const row of looked) {
    const cycle: DeferredRow[] = [row];
    for (let at = row; ;) {
      const wanted = at.patch.email;
      const next = typeof wanted === 'string' ? holder.get(wanted.toLowerCase()) : undefined;
      if (next === undefined || next === row || cycle.includes(next)) {
        if (next === row && cycle.length > 1) markSwap(row, cycle, overrides, format);
        break;
      }
      cycle.push(next);
      at = next;
    }
  }
}

function markSwap(
  row: DeferredRow,
  cycle: DeferredRow[],
  overrides: OverrideStore,
  format: InputFormat | undefined,
): void {
  const others = cycle
    .filter((r) => r !== row)
    .map((r) => `${placeOf(format, r.line)} (system_id ${r.systemId})`)
    .join(', ');
  const message = ROW_ERRORS.email_swap.cycle(others);
  overrides.update(row.seq, (override) => ({
    before: override.before,
    after: { ...override.after, errors: [{ code: 'email_swap', field: 'email', message }] },
  }));
}

/** GET one answers `{"contact":{"Email":…}}` in the emulator; accept any casing and wrapping. */
function currentEmail(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  for (const [key, value] of Object.entries(body)) {
    if (key.toLowerCase() === 'email' && typeof value === 'string') return value;
    if (typeof value === 'object' && value !== null) {
      const inner = currentEmail(value);
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
}
