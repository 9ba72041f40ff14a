/**
 * "Authorization: Basic {credentials} Where {credentials} is the Base64 encoding of: your Client
 * Portal Code, a single colon, and your API Key" (API document, "Authentication"; the scheme is
 * RFC 7617's, though the document cites RFC 7616).
 */
import { randomInt, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '../errors.js';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const BASIC_SCHEME = /^basic /i;

function randomText(alphabet: string, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += alphabet[randomInt(alphabet.length)];
  return text;
}

/** A made-up portal code, recognisably the emulator's: `EMU` and four characters. */
export function createPortalCode(): string {
  return `EMU${randomText(UPPER_ALNUM, 4)}`;
}

/** "you must … have a 40 character API key". */
export function createApiKey(): string {
  return randomText(ALNUM, API_KEY_LENGTH);
}

/**
 * `{credentials}` exactly as the document defines them: canonical, padded Base64 (RFC 4648 §4,
 * the output of the document's own `base64_encode`) of the portal code, a single colon, and a
 * 40-character key. Node's base64 decoder forgives missing padding and skips characters outside
 * the alphabet, so the text is checked first: anything else is not a credential at all.
 */
const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The document's key length: "you must … have a 40 character API key". */
export const API_KEY_LENGTH = 40;

/**
 * Returns a check for the Authorization header. The decoded credentials are copied into a
 * zero-padded buffer as long as the expected ones, so timingSafeEqual always compares the same
 * number of bytes and a wrong length costs the same time as a wrong character. (Cheaper per
 * request than hashing both sides, which matters at benchmark request rates.) The scheme name
 * is case-insensitive (RFC 7617 §2); anything that is not Basic, or not canonical Base64, fails.
 */
export function createAuthCheck(portalCode: string, apiKey: string): (header: string | undefined) => boolean {
  if (apiKey.length !== API_KEY_LENGTH)
    throw new ConfigError(
      `the emulator's API key must be ${API_KEY_LENGTH} characters, as the API's are; it is ${apiKey.length}`,
    );
  if (portalCode.length === 0 || portalCode.includes(':'))
    throw new ConfigError('the emulator needs a portal code without a colon (the credentials are "portal code:key")');
  const expected = Buffer.from(`${portalCode}:${apiKey}`, 'utf8');
  // One scratch buffer is safe to reuse: the check runs synchronously on the one JS thread.
  const padded = Buffer.alloc(expected.length);
  return (header) => {
    if (header === undefined || !BASIC_SCHEME.test(header)) return false;
    const credential = header.slice(6).trim();
    if (!CANONICAL_BASE64.test(credential)) return false;
    const given = Buffer.from(credential, 'base64');
    padded.fill(0);
    given.copy(padded, 0, 0, expected.length);
    const sameBytes = timingSafeEqual(padded, expected);
    return sameBytes && given.length === expected.length;
  };
}
