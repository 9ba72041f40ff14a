/**
 * Redaction of the user's credentials from text the server sent. A hostile or buggy server can
 * echo the request's Authorization header into its error message; that message then reaches the
 * results file, the summary and the 401 line. Every server message passes through here before
 * it is stored or printed (README, "Security").
 */

export const REDACTED = '[redacted]';

/** `Basic <anything up to whitespace or a quote>`, in any case, as HTTP allows. */
const BASIC_VALUE = /\bBasic\s+[^\s"',;<>]+/gi;

export type Redactor = (text: string) => string;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Builds a redactor from the Authorization header value (`Basic base64(portal:key)`): it hides
 * the base64 credential, the key itself, the `portal:key` pair and any `Basic …` value. The key
 * is found by decoding the credential, so the caller never handles it in plain text.
 */
export function createRedactor(authorization: string): Redactor {
  const credential = authorization.replace(/^Basic\s+/i, '');
  const decoded = Buffer.from(credential, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const key = colon < 0 ? '' : decoded.slice(colon + 1);
  // Longest first, so `portal:key` goes before `key` does; short fragments are not secrets.
  const secrets = [credential, decoded, key].filter((s) => s.length >= 8).sort((a, b) => b.length - a.length);
  const exact = secrets.length === 0 ? undefined : new RegExp(secrets.map(escapeRegExp).join('|'), 'g');
  return (text) => {
    if (text.length === 0) return text;
    const once = exact === undefined ? text : text.replace(exact, REDACTED);
    return once.replace(BASIC_VALUE, `Basic ${REDACTED}`);
  };
}
