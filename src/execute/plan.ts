/**
 * `import --plan`: an online dry run. One GET all, then each row is predicted against that
 * snapshot as changed by the rows before it; nothing is written to the API. The predictions
 * follow the API document's rules: create needs first_name, last_name and email; emails are
 * unique; null clears a field and an omitted field stays as it is. A 422 gets the same second
 * chance as in a real import, so the plan and the import agree row by row.
 */
import type { InputFormat } from '../csv/source.js';
import {
  CONTACT_FIELDS,
  REQUIRED_ON_CREATE,
  type Contact,
  type ContactField,
  type RowError,
} from '../contact/schema.js';
import { skippedRow, type PreparedRow } from '../run/outcomes.js';
import type { RunClient } from './send.js';
import type { RunControl } from '../run/control.js';
import type { Executor } from '../run/executor.js';
import type { ResultsSink } from '../run/sink.js';
import { isSuperseded, supersededOutcome } from '../run/supersede.js';
import type { FieldChange, Override, ResultRow, RowOutcome } from '../run/results.js';
import { createOverrideStore, type OverrideStore } from '../run/override-store.js';
import type { LaterRows } from '../run/person-index.js';
import { createSpill } from '../spill.js';
import { emptyFields } from '../contact/fields.js';
import { findLossySave } from '../contact/lossy.js';
import { ROW_DETAILS, ROW_ERRORS } from '../contact/row-messages.js';
import { createSnapshotIndex, loadSnapshot, type SnapshotIndex, type SnapshotValues } from '../remote/snapshot.js';

export { loadSnapshot, createSnapshotIndex, type SnapshotIndex } from '../remote/snapshot.js';

export type Prediction = Pick<ResultRow, 'status' | 'detail' | 'errors' | 'changes'> & {
  /**
   * `--empty omit`: the fields whose cell is empty in the file while the API holds a value, each
   * as a sentence for the detail (`mobile: empty in the file, +61412345678 in the API: kept …`).
   */
  kept?: readonly string[] | undefined;
};

export interface PlannerOptions {
  /**
   * With `--empty omit`, the sent fields and their columns: an empty cell there leaves the API's
   * value alone, and the prediction says so. Undefined with `--empty null`, where it clears it.
   */
  emptyCells?: readonly (readonly [ContactField, number])[] | undefined;
  /** How an error names a field's column (`column "First Name"`); default `column first_name`. */
  columnOf?: ((field: ContactField) => string) | undefined;
  /** The input's kind: details name `line 7` of a CSV file, `row 7` of a workbook. */
  format?: InputFormat | undefined;
  /**
   * Keep predicted 422s for a second look after the last row (`--plan`). `--changed-only` sends
   * them and lets the real second chance decide, so it keeps nothing.
   */
  secondLook?: boolean | undefined;
  /** Which rows a later row with the same system_id follows (the pre-pass): no other can be superseded. */
  later?: LaterRows | undefined;
}

export interface Planner {
  predict(row: PreparedRow): Prediction;
  /** After the last row: the second look at predicted 422s, as overrides of rows already written. */
  finish(): Promise<OverrideStore>;
  /** Removes the spill of predicted 422s, if `finish` never ran. */
  dispose(): void;
  /** How many contacts the snapshot holds. */
  readonly snapshotSize: number;
  /** Rows predicted so far to create or change something, or to fail: what `--changed-only` sends. */
  readonly toSend: number;
  /** Rows predicted so far with an empty cell over a value the API holds (`--empty omit`). */
  readonly keptEmptyRows: number;
}

type Values = SnapshotValues;

function show(value: string | null | undefined): string {
  return value === null || value === undefined || value === '' ? ROW_DETAILS.empty() : value;
}

/**
 * What the second look needs of a predicted 422, spilled to disk (src/spill.ts) as
 * execute/deferred.ts does for real ones: a file whose every email is taken is no heavier than
 * any other. Of the cells, only those of the `--empty omit` columns (the rest are '').
 */
interface PendingRow {
  seq: number;
  line: number;
  systemId: string;
  patch: PreparedRow['patch'];
  notes: readonly string[];
  cells: readonly string[];
  /** What the results file says now. */
  before: RowOutcome;
}

function isIndex(snapshot: Iterable<Contact> | SnapshotIndex): snapshot is SnapshotIndex {
  return 'emailOwner' in snapshot;
}

/**
 * Predicts rows against the snapshot's two maps, by system_id and by lower-cased email, which it
 * updates as rows are predicted to apply. Both maps are the memory cost of a plan (measured in
 * BENCHMARKS.md); an index is used as it is, not copied, so write the backup before predicting.
 */
