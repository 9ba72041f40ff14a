/**
 * The contact schema: the one source of validation truth. The emulator validates request
 * bodies with `contactPatchSchema` / `contactCreateSchema`; the importer turns CSV cells
 * into a patch with `createRowParser`, which pipes every cell into the same field schemas.
 * Every rule here cites the API document (shared/seeds/000_…txt) or DESIGN.md.
 */
import { z } from 'zod';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { stripExcelSafe } from './csv/formula.js';
import { isSurelyValidNumber } from './phone.js';

import { CONTACT_FIELDS, type ContactField } from './fields.js';

export { CONTACT_FIELDS, REQUIRED_ON_CREATE, type ContactField } from './fields.js';

/** A PUT body: a field set to a value updates it, `null` clears it, absent leaves it unchanged. */
export type ContactPatch = { [K in ContactField]?: string | null };

/** A stored contact, as GET returns it once its keys are mapped to snake_case. */
export type Contact = { system_id: string } & { [K in ContactField]: string | null };

/**
 * Stable row error codes. Summaries and reports group by these; they never change meaning.
 */
export type RowErrorCode =
  | 'missing_system_id'
  | 'invalid_system_id'
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
  | 'replacement_char'
  | 'api_rejected'
  | 'not_found'
  | 'email_taken'
  | 'protected_contact'
  | 'auth_failed'
  | 'server_error'
  | 'network_error'
  | 'not_the_api'
  | 'internal_error'
  | 'email_swap';

export interface RowError {
  code: RowErrorCode;
  /** The contact field, when the error is about one. */
  field?: ContactField | 'system_id';
  /** A sentence for people. The importer prefixes the CSV column name. */
  message: string;
}

/**
 * "mobile … must start with a "+" followed by a country code and the phone number with the
 * leading zero removed. No spaces or hyphens are allowed." Country codes never start with 0,
 * and E.164 allows at most 15 digits.
 */
export const MOBILE_PATTERN = /^\+[1-9]\d{6,14}$/;

/**
 * "Your JSON must never include a backslash (\) anywhere within it." JSON.stringify escapes
 * exactly `"`, `\`, U+0000–U+001F and lone surrogates, so a value holding any of them cannot
 * be sent (shared/NOTES.md measured this).
 */
