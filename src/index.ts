/**
 * ciopulse-contacts as a library: the same typed core the CLI uses. Nothing here prints or
 * exits; progress arrives through callbacks and whole-run problems throw typed errors.
 *
 * This is the public surface (docs/LIBRARY.md, "What it exports"): the entry points, their option
 * and result types, the error classes and `Secret`. The emulator and the report have subpaths of
 * their own (`ciopulse-contacts/emulator`, `ciopulse-contacts/report`). Internals (the HTTP
 * client, the row parser, retry tuning) stay unexported so they can change. Nothing imported
 * here loads undici: the modules that send load it when a sending entry point first runs, so
 * `validateFile` alone starts fast and works without the network stack.
 */

// Entry points: one per job.
export { validateFile, planImport, importContacts, deleteContacts, syncContacts } from './run/entry.js';
export type {
  ValidateOptions,
  PlanOptions,
  ImportOptions,
  DeleteOptions,
  ConnectionOptions,
  SendOptions,
  SyncOptions,
  SyncOnlyOptions,
} from './run/entry.js';
export type { SyncPlanCounts, SyncSummary } from './execute/sync.js';
export type { SyncScope, MaxDelete } from './execute/sync-scope.js';
export type { WhereCondition } from './run/where.js';
export { parseWhere } from './run/where.js';
export type {
  InputOptions,
  OutputOptions,
  RowRuleOptions,
  RunCallbacks,
  RunProgress,
  RunSummary,
} from './run/run-types.js';
export type { RunMode } from './run/paths.js';
export type { Stopped } from './run/control.js';
export type { BackupSummary } from './execute/backup.js';
export type { InputEncoding } from './csv/read.js';
export type { RetryEvent } from './api/client.js';

export { exportContacts } from './export/index.js';
export type { ExportOptions, ExportSource, ExportCommonOptions, ExportSummary } from './export/index.js';
export { getContact } from './remote/get-contact.js';
export type { GetContactOptions } from './remote/get-contact.js';

// Results: a row's status, errors and warnings, and the run's exit code.
export { STATUSES } from './run/statuses.js';
export type { RowStatus } from './run/statuses.js';
export type { ResultRow, FieldChange, ErrorGroup, WarningGroup } from './run/results.js';
export { resolveExitCode } from './run/exit.js';
export { CONTACT_FIELDS } from './contact/schema.js';
export type { Contact, ContactField, RowError, RowErrorCode, RowWarning, RowWarningCode } from './contact/schema.js';

// Connection settings, the way the CLI resolves them (flags, environment, .env).
export { resolveConnection, Secret, DEFAULT_BASE_URL } from './config.js';
export type { Connection, ConnectionFlags } from './config.js';

// Errors: every whole-file or whole-run problem is one of these.
export {
  CiopulseError,
  UsageError,
  ConfigError,
  AuthError,
  FileError,
  ApiError,
  NotFoundError,
  InterruptedError,
  InternalError,
  SyncRefusedError,
  DeclinedError,
  RunLockedError,
  UnfinishedRunError,
  NothingToResumeError,
} from './errors.js';
