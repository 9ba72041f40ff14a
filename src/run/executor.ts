/**
 * What the pipeline asks of the "execute" step, whatever the mode. It lives in run/, below the
 * executors of execute/ that implement it, so the pipeline never imports execute/ (no import
 * cycle, not even of types: docs/ARCHITECTURE.md).
 */
import type { CsvHeader, CsvRecord } from '../csv/read.js';
import type { PreparedRow } from './outcomes.js';
import type { OverrideLookup } from './override-store.js';
import type { RunControl } from './control.js';
import type { LaterRows } from './person-index.js';
import type { ResultsSink } from './sink.js';

/** What an executor is made with. */
export interface ExecutorContext {
  sink: ResultsSink;
  control: RunControl;
  header: CsvHeader;
  /** Which rows a later row with the same system_id follows (the pre-pass); undefined in a dry run. */
  later?: LaterRows | undefined;
}

/** `--backup`'s part of the run summary (execute/backup.ts writes the files). */
export interface BackupSummary {
  backupPath: string;
  createdPath: string;
  updated: number;
  created: number;
  /** `sync --delete-missing`: contacts the run will delete, also in the backup file. */
  deleted?: number | undefined;
}

/** The sync's own part of the run summary. */
export interface SyncSummary {
  statePath: string;
  scope: string;
  /** Contacts in scope when the sync started. */
  scopeSize: number;
  /** system_ids the state owns after this run. */
  owned: number;
  deleteMissing: boolean;
  /** `--plan`: why a real run would be refused (the guard), if it would. */
  wouldRefuse?: string | undefined;
}

export interface ExecutorStats {
  retries: number;
  inFlight: number;
  window: number;
}

/** What an executor knows at the end: the answers that change rows already written, and its own facts for the summary. */
export interface ExecutorResult {
  overrides: OverrideLookup;
  /** Rows with an empty cell over a value the API holds (`--plan`, `--changed-only`). */
  keptEmptyRows?: number | undefined;
  /** Requests a `--changed-only` import would send (`--plan`). */
  changedOnlyRequests?: number | undefined;
  /** `sync --backup`: where the undo files went. */
  backup?: BackupSummary | undefined;
  /** `sync`: its state file, scope and ownership. */
  sync?: SyncSummary | undefined;
}

/**
 * A consumer of the pre-pass: a run that sends or predicts reads its file once before the rows,
 * for the one-system_id-two-people check (run/prepare.ts), and hands each record here too, so an
 * executor that must know the whole file before it starts (a sync's deletes) needs no read of its own.
 */
export interface PrepassObserver {
  /** Every record of the run, in file order. */
  record(record: CsvRecord): void;
  /** The pre-pass read the whole file. */
  end(): void;
}

export interface Executor {
  /** Before the first row: the credential check, a snapshot. May stop the run through its control. */
  start(): Promise<void>;
  /** Fed by the pre-pass, before `start`. */
  prepass?: PrepassObserver | undefined;
  /** One row that passed every local check; resolves when the next row may be read. */
  execute(row: PreparedRow): Promise<void>;
  /** After the last row (or a stop): what the summary is built from, once. */
  finish(): Promise<ExecutorResult>;
  stats(): ExecutorStats;
  close(): Promise<void>;
}

export const NO_STATS: ExecutorStats = { retries: 0, inFlight: 0, window: 0 };
