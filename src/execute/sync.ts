/**
 * `sync <file>`: make the portal match the file (README, "Keeping CIOPulse in sync with your
 * helpdesk"). It is the run pipeline with two executors built from the existing parts:
 *
 *   before: the run's pre-pass over the file (run/prepare.ts) also lists its system_ids (and --backup's)
 *   start:  credential check ─► one GET all (snapshot) ─► deletes in scope ─► guards ─►
 *           confirmation ─► backup ─► the deletes start
 *   rows:   each row predicted against the snapshot, the deletes counted as done; only rows that
 *           create or change something are sent, with only the fields that differ (an empty
 *           mapped cell is null, so it clears the field)
 *   finish: the last deletes, the 422 second chance, one row per delete after the input's rows,
 *           then the state
 *
 * A row whose email a leaver holds waits for that delete, so the new hire's create lands in the
 * same run; an email freed by an update later in the file reaches the create through the 422
 * second chance.
 */
import type { CsvHeader } from '../csv/read.js';
import { DeclinedError, SyncRefusedError } from '../errors.js';
import { HINTS, SYNC_ERRORS } from '../error-messages.js';
import { ROW_DETAILS } from '../contact/row-messages.js';
import type { ResultRow } from '../run/results.js';
import { APPLIED_STATUSES } from '../run/statuses.js';
import type { ResultsSink } from '../run/sink.js';
import type { WhereCondition } from '../run/where.js';
import type { SnapshotIndex, SnapshotValues } from '../remote/snapshot.js';
import { CONTACT_FIELDS, type ContactPatch } from '../contact/schema.js';
import type { PreparedRow } from '../run/outcomes.js';
import { createBackupIds, withBackupIds, writeBackup, type BackupSummary } from './backup.js';
import { createChangedFilter, withChangedFilter, type ChangedFilter } from './changed.js';
import type { Executor, ExecutorContext } from '../run/executor.js';
import { createPlanExecutor, loadSnapshot } from './plan.js';
import { createRunClient, createSendExecutor, type ClientSettings, type RunClient } from './send.js';
import { previewDeletes, runDeletes } from './sync-deletes.js';
import {
  deleteGuard,
  describeScope,
  planDeletes,
  createListingCollector,
  rowInScope,
  type DeletePlan,
  type FileListing,
  type MaxDelete,
  type SyncScope,
} from './sync-scope.js';
import { settleState, writeSyncState, type SyncState } from './sync-state.js';

/** What a sync is about to do, for a confirmation before the first write. */
export interface SyncPlanCounts {
  /** Data rows in the file, and the system_ids kept after --where and --scope. */
  rows: number;
  listed: number;
  /** Listed system_ids the API does not hold yet, and those it holds (sent only where a field differs). */
  creates: number;
  existing: number;
  deletes: number;
  scope: string;
  scopeSize: number;
}

export type { SyncSummary } from '../run/executor.js';

export interface SyncSettings {
  where: readonly WhereCondition[];
  scope: SyncScope;
  deleteMissing: boolean;
  maxDelete: MaxDelete | undefined;
  state: SyncState;
  statePath: string;
  backup: string | undefined;
  client: ClientSettings;
  maxConsecutiveFailures: number;
  confirmDeletes?: ((counts: SyncPlanCounts) => boolean | Promise<boolean>) | undefined;
  onWarning?: ((message: string) => void) | undefined;
}

interface Decision {
  listing: FileListing;
  deletes: DeletePlan;
  counts: SyncPlanCounts;
  refusal: string | undefined;
}

/** The file's system_ids, listed by the run's pre-pass over the file (no read of its own). */
function listingCollector(settings: SyncSettings, header: CsvHeader): ReturnType<typeof createListingCollector> {
  return createListingCollector({ header, where: settings.where, scope: settings.scope });
}

/** The file's listing against the snapshot: what would be deleted, and whether the guards allow it. */
function decide(settings: SyncSettings, snapshot: SnapshotIndex, listing: FileListing): Decision {
  const { scope } = settings;
  const planned = planDeletes(snapshot, scope, settings.state.owned, listing);
  const deletes = settings.deleteMissing ? planned : { ids: [], scopeSize: planned.scopeSize };
  let existing = 0;
  for (const id of listing.listed) if (snapshot.contacts.has(id)) existing++;
  const counts: SyncPlanCounts = {
    rows: listing.rows,
    listed: listing.listed.size,
    creates: listing.listed.size - existing,
    existing,
    deletes: deletes.ids.length,
    scope: describeScope(scope),
    scopeSize: deletes.scopeSize,
  };
  const refusal = settings.deleteMissing ? deleteGuard(deletes, listing, settings.maxDelete) : undefined;
  return { listing, deletes, counts, refusal };
}

