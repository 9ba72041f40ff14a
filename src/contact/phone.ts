/**
 * Phone numbers: reading a mobile cell (`readMobile`: E.164 as written, or a national number
 * with `--default-country`), and the warnings libphonenumber's max metadata gives a number the
 * API accepts (`mobileWarning`). README, "Phone numbers", explains the rules to users. The
 * common case answers without libphonenumber's parse, through phone-plans.ts (the fast path).
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { rulesFor, surelyValidType, type SureType } from './phone-plans.js';
import type { RowWarning } from './row-issues.js';
import { ROW_DETAILS, ROW_ERRORS, ROW_PHRASES, ROW_WARNINGS } from './row-messages.js';

const MOBILE = ROW_ERRORS.invalid_mobile;
const FIX = ROW_PHRASES.mobileFix;

/**
 * "mobile … must start with a "+" followed by a country code and the phone number with the
 * leading zero removed. No spaces or hyphens are allowed." Country codes never start with 0,
 * and E.164 allows at most 15 digits.
 */
export const MOBILE_PATTERN = /^\+[1-9]\d{6,14}$/;

// ───────────────────────────── warnings ─────────────────────────────

/** Types that can take a text message as far as libphonenumber knows; the rest are warned about. */
const MOBILE_TYPES: ReadonlySet<SureType> = new Set(['MOBILE', 'FIXED_LINE_OR_MOBILE', 'UNKNOWN']);

function typeWarning(value: string, type: SureType): RowWarning | undefined {
  if (MOBILE_TYPES.has(type)) return undefined;
  return { code: 'not_a_mobile', field: 'mobile', message: ROW_WARNINGS.not_a_mobile.notAMobile(value, type) };
}

/**
 * The API's rule decides what is sent; libphonenumber's max metadata only warns, so a valid new
 * range is never blocked by stale metadata (README, "Phone numbers"). `value` is E.164.
 */
export function mobileWarning(value: string): RowWarning | undefined {
  // The common case answers without libphonenumber's parse (measured: BENCHMARKS.md, section 1).
  const sure = surelyValidType(value);
  if (sure !== undefined) return typeWarning(value, sure);
  const phone = parsePhoneNumberFromString(value);
  if (phone === undefined) {
    return {
      code: 'unrecognised_mobile',
      field: 'mobile',
      message: ROW_WARNINGS.unrecognised_mobile.unreadable(value),
    };
  }
  // libphonenumber drops a trunk zero after the country code (+610411… → +61411…); the API stores what we send.
  if (phone.number !== value) {
    return { code: 'trunk_zero', field: 'mobile', message: ROW_WARNINGS.trunk_zero.trunkZero(value, phone.number) };
  }
  if (!phone.isValid()) {
    return { code: 'unrecognised_mobile', field: 'mobile', message: ROW_WARNINGS.unrecognised_mobile.notValid(value) };
  }
  return typeWarning(value, phone.getType() ?? 'UNKNOWN');
}

// ───────────────────────────── reading a cell ─────────────────────────────

/** A mobile cell read: the value to send (and what changed), or why it cannot be sent. */
export type MobileReading = { ok: true; value: string; change?: string } | { ok: false; message: string };

/** Spaces (NBSP too), hyphens, dots, slashes and brackets: how people group digits. */
const FORMATTING = /[\s\-./()]/g;

/** Valid exactly as written, by libphonenumber (fast path first). */
function isValidAsWritten(e164: string): boolean {
  if (!MOBILE_PATTERN.test(e164)) return false;
  if (surelyValidType(e164) !== undefined) return true;
  const phone = parsePhoneNumberFromString(e164);
  return phone !== undefined && phone.number === e164 && phone.isValid();
}

/**
 * `digits` read as a number of `country` in national form, or undefined. libphonenumber also
 * reads international forms when given a default country: after the dialling prefix
 * (`0011 44 …` in AU) and, when the national reading is not valid, after the country code
 * without a `+` (`61412345678`). Both are refused here: with no `+`, the tool cannot tell a
 * country code from the start of a national number, so it only ever adds one.
 */
export function readNational(digits: string, country: CountryCode): string | undefined {
  const rules = rulesFor(country);
  if (rules.idd?.test(digits) === true) return undefined;
  const phone = parsePhoneNumberFromString(digits, country);
  if (phone === undefined || phone.countryCallingCode !== rules.callingCode || !phone.isValid()) return undefined;
  const national = phone.nationalNumber;
  // What libphonenumber dropped in front of the national number: nothing, or a national prefix.
  const head = digits.endsWith(national) ? digits.slice(0, digits.length - national.length) : undefined;
  const skippedCallingCode =
    head === undefined
      ? digits.startsWith(rules.callingCode)
      : head.startsWith(rules.callingCode) && rules.nationalPrefix?.test(head) !== true;
  return skippedCallingCode ? undefined : phone.number;
}

/**
 * readNational's answer without libphonenumber's parse (the fast path of phone-plans.ts), where it is sure: the digits
 * with a plain national prefix dropped (`0412345678` → `412345678`) or none, valid by the fast
 * path and by the country's own pattern, as libphonenumber's extractNationalNumber() would keep
 * them. Undefined: not sure, ask readNational. A property test holds the two to the same answer.
 */
