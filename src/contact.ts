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

/** The fields the API allows in a PUT body ("The fields allowed in the JSON payload are"). */
export const CONTACT_FIELDS = ['first_name', 'last_name', 'email', 'job_title', 'mobile'] as const;
export type ContactField = (typeof CONTACT_FIELDS)[number];

/** "The following fields are mandatory in the JSON when adding a new Contact". */
export const REQUIRED_ON_CREATE = ['first_name', 'last_name', 'email'] as const satisfies readonly ContactField[];

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
 * Builds the cell → value schema once per run. Each cell is trimmed, has an Excel-safe `'`
 * removed, and then becomes null (the null token), an error (a spreadsheet error value),
 * omitted or null (empty, per `empty`), or text piped into the field's API schema.
 */
export function createRowParser(options: RowParserOptions = {}): (cells: RowCells) => ParsedRow {
  const emptyValue = options.empty === 'null' ? null : undefined;
  const { nullToken, defaultCountry } = options;

  const cell = (field: ContactField) =>
    z
      .string()
      .transform((raw, ctx): string | null | undefined => {
        const value = stripExcelSafe(raw.trim());
        if (nullToken !== undefined && value === nullToken) return null;
        if (SPREADSHEET_ERRORS.has(value)) {
          issue(ctx, 'spreadsheet_error', `holds the spreadsheet error ${value} (a broken formula?); fix it, or pass --null-token "${value}" to clear the field`);
          return z.NEVER;
        }
        if (value.length === 0) return emptyValue;
        if (value.includes('\uFFFD')) {
          // U+FFFD means some earlier tool already lost the real character; never send it (DESIGN.md).
          issue(ctx, 'replacement_char', 'contains U+FFFD, the replacement character: the text was mis-decoded before it reached this file; try --encoding windows-1252, or fix the source');
          return z.NEVER;
        }
        return field === 'mobile' ? normaliseMobile(value, defaultCountry) : value;
      })
      .pipe(FIELD_SCHEMAS[field].nullable().optional());

  const rowSchema = z.object({
    system_id: z.string().transform((s) => stripExcelSafe(s.trim())).pipe(systemIdSchema),
    first_name: cell('first_name').optional(),
    last_name: cell('last_name').optional(),
    email: cell('email').optional(),
    job_title: cell('job_title').optional(),
    mobile: cell('mobile').optional(),
  });

  return (cells) => {
    const result = rowSchema.safeParse(cells);
    if (!result.success) {
      const errors = toRowErrors(result.error.issues);
      for (const error of errors) {
        if (error.code === 'invalid_mobile') error.message += mobileHint(stripExcelSafe((cells.mobile ?? '').trim()));
      }
      return { ok: false, systemId: stripExcelSafe(cells.system_id.trim()), errors };
    }
    const { system_id: systemId, ...values } = result.data;
    const patch: ContactPatch = {};
    for (const field of CONTACT_FIELDS) {
      const value = values[field];
      if (value !== undefined) patch[field] = value;
    }
    const warnings: string[] = [];
    if (typeof patch.mobile === 'string') {
      const warning = mobileWarning(patch.mobile);
      if (warning !== undefined) warnings.push(warning);
    }
    return { ok: true, systemId, patch, warnings };
  };
}