export function createPlanner(snapshot: Iterable<Contact> | SnapshotIndex, options: PlannerOptions = {}): Planner {
  const index = isIndex(snapshot) ? snapshot : createSnapshotIndex(snapshot);
  const { contacts, emailOwner } = index;
  const snapshotSize = contacts.size;
  const emptyCells = options.emptyCells ?? [];
  const columnOf = options.columnOf ?? ((field: ContactField) => `column ${field}`);
  let [toSend, keptEmptyRows] = [0, 0];
  const pending = createSpill<PendingRow>('plan');
  const emptyColumns = new Set(emptyCells.map(([, column]) => column));
  // system_id → the latest row predicted to apply, for "superseded"; only for system_ids with a
  // pending row that a later row of the file follows.
  const lastApplied = new Map<string, { seq: number; line: number }>();
  const pendingIds = new Set<string>();
  /** system_ids that took an email from a row of the file, for the wording of a predicted 422. */
  const inFile = new Set<string>();

  function apply(row: PreparedRow, current: Values | undefined, unchanged = false): void {
    if (pendingIds.has(row.systemId)) lastApplied.set(row.systemId, { seq: row.seq, line: row.line });
    // Most rows of a round trip change nothing: no copy of the contact for those.
    if (!unchanged) applyPatch(index, inFile, row, current);
  }

  function evaluate(row: PreparedRow): { prediction: Prediction; holder?: string } {
    const current = contacts.get(row.systemId);
    // A lossy spreadsheet save is refused before anything else: it is never sent (contact/lossy.ts).
    const lossy = current === undefined ? undefined : findLossySave(row.patch, current, columnOf);
    if (lossy !== undefined) return { prediction: { status: 'invalid', errors: [lossy] } };
    const holder = whoHolds(emailOwner, row.patch.email, row.systemId);
    if (holder !== undefined) {
      const error: RowError = {
        code: 'email_taken',
        field: 'email',
        message: ROW_ERRORS.email_taken.predicted(
          columnOf('email'),
          String(row.patch.email),
          holder,
          inFile.has(holder),
        ),
      };
      return { prediction: { status: 'would-fail', errors: [error] }, holder };
    }
    return {
      prediction: current === undefined ? predictCreate(row, columnOf) : predictUpdate(row, current, emptyCells),
    };
  }

  return {
    snapshotSize,
    get toSend() {
      return toSend;
    },
    get keptEmptyRows() {
      return keptEmptyRows;
    },
    predict(row) {
      const { prediction, holder } = evaluate(row);
      if (prediction.status === 'invalid') return prediction;
      if (prediction.status !== 'unchanged') toSend++;
      if (prediction.kept !== undefined) keptEmptyRows++;
      if (prediction.status === 'would-fail' && holder !== undefined) {
        if (options.secondLook !== false) hold(row, prediction);
      } else if (prediction.status !== 'would-fail') {
        apply(row, contacts.get(row.systemId), prediction.status === 'unchanged');
      }
      return prediction;
    },
    async finish() {
      const overrides = createOverrideStore();
      try {
        for await (const held of pending.records()) secondLook(held, overrides);
      } finally {
        pending.dispose();
      }
      return overrides;
    },
    dispose: () => pending.dispose(),
  };

  function hold(row: PreparedRow, prediction: Prediction): void {
    const { status, errors, detail, changes } = prediction;
    const before: RowOutcome = { line: row.line, systemId: row.systemId, status, errors, detail, changes };
    const cells = emptyColumns.size === 0 ? [] : row.cells.map((cell, i) => (emptyColumns.has(i) ? cell : ''));
    pending.append({
      seq: row.seq,
      line: row.line,
      systemId: row.systemId,
      patch: row.patch,
      notes: row.notes,
      cells,
      before,
    });
    if (options.later === undefined || options.later.hasLater(row.seq)) pendingIds.add(row.systemId);
  }

  function secondLook(held: PendingRow, overrides: OverrideStore): void {
    const { before } = held;
    const row: PreparedRow = { ...held, warnings: [] };
    const later = lastApplied.get(row.systemId);
    if (isSuperseded(later, row.seq)) {
      overrides.set(row.seq, { before, after: supersededOutcome(before, later, options.format) });
      return;
    }
    const second = evaluate(row);
    if (second.prediction.status === 'would-fail' || second.prediction.status === 'invalid') return;
    apply(row, contacts.get(row.systemId));
    const note = ROW_DETAILS.secondChancePredicted();
    overrides.set(row.seq, {
      before,
      after: {
        ...before,
        ...second.prediction,
        errors: undefined,
        detail: joinDetail(
          [note, second.prediction.detail ?? ''].filter((d) => d !== ''),
          [],
        ),
      },
    });
  }
}

/** The contact as the row leaves it, in both maps. */
function applyPatch(index: SnapshotIndex, inFile: Set<string>, row: PreparedRow, current: Values | undefined): void {
  const { contacts, emailOwner } = index;
  const next: Values = current === undefined ? emptyFields() : { ...current };
  for (const field of CONTACT_FIELDS) {
    const value = row.patch[field];
    if (value !== undefined) next[field] = value;
  }
  if (current?.email != null && current.email.toLowerCase() !== next.email?.toLowerCase()) {
    if (emailOwner.get(current.email.toLowerCase()) === row.systemId) emailOwner.delete(current.email.toLowerCase());
  }
  if (next.email !== null && next.email !== '' && next.email.toLowerCase() !== current?.email?.toLowerCase()) {
    emailOwner.set(next.email.toLowerCase(), row.systemId);
    inFile.add(row.systemId);
  }
  contacts.set(row.systemId, next);
}

