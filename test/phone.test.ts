/**
 * src/contact/phone.ts: the fast path may only ever answer where libphonenumber itself (max metadata)
 * parses the number to itself, calls it valid and gives the same type; and `--default-country`
 * only ever turns a number into one that libphonenumber calls valid for that country. Checked on
 * every country's example numbers, on variations of them, and on random numbers.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  getCountries,
  getCountryCallingCode,
  getExampleNumber,
  parsePhoneNumberFromString,
  type CountryCode,
} from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/examples.mobile.json';
import { readNational, readNationalFast } from '../src/contact/phone.js';
import { surelyValidType } from '../src/contact/phone-plans.js';
import { createRowParser, mobileWarning, MOBILE_PATTERN, readMobile } from '../src/contact/schema.js';

/** expect.stringMatching, typed (vitest types it `any`). */
const matching = (pattern: RegExp): unknown => expect.stringMatching(pattern) as unknown;

/** libphonenumber's own answer: the type of a number it parses to itself and calls valid. */
function libraryType(e164: string): string | undefined {
  const phone = parsePhoneNumberFromString(e164);
  if (phone === undefined || phone.number !== e164 || !phone.isValid()) return undefined;
  return phone.getType() ?? 'UNKNOWN';
}

/** Over `numbers`, the fast path may answer only where libphonenumber gives the same type. */
function assertOnlySureWhereLibraryAgrees(numbers: fc.Arbitrary<string>): void {
  fc.assert(
    fc.property(numbers, (number) => {
      if (!MOBILE_PATTERN.test(number)) return;
      const sure = surelyValidType(number);
      if (sure !== undefined) expect([number, sure]).toEqual([number, libraryType(number)]);
    }),
    { numRuns: 20_000 },
  );
}

const countries = getCountries();
const examplePhones = countries.map((country) => getExampleNumber(country, examples)).filter((p) => p !== undefined);
const exampleNumbers = examplePhones.map((p) => String(p.number));

describe('surelyValidType (the fast path)', () => {
  it('answers for most countries’ example mobiles, and only with libphonenumber’s own type', () => {
    let sure = 0;
    for (const number of exampleNumbers) {
      const type = surelyValidType(number);
      if (type !== undefined) {
        sure++;
        expect([number, type]).toEqual([number, libraryType(number)]);
      }
    }
    expect(sure / exampleNumbers.length).toBeGreaterThan(0.9);
  });

  it('never answers where libphonenumber would not: variations of real numbers', () => {
    const variation = fc
      .tuple(fc.constantFrom(...exampleNumbers), fc.nat(), fc.integer({ min: -2, max: 2 }), fc.boolean())
      .map(([number, seed, grow, trunkZero]) => {
        const cc = String(getCountryCallingCode(parsePhoneNumberFromString(number)?.country ?? 'US'));
        let national = number.slice(1 + cc.length);
        const digits = String(seed).padStart(6, '0');
        national = national.slice(0, Math.max(1, national.length - 4)) + digits.slice(0, Math.max(0, 4 + grow));
        return `+${cc}${trunkZero ? '0' : ''}${national}`;
      });
    assertOnlySureWhereLibraryAgrees(variation);
  });

  it('never answers where libphonenumber would not: random numbers for every calling code', () => {
    const codes = [...new Set(countries.map((c) => String(getCountryCallingCode(c))))];
    const random = fc
      .tuple(fc.constantFrom(...codes), fc.stringMatching(/^\d{4,13}$/))
      .map(([cc, rest]) => `+${cc}${rest}`);
    assertOnlySureWhereLibraryAgrees(random);
  });

  it('tells a landline from a mobile as libphonenumber does', () => {
    expect(surelyValidType('+61412345678')).toBe('MOBILE');
    expect(surelyValidType('+61298765432')).toBe('FIXED_LINE');
    expect(surelyValidType('+12125550123')).toBe('FIXED_LINE_OR_MOBILE');
  });

  it('leaves the trunk-zero case to libphonenumber, which words the warning', () => {
    expect(surelyValidType('+610411112233')).toBeUndefined();
    expect(mobileWarning('+610411112233')).toMatchObject({ code: 'trunk_zero', message: matching(/trunk zero/) });
    expect(mobileWarning('+491234567')).toMatchObject({
      code: 'unrecognised_mobile',
      message: matching(/not a valid number/),
    });
  });
});