/** A row whose system_id a prefix scope does not govern: left out, like a --where. */
function filteredByScope(row: PreparedRow, scope: SyncScope): ResultRow {
  return {
    seq: row.seq,
    line: row.line,
    cells: row.cells,
    systemId: row.systemId,
    status: 'filtered',
    detail: ROW_DETAILS.outsideScope(describeScope(scope)),
  };
}

/**
 * Only the fields that differ from the contact as it stands: a field someone changed in the Portal
 * that the helpdesk did not change is not written back (a create sends every mapped field).
 */
function onlyChanged(row: PreparedRow, current: SnapshotValues | undefined): PreparedRow {
  if (current === undefined) return row;
  let patch: ContactPatch | undefined;
  let dropped = false;
  for (const field of CONTACT_FIELDS) {
    const value = row.patch[field];
    if (value === undefined) continue;
    if ((value ?? null) === (current[field] ?? null)) dropped = true;
    else (patch ??= {})[field] = value;
  }
  // Most rows of a sync change nothing: they keep their own object (the filter writes them unchanged).
  return patch === undefined || !dropped ? row : { ...row, patch };
}

/** Puts the delete rows after the input's rows, which are all in the sink by now. */
async function putAfterInput(sink: ResultsSink, rows: readonly ResultRow[]): Promise<void> {
  const first = sink.written() + sink.buffered();
  for (const [i, row] of rows.entries()) await sink.put({ ...row, seq: first + i });
}

/** A real sync: deletes, then the rows through --changed-only's filter, then the state. */
export async function createSyncExecutor(settings: SyncSettings, ctx: ExecutorContext): Promise<Executor> {
  const { sink, control, header } = ctx;
  const collector = listingCollector(settings, header);
  const backupIds = settings.backup === undefined ? undefined : createBackupIds(header);
  // Made last: its credential check goes out at once (send.ts), and nothing after it may throw.
  const run: RunClient = await createRunClient(settings.client, control);
  const applied = new Set<string>();
  // Every row the send executor finishes passes here: the applied ones become owned, and so do the
  // ones the file lists that already matched (docs/ARCHITECTURE.md, "Sync"): the file governs them, so
  // a contact imported before the first sync is still deleted once it leaves the helpdesk.
  const observed: ResultsSink = {
    ...sink,
    put(row) {
      if (APPLIED_STATUSES.has(row.status) || row.status === 'unchanged') applied.add(row.systemId);
      return sink.put(row);
    },
  };
  let filter: ChangedFilter | undefined;
  let index: SnapshotIndex | undefined;
  let deletes: Promise<ResultRow>[] = [];
  /** Lower-cased email of a contact being deleted → that delete. */
  const freedBy = new Map<string, Promise<ResultRow>>();
  let backup: BackupSummary | undefined;
  let scopeSize = 0;
  const send = createSendExecutor({
    run,
    sink: observed,
    control,
    isDelete: false,
    ignoreMissing: false,
    maxConsecutiveFailures: settings.maxConsecutiveFailures,
    later: ctx.later,
    beforeFirstRow: async () => {
      const snapshot = await loadSnapshot(run.client, { signal: control.stopSignal, onWarning: settings.onWarning });
      const listing = collector.listing();
      settleState(settings.state, (id) => snapshot.contacts.has(id));
      const decision = decide(settings, snapshot, listing);
      scopeSize = decision.counts.scopeSize;
      if (decision.refusal !== undefined)
        throw listing.listed.size === 0
          ? new SyncRefusedError(SYNC_ERRORS.refused(decision.refusal), {
              code: 'sync_empty_file',
              hint: HINTS.syncEmptyFile(),
            })
          : new SyncRefusedError(SYNC_ERRORS.refused(decision.refusal), { hint: HINTS.syncTooManyDeletes() });
      const { ids } = decision.deletes;
      if (ids.length > 0 && settings.confirmDeletes !== undefined && !(await settings.confirmDeletes(decision.counts)))
        throw new DeclinedError(SYNC_ERRORS.declined());
      if (settings.backup !== undefined && backupIds !== undefined)
        backup = await writeBackup({ ids: backupIds, snapshot, backupPath: settings.backup, deletes: ids });
      for (const id of listing.listed) if (!snapshot.contacts.has(id)) settings.state.pending.add(id);
      if (settings.state.pending.size > 0) writeSyncState(settings.statePath, settings.state);
      // The deletes run beside the rows. A row that takes a leaver's email waits for that delete
      // (execute below); the rows are predicted as if every delete had landed.
      deletes = runDeletes({
        run,
        header,
        snapshot,
        ids,
        firstSeq: listing.rows,
        concurrency: settings.client.concurrency ?? 8,
        control,
        sink,
      });
      for (const [i, id] of ids.entries()) {
        const email = snapshot.contacts.get(id)?.email;
        const done = deletes[i];
        if (email != null && email !== '' && done !== undefined) freedBy.set(email.toLowerCase(), done);
        snapshot.remove(id);
      }
      filter = createChangedFilter(snapshot);
      index = snapshot;
    },
  });
  const changed = withChangedFilter(send, () => filter, observed);
  return withBackupIds(
    {
      ...changed,
      prepass: collector,
      async execute(row) {
        if (!rowInScope(settings.scope, row.systemId)) return sink.put(filteredByScope(row, settings.scope));
        const email = row.patch.email;
        const freeing = typeof email === 'string' ? freedBy.get(email.toLowerCase()) : undefined;
        if (freeing !== undefined) await freeing;
        return changed.execute(onlyChanged(row, index?.contacts.get(row.systemId)));
      },
      async finish() {
        // Every delete answered before the 422 second chance, which may need the emails they freed.
        const deleteRows = await Promise.all(deletes);
        const result = await changed.finish();
        const { overrides } = result;
        await putAfterInput(sink, deleteRows);
        // A 422 that its second chance applied is owned too.
        for (let seq = 0; overrides.size > 0 && seq < sink.written(); seq++) {
          const after = overrides.get(seq)?.after;
          if (after !== undefined && APPLIED_STATUSES.has(after.status)) applied.add(after.systemId);
        }
        const { owned } = settings.state;
        for (const id of applied) owned.add(id);
        for (const row of deleteRows) if (row.status === 'deleted') owned.delete(row.systemId);
        // Creates without an answer (uncertain, skipped) stay pending: the next sync looks for them.
        for (const id of owned) settings.state.pending.delete(id);
        // Written before the pipeline removes the journal, so a crash in between loses nothing.
        writeSyncState(settings.statePath, settings.state);
        return {
          ...result,
          ...(backup === undefined ? {} : { backup }),
          sync: {
            statePath: settings.statePath,
            scope: describeScope(settings.scope),
            scopeSize,
            owned: settings.state.owned.size,
            deleteMissing: settings.deleteMissing,
          },
        };
      },
    },
    backupIds,
  );
}

