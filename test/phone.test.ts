/**
 * The fast validity check in src/phone.ts may only ever say "valid" where libphonenumber itself
 * (max metadata) parses the number to itself and calls it valid. Checked on every country's
 * example numbers, on variations of them, and on random numbers for every calling code.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { getCountries, getCountryCallingCode, getExampleNumber, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/examples.mobile.json';
import { isSurelyValidNumber } from '../src/phone.js';
import { mobileWarning, MOBILE_PATTERN } from '../src/contact.js';

function libraryAgrees(e164: string): boolean {
  const phone = parsePhoneNumberFromString(e164);
  return phone !== undefined && phone.number === e164 && phone.isValid();
}

/** Over `numbers`, the fast path may say "valid" only where libphonenumber agrees. */
function assertOnlySureWhereLibraryAgrees(numbers: fc.Arbitrary<string>, seed: number): void {
  fc.assert(
    fc.property(numbers, (number) => {
      if (!MOBILE_PATTERN.test(number)) return;
      if (isSurelyValidNumber(number) === true) expect([number, libraryAgrees(number)]).toEqual([number, true]);
    }),
    { numRuns: 20_000, seed },
  );
}

const exampleNumbers = getCountries()
  .map((country) => getExampleNumber(country, examples)?.number)
  .filter((n): n is NonNullable<typeof n> => n !== undefined)
  .map(String);

describe('isSurelyValidNumber', () => {
  it('says valid for most countries’ example mobiles, and only where libphonenumber agrees', () => {
    let sure = 0;
    for (const number of exampleNumbers) {
      if (isSurelyValidNumber(number) === true) {
        sure++;
        expect([number, libraryAgrees(number)]).toEqual([number, true]);
      }
    }
    expect(sure / exampleNumbers.length).toBeGreaterThan(0.9);
  });

  it('never says valid where libphonenumber would warn: variations of real numbers', () => {
    const variation = fc.tuple(fc.constantFrom(...exampleNumbers), fc.nat(), fc.integer({ min: -2, max: 2 }), fc.boolean()).map(([number, seed, grow, trunkZero]) => {
      const cc = String(getCountryCallingCode(parsePhoneNumberFromString(number)?.country ?? 'US'));
      let national = number.slice(1 + cc.length);
      const digits = String(seed).padStart(6, '0');
      national = national.slice(0, Math.max(1, national.length - 4)) + digits.slice(0, Math.max(0, 4 + grow));
      return `+${cc}${trunkZero ? '0' : ''}${national}`;
    });
    assertOnlySureWhereLibraryAgrees(variation, 1);
  });

  it('never says valid where libphonenumber would warn: random numbers for every calling code', () => {
    const codes = [...new Set(getCountries().map((c) => String(getCountryCallingCode(c))))];
    const random = fc.tuple(fc.constantFrom(...codes), fc.stringMatching(/^\d{4,13}$/)).map(([cc, rest]) => `+${cc}${rest}`);
    assertOnlySureWhereLibraryAgrees(random, 2);
  });

  it('leaves the trunk-zero case to libphonenumber, which words the warning', () => {
    expect(isSurelyValidNumber('+610411112233')).toBeUndefined();
    expect(mobileWarning('+610411112233')).toMatch(/trunk zero/);
    expect(isSurelyValidNumber('+61411112233')).toBe(true);
    expect(mobileWarning('+491234567')).toMatch(/not a valid number/);
  });
});