describe('readNationalFast (the fast path for national numbers)', () => {
  const nationalDigits = examplePhones.map(
    (p) => [p.country as CountryCode, p.formatNational().replace(/\D/g, '')] as const,
  );

  it('answers for most countries’ example mobiles written nationally, and as libphonenumber does', () => {
    let sure = 0;
    for (const [country, digits] of nationalDigits) {
      const fast = readNationalFast(digits, country);
      if (fast === undefined) continue;
      sure++;
      expect([country, digits, fast]).toEqual([country, digits, readNational(digits, country)]);
    }
    expect(sure / nationalDigits.length).toBeGreaterThan(0.7);
    expect(readNationalFast('0412345678', 'AU')).toBe('+61412345678');
    expect(readNationalFast('412345678', 'AU')).toBe('+61412345678');
    expect(readNationalFast('447911123456', 'AU')).toBeUndefined();
  });

  it('never answers otherwise than libphonenumber: variations of national numbers, random digits', () => {
    const variation = fc
      .tuple(
        fc.constantFrom(...nationalDigits),
        fc.nat(),
        fc.integer({ min: -2, max: 2 }),
        fc.constantFrom('', '0', '1', '00', '8'),
      )
      .map(([[country, digits], seed, grow, head]) => {
        const tail = String(seed)
          .padStart(6, '0')
          .slice(0, Math.max(0, 4 + grow));
        return [country, head + digits.slice(0, Math.max(1, digits.length - 4)) + tail] as const;
      });
    const random = fc
      .tuple(fc.constantFrom(...countries), fc.stringMatching(/^\d{5,13}$/))
      .map(([country, digits]) => [country, digits] as const);
    fc.assert(
      fc.property(fc.oneof(variation, random), ([country, digits]) => {
        const fast = readNationalFast(digits, country);
        if (fast !== undefined)
          expect([country, digits, fast]).toEqual([country, digits, readNational(digits, country)]);
      }),
      { numRuns: 30_000 },
    );
  });
});

describe('mobileWarning', () => {
  it('warns not_a_mobile for a fixed line, a toll-free number and the like, never for a mobile', () => {
    expect(mobileWarning('+61298765432')).toEqual({
      code: 'not_a_mobile',
      field: 'mobile',
      message: matching(/^mobile \+61298765432 is a fixed-line \(landline\) number/),
    });
    expect(mobileWarning('+611800123456')?.code).toBe('not_a_mobile');
    expect(mobileWarning('+61412345678')).toBeUndefined();
    expect(mobileWarning('+447911123456')).toBeUndefined();
    // NANP numbers do not say which they are: no warning.
    expect(mobileWarning('+12125550123')).toBeUndefined();
  });

  it('agrees with libphonenumber’s type on random numbers, fast path or not', () => {
    const codes = [...new Set(countries.map((c) => String(getCountryCallingCode(c))))];
    const random = fc
      .tuple(fc.constantFrom(...codes), fc.stringMatching(/^\d{6,12}$/))
      .map(([cc, rest]) => `+${cc}${rest}`);
    fc.assert(
      fc.property(random, (number) => {
        if (!MOBILE_PATTERN.test(number)) return;
        const type = libraryType(number);
        const warned = mobileWarning(number)?.code === 'not_a_mobile';
        const notMobile = type !== undefined && !['MOBILE', 'FIXED_LINE_OR_MOBILE', 'UNKNOWN'].includes(type);
        expect([number, warned]).toEqual([number, notMobile]);
      }),
      { numRuns: 5_000 },
    );
  });
});

