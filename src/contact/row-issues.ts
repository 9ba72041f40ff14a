/**
 * What can be wrong with a row, as data: the stable error and warning codes and their shapes.
 * Below both the schema and the phone rules, which produce them, so neither imports the other's
 * types back (docs/ARCHITECTURE.md, "One concept, one place").
 */
import type { ContactField } from './fields.js';

/**
 * Stable row error codes. Summaries and reports group by these; they never change meaning.
 */
export type RowErrorCode =
  | 'missing_system_id'
  | 'invalid_system_id'
  | 'scientific_system_id'
  | 'conflicting_person'
  | 'control_char'
  | 'lossy_save'
  | 'backslash_char'
  | 'spreadsheet_error'
  | 'invalid_email'
  | 'invalid_mobile'
  | 'missing_required'
  | 'invalid_type'
  | 'unknown_field'
  | 'not_an_object'
  | 'duplicate_email'
  | 'ragged_row'
  | 'malformed_row'
  | 'uncached_formula'
  | 'replacement_char'
  | 'api_rejected'
  | 'not_found'
  | 'email_taken'
  | 'protected_contact'
  | 'auth_failed'
  | 'server_error'
  | 'network_error'
  | 'answer_lost'
  | 'not_the_api'
  | 'internal_error'
  | 'email_swap'
  | 'one_word_name';

export interface RowError {
  code: RowErrorCode;
  /** The contact field, when the error is about one; `full_name` for the one name column that feeds two. */
  field?: ContactField | 'system_id' | 'full_name';
  /** A sentence for people, worded in row-messages.ts. The importer prefixes the CSV column name. */
  message: string;
}

/**
 * Stable row warning codes: the row is sent, but something about it deserves a look. Summaries
 * count them by code, as they do errors.
 */
export type RowWarningCode = 'not_a_mobile' | 'trunk_zero' | 'unrecognised_mobile';

export interface RowWarning {
  code: RowWarningCode;
  field?: ContactField;
  message: string;
}

/** How a warning reads in a result row's `detail`: `not_a_mobile: mobile +61298765432 is …`. */
export function formatWarning(warning: RowWarning): string {
  return `${warning.code}: ${warning.message}`;
}