/** `sync --plan`: the same decisions, predicted; nothing is written to the API or the state. */
export async function createSyncPlanExecutor(settings: SyncSettings, ctx: ExecutorContext): Promise<Executor> {
  const { sink, control, header } = ctx;
  const collector = listingCollector(settings, header);
  const run = await createRunClient(settings.client, control);
  let previews: ResultRow[] = [];
  let decision: Decision | undefined;
  const plan = createPlanExecutor({
    run,
    sink,
    control,
    onWarning: settings.onWarning,
    predictOptions: { later: ctx.later },
    onSnapshot: (snapshot) => {
      decision = decide(settings, snapshot, collector.listing());
      if (decision.refusal !== undefined) settings.onWarning?.(SYNC_ERRORS.wouldBeRefused(decision.refusal));
      previews = previewDeletes(header, snapshot, decision.deletes.ids, decision.listing.rows);
      // Predicted as the real run goes: the deletes first, so their emails are free for the rows.
      for (const id of decision.deletes.ids) snapshot.remove(id);
    },
  });
  return {
    ...plan,
    prepass: collector,
    execute: (row) =>
      rowInScope(settings.scope, row.systemId)
        ? plan.execute(row)
        : (sink.put(filteredByScope(row, settings.scope)) ?? Promise.resolve()),
    async finish() {
      const result = await plan.finish();
      await putAfterInput(sink, previews);
      return {
        ...result,
        changedOnlyRequests: undefined,
        sync: {
          statePath: settings.statePath,
          scope: describeScope(settings.scope),
          scopeSize: decision?.counts.scopeSize ?? 0,
          owned: settings.state.owned.size,
          deleteMissing: settings.deleteMissing,
          wouldRefuse: decision?.refusal,
        },
      };
    },
  };
}
