/**
 * The second chance for 422 (DESIGN.md): "Another Contact already has this email address" may
 * be moot once the rest of the file is applied, because a later row can free the email, as in
 * a rename. Each such row gets one more attempt after all the others, unless a later row for
 * the same system_id was applied already (then it is superseded). A swap of two emails cannot
 * be resolved by ordering; it is named as such.
 */
import pLimit from 'p-limit';
import type { ApiClient } from '../api/client.js';
import { toResult, type PreparedRow } from './outcomes.js';
import type { ResultRow } from './results.js';

export interface DeferredRow {
  job: PreparedRow;
  /** What the results file says now: failed, 422. */
  result: ResultRow;
}

export interface Override {
  before: ResultRow;
  after: ResultRow;
}

/** At most this many GETs to explain the 422s that remain. */
const SWAP_LOOKUP_LIMIT = 1000;

export async function runDeferredPass(options: {
  client: ApiClient;
  deferred: readonly DeferredRow[];
  /** For each system_id with a deferred row: the latest row applied for it. */
  appliedAfter: ReadonlyMap<string, { seq: number; line: number }>;
  stopSignal: AbortSignal;
}): Promise<Map<number, Override>> {
  const { client, deferred, appliedAfter, stopSignal } = options;
  const overrides = new Map<number, Override>();
  if (deferred.length === 0) return overrides;

  // Rows of one system_id stay in file order; different ones go concurrently. The list is
  // already in memory and bounded by the 422s, so one p-limit task per system_id is fine here.
  const byKey = new Map<string, DeferredRow[]>();
  for (const row of [...deferred].sort((a, b) => a.job.seq - b.job.seq)) {
    const list = byKey.get(row.job.systemId);
    if (list === undefined) byKey.set(row.job.systemId, [row]);
    else list.push(row);
  }
  const stillTaken: DeferredRow[] = [];
  const limit = pLimit(client.gate.maxWindow);
  await Promise.all(
    [...byKey.values()].map((rows) =>
      limit(async () => {
        for (const row of rows) {
          const later = appliedAfter.get(row.job.systemId);
          if (later !== undefined && later.seq > row.job.seq) {
            overrides.set(row.job.seq, { before: row.result, after: { ...row.result, status: 'superseded', errors: undefined, detail: `superseded by line ${later.line}` } });
            continue;
          }
          if (stopSignal.aborted) continue;
          const result = await client.put(row.job.systemId, row.job.patch);
          const after = toResult(row.job, result, { isDelete: false, ignoreMissing: false });
          const note = 'second attempt after all other rows (the first got 422)';
          after.detail = after.detail === undefined ? note : `${note}; ${after.detail}`;
          if (result.status === 422) stillTaken.push(row);
          overrides.set(row.job.seq, { before: row.result, after });
        }
      }),
    ),
  );
  await explainSwaps(client, stillTaken, overrides);
  return overrides;
}

/**
 * For the 422s that remain, look up who holds each wanted email among those same rows' contacts.
 * A cycle (A wants B's email while B wants A's) is a swap that no ordering can apply.
 */
async function explainSwaps(client: ApiClient, rows: DeferredRow[], overrides: Map<number, Override>): Promise<void> {
  if (rows.length < 2) return;
  const looked = rows.slice(0, SWAP_LOOKUP_LIMIT);
  const holder = new Map<string, DeferredRow>();
  await Promise.all(
    looked.map(async (row) => {
      const result = await client.getOne(row.job.systemId);
      const email = currentEmail(result.body);
      if (email !== undefined) holder.set(email.toLowerCase(), row);
    }),
  );
  for (const row of looked) {
    const cycle: DeferredRow[] = [row];
    for (let at = row; ; ) {
      const wanted = at.job.patch.email;
      const next = typeof wanted === 'string' ? holder.get(wanted.toLowerCase()) : undefined;
      if (next === undefined || next === row || cycle.includes(next)) {
        if (next === row && cycle.length > 1) markSwap(row, cycle, overrides);
        break;
      }
      cycle.push(next);
      at = next;
    }
  }
}

function markSwap(row: DeferredRow, cycle: DeferredRow[], overrides: Map<number, Override>): void {
  const override = overrides.get(row.job.seq);
  if (override === undefined) return;
  const others = cycle
    .filter((r) => r !== row)
    .map((r) => `line ${r.job.line} (system_id ${r.job.systemId})`)
    .join(', ');
  override.after = {
    ...override.after,
    errors: [
      {
        code: 'email_swap',
        field: 'email',
        message: `email swap with ${others}: each wants an email another holds, which the API cannot exchange in one import; give one contact a temporary email first, import, then import the final emails`,
      },
    ],
  };
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
