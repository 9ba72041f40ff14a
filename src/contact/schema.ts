/**
 * The contact schema: the one source of validation truth. The emulator validates request
 * bodies with `contactPatchSchema` / `contactCreateSchema`; the importer turns CSV cells
 * into a patch with `createRowParser`, which pipes every cell into the same field schemas.
 * Every rule here cites the API document or the README section that explains it.
 */
import { z } from 'zod';
import type { CountryCode } from 'libphonenumber-js/max';
import { stripExcelSafe } from '../csv/formula.js';
import { MOBILE_PATTERN, mobileWarning, readMobile, type MobileReading } from './phone.js';
import { CONTACT_FIELDS, REQUIRED_ON_CREATE, type ContactField } from './fields.js';
import { formatWarning, type RowError, type RowErrorCode, type RowWarning } from './row-issues.js';

export { CONTACT_FIELDS, REQUIRED_ON_CREATE, type ContactField } from './fields.js';
export { MOBILE_PATTERN, mobileWarning, normaliseMobile, readMobile, type MobileReading } from './phone.js';
export { formatWarning, type RowError, type RowErrorCode, type RowWarning, type RowWarningCode } from './row-issues.js';

/** A PUT body: a field set to a value updates it, `null` clears it, absent leaves it unchanged. */
export type ContactPatch = { [K in ContactField]?: string | null };

/** A stored contact, as GET returns it once its keys are mapped to snake_case. */
export type Contact = { system_id: string } & { [K in ContactField]: string | null };

/**
 * "Your JSON must never include a backslash (\) anywhere within it." JSON.stringify escapes
 * exactly `"`, `\`, U+0000–U+001F and lone surrogates, so a value holding any of them cannot
 * be sent (README, "The backslash rule").
 */
// eslint-disable-next-line no-control-regex -- the control characters are exactly the point
const NEEDS_ESCAPE = /["\\\u0000-\u001F]/;

/** Excel's error values: they mean a broken formula, never data (README, "Cells: empty, `null`, `#N/A`"). */
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
  if (ch !== undefined)
    issue(
      ctx,
      'backslash_char',
      `contains ${ch}, which JSON must escape with a backslash; the API forbids backslashes`,
    );
});

export const emailValue = apiText.superRefine((value, ctx) => {
  if (!EMAIL_PATTERN.test(value)) issue(ctx, 'invalid_email', `"${value}" is not a valid email address`);
});

export const mobileValue = apiText.superRefine((value, ctx) => {
  if (!MOBILE_PATTERN.test(value)) {
    issue(ctx, 'invalid_mobile', `"${value}" is not "+" then country code and number with no spaces or hyphens`);
  }
});

/** A field that is mandatory on create: present, not null, not empty. */
const requiredText = apiText.superRefine((value, ctx) => {
  if (value.length === 0) issue(ctx, 'missing_required', 'is required when creating a contact');
});

/** Each field's own rule; the field names come from src/contact/fields.ts, the one list. */
const FIELD_SCHEMAS: Record<ContactField, z.ZodType<string>> = {
  first_name: apiText,
  last_name: apiText,
  email: emailValue,
  job_title: apiText,
  mobile: mobileValue,
};

/** The mandatory fields' rules on create; email's own rule already refuses an empty value. */
const REQUIRED_SCHEMAS: Record<(typeof REQUIRED_ON_CREATE)[number], z.ZodType<string>> = {
  first_name: requiredText,
  last_name: requiredText,
  email: emailValue,
};

type FieldShape = Record<ContactField, z.ZodType<string | null | undefined>>;

/** One entry per field of the one list, each built by `make`. */
function fieldShape(make: (field: ContactField) => z.ZodType<string | null | undefined>): FieldShape {
  return Object.fromEntries(CONTACT_FIELDS.map((field) => [field, make(field)])) as FieldShape;
}

/** The body of a PUT to an existing contact: any allowed field, each a string or null. */
export const contactPatchSchema = z.strictObject(fieldShape((f) => FIELD_SCHEMAS[f].nullable().optional()));

/** The body of a PUT that creates a contact: first_name, last_name and email are mandatory. */
export const contactCreateSchema = z.strictObject(
  fieldShape((f) =>
    (REQUIRED_ON_CREATE as readonly ContactField[]).includes(f)
      ? REQUIRED_SCHEMAS[f as keyof typeof REQUIRED_SCHEMAS]
      : FIELD_SCHEMAS[f].nullable().optional(),
  ),
);

/**
 * system_id is one URL path segment. Empty, `.` and `..` cannot be: URL parsers resolve dot
 * segments, so `PUT /contacts/..` would hit `/contacts` (README, "system_id").
 */
