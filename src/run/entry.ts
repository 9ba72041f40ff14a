/**
 * The library's entry points, one per job, each a typed call over the one pipeline:
 * `validateFile` (a dry run), `planImport`, `importContacts` and `deleteContacts`.
 * `runImport` picks one of them by mode, for callers (the CLI) that hold a mode.
 */
import { DEFAULTS } from '../defaults.js';
import type { Connection } from '../config.js';
import { UsageError } from '../errors.js';
import { SYNC_ERRORS } from '../error-messages.js';
import {
  createBackupIds,
  resolveCreatedPath,
  withBackupIds,
  writeBackup,
  type BackupSummary,
} from '../execute/backup.js';
import { createPlanExecutor } from '../execute/plan.js';
import { createValidateExecutor } from '../execute/validate.js';
import type { RunMode } from './paths.js';
import type { NamedFile } from '../csv/targets.js';
import { runPipeline } from './pipeline.js';
import type { InputOptions, OutputOptions, RowRuleOptions, RunCallbacks, RunSummary } from './run-types.js';
import { loadSnapshot, type PlannerOptions } from '../execute/plan.js';
import { createChangedFilter, withChangedFilter, type ChangedFilter } from '../execute/changed.js';
import { columnLabel, sentFieldColumns } from './prepare.js';
import type { CsvHeader } from '../csv/read.js';
import { createRunClient, createSendExecutor, type ConnectionOptions } from '../execute/send.js';
import { createSyncExecutor, createSyncPlanExecutor, type SyncPlanCounts, type SyncSettings } from '../execute/sync.js';
import type { MaxDelete, SyncScope } from '../execute/sync-scope.js';
import { adoptJournal, readSyncState, resolveStatePath, writeSyncState } from '../execute/sync-state.js';
import { resolveJournalPath, resolveResultsPath } from './paths.js';

export type { ConnectionOptions } from '../execute/send.js';

/** What a run that sends shares: resume, restart and the fail-fast limit. */
export interface SendOptions extends ConnectionOptions {
  /** Continue the earlier run at these paths: rows with a final answer are not sent again. */
  resume?: boolean | undefined;
  /** Discard an unfinished earlier run's journal instead of refusing to start. */
  restart?: boolean | undefined;
  /** Rows in a row that may use up their retries before the run stops. */
  maxConsecutiveFailures?: number | undefined;
}

type Common = InputOptions & OutputOptions & RunCallbacks;

export type ValidateOptions = Common &
  RowRuleOptions & { /** Check a delete file instead of an import file. */ kind?: 'import' | 'delete' | undefined };
export type PlanOptions = Common & RowRuleOptions & ConnectionOptions;
export type ImportOptions = Common &
  RowRuleOptions &
  SendOptions & {
    /** An undo file, written before the first request: see backup.ts. */
    backup?: string | undefined;
    /** Read GET all once; send only the rows that would create or change something (README, "Round trips"). */
    changedOnly?: boolean | undefined;
  };
export type DeleteOptions = Common &
  SendOptions & {
    /** A 404 counts as deleted. */
    ignoreMissing?: boolean | undefined;
  };

/** What only a sync takes (README, "Keeping CIOPulse in sync with your helpdesk"). */
export interface SyncOnlyOptions {
  /** The state file: the portal and the system_ids syncs with it wrote. Default `<input stem>.sync-state.json`. */
  state?: string | undefined;
  /** Which contacts the file governs; default owned. */
  scope?: SyncScope | undefined;
  /** Delete the contacts in scope that the file no longer lists. */
  deleteMissing?: boolean | undefined;
  /** Undefined: refuse more than 10 deletes that are also more than 25% of the scope. */
  maxDelete?: MaxDelete | undefined;
  /** An undo file for every update and delete (see backup.ts). */
  backup?: string | undefined;
  /** Asked once the deletes are known and before anything is written; false cancels (DeclinedError). */
  confirmDeletes?: ((counts: SyncPlanCounts) => boolean | Promise<boolean>) | undefined;
}

