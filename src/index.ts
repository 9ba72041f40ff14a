/**
 * ciopulse-contacts as a library: the same typed core the CLI uses. Nothing here prints or
 * exits; progress arrives through callbacks and whole-run problems throw typed errors.
 */
export { importContacts, deleteContacts, planImport, validateFile, runImport } from './import/entry.js';
export type { ImportOptions, DeleteOptions, PlanOptions, ValidateOptions, ConnectionOptions, SendOptions, RunOptions } from './import/entry.js';
export type { RunSummary, RunProgress, PreparedRow, InputOptions, OutputOptions, RowRuleOptions, RunCallbacks } from './import/pipeline.js';
export { RunLockedError, UnfinishedRunError, NothingToResumeError } from './import/guards.js';
export { resolveExitCode } from './import/exit.js';
export { STATUSES, RESULT_COLUMNS, FINAL_STATUSES } from './import/results.js';
export type { RowStatus, ResultRow, RowOutcome, FieldChange, ErrorGroup, WarningGroup } from './import/results.js';
export type { RunMode } from './import/paths.js';
export { createPlanner } from './import/plan.js';
export type { Planner, Prediction } from './import/plan.js';

export {
  CONTACT_FIELDS,
  REQUIRED_ON_CREATE,
  MOBILE_PATTERN,
  SPREADSHEET_ERRORS,
  contactPatchSchema,
  contactCreateSchema,
  systemIdSchema,
  createRowParser,
  toRowErrors,
  findEscapedChar,
  mobileWarning,
  normaliseMobile,
  readMobile,
} from './contact.js';
export type { Contact, ContactField, ContactPatch, MobileReading, RowError, RowErrorCode, RowWarning, RowWarningCode, RowParserOptions, ParsedRow, RowCells } from './contact.js';

export { createApiClient, parseApiJson } from './api/client.js';
export type { ApiClient, ApiClientOptions, ApiResult, RetryEvent } from './api/client.js';
export { createRequestGate } from './api/gate.js';
export { backoffDelay, parseRetryAfter, BACKOFF_BASE_MS, BACKOFF_CAP_MS } from './api/retry.js';

export { resolveConnection, resolveBaseUrl, inspectSettings, Secret, DEFAULT_BASE_URL, API_KEY_LENGTH } from './config.js';
export type { Connection, ConnectionFlags, SettingOrigin, SettingsReport } from './config.js';

export { openCsv } from './csv/read.js';
export type { CsvSource, CsvHeader, CsvRecord, CsvReadOptions, InputEncoding } from './csv/read.js';
export type { FieldMapping, MappedBy, MappingDescription, UnsentColumn } from './csv/read.js';
export { readMapFile } from './csv/read.js';
export { excelSafe, stripExcelSafe, isFormulaLike } from './csv/formula.js';

export { exportContacts, runExport, extractRecords } from './export/index.js';
export type { ExportOptions, ExportSummary } from './export/index.js';

export { startEmulator } from './emulator/server.js';
export type { Emulator, EmulatorOptions, EmulatorStats } from './emulator/server.js';

export { formatSummary, formatStopped, nextCommand, summaryToJson } from './report/summary.js';
export type { NextStep, Rerun } from './report/summary.js';
export { writeHtmlReport } from './report/html.js';
export type { HtmlReportOptions, HtmlReportResult } from './report/html.js';
export { createReportCollector } from './report/collect.js';
export type { ReportCollector, ReportCollectorOptions, ReportRow, CollectedReport } from './report/collect.js';

export { CiopulseError, UsageError, ConfigError, AuthError, FileError, ApiError, NotFoundError, InterruptedError, InternalError } from './errors.js';