export const systemIdSchema = z.string().superRefine((value, ctx) => {
  if (value.length === 0) issue(ctx, 'missing_system_id', 'is empty; every row needs a system_id');
  else if (value === '.' || value === '..') issue(ctx, 'invalid_system_id', `"${value}" cannot be a URL path segment`);
  // A control character is never part of an id: it is a line break or tab that merged two cells (issue 11).
  // eslint-disable-next-line no-control-regex
  else if (/[\u0000-\u001f\u007f]/.test(value))
    issue(
      ctx,
      'invalid_system_id',
      `${JSON.stringify(value)} holds a control character (a line break or tab); an id is one line of text`,
    );
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
        return {
          code: 'unknown_field',
          message: `unknown field(s) ${iss.keys.join(', ')}; allowed: ${CONTACT_FIELDS.join(', ')}`,
        };
      case 'invalid_type':
        if (iss.input === undefined || iss.input === null) {
          return { ...base, code: 'missing_required', message: 'is required when creating a contact' };
        }
        if (iss.expected === 'object')
          return { ...base, code: 'not_an_object', message: 'the body must be a JSON object' };
        return { ...base, code: 'invalid_type', message: 'must be a string or null' };
      default:
        return { ...base, code: 'invalid_type', message: iss.message };
    }
  });
}

export interface RowParserOptions {
  /** What an empty cell becomes: omitted (field unchanged) or null (field cleared). */
  empty?: 'omit' | 'null';
  /** A cell equal to this text becomes null. No default: `#N/A` is the usual choice. */
  nullToken?: string | undefined;
  /** Normalise local mobile numbers to E.164 for this ISO country. */
  defaultCountry?: CountryCode | undefined;
}

/** Shared by rows with nothing to say, so that the common row allocates no arrays. */
const NONE: readonly never[] = [];

/** The cells of one row, already matched to fields; absent means "no such column". */
export type RowCells = { system_id: string } & { [K in ContactField]?: string };

export type ParsedRow =
  | {
      ok: true;
      systemId: string;
      patch: ContactPatch;
      /** Structured, for the counts by code. */
      warnings: readonly RowWarning[];
      /** The row's `detail` parts: each value the tool changed (`mobile: 0412 345 678 → +61412345678`), then each warning. */
      notes: readonly string[];
    }
  | { ok: false; systemId: string; errors: RowError[] };

/**
 * What a cell may not hold even though the API would take it: a spreadsheet error value (a
 * broken formula, never data) or U+FFFD (an earlier tool already lost the real character).
 * Both are reported instead of the field's own rule (README, "Cells: empty, `null`, `#N/A`").
 */
const CELL_CODES: ReadonlySet<RowErrorCode> = new Set(['spreadsheet_error', 'replacement_char']);

function cellGuard(value: string, ctx: z.RefinementCtx): void {
  if (SPREADSHEET_ERRORS.has(value)) {
    issue(
      ctx,
      'spreadsheet_error',
      `holds the spreadsheet error ${value} (a broken formula?); fix it, or pass --null-token "${value}" to clear the field`,
    );
  } else if (value.includes('\uFFFD')) {
    issue(
      ctx,
      'replacement_char',
      'contains U+FFFD, the replacement character: the text was mis-decoded before it reached this file; try --encoding windows-1252, or fix the source',
    );
  }
}

/** A row's fields as the importer checks them: each field's API rule, plus the cell guard. */
const importPatchSchema = z.object(fieldShape((f) => FIELD_SCHEMAS[f].superRefine(cellGuard).nullable().optional()));

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
    let mobile: MobileReading | undefined;
    for (const field of CONTACT_FIELDS) {
      const raw = cells[field];
      if (raw === undefined) continue;
      const value = stripExcelSafe(raw.trim());
      if (nullToken !== undefined && value === nullToken) patch[field] = null;
      else if (value.length === 0) {
        if (emptyValue === null) patch[field] = null;
      } else if (field === 'mobile') {
        mobile = readMobile(value, defaultCountry);
        // A refused number is left as written: the API's rule then fails it as invalid_mobile.
        patch.mobile = mobile.ok ? mobile.value : value;
      } else patch[field] = value;
    }
    const id = systemIdSchema.safeParse(systemId);
    const fields = importPatchSchema.safeParse(patch);
    if (!id.success || !fields.success) {
      const idErrors = id.success
        ? []
        : toRowErrors(id.error.issues).map((e): RowError => ({ ...e, field: 'system_id' }));
      const errors = [...idErrors, ...(fields.success ? [] : preferCellErrors(toRowErrors(fields.error.issues)))];
      for (const error of errors) {
        if (error.code === 'invalid_mobile' && mobile?.ok === false) error.message = mobile.message;
      }
      return { ok: false, systemId, errors };
    }
    if (typeof patch.mobile !== 'string') return { ok: true, systemId, patch, warnings: NONE, notes: NONE };
    const warning = mobileWarning(patch.mobile);
    const warnings = warning === undefined ? NONE : [warning];
    const change = mobile?.ok === true ? mobile.change : undefined;
    if (change === undefined && warning === undefined) return { ok: true, systemId, patch, warnings, notes: NONE };
    const notes: string[] = change === undefined ? [] : [change];
    if (warning !== undefined) notes.push(formatWarning(warning));
    return { ok: true, systemId, patch, warnings, notes };
  };
}
