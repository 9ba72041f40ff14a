/**
 * ciopulse-contacts as a library: the same typed core the CLI uses. Nothing here prints or
 * exits; progress arrives through callbacks and whole-run problems throw typed errors.
 */
export { runImport } from './import/pipeline.js';
export type { RunOptions, RunSummary, RunProgress, PreparedRow } from './import/pipeline.js';
export { resolveExitCode } from './import/exit.js';
export { STATUSES, RESULT_COLUMNS, FINAL_STATUSES } from './import/results.js';
export type { RowStatus, ResultRow, ErrorGroup } from './import/results.js';
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
} from './contact.js';
export type { Contact, ContactField, ContactPatch, RowError, RowErrorCode, RowParserOptions, ParsedRow, RowCells } from './contact.js';

export { createApiClient, parseApiJson } from './api/client.js';
export type { ApiClient, ApiClientOptions, ApiResult, RetryEvent } from './api/client.js';
export { createRequestGate } from './api/gate.js';
export { backoffDelay, parseRetryAfter, BACKOFF_BASE_MS, BACKOFF_CAP_MS } from './api/retry.js';

export { resolveConnection, resolveBaseUrl, Secret, DEFAULT_BASE_URL, API_KEY_LENGTH } from './config.js';
export type { Connection, ConnectionFlags } from './config.js';

export { openCsv } from './csv/read.js';
export type { CsvSource, CsvHeader, CsvRecord, CsvReadOptions, InputEncoding } from './csv/read.js';
export { excelSafe, stripExcelSafe, isFormulaLike } from './csv/formula.js';

export { runExport, extractRecords } from './export.js';
export type { ExportOptions, ExportSummary } from './export.js';

export { startEmulator } from './emulator/server.js';
export type { Emulator, EmulatorOptions, EmulatorStats } from './emulator/server.js';

export { formatSummary, summaryToJson } from './report/summary.js';
export { writeHtmlReport } from './report/html.js';

export { CiopulseError, UsageError, ConfigError, AuthError, FileError, ApiError, NotFoundError, InterruptedError, InternalError } from './errors.js';
