/**
 * The fast path for phone numbers: an answer to "would libphonenumber (max metadata) call this E.164 number valid,
 * exactly as written, and of what type?", for the common case. libphonenumber-js builds a new RegExp for every pattern it
 * tries, which would dominate a dry run of a million rows (BENCHMARKS.md has the figures). This
 * module follows the same rules as its getNumberType() and getCountryByNationalNumber(), on the
 * same metadata, but compiles each pattern once.
 *
 * It only ever answers when it is sure; anything unusual (a number that might carry a national
 * prefix, a calling code it does not find) answers `undefined`, and the caller asks
 * libphonenumber itself. A property test (test/phone.test.ts) holds it to that.
 *
 * This mirrors libphonenumber-js internals (its Metadata class and the order of getNumberType()),
 * which is why package.json pins libphonenumber-js to a minor version (`~`): re-run
 * test/phone.test.ts before raising the pin.
 */
import * as core from 'libphonenumber-js/core';
import metadataJson from 'libphonenumber-js/metadata.max.json';
import type { CountryCode, NumberType } from 'libphonenumber-js/max';

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
  IDDPrefix(): string | 0 | undefined;
  nationalPrefixTransformRule(): string | 0 | undefined;
  countryCallingCode(): string;
  leadingDigits(): string | 0 | undefined;
  hasTypes(): boolean;
  type(name: string): TypeDefinition | undefined;
}

const { Metadata } = core as unknown as { Metadata: new (json: unknown) => MetadataInstance };
const metadata = new Metadata(metadataJson);

/** getNumberType()'s order: fixed line first, then the rest. */
const TYPES: readonly Exclude<NumberType, 'FIXED_LINE_OR_MOBILE' | undefined>[] = [
  'FIXED_LINE',
  'MOBILE',
  'PREMIUM_RATE',
  'TOLL_FREE',
  'SHARED_COST',
  'VOIP',
  'PERSONAL_NUMBER',
  'PAGER',
  'UAN',
  'VOICEMAIL',
];

/** A type getNumberType() gives, or UNKNOWN: valid, but the metadata has no types for the country. */
export type SureType = Exclude<NumberType, undefined> | 'UNKNOWN';

interface CompiledType {
  name: Exclude<NumberType, undefined>;
  pattern: RegExp;
  lengths: readonly number[] | undefined;
}

export interface Plan {
  /** Matching it at the start is enough to pick this country among those sharing a calling code. */
  leadingDigits: RegExp | undefined;
  nationalNumber: RegExp;
  /** A national number that may start with a national prefix: libphonenumber might strip it. */
  nationalPrefix: RegExp | undefined;
  hasTypes: boolean;
  types: CompiledType[];
  /** Undefined when the metadata has no mobile pattern: then a fixed line is FIXED_LINE_OR_MOBILE. */
  mobile: CompiledType | undefined;
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
    types.push({ name, pattern: entire(pattern), lengths: type.possibleLengths() || undefined });
  }
  return {
    mobile: types.find((t) => t.name === 'MOBILE'),
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

function fits(type: CompiledType, national: string): boolean {
  return (type.lengths === undefined || type.lengths.includes(national.length)) && type.pattern.test(national);
}

/** getNumberType() on one plan: undefined means not valid there. */
function typeOf(national: string, plan: Plan): SureType | undefined {
  if (!plan.nationalNumber.test(national)) return undefined;
  if (!plan.hasTypes) return 'UNKNOWN';
  for (const type of plan.types) {
    if (!fits(type, national)) continue;
    if (type.name !== 'FIXED_LINE') return type.name;
    return plan.mobile === undefined || fits(plan.mobile, national) ? 'FIXED_LINE_OR_MOBILE' : 'FIXED_LINE';
  }
  return undefined;
}

/**
 * When libphonenumber would parse `e164` to itself and call it valid: the type its getType()
 * gives (UNKNOWN when it gives none). Undefined when this fast path cannot be sure (ask
 * libphonenumber). `e164` must already match the API's rule.
 */
export function surelyValidType(e164: string): SureType | undefined {
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
        if (plan.leadingDigits.test(national)) return typeOf(national, plan);
      } else {
        const type = typeOf(national, plan);
        if (type !== undefined) return type;
      }
    }
    return undefined;
  }
  return undefined;
}

// ───────────────────────────── country rules (national form) ─────────────────────────────

export interface CountryRules {
  callingCode: string;
  /** The international dialling prefix (`0011` in AU): a number starting with it is not national. */
  idd: RegExp | undefined;
  nationalPrefix: RegExp | undefined;
  /** For the fast path: the national prefix at the start, the country's own plan, and whether a transform rule rewrites numbers. */
  prefixAtStart: RegExp | undefined;
  plan: Plan;
  transforms: boolean;
}

const countryRules = new Map<CountryCode, CountryRules>();

export function rulesFor(country: CountryCode): CountryRules {
  let rules = countryRules.get(country);
  if (rules === undefined) {
    metadata.selectNumberingPlan(country);
    const idd = metadata.IDDPrefix();
    const prefix = metadata.nationalPrefixForParsing();
    const transforms = Boolean(metadata.nationalPrefixTransformRule());
    rules = {
      callingCode: metadata.countryCallingCode(),
      idd: idd ? new RegExp(`^(?:${idd})[1-9]`) : undefined,
      nationalPrefix: prefix ? entire(prefix) : undefined,
      prefixAtStart: prefix ? new RegExp(`^(?:${prefix})`) : undefined,
      transforms,
      plan: compilePlan(country),
    };
    countryRules.set(country, rules);
  }
  return rules;
}