export type SyncOptions = Common &
  Pick<RowRuleOptions, 'nullToken' | 'defaultCountry' | 'where'> &
  SendOptions &
  SyncOnlyOptions & {
    /** Preview: predict every row and delete; write nothing to the API or the state. */
    plan?: boolean | undefined;
  };

/** With `--empty omit`, the planner notes empty cells over values the API holds; `--empty null` clears them. */
function plannerOptions(header: CsvHeader, options: RowRuleOptions): PlannerOptions {
  return {
    emptyCells: options.empty === 'null' ? undefined : sentFieldColumns(header, options.fields),
    columnOf: (field) => columnLabel(header, field),
    format: header.format,
  };
}

/** Checks every row locally; sends nothing and needs no connection. */
export function validateFile(options: ValidateOptions): Promise<RunSummary> {
  const isDelete = options.kind === 'delete';
  return runPipeline({
    mode: isDelete ? 'delete-dry-run' : 'dry-run',
    options,
    isDelete,
    sending: false,
    createExecutor: ({ sink }) => createValidateExecutor(sink, isDelete),
  });
}

/** Predicts each row against one GET all of the contacts; writes nothing to the API. */
export function planImport(options: PlanOptions): Promise<RunSummary> {
  return runPipeline({
    mode: 'plan',
    options,
    isDelete: false,
    sending: false,
    createExecutor: async ({ sink, control, header, later }) => {
      const run = await createRunClient({ ...options, onRetry: options.onRetry }, control);
      const predictOptions = { ...plannerOptions(header, options), later };
      return createPlanExecutor({
        run,
        sink,
        control,
        onWarning: options.onWarning,
        predictOptions,
      });
    },
  });
}

/** `--backup`'s two files, named for the checks every output gets (csv/targets.ts). */
function undoFiles(backupPath: string | undefined): NamedFile[] {
  if (backupPath === undefined) return [];
  return [
    { label: 'the undo file', path: backupPath },
    { label: "the undo file's list of created contacts", path: resolveCreatedPath(backupPath) },
  ];
}

/** Upserts every valid row (PUT), writing the results and errors files. */
export async function importContacts(options: ImportOptions): Promise<RunSummary> {
  let backup: BackupSummary | undefined;
  const backupPath = options.backup;
  const summary = await runPipeline({
    mode: 'import',
    options,
    isDelete: false,
    sending: true,
    resume: options.resume,
    restart: options.restart,
    outputs: undoFiles(backupPath),
    createExecutor: async ({ sink, control, header, later }) => {
      let changed: ChangedFilter | undefined;
      // Listed by the pipeline's pre-pass, which reads the file before the first row anyway.
      const backupIds = backupPath === undefined ? undefined : createBackupIds(header);
      // Made last: its credential check goes out at once (send.ts), and nothing after it may throw.
      const run = await createRunClient(options, control);
      const send = createSendExecutor({
        run,
        sink,
        control,
        isDelete: false,
        ignoreMissing: false,
        maxConsecutiveFailures: options.maxConsecutiveFailures ?? DEFAULTS.maxConsecutiveFailures,
        format: header.format,
        later,
        beforeFirstRow:
          backupPath === undefined && options.changedOnly !== true
            ? undefined
            : async () => {
                // One GET all, streamed into an index: it serves --backup and --changed-only alike.
                const snapshot = await loadSnapshot(run.client, {
                  signal: control.stopSignal,
                  onWarning: options.onWarning,
                });
                // The backup first: the filter's planner changes the index as it predicts.
                if (backupPath !== undefined && backupIds !== undefined)
                  backup = await writeBackup({ ids: backupIds, snapshot, backupPath });
                // --backup alone sends every row, but the planner still refuses a lossy save.
                changed = createChangedFilter(snapshot, {
                  ...plannerOptions(header, options),
                  sendUnchanged: options.changedOnly !== true,
                });
              },
      });
      const executor =
        options.changedOnly === true || backupPath !== undefined
          ? withChangedFilter(send, () => changed, sink, options.changedOnly === true)
          : send;
      return withBackupIds(executor, backupIds);
    },
  });
  return backup === undefined ? summary : { ...summary, backup };
}

