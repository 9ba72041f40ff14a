/**
 * What a run is given and what it returns (docs/LIBRARY.md, "Import: importContacts"): the options every
 * entry point shares and the summary. Kept apart from the pipeline (docs/ARCHITECTURE.md, "The run
 * pipeline, file by file") so that the pipeline module holds only the run itself.
 */
import type { RetryEvent } from '../api/client.js';
import type { ContactField } from '../contact/schema.js';
import type { CsvHeader, InputEncoding, InputFormat } from '../csv/read.js';
import type { NamedFile } from '../csv/targets.js';
import type { RunMode } from './paths.js';
import type { Stopped } from './control.js';
import type { BackupSummary, SyncSummary } from './executor.js';
import type { ErrorGroup, ResultRow, WarningGroup } from './results.js';
import type { RowStatus } from './statuses.js';
import type { WhereCondition } from './where.js';
import type { CountryCode } from 'libphonenumber-js/max';

/** Where the rows come from. */
export interface InputOptions {
  input: string;
  encoding?: InputEncoding | undefined;
  map?: readonly string[] | undefined;
  /** `--map-file`: mappings kept in a file; `map` is applied after it. */
  mapFile?: string | undefined;
  /** A trial run on the first n rows. */
  limit?: number | undefined;
  /** .xlsx: the sheet to read, by name or position from 1; default the first. */
  sheet?: string | undefined;
}

/** Where the results go. */
export interface OutputOptions {
  results?: string | undefined;
  errors?: string | undefined;
  /** Files the caller writes after the run (the CLI's HTML report): held to the same checks first. */
  otherOutputs?: readonly NamedFile[] | undefined;
  /** Finished rows held back waiting for an earlier row. */
  reorderCap?: number | undefined;
}

/** How a cell becomes a field (import only). */
export interface RowRuleOptions {
  /** Send only these fields (`--fields`). */
  fields?: readonly ContactField[] | undefined;
  empty?: 'omit' | 'null' | undefined;
  nullToken?: string | undefined;
  defaultCountry?: CountryCode | undefined;
  /** `--where`: keep only the rows that match every condition; the rest are `filtered`. */
  where?: readonly WhereCondition[] | undefined;
  /** `--fix-missing-plus`: digits that lost their `+` get it back, where the result is a valid mobile. */
  fixMissingPlus?: boolean | undefined;
}

/** Progress and cancellation; the library never prints. */
export interface RunCallbacks {
  /** Aborting it stops the run: no new requests; those in flight are cut off after a short grace. */
  signal?: AbortSignal | undefined;
  onWarning?: ((message: string) => void) | undefined;
  onProgress?: ((progress: RunProgress) => void) | undefined;
  onRetry?: ((event: RetryEvent) => void) | undefined;
  /**
   * Each result row once it is written, in input order. A row whose answer changes after the
   * fact (a deferred 422, a superseded row) is handed in again at the end, with the row it
   * replaces as `replaces`: keep the last by seq.
   */
  onRow?: ((row: ResultRow, replaces?: ResultRow) => void) | undefined;
  /** Called once the input's header is known (e.g. to size a progress bar). */
  onStart?: ((info: { header: CsvHeader; bytesTotal: number }) => void) | undefined;
}

export interface RunProgress {
  rowsRead: number;
  rowsWritten: number;
  bytesRead: number;
  bytesTotal: number;
  failed: number;
  retries: number;
  inFlight: number;
  window: number;
}

export interface RunSummary {
  mode: RunMode;
  input: string;
  /** What the input was: messages and reports say `row 7` for a workbook, `line 7` for CSV. */
  format?: InputFormat | undefined;
  resultsPath: string;
  errorsPath: string;
  /** Kept only when the run did not finish cleanly and some answer is in it. */
  journalPath: string | undefined;
  rows: number;
  counts: Record<RowStatus, number>;
  errorGroups: ErrorGroup[];
  /** Warnings over all rows (a resumed run counts the earlier run's rows too). */
  warnings: number;
  warningGroups: WarningGroup[];
  retries: number;
  elapsedMs: number;
  rowsPerSecond: number;
  /** False when the run stopped before any answer: its files were not written, earlier ones were kept. */
  resultsWritten?: boolean | undefined;
  /** Rows whose final answer came from the earlier run (resume). */
  reused: number;
  stopped: Stopped | undefined;
  /** `--backup`: where the undo files went. */
  backup?: BackupSummary | undefined;
  /** Input columns that map to no field: kept in the results, never sent. */
  unmappedColumns: string[];
  /** Fields that creating a contact needs but no column sends: only existing contacts can be updated. */
  missingForCreate?: ContactField[] | undefined;
  /** `--plan` and `--changed-only`: rows with an empty cell over a value the API holds (kept, with `--empty omit`). */
  keptEmptyRows?: number | undefined;
  /** `--plan`: the PUTs `--changed-only` would send (plus the credential check and one GET all). */
  changedOnlyRequests?: number | undefined;
  /** `sync`: its state file, scope and ownership. */
  sync?: SyncSummary | undefined;
}
