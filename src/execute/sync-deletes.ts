/**
 * A sync's delete phase: each contact in scope that the file no longer lists is deleted before any
 * row is sent, so an email a leaver held is free for the new hire's create in the same run (README,
 * "Keeping CIOPulse in sync with your helpdesk"). Each delete becomes a result row after the
 * input's rows, holding the contact's last values in the input's own columns. A Support Lead or
 * Also Alert cannot be deleted (API document, "Deleting a Contact"): the API's 400 names the group,
 * and the row is `delete-refused`.
 */
import type { CsvHeader } from '../csv/read.js';
import { CONTACT_FIELDS } from '../contact/schema.js';
import type { RunControl } from '../run/control.js';
import { internalErrorRow, skippedRow, toResult, type PreparedRow } from '../run/outcomes.js';
import type { ResultRow } from '../run/results.js';
import type { ResultsSink } from '../run/sink.js';
import type { SnapshotIndex } from '../remote/snapshot.js';
import type { RunClient } from './send.js';
import { createKeyedWindow } from '../run/keyed-window.js';
import { ROW_DETAILS } from '../contact/row-messages.js';

const GONE = ROW_DETAILS.noLongerInFile();

/** The contact's last values in the input's columns; columns that map to no field stay empty. */
function deleteRowOf(header: CsvHeader, snapshot: Pick<SnapshotIndex, 'get'>, id: string, seq: number): PreparedRow {
  const cells = header.columns.map(() => '');
  const contact = snapshot.get(id);
  for (const field of ['system_id', ...CONTACT_FIELDS] as const) {
    const column = header.fields[field];
    if (column !== undefined) cells[column] = (field === 'system_id' ? id : contact?.[field]) ?? '';
  }
  // One name column (Zendesk's "Name"): the two parts, as the file would have held them.
  const fullName = header.fields.full_name;
  if (fullName !== undefined)
    cells[fullName] = [contact?.first_name, contact?.last_name].filter((p) => p != null && p !== '').join(' ');
  return { seq, line: 0, cells, systemId: id, patch: {}, warnings: [], notes: [] };
}

/** `--plan`: the rows a sync would delete, sending nothing. */
export function previewDeletes(
  header: CsvHeader,
  snapshot: Pick<SnapshotIndex, 'get'>,
  ids: readonly string[],
  firstSeq: number,
): ResultRow[] {
  return ids.map((id, i) => ({
    ...deleteRowOf(header, snapshot, id, firstSeq + i),
    status: 'would-delete',
    detail: `${GONE}; ${ROW_DETAILS.wouldBeDeleted()}`,
  }));
}

/** Starts the deletes, at most `concurrency` at once: one promise per id; each answer is journaled as it arrives. */
export function runDeletes(ctx: {
  run: RunClient;
  header: CsvHeader;
  snapshot: Pick<SnapshotIndex, 'get'>;
  ids: readonly string[];
  firstSeq: number;
  concurrency: number;
  control: RunControl;
  sink: ResultsSink;
}): Promise<ResultRow>[] {
  const queue: { job: PreparedRow; answer: (row: ResultRow) => void }[] = [];
  const answers = ctx.ids.map(
    (id, i) =>
      new Promise<ResultRow>((answer) => {
        // The last values now: the caller takes the contact out of the snapshot once the deletes start.
        queue.push({ job: deleteRowOf(ctx.header, ctx.snapshot, id, ctx.firstSeq + i), answer });
      }),
  );
  const keyed = createKeyedWindow({ limit: ctx.concurrency });
  // Added as room frees up; deleteOne never rejects, so neither does this loop.
  const adding = async (): Promise<void> => {
    for (const { job, answer } of queue) await keyed.add(job.systemId, async () => answer(await deleteOne(ctx, job)));
  };
  adding().catch(() => undefined);
  return answers;
}

async function deleteOne(
  ctx: { run: RunClient; control: RunControl; sink: ResultsSink },
  job: PreparedRow,
): Promise<ResultRow> {
  try {
    const result = ctx.control.stopSignal.aborted ? undefined : await ctx.run.client.remove(job.systemId);
    if (result === undefined || result.attempts === 0) return skippedRow(job);
    // Gone already (someone else deleted it since the GET all) is what the sync wanted.
    const row = toResult(job, result, { isDelete: true, ignoreMissing: true });
    const refused = row.status === 'failed' && row.errors?.some((e) => e.code === 'protected_contact') === true;
    const own = result.status === 404 && row.status === 'deleted' ? ROW_DETAILS.alreadyGone() : row.detail;
    const done: ResultRow = refused
      ? { ...row, status: 'delete-refused', detail: `${GONE}; ${ROW_DETAILS.deleteRefused()}` }
      : { ...row, detail: [GONE, own].filter((d) => d !== undefined && d !== '').join('; ') };
    ctx.sink.journal(done);
    return done;
  } catch (error) {
    // Never an unhandled rejection.
    return internalErrorRow(job, error);
  }
}