/** DELETEs every system_id in the file. */
export function deleteContacts(options: DeleteOptions): Promise<RunSummary> {
  return runPipeline({
    mode: 'delete',
    options,
    isDelete: true,
    sending: true,
    resume: options.resume,
    restart: options.restart,
    createExecutor: async ({ sink, control, header, later }) =>
      createSendExecutor({
        run: await createRunClient(options, control),
        sink,
        control,
        isDelete: true,
        ignoreMissing: options.ignoreMissing === true,
        maxConsecutiveFailures: options.maxConsecutiveFailures ?? DEFAULTS.maxConsecutiveFailures,
        format: header.format,
        later,
      }),
  });
}

/**
 * Makes the portal match the file: creates, updates of the fields that differ (an empty mapped cell
 * clears its field), and with `deleteMissing` deletes of the contacts in scope the file no longer
 * lists. A sync starts from one GET all every time, so after a crash the same sync converges: the
 * unfinished run's journal only tells it which contacts it wrote (they become owned).
 */
export async function syncContacts(options: SyncOptions): Promise<RunSummary> {
  if (options.limit !== undefined) throw new UsageError(SYNC_ERRORS.noLimit());
  const plan = options.plan === true;
  const mode = plan ? 'sync-plan' : 'sync';
  const statePath = resolveStatePath(options.input, options.state);
  const { baseUrl, portalCode } = options.connection;
  const state = readSyncState(statePath, { baseUrl, portalCode });
  const journalPath = resolveJournalPath(resolveResultsPath(options.input, mode, options.results));
  if (!plan && (await adoptJournal(state, journalPath)) > 0) writeSyncState(statePath, state);
  const settings: SyncSettings = {
    where: options.where ?? [],
    scope: options.scope ?? { kind: 'owned' },
    deleteMissing: options.deleteMissing === true,
    maxDelete: options.maxDelete,
    state,
    statePath,
    backup: options.backup,
    client: options,
    maxConsecutiveFailures: options.maxConsecutiveFailures ?? 10,
    confirmDeletes: options.confirmDeletes,
    onWarning: options.onWarning,
  };
  const backups = undoFiles(options.backup);
  return runPipeline({
    mode,
    // The file is the truth for the columns it maps: an empty cell clears the field.
    options: { ...options, empty: 'null' },
    isDelete: false,
    sending: !plan,
    // Nothing to resume from: the journal's answers were taken into the state above.
    restart: true,
    outputs: plan ? [] : [{ label: 'the sync state file', path: statePath }, ...backups],
    createExecutor: (ctx) => (plan ? createSyncPlanExecutor(settings, ctx) : createSyncExecutor(settings, ctx)),
  });
}

/** Every option of every entry point, plus the mode that picks one (the CLI's view). */
export type RunOptions = Common &
  RowRuleOptions &
  Omit<SendOptions, 'connection'> & {
    mode: RunMode;
    connection?: Connection | undefined;
    backup?: string | undefined;
    changedOnly?: boolean | undefined;
    ignoreMissing?: boolean | undefined;
    sync?: Omit<SyncOnlyOptions, 'backup'> | undefined;
  };

export function runImport(options: RunOptions): Promise<RunSummary> {
  const { mode, connection } = options;
  if (mode === 'dry-run' || mode === 'delete-dry-run')
    return validateFile({ ...options, kind: mode === 'delete-dry-run' ? 'delete' : 'import' });
  if (connection === undefined)
    throw new UsageError(`a ${mode} needs a connection (base URL, portal code and API key)`);
  if (mode === 'plan') return planImport({ ...options, connection });
  if (mode === 'sync' || mode === 'sync-plan')
    return syncContacts({ ...options, ...options.sync, plan: mode === 'sync-plan', connection });
  if (mode === 'delete') return deleteContacts({ ...options, connection });
  return importContacts({ ...options, connection });
}