export function readNationalFast(digits: string, country: CountryCode): string | undefined {
  const rules = rulesFor(country);
  if (rules.transforms || rules.idd?.test(digits) === true) return undefined;
  const prefix = rules.prefixAtStart?.exec(digits);
  // A capture group is a carrier code or a rewrite: libphonenumber's business.
  if (prefix != null && (prefix[0] === '' || (prefix.length > 1 && prefix.slice(1).some((g) => g !== undefined))))
    return undefined;
  const national = prefix == null ? digits : digits.slice(prefix[0].length);
  if (national.startsWith('0') || digits.startsWith(rules.callingCode) || !rules.plan.nationalNumber.test(national))
    return undefined;
  const e164 = `+${rules.callingCode}${national}`;
  return MOBILE_PATTERN.test(e164) && surelyValidType(e164) !== undefined ? e164 : undefined;
}

/** Digits that lost their `+`: what to do, the same words for a CSV cell and a workbook's number cell. */
export function lostPlusHint(digits: string): string {
  if (!isValidAsWritten(`+${digits}`)) return FIX.writeInFull();
  return FIX.lostPlus(digits, isValidMobile(`+${digits}`));
}

/** Valid as written and a mobile by libphonenumber (a NANP number does not say, and counts). */
function isValidMobile(e164: string): boolean {
  if (!isValidAsWritten(e164)) return false;
  const type = surelyValidType(e164) ?? parsePhoneNumberFromString(e164)?.getType();
  return type === 'MOBILE' || type === 'FIXED_LINE_OR_MOBILE';
}

/** The likely fix for a number that is not E.164: `+` in front, or the country code written in. */
function fixFor(value: string, digits: string | undefined, country: CountryCode | undefined): string {
  if (/^\d(\.\d+)?E\+\d+$/i.test(value)) return FIX.scientific();
  if (digits !== undefined && isValidAsWritten(`+${digits}`)) return lostPlusHint(digits);
  if (country !== undefined) return FIX.otherCountry();
  if (digits !== undefined && digits.startsWith('0')) return FIX.localNumber();
  if (digits !== undefined) return FIX.countryCode();
  return FIX.writeInFull();
}

/**
 * `(0)` right after the country code: the trunk prefix, dialled only from inside the country, so
 * never part of the international number (`+44 (0)7911 123456` is +447911123456).
 */
const BRACKETED_TRUNK = /^(\+\s*\d{1,3})\s*\(0\)/;

export interface MobileOptions {
  /** `--fix-missing-plus`: digits that are a valid mobile once a `+` is put in front get it. */
  fixMissingPlus?: boolean | undefined;
}

/**
 * A trimmed mobile cell → what to send (README, "Phone numbers"):
 * - E.164 is sent as written (mobileWarning may warn).
 * - A number with its `+`, written with spaces, brackets, hyphens or dots (`+1 617 555 0199`,
 *   `+82 10-1234-5678`), is unambiguous: the grouping goes, and a bracketed trunk prefix `(0)`
 *   right after the country code goes with it. The API's own pattern then decides, and the change
 *   is noted in `detail`. No flag is needed.
 * - With `--default-country`, a number in that country's national form (`0412 345 678` in AU)
 *   becomes E.164 when libphonenumber calls the result valid for that country.
 * - With `--fix-missing-plus`, digits that lost their `+` in a spreadsheet (`61412345678`) get it
 *   back, only when the result is a valid mobile by libphonenumber.
 * Anything else is refused with the likely fix, never guessed.
 */
export function readMobile(
  value: string,
  country: CountryCode | undefined,
  options: MobileOptions = {},
): MobileReading {
  if (MOBILE_PATTERN.test(value)) return { ok: true, value };
  const trunk = BRACKETED_TRUNK.test(value);
  const stripped = value.replace(BRACKETED_TRUNK, '$1').replace(FORMATTING, '');
  const plus = stripped.startsWith('+');
  const digits = /^\+?\d+$/.test(stripped) ? stripped.slice(plus ? 1 : 0) : undefined;
  if (plus && digits !== undefined) {
    const e164 = `+${digits}`;
    if (MOBILE_PATTERN.test(e164)) {
      const why = trunk ? ROW_DETAILS.trunkPrefix() : undefined;
      return { ok: true, value: e164, change: ROW_DETAILS.change('mobile', value, e164, why) };
    }
    return { ok: false, message: MOBILE.stillNotE164(value, e164) };
  }
  if (digits === undefined)
    return { ok: false, message: MOBILE.notE164WithHint(value, fixFor(value, undefined, country)) };
  const national =
    country === undefined ? undefined : (readNationalFast(digits, country) ?? readNational(digits, country));
  if (national !== undefined)
    return { ok: true, value: national, change: ROW_DETAILS.change('mobile', value, national) };
  if (options.fixMissingPlus === true && isValidMobile(`+${digits}`)) {
    return {
      ok: true,
      value: `+${digits}`,
      change: ROW_DETAILS.change('mobile', value, `+${digits}`, ROW_DETAILS.addedPlus()),
    };
  }
  if (country === undefined)
    return { ok: false, message: MOBILE.notE164WithHint(value, fixFor(value, digits, country)) };
  // After the international dialling prefix (`0011` in AU), the digits start with a country code.
  const idd = rulesFor(country).idd?.exec(digits);
  const international = idd == null ? digits : digits.slice(idd[0].length - 1);
  return { ok: false, message: MOBILE.notNational(value, country, fixFor(value, international, country)) };
}

/** "+61 411 112 233", or "0411 112 233" with `--default-country AU` → "+61411112233"; else as given. */
export function normaliseMobile(value: string, defaultCountry: CountryCode | undefined): string {
  const reading = readMobile(value, defaultCountry);
  return reading.ok ? reading.value : value;
}
