/**
 * The contact schema: the one source of validation truth. The emulator validates request
 * bodies with `contactPatchSchema` / `contactCreateSchema`; the importer turns CSV cells
 * into a patch with `createRowParser`, which pipes every cell into the same field schemas.
 * Every rule here cites the API document or the README section that explains it.
 */
import { z } from 'zod';
import type { CountryCode } from 'libphonenumber-js/max';
import { cellText } from '../csv/formula.js';
import { findMisdecoded, isValidEmail } from './text-rules.js';
import { MOBILE_PATTERN, mobileWarning, readMobile, type MobileReading } from './phone.js';
import { CONTACT_FIELDS, REQUIRED_ON_CREATE, type ContactField } from './fields.js';
import { formatWarning, type RowError, type RowErrorCode, type RowWarning } from './row-issues.js';
import { ROW_ERRORS, ROW_PHRASES } from './row-messages.js';

export { CONTACT_FIELDS, REQUIRED_ON_CREATE, type ContactField } from './fields.js';
export { findMisdecoded, isValidEmail } from './text-rules.js';
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

/** Names the first character of `value` that JSON would escape with a backslash, if any. */
export function findEscapedChar(value: string): string | undefined {
  const match = NEEDS_ESCAPE.exec(value);
  if (match) return ROW_PHRASES.escapedChar(match[0]);
  if (!value.isWellFormed()) return ROW_PHRASES.loneSurrogate();
  return undefined;
}

/** What a rule found wrong with a value: its stable code and its sentence. */
interface Finding {
  code: RowErrorCode;
  message: string;
}

/** One rule of a field: what is wrong with the value, or undefined. */
type Rule = (value: string) => Finding | undefined;

/**
 * Rules as one zod check: the value goes through each in order, and every finding is an issue. A
 * `guard` that finds something is the only issue: "#N/A" in email is not also "an invalid email".
 * One plain check rather than a superRefine per rule, because zod's superRefine allocates a
 * closure for each value it checks, and the importer checks every cell of a million-row file
 * (BENCHMARKS.md, section 1).
 */
function checkOf(rules: readonly Rule[], guard?: Rule): z.core.$ZodCheck<string> {
  const check: z.core.$ZodCheck<string> = z.check<string>((payload): void => {
    const value = payload.value;
    const guarded = guard?.(value);
    if (guarded !== undefined) return report(payload, check, guarded);
    for (const rule of rules) {
      const found = rule(value);
      if (found !== undefined) report(payload, check, found);
    }
  });
  return check;
}

/** A finding as a zod issue, as superRefine would add it: `continue` lets the later checks run too. */
function report(payload: z.core.ParsePayload<string>, inst: z.core.$ZodCheck<string>, found: Finding): void {
  payload.issues.push({
    code: 'custom',
    message: found.message,
    params: { code: found.code },
    input: payload.value,
    inst,
    continue: true,
  });
}

/** Any text value the API accepts: a string that JSON can carry without a backslash. */
const noEscapes: Rule = (value) => {
  const ch = findEscapedChar(value);
  return ch === undefined ? undefined : { code: 'backslash_char', message: ROW_ERRORS.backslash_char.needsEscape(ch) };
};

const anEmail: Rule = (value) =>
  isValidEmail(value) ? undefined : { code: 'invalid_email', message: ROW_ERRORS.invalid_email.notAnAddress(value) };

const aMobile: Rule = (value) =>
  MOBILE_PATTERN.test(value)
    ? undefined
    : { code: 'invalid_mobile', message: ROW_ERRORS.invalid_mobile.notE164(value) };

/** A field that is mandatory on create: present, not null, not empty. */
const notEmpty: Rule = (value) =>
  value.length === 0 ? { code: 'missing_required', message: ROW_ERRORS.missing_required.inBody() } : undefined;

/** Each field's own rules; the field names come from src/contact/fields.ts, the one list. */
const FIELD_RULES: Record<ContactField, readonly Rule[]> = {
  first_name: [noEscapes],
  last_name: [noEscapes],
  email: [noEscapes, anEmail],
  job_title: [noEscapes],
  mobile: [noEscapes, aMobile],
};

/** A string checked by these rules. */
const textOf = (rules: readonly Rule[]): z.ZodType<string> => z.string().check(checkOf(rules));

const FIELD_SCHEMAS: Record<ContactField, z.ZodType<string>> = {
  first_name: textOf(FIELD_RULES.first_name),
  last_name: textOf(FIELD_RULES.last_name),
  email: textOf(FIELD_RULES.email),
  job_title: textOf(FIELD_RULES.job_title),
  mobile: textOf(FIELD_RULES.mobile),
};