describe('readMobile with --default-country', () => {
  it('turns a national AU mobile into E.164 and says so', () => {
    expect(readMobile('0412 345 678', 'AU')).toEqual({
      ok: true,
      value: '+61412345678',
      change: 'mobile: 0412 345 678 → +61412345678',
    });
    // Excel drops the leading zero of a number column: the national significant number alone.
    expect(readMobile('412345678', 'AU')).toMatchObject({ ok: true, value: '+61412345678' });
    expect(readMobile('(02) 9876 5432', 'AU')).toMatchObject({ ok: true, value: '+61298765432' });
  });

  it('refuses a UK number without its +, and suggests the +', () => {
    const reading = readMobile('447911123456', 'AU');
    expect(reading.ok).toBe(false);
    expect(reading.ok ? '' : reading.message).toMatch(
      /^"447911123456" is not a valid AU number in national form.*did you mean \+447911123456\?/,
    );
  });

  it('refuses a UK national number rather than gluing +61 to it', () => {
    const reading = readMobile('07911 123456', 'AU');
    expect(reading).toMatchObject({
      ok: false,
      message: matching(/"07911 123456" is not a valid AU number.*write it with \+ and its country code/),
    });
  });

  it('refuses the country code without a +, and numbers after the international dialling prefix', () => {
    expect(readMobile('61412345678', 'AU')).toMatchObject({
      ok: false,
      message: matching(/did you mean \+61412345678\?/),
    });
    expect(readMobile('0011 44 7911 123456', 'AU')).toMatchObject({
      ok: false,
      message: matching(/did you mean \+447911123456\?/),
    });
  });

  it('keeps the national trunk prefix that equals the calling code (US "1 212 …")', () => {
    expect(readMobile('1 212 555 0123', 'US')).toMatchObject({ ok: true, value: '+12125550123' });
    expect(readMobile('(212) 555-0123', 'US')).toMatchObject({ ok: true, value: '+12125550123' });
  });

  it('strips spaces from an international number that is valid, and refuses one that is not', () => {
    expect(readMobile('+61 412 345 678', 'AU')).toEqual({
      ok: true,
      value: '+61412345678',
      change: 'mobile: +61 412 345 678 → +61412345678',
    });
    expect(readMobile('+44 (0)7911 123456', 'AU')).toMatchObject({ ok: true, value: '+447911123456' });
    // The API's pattern decides; libphonenumber only warns (mobileWarning), as for E.164 written so.
    expect(readMobile('+61 412 345', 'AU')).toMatchObject({ ok: true, value: '+61412345' });
    expect(mobileWarning('+61412345')?.code).toBe('unrecognised_mobile');
  });

  it('sends E.164 as written, whatever the default country', () => {
    expect(readMobile('+447911123456', 'AU')).toEqual({ ok: true, value: '+447911123456' });
    expect(readMobile('+610411112233', 'AU')).toEqual({ ok: true, value: '+610411112233' });
  });

  it('without --default-country, suggests the + for a number that is valid with one', () => {
    expect(readMobile('447911123456', undefined)).toMatchObject({
      ok: false,
      message: matching(/did you mean \+447911123456\?/),
    });
    expect(readMobile('0412 345 678', undefined)).toMatchObject({
      ok: false,
      message: matching(/needs --default-country/),
    });
  });

  it('reads every country’s example mobile, written nationally, as that number', () => {
    const misread: string[] = [];
    for (const phone of examplePhones) {
      const country = phone.country as CountryCode;
      const reading = readMobile(phone.formatNational(), country);
      if (!reading.ok || reading.value !== phone.number) misread.push(`${country} ${phone.formatNational()}`);
    }
    expect(misread).toEqual([]);
  });

  it('only ever produces a number libphonenumber calls valid for the default country (random input)', () => {
    const input = fc.tuple(
      fc.constantFrom(...countries),
      fc.stringMatching(/^0?\d{5,12}$/),
      fc.constantFrom('', ' ', '-'),
    );
    fc.assert(
      fc.property(input, ([country, digits, separator]) => {
        const written = separator === '' ? digits : `${digits.slice(0, 3)}${separator}${digits.slice(3)}`;
        const reading = readMobile(written, country);
        if (!reading.ok) return;
        const phone = parsePhoneNumberFromString(reading.value);
        expect([written, country, phone?.number, phone?.isValid(), phone?.countryCallingCode]).toEqual([
          written,
          country,
          reading.value,
          true,
          getCountryCallingCode(country),
        ]);
      }),
      { numRuns: 10_000 },
    );
  });
});

describe('the row parser and mobiles', () => {
  const parse = createRowParser({ defaultCountry: 'AU' });

  it('shows the change in the notes and a landline as a structured warning', () => {
    const row = parse({ system_id: 'L1', mobile: '(02) 9876 5432' });
    expect(row).toMatchObject({
      ok: true,
      patch: { mobile: '+61298765432' },
      warnings: [{ code: 'not_a_mobile', field: 'mobile' }],
    });
    expect(row.ok ? row.notes : []).toEqual([
      'mobile: (02) 9876 5432 → +61298765432',
      matching(/^not_a_mobile: mobile \+61298765432 is a fixed-line/),
    ]);
  });

  it('makes a refused number invalid_mobile, with the message that names it and the fix', () => {
    const row = parse({ system_id: 'U1', mobile: '447911123456' });
    expect(row).toMatchObject({
      ok: false,
      errors: [
        { code: 'invalid_mobile', field: 'mobile', message: matching(/"447911123456".*did you mean \+447911123456\?/) },
      ],
    });
  });

  it('a row with an E.164 mobile has no notes and no warnings', () => {
    expect(parse({ system_id: 'M1', mobile: '+61412345678' })).toMatchObject({ ok: true, warnings: [], notes: [] });
  });
});

