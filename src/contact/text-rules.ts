/**
 * Text rules the contact schema applies that need more than a line: the email address, and the
 * marks of a file decoded with the wrong encoding. Apart from schema.ts so that it stays one job.
 */
import { z } from 'zod';
import { hasNonAscii } from '../csv/formula.js';
import { ROW_ERRORS } from './row-messages.js';

/**
 * The document only says "a valid email address". zod's own pattern decides for ASCII; an
 * internationalised address (RFC 6531: `Zoë@example.com`, `josé@exämple.com`) is valid by the
 * same shape with letters, marks and digits of any script, and a top-level domain of letters or
 * its punycode form. The emulator checks bodies with this same rule (README, "Error codes").
 */
const ASCII_EMAIL = z.regexes.email;
const UNICODE_EMAIL =
  /^(?:[\p{L}\p{M}\p{N}_'+-]+\.)*[\p{L}\p{M}\p{N}_'+-]*[\p{L}\p{M}\p{N}_+-]@(?:[\p{L}\p{M}\p{N}][\p{L}\p{M}\p{N}-]*\.)+(?:[\p{L}\p{M}]{2,}|xn--[A-Za-z0-9-]+)$/u;
/** The one email rule of the importer and the emulator. */
export function isValidEmail(value: string): boolean {
  // The Unicode pattern is slower; most addresses are ASCII and never reach it.
  return ASCII_EMAIL.test(value) || (hasNonAscii(value) && UNICODE_EMAIL.test(value));
}

/**
 * A C1 control character (U+0080–U+009F) or U+FFFD: never in a name (README, "Encodings,
 * delimiters, line endings").
 */
const MISDECODED = /[\u0080-\u009f\ufffd]/;

/** A C1 control character or U+FFFD in a cell: the code and the sentence, or undefined. */
export function findMisdecoded(
  value: string,
): { code: 'replacement_char' | 'control_char'; message: string } | undefined {
  const match = MISDECODED.exec(value);
  if (match === null) return undefined;
  const ch = match[0];
  if (ch === '\uFFFD') return { code: 'replacement_char', message: ROW_ERRORS.replacement_char.damaged() };
  const hex = ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
  return { code: 'control_char', message: ROW_ERRORS.control_char.wrongEncoding(hex) };
}