// eslint-disable-next-line no-control-regex -- the control characters are exactly the point
const NEEDS_ESCAPE = /["\\\u0000-\u001F]/;

/** Excel's error values: they mean a broken formula, never data (DESIGN.md, "Cells and values"). */
export const SPREADSHEET_ERRORS: ReadonlySet<string> = new Set([
  '#N/A',
  '#REF!',
  '#VALUE!',
  '#NAME?',
  '#DIV/0!',
  '#NUM!',
  '#NULL!',
]);

/** zod's own email pattern; the document only says "a valid email address". */
const EMAIL_PATTERN = z.regexes.email;

const CHAR_NAMES: Record<string, string> = {
  '"': 'a double quote (")',
  '\\': 'a backslash (\\)',
  '\n': 'a line break',
  '\r': 'a carriage return',
  '\t': 'a tab',
};

function describeChar(ch: string): string {
  return CHAR_NAMES[ch] ?? `the control character U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Names the first character of `value` that JSON would escape with a backslash, if any. */
export function findEscapedChar(value: string): string | undefined {
  const match = NEEDS_ESCAPE.exec(value);
  if (match) return describeChar(match[0]);
  if (!value.isWellFormed()) return 'a lone UTF-16 surrogate (broken emoji or encoding)';
  return undefined;
}

function issue(ctx: z.RefinementCtx, code: RowErrorCode, message: string): void {
  ctx.addIssue({ code: 'custom', message, params: { code } });
}

/** Any text value the API accepts: a string that JSON can carry without a backslash. */
export const apiText = z.string().superRefine((value, ctx) => {
  const ch = findEscapedChar(value);
  if (ch !== undefined) issue(ctx, 'backslash_char', `contains ${ch}, which JSON must escape with a backslash; the API forbids backslashes`);
});

export const emailValue = apiText.superRefine((value, ctx) => {
  if (!EMAIL_PATTERN.test(value)) issue(ctx, 'invalid_email', `"${value}" is not a valid email address`);
});

/** What the importer adds to an invalid mobile's message: how to fix it with this tool. */
function mobileHint(value: string): string {
  if (/^\d(\.\d+)?E\+\d+$/i.test(value)) return '; it looks like Excel scientific notation: format the column as Text';
  if (/^0/.test(value)) return '; a local number needs --default-country, or the country code written in';
  if (/[\s\-().]/.test(value)) return '; remove spaces, hyphens and brackets, or pass --default-country';
  return '';
}

export const mobileValue = apiText.superRefine((value, ctx) => {
  if (!MOBILE_PATTERN.test(value)) {
    issue(ctx, 'invalid_mobile', `"${value}" is not "+" then country code and number with no spaces or hyphens`);
  }
});

/** A field that is mandatory on create: present, not null, not empty. */
const requiredText = apiText.superRefine((value, ctx) => {
  if (value.length === 0) issue(ctx, 'missing_required', 'is required when creating a contact');
});

const FIELD_SCHEMAS = {
  first_name: apiText,
  last_name: apiText,
  email: emailValue,
  job_title: apiText,
  mobile: mobileValue,
} as const satisfies Record<ContactField, z.ZodType<string>>;

/** The body of a PUT to an existing contact: any allowed field, each a string or null. */
export const contactPatchSchema = z.strictObject({
  first_name: FIELD_SCHEMAS.first_name.nullable().optional(),
  last_name: FIELD_SCHEMAS.last_name.nullable().optional(),
  email: FIELD_SCHEMAS.email.nullable().optional(),
  job_title: FIELD_SCHEMAS.job_title.nullable().optional(),
  mobile: FIELD_SCHEMAS.mobile.nullable().optional(),
});

/** The body of a PUT that creates a contact: first_name, last_name and email are mandatory. */
export const contactCreateSchema = z.strictObject({
  first_name: requiredText,
  last_name: requiredText,
  email: emailValue,
  job_title: FIELD_SCHEMAS.job_title.nullable().optional(),
  mobile: FIELD_SCHEMAS.mobile.nullable().optional(),
});

/**
 * system_id is one URL path segment. Empty, `.` and `..` cannot be: URL parsers resolve dot
 * segments, so `PUT /contacts/..` would hit `/contacts` (DESIGN.md, "system_id").
 */
export const systemIdSchema = z.string().superRefine((value, ctx) => {
  if (value.length === 0) issue(ctx, 'missing_system_id', 'is empty; every row needs a system_id');
  else if (value === '.' || value === '..') issue(ctx, 'invalid_system_id', `"${value}" cannot be a URL path segment`);
});

function isContactField(key: unknown): key is ContactField {
  return typeof key === 'string' && (CONTACT_FIELDS as readonly string[]).includes(key);
}

/** Turns zod issues into row errors with stable codes; the path names the field. */
export function toRowErrors(issues: readonly z.core.$ZodIssue[]): RowError[] {
  return issues.map((iss): RowError => {
    const key = iss.path[0];
    const field: RowError['field'] = key === 'system_id' ? 'system_id' : isContactField(key) ? key : undefined;
    const base: Pick<RowError, 'field'> = field === undefined ? {} : { field };
    switch (iss.code) {
      case 'custom': {
        const code = (iss.params as { code?: RowErrorCode } | undefined)?.code ?? 'invalid_type';
        return { ...base, code, message: iss.message };
      }
      case 'unrecognized_keys':
        return { code: 'unknown_field', message: `unknown field(s) ${iss.keys.join(', ')}; allowed: ${CONTACT_FIELDS.join(', ')}` };
      case 'invalid_type':
        if (iss.input === undefined || iss.input === null) {
          return { ...base, code: 'missing_required', message: 'is required when creating a contact' };
        }
        if (iss.expected === 'object') return { ...base, code: 'not_an_object', message: 'the body must be a JSON object' };
        return { ...base, code: 'invalid_type', message: 'must be a string or null' };
      default:
        return { ...base, code: 'invalid_type', message: iss.message };
    }
  });
}

/** "+61 411 112 233" or "0411 112 233" with `--default-country AU` → "+61411112233". */
export function normaliseMobile(value: string, defaultCountry: CountryCode | undefined): string {
  if (defaultCountry === undefined || MOBILE_PATTERN.test(value)) return value;
  const phone = parsePhoneNumberFromString(value, defaultCountry);
  return phone?.number ?? value;
}

/**
 * The API's rule decides what is sent; libphonenumber's max metadata only warns, so a valid new
 * range is never blocked by stale metadata (DESIGN.md, "email and mobile").
 */
export function mobileWarning(value: string): string | undefined {
  // The common case answers in about a microsecond; libphonenumber itself takes 15-20 µs.
  if (isSurelyValidNumber(value) === true) return undefined;
  const phone = parsePhoneNumberFromString(value);
  if (phone === undefined) return `mobile ${value} is not a number libphonenumber can read; sent as the API allows it`;
  // libphonenumber drops a trunk zero after the country code (+610411… → +61411…); the API stores what we send.
  if (phone.number !== value) {
    return `mobile ${value} has a trunk zero after the country code (libphonenumber reads ${phone.number}); sent as the API allows it`;
  }
  if (!phone.isValid()) return `mobile ${value} is not a valid number for its country (libphonenumber); sent as the API allows it`;
  return undefined;
}

export interface RowParserOptions {
  /** What an empty cell becomes: omitted (field unchanged) or null (field cleared). */
  empty?: 'omit' | 'null';
  /** A cell equal to this text becomes null. No default: `#N/A` is the usual choice. */
  nullToken?: string | undefined;
  /** Normalise local mobile numbers to E.164 for this ISO country. */
  defaultCountry?: CountryCode | undefined;
}

/** The cells of one row, already matched to fields; absent means "no such column". */
export type RowCells = { system_id: string } & { [K in ContactField]?: string };

export type ParsedRow =
  | { ok: true; systemId: string; patch: ContactPatch; warnings: string[] }
  | { ok: false; systemId: string; errors: RowError[] };

/**
 * What a cell may not hold even though the API would take it: a spreadsheet error value (a
 * broken formula, never data) or U+FFFD (an earlier tool already lost the real character).
 * Both are reported instead of the field's own rule (DESIGN.md, "Cells and values").
 */
const CELL_CODES: ReadonlySet<RowErrorCode> = new Set(['spreadsheet_error', 'replacement_char']);

function cellGuard(value: string, ctx: z.RefinementCtx): void {
  if (SPREADSHEET_ERRORS.has(value)) {
    issue(ctx, 'spreadsheet_error', `holds the spreadsheet error ${value} (a broken formula?); fix it, or pass --null-token "${value}" to clear the field`);
  } else if (value.includes('\uFFFD')) {
    issue(ctx, 'replacement_char', 'contains U+FFFD, the replacement character: the text was mis-decoded before it reached this file; try --encoding windows-1252, or fix the source');
  }
}

/** A row's fields as the importer checks them: each field's API rule, plus the cell guard. */
const importPatchSchema = z.object({
  first_name: FIELD_SCHEMAS.first_name.superRefine(cellGuard).nullable().optional(),
  last_name: FIELD_SCHEMAS.last_name.superRefine(cellGuard).nullable().optional(),
  email: FIELD_SCHEMAS.email.superRefine(cellGuard).nullable().optional(),
  job_title: FIELD_SCHEMAS.job_title.superRefine(cellGuard).nullable().optional(),
  mobile: FIELD_SCHEMAS.mobile.superRefine(cellGuard).nullable().optional(),
});

/** A field with a cell error reports only that: "#N/A" in email is not also "an invalid email". */
function preferCellErrors(errors: RowError[]): RowError[] {
  const guarded = new Set(errors.filter((e) => CELL_CODES.has(e.code)).map((e) => e.field));
  return guarded.size === 0 ? errors : errors.filter((e) => CELL_CODES.has(e.code) || !guarded.has(e.field));
}

/**
 * Builds the cell → value conversion once per run. Each cell is trimmed and has an Excel-safe
 * `'` removed; then it becomes null (the null token), omitted or null (empty, per `empty`), or
 * text; the row is then checked by the zod schema the emulator's rules are made of. (Plain code
 * for the conversion and one object schema for the checks: zod transforms and pipes per cell
 * cost three times as much, and this runs for every row of a million-row file.)
 */
export function createRowParser(options: RowParserOptions = {}): (cells: RowCells) => ParsedRow {
  const emptyValue = options.empty === 'null' ? null : undefined;
  const { nullToken, defaultCountry } = options;

  return (cells) => {
    const systemId = stripExcelSafe(cells.system_id.trim());
    const patch: ContactPatch = {};
    for (const field of CONTACT_FIELDS) {
      const raw = cells[field];
      if (raw === undefined) continue;
      const value = stripExcelSafe(raw.trim());
      if (nullToken !== undefined && value === nullToken) patch[field] = null;
      else if (value.length === 0) {
        if (emptyValue === null) patch[field] = null;
      } else patch[field] = field === 'mobile' ? normaliseMobile(value, defaultCountry) : value;
    }
    const id = systemIdSchema.safeParse(systemId);
    const fields = importPatchSchema.safeParse(patch);
    if (!id.success || !fields.success) {
      const idErrors = id.success ? [] : toRowErrors(id.error.issues).map((e): RowError => ({ ...e, field: 'system_id' }));
      const errors = [...idErrors, ...(fields.success ? [] : preferCellErrors(toRowErrors(fields.error.issues)))];
      for (const error of errors) {
        if (error.code === 'invalid_mobile') error.message += mobileHint(patch.mobile ?? '');
      }
      return { ok: false, systemId, errors };
    }
    const warnings: string[] = [];
    if (typeof patch.mobile === 'string') {
      const warning = mobileWarning(patch.mobile);
      if (warning !== undefined) warnings.push(warning);
    }
    return { ok: true, systemId, patch, warnings };
  };
}
