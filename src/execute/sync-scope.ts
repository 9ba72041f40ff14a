/**
 * Which contacts a sync governs (`--scope`), which of them it would delete, and the guards that
 * stop a truncated export from wiping the portal (README, "Keeping CIOPulse in sync with your
 * helpdesk"). All of it is decided before the first write, from the file and one GET all.
 */
import { cellText } from '../csv/formula.js';
import type { CsvHeader } from '../csv/read.js';
import type { PrepassObserver } from '../run/executor.js';
import { InternalError, UsageError } from '../errors.js';
import { HINTS, SYNC_ERRORS } from '../error-messages.js';
import type { SnapshotIndex } from '../remote/snapshot.js';
import { compileWhere, type WhereCondition } from '../run/where.js';

export type SyncScope = { kind: 'owned' } | { kind: 'all' } | { kind: 'prefix'; prefix: string };

export function parseScope(text: string | undefined): SyncScope {
  if (text === undefined || text === 'owned') return { kind: 'owned' };
  if (text === 'all') return { kind: 'all' };
  if (text.startsWith('prefix:') && text.length > 'prefix:'.length)
    return { kind: 'prefix', prefix: text.slice('prefix:'.length) };
  throw new UsageError(SYNC_ERRORS.notAScope(text), { hint: HINTS.syncScopes() });
}

export function describeScope(scope: SyncScope): string {
  return scope.kind === 'prefix' ? `prefix:${scope.prefix}` : scope.kind;
}

/** Whether a row of the file may be written at all: a prefix scope governs only its own system_ids. */
export function rowInScope(scope: SyncScope, systemId: string): boolean {
  return scope.kind !== 'prefix' || systemId.startsWith(scope.prefix);
}

/** Whether a contact of the portal may be deleted by this sync. */
function contactInScope(scope: SyncScope, systemId: string, owned: ReadonlySet<string>): boolean {
  if (scope.kind === 'all') return true;
  if (scope.kind === 'prefix') return systemId.startsWith(scope.prefix);
  return owned.has(systemId);
}

/** `--max-delete <n|p%>`; undefined: the default guard (more than 10 and more than 25% of the scope). */
export type MaxDelete = { count: number } | { percent: number };

export function parseMaxDelete(text: string | undefined): MaxDelete | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)(%?)$/.exec(text.trim());
  if (match === null || (match[2] === '' && !/^\d+$/.test(match[1] ?? '')))
    throw new UsageError(SYNC_ERRORS.notAMaxDelete(text), { hint: HINTS.maxDeleteExample() });
  const value = Number(match[1]);
  return match[2] === '%' ? { percent: value } : { count: value };
}

/** What the file lists, read before anything is sent: every record's system_id that is kept. */
export interface FileListing {
  /** Data rows in the file. */
  rows: number;
  /** system_ids of kept rows (invalid ones included: a listed contact is never deleted). */
  listed: Set<string>;
}

/**
 * Builds the listing from the run's own pre-pass over the file (run/executor.ts, `PrepassObserver`),
 * so a sync reads its file twice, as an import does: once before anything is sent, once for the rows.
 */
export function createListingCollector(options: {
  header: CsvHeader;
  where: readonly WhereCondition[];
  scope: SyncScope;
}): PrepassObserver & { listing(): FileListing } {
  const idIndex = options.header.fields.system_id ?? 0;
  const filter = compileWhere(options.where, options.header.columns);
  const listed = new Set<string>();
  let rows = 0;
  let complete = false;
  return {
    record(record) {
      rows++;
      if (record.error === undefined && filter?.(record.cells) !== undefined) return;
      // The id as its row is sent (trimmed, unguarded, NFC): a listing that kept another form would take the contact for gone.
      const id = cellText(record.cells[idIndex] ?? '');
      if (id !== '' && rowInScope(options.scope, id)) listed.add(id);
    },
    end() {
      complete = true;
    },
    listing() {
      // A listing short of the file would take every contact it missed for gone, and delete it.
      if (!complete) throw new InternalError('sync: the file was not read through before the deletes were planned');
      return { rows, listed };
    },
  };
}

export interface DeletePlan {
  /** In the order GET all listed them (creation order). */
  ids: string[];
  /** Contacts in the scope, for the percentage guard. */
  scopeSize: number;
}

export function planDeletes(
  snapshot: Pick<SnapshotIndex, 'contacts'>,
  scope: SyncScope,
  owned: ReadonlySet<string>,
  listing: FileListing,
): DeletePlan {
  const ids: string[] = [];
  let scopeSize = 0;
  for (const id of snapshot.contacts.keys()) {
    if (!contactInScope(scope, id, owned)) continue;
    scopeSize++;
    if (!listing.listed.has(id)) ids.push(id);
  }
  return { ids, scopeSize };
}

/** Why this many deletes is refused, or undefined when it is allowed. */
export function deleteGuard(plan: DeletePlan, listing: FileListing, max: MaxDelete | undefined): string | undefined {
  const count = plan.ids.length;
  if (listing.listed.size === 0 && count > 0) return SYNC_ERRORS.deletesAll(listing.rows === 0, count);
  const share = plan.scopeSize === 0 ? 0 : (100 * count) / plan.scopeSize;
  const refuse = (over: string | undefined): string =>
    SYNC_ERRORS.deletesTooMany(count, plan.scopeSize, share.toFixed(1), over);
  if (max === undefined) return count > 10 && share > 25 ? refuse(undefined) : undefined;
  if ('count' in max) return count > max.count ? refuse(String(max.count)) : undefined;
  return share > max.percent ? refuse(`${max.percent}%`) : undefined;
}