describe('Excel and Sheets phone formats (issue 23, item 6)', () => {
  it('a number with its + and grouping is normalised with no flag, and the change is noted', () => {
    expect(readMobile('+1 617 555 0199', undefined)).toEqual({
      ok: true,
      value: '+16175550199',
      change: 'mobile: +1 617 555 0199 → +16175550199',
    });
    expect(readMobile('+82 10-1234-5678', undefined)).toMatchObject({ ok: true, value: '+821012345678' });
    expect(readMobile('+1 (617) 555-0199', undefined)).toMatchObject({ ok: true, value: '+16175550199' });
    expect(readMobile('+33 6.12.34.56.78', undefined)).toMatchObject({ ok: true, value: '+33612345678' });
    expect(readMobile('+61\u00a0412\u00a0345\u00a0678', undefined)).toMatchObject({ ok: true, value: '+61412345678' });
  });

  it('a bracketed (0) after the country code is the trunk prefix: dropped, and said so', () => {
    expect(readMobile('+44 (0)7911 123456', undefined)).toEqual({
      ok: true,
      value: '+447911123456',
      change: 'mobile: +44 (0)7911 123456 → +447911123456 (the (0) is the trunk prefix, not dialled from abroad)',
    });
    expect(readMobile('+49 (0)151 23456789', undefined)).toMatchObject({ ok: true, value: '+4915123456789' });
  });

  it('still refuses what the API refuses once the grouping is gone', () => {
    expect(readMobile('+0 412 345 678', undefined)).toMatchObject({ ok: false, message: matching(/still not that/) });
    expect(readMobile('+61 412 ABC', undefined).ok).toBe(false);
  });

  it('digits that lost their +: "did you mean", and --fix-missing-plus applies it only to a valid mobile', () => {
    expect(readMobile('61412345678', undefined)).toMatchObject({
      ok: false,
      message: matching(/did you mean \+61412345678\?.*or pass --fix-missing-plus/),
    });
    const fix = { fixMissingPlus: true };
    expect(readMobile('61412345678', undefined, fix)).toEqual({
      ok: true,
      value: '+61412345678',
      change: 'mobile: 61412345678 → +61412345678 (--fix-missing-plus)',
    });
    // A NANP number does not say whether it is a mobile: it counts as one.
    expect(readMobile('16175550199', undefined, fix)).toMatchObject({ ok: true, value: '+16175550199' });
    // A landline with its + back is still not a mobile: refused, and the message says why.
    expect(readMobile('61298765432', undefined, fix)).toMatchObject({
      ok: false,
      message: matching(/did you mean \+61298765432\?.*it is not a mobile, so --fix-missing-plus leaves it alone/),
    });
    // Digits that are no valid number with a + are never changed.
    expect(readMobile('412345678', undefined, fix).ok).toBe(false);
    // With a default country, the national reading comes first.
    expect(readMobile('0412 345 678', 'AU', fix)).toMatchObject({ ok: true, value: '+61412345678' });
    expect(readMobile('447911123456', 'AU', fix)).toMatchObject({ ok: true, value: '+447911123456' });
  });

  it('the row parser carries the option and notes the change in detail', () => {
    const parse = createRowParser({ fixMissingPlus: true });
    expect(parse({ system_id: 'S1', mobile: '61412345678' })).toMatchObject({
      ok: true,
      patch: { mobile: '+61412345678' },
      notes: ['mobile: 61412345678 → +61412345678 (--fix-missing-plus)'],
    });
    expect(createRowParser()({ system_id: 'S1', mobile: '+1 617 555 0199' })).toMatchObject({
      ok: true,
      patch: { mobile: '+16175550199' },
      notes: ['mobile: +1 617 555 0199 → +16175550199'],
    });
  });
});
