/**
 * A fast answer to "would libphonenumber (max metadata) call this E.164 number valid, exactly as
 * written?", for the common case. libphonenumber-js builds a new RegExp for every pattern it
 * tries, which costs 15-20 µs a number and would dominate a dry run of a million rows. This
 * module follows the same rules as its getNumberType() and getCountryByNationalNumber(), on the
 * same metadata, but compiles each pattern once.
 *
 * It only ever answers `true` when it is sure; anything unusual (a number that might carry a
 * national prefix, a calling code it does not find) answers `undefined`, and the caller asks
 * libphonenumber itself, which also words the warning. A property test holds it to that.
 */
import * as core from 'libphonenumber-js/core';
import metadataJson from 'libphonenumber-js/metadata.max.json';

interface TypeDefinition {
  pattern(): string;
  possibleLengths(): number[] | undefined;
}

/** The parts of libphonenumber-js's Metadata class used here (it ships no types for it). */
interface MetadataInstance {
  hasCallingCode(callingCode: string): boolean;
  selectNumberingPlan(countryOrCallingCode: string): MetadataInstance;
  countryCallingCodes(): Record<string, string[] | undefined>;
  nonGeographic(): Record<string, unknown> | undefined;
  nationalNumberPattern(): string;
  /** Absent values come back falsy (the compressed metadata stores 0), hence truthiness checks. */
  nationalPrefixForParsing(): string | 0 | undefined;
  leadingDigits(): string | 0 | undefined;
  hasTypes(): boolean;
  type(name: string): TypeDefinition | undefined;
}

const { Metadata } = core as unknown as { Metadata: new (json: unknown) => MetadataInstance };
const metadata = new Metadata(metadataJson);

/** getNumberType()'s order: fixed line first, then the rest. */
const TYPES = ['FIXED_LINE', 'MOBILE', 'PREMIUM_RATE', 'TOLL_FREE', 'SHARED_COST', 'VOIP', 'PERSONAL_NUMBER', 'PAGER', 'UAN', 'VOICEMAIL'];

interface CompiledType {
  pattern: RegExp;
  lengths: readonly number[] | undefined;
}

interface Plan {
  /** Matching it at the start is enough to pick this country among those sharing a calling code. */
  leadingDigits: RegExp | undefined;
  nationalNumber: RegExp;
  /** A national number that may start with a national prefix: libphonenumber might strip it. */
  nationalPrefix: RegExp | undefined;
  hasTypes: boolean;
  types: CompiledType[];
}

const entire = (source: string): RegExp => new RegExp(`^(?:${source})$`);

function compilePlan(key: string): Plan {
  metadata.selectNumberingPlan(key);
  const leading = metadata.leadingDigits();
  const prefix = metadata.nationalPrefixForParsing();
  const types: CompiledType[] = [];
  for (const name of TYPES) {
    const type = metadata.type(name);
    const pattern = type?.pattern();
    if (type === undefined || !pattern) continue;
    types.push({ pattern: entire(pattern), lengths: type.possibleLengths() || undefined });
  }
  return {
    leadingDigits: leading ? new RegExp(`^(?:${leading})`) : undefined,
    nationalNumber: entire(metadata.nationalNumberPattern()),
    nationalPrefix: prefix ? new RegExp(`^(?:${prefix})`) : undefined,
    hasTypes: metadata.hasTypes(),
    types,
  };
}

/** Calling code → the numbering plans that share it, main country first. */
const plansByCallingCode = new Map<string, Plan[] | null>();

function plansFor(callingCode: string): Plan[] | null {
  let plans = plansByCallingCode.get(callingCode);
  if (plans !== undefined) return plans;
  if (!metadata.hasCallingCode(callingCode)) {
    plans = null;
  } else {
    const countries = metadata.countryCallingCodes()[callingCode];
    plans = countries === undefined || countries.length === 0 ? [compilePlan(callingCode)] : countries.map(compilePlan);
  }
  plansByCallingCode.set(callingCode, plans);
  return plans;
}

function matchesType(national: string, plan: Plan): boolean {
  if (!plan.nationalNumber.test(national)) return false;
  if (!plan.hasTypes) return true;
  for (const type of plan.types) {
    if (type.lengths !== undefined && !type.lengths.includes(national.length)) continue;
    if (type.pattern.test(national)) return true;
  }
  return false;
}

/**
 * True when libphonenumber would parse `e164` to itself and call it valid; undefined when this
 * fast path cannot be sure (ask libphonenumber). `e164` must already match the API's rule.
 */
export function isSurelyValidNumber(e164: string): true | undefined {
  // E.164 calling codes are prefix-free: exactly one of the 1-, 2- and 3-digit prefixes is one.
  for (let length = 1; length <= 3; length++) {
    const plans = plansFor(e164.slice(1, 1 + length));
    if (plans === null) continue;
    const national = e164.slice(1 + length);
    for (const plan of plans) {
      // A possible national prefix ("+610411…"): libphonenumber may strip it, so let it decide.
      if (plan.nationalPrefix?.test(national) === true) return undefined;
    }
    // getCountryByNationalNumber(): the first plan whose leading digits match, or whose types do.
    for (const plan of plans) {
      if (plan.leadingDigits !== undefined) {
        if (plan.leadingDigits.test(national)) return matchesType(national, plan) ? true : undefined;
      } else if (matchesType(national, plan)) {
        return true;
      }
    }
    return undefined;
  }
  return undefined;
}