/** The other system_id holding this email (any case), if one does. */
function whoHolds(
  emailOwner: SnapshotIndex['emailOwner'],
  email: string | null | undefined,
  self: string,
): string | undefined {
  if (typeof email !== 'string') return undefined;
  const owner = emailOwner.get(email.toLowerCase());
  return owner !== undefined && owner !== self ? owner : undefined;
}

/** A row for a contact the snapshot holds: the fields it would change, or unchanged. */
function predictUpdate(
  row: PreparedRow,
  current: Values,
  emptyCells: NonNullable<PlannerOptions['emptyCells']>,
): Prediction {
  const changes = diffFields(row, current);
  const kept = keptEmpty(row, current, emptyCells);
  const status = changes.length === 0 ? 'unchanged' : 'would-update';
  const worded = changes.map((c) => ROW_DETAILS.change(c.field, show(c.from), show(c.to)));
  const detail = joinDetail([...worded, ...(kept ?? [])], row.notes);
  return { status, detail, kept, changes: changes.length === 0 ? undefined : changes };
}

/** A row for a system_id the snapshot does not hold: a create, if it has what a create needs. */
function predictCreate(row: PreparedRow, columnOf: (field: ContactField) => string): Prediction {
  const missing = REQUIRED_ON_CREATE.filter((f) => {
    const value = row.patch[f];
    return value === undefined || value === null || value === '';
  });
  if (missing.length > 0) {
    const error: RowError = {
      code: 'missing_required',
      message: ROW_ERRORS.missing_required.predicted(missing.map(columnOf).join(', ')),
    };
    return { status: 'would-fail', errors: [error] };
  }
  const set = CONTACT_FIELDS.filter((f) => typeof row.patch[f] === 'string');
  const changes: FieldChange[] = set.map((field) => ({ field, from: null, to: row.patch[field] ?? null }));
  return {
    status: 'would-create',
    changes,
    detail: joinDetail(
      set.map((f) => ROW_DETAILS.sets(f, show(row.patch[f]))),
      row.notes,
    ),
  };
}

/** `job_title: Agent → Lead` for each sent field whose value differs from the contact's. */
function diffFields(row: PreparedRow, current: Values): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field of CONTACT_FIELDS) {
    const value = row.patch[field];
    if (value === undefined) continue;
    // Compare as the API stores: exactly as sent; a null and an empty value both show as (empty).
    if ((value ?? null) !== (current[field] ?? null))
      changes.push({ field, from: current[field] ?? null, to: value ?? null });
  }
  return changes;
}

/** The empty cells (`--empty omit`) over values the API holds: left alone, and said so. */
function keptEmpty(
  row: PreparedRow,
  current: Values,
  emptyCells: NonNullable<PlannerOptions['emptyCells']>,
): string[] | undefined {
  let kept: string[] | undefined;
  for (const [field, column] of emptyCells) {
    const held = current[field];
    if (row.patch[field] !== undefined || held === null || held === '' || (row.cells[column] ?? '').trim() !== '')
      continue;
    (kept ??= []).push(ROW_DETAILS.keptEmpty(field, held));
  }
  return kept;
}

function joinDetail(parts: readonly string[], warnings: readonly string[]): string | undefined {
  const all = [...parts, ...warnings];
  return all.length > 0 ? all.join('; ') : undefined;
}

/** `--plan`: one GET all, then each row predicted against it; nothing is written to the API. */
export function createPlanExecutor(ctx: {
  run: RunClient;
  sink: ResultsSink;
  control: RunControl;
  onWarning?: ((message: string) => void) | undefined;
  predictOptions: PlannerOptions;
  /** Between the GET all and the first prediction (a sync plan takes its deletes out). */
  onSnapshot?: ((snapshot: SnapshotIndex) => void | Promise<void>) | undefined;
}): Executor {
  let planner: Planner | undefined;
  return {
    async start() {
      await ctx.run.checkCredentials();
      if (ctx.control.stopped() !== undefined) return;
      const snapshot = await loadSnapshot(ctx.run.client, { signal: ctx.control.stopSignal, onWarning: ctx.onWarning });
      await ctx.onSnapshot?.(snapshot);
      planner = createPlanner(snapshot, ctx.predictOptions);
    },
    async execute(row) {
      if (planner === undefined) return ctx.sink.put(skippedRow(row));
      const { status, detail, errors, changes } = planner.predict(row);
      await ctx.sink.put({
        seq: row.seq,
        line: row.line,
        cells: row.cells,
        systemId: row.systemId,
        status,
        detail,
        errors,
        changes,
        warnings: row.warnings,
      });
    },
    finish: async () => ({
      overrides: planner === undefined ? new Map<number, Override>() : await planner.finish(),
      keptEmptyRows: planner?.keptEmptyRows,
      changedOnlyRequests: planner?.toSend,
    }),
    stats: () => ({
      retries: 0,
      inFlight: ctx.run.client.gate.stats().inFlight,
      window: ctx.run.client.gate.stats().window,
    }),
    close: () => {
      planner?.dispose();
      return ctx.run.close();
    },
  };
}