/** The mandatory fields' rules on create; email's own rule already refuses an empty value. */
const REQUIRED_SCHEMAS: Record<(typeof REQUIRED_ON_CREATE)[number], z.ZodType<string>> = {
  first_name: textOf([noEscapes, notEmpty]),
  last_name: textOf([noEscapes, notEmpty]),
  email: FIELD_SCHEMAS.email,
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
 * The longest system_id, in characters. The document gives no limit; its example is 32
 * characters (`80a45geb4faec211f6a144g18110c73d`), and the ids it names (a helpdesk's agent ID, a
 * primary key: ServiceNow's 32-character sys_id, a 36-character GUID, numeric ids of up to 20
 * digits) are all far shorter. Longer text in that column is a merged cell or a pasted note,
 * never an id. The importer and the emulator share the limit (docs/ARCHITECTURE.md,
 * "Decisions where the API document is silent").
 */
export const MAX_SYSTEM_ID_LENGTH = 100;

/**
 * system_id as the API takes it, one URL path segment: the emulator's rule, and the importer's
 * first. Empty, `.` and `..` cannot be one: URL parsers resolve dot segments, so
 * `PUT /contacts/..` would hit `/contacts` (README, "system_id").
 */
export const apiSystemId = z.string().check(
  checkOf([
    (value) => {
      if (value.length === 0) return { code: 'missing_system_id', message: ROW_ERRORS.missing_system_id.empty() };
      if (value === '.' || value === '..')
        return { code: 'invalid_system_id', message: ROW_ERRORS.invalid_system_id.dotSegment(value) };
      if (value.length > MAX_SYSTEM_ID_LENGTH)
        return {
          code: 'invalid_system_id',
          message: ROW_ERRORS.invalid_system_id.tooLong(value.length, MAX_SYSTEM_ID_LENGTH),
        };
      return undefined;
    },
  ]),
);

/**
 * How Excel writes a long number it has rounded: `4.30123E+10`, `1.23E+11` (and `4,30123E+10` in
 * a comma-decimal locale; `4.30123e10` once another tool has lower-cased it). A mantissa with a
 * decimal point, or an exponent with a sign, so that an id such as `123e45` is not caught.
 */
const SCIENTIFIC_NUMBER = /^[+-]?(?:\d[.,]\d+[eE][+-]?\d+|\d+[eE][+-]\d+)$/;

/**
 * system_id as the importer checks it: the API's rule, then what only a file can get wrong.
 * Excel's scientific notation: several helpdesk ids round to the same `4.30123E+10`, and each
 * row would overwrite the contact the one before it wrote. A control character: a line break or
 * tab that merged two cells (issue 11).
 */
export const systemIdSchema = apiSystemId.check(
  checkOf([
    (value) => {
      if (SCIENTIFIC_NUMBER.test(value))
        return { code: 'scientific_system_id', message: ROW_ERRORS.scientific_system_id.rounded(value) };
      const misdecoded = findMisdecoded(value);
      if (misdecoded !== undefined) return misdecoded;
      // eslint-disable-next-line no-control-regex
      if (/[\u0000-\u001f\u007f]/.test(value))
        return { code: 'invalid_system_id', message: ROW_ERRORS.invalid_system_id.controlChar(value) };
      return undefined;
    },
  ]),
);

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
          message: ROW_ERRORS.unknown_field.notAllowed(iss.keys.join(', '), CONTACT_FIELDS.join(', ')),
        };
      case 'invalid_type':
        if (iss.input === undefined || iss.input === null) {
          return { ...base, code: 'missing_required', message: ROW_ERRORS.missing_required.inBody() };
        }
        if (iss.expected === 'object')
          return { ...base, code: 'not_an_object', message: ROW_ERRORS.not_an_object.notAnObject() };
        return { ...base, code: 'invalid_type', message: ROW_ERRORS.invalid_type.notText() };
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
  /** `--fix-missing-plus`: put the `+` back on digits that are a valid mobile with it. */
  fixMissingPlus?: boolean | undefined;
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
 * broken formula, never data), U+FFFD (an earlier tool already lost the real character) or a C1
 * control character (U+0080–U+009F: never in a name; a file decoded with the wrong encoding,
 * such as Excel for Mac's MacRoman read as windows-1252). They are reported instead of the
 * field's own rule (README, "Cells: empty, `null`, `#N/A`").
 */
const cellGuard: Rule = (value) =>
  // Every error value starts with `#`: most cells are answered without hashing them for the set.
  value.charCodeAt(0) === 0x23 && SPREADSHEET_ERRORS.has(value)
    ? { code: 'spreadsheet_error', message: ROW_ERRORS.spreadsheet_error.errorValue(value) }
    : findMisdecoded(value);

/** A row's fields as the importer checks them: the cell guard, then each field's API rules. */
const importPatchSchema = z.object(
  fieldShape((f) => z.string().check(checkOf(FIELD_RULES[f], cellGuard)).nullable().optional()),
);

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
  const mobileOptions = { fixMissingPlus: options.fixMissingPlus };

  return (cells) => {
    const systemId = cellText(cells.system_id);
    const patch: ContactPatch = {};
    let mobile: MobileReading | undefined;
    for (const field of CONTACT_FIELDS) {
      const raw = cells[field];
      if (raw === undefined) continue;
      const value = cellText(raw);
      if (nullToken !== undefined && value === nullToken) patch[field] = null;
      else if (value.length === 0) {
        if (emptyValue === null) patch[field] = null;
      } else if (field === 'mobile') {
        mobile = readMobile(value, defaultCountry, mobileOptions);
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
      const errors = [...idErrors, ...(fields.success ? [] : toRowErrors(fields.error.issues))];
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
