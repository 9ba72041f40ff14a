/**
 * The in-file email check (README, "Uniqueness and order within the file"; API document, "Adding
 * or Updating Contacts": "two contacts cannot share the same email address"): a later row that
 * reuses an earlier row's email, compared case-insensitively, under another system_id is invalid
 * before it is sent.
 *
 * Held in a fingerprint table (src/fingerprints.ts): a 64-bit fingerprint of each lower-cased
 * email, the line that first used it and a 32-bit fingerprint of that row's system_id, sixteen
 * bytes a slot. Two different emails share a fingerprint with probability about n²/2⁶⁵ (3·10⁻⁸
 * for a million rows); should two system_ids ever share theirs, the row is simply sent, and the
 * API's own 422 still catches it.
 */
import { FingerprintTable, emailFingerprint, idFingerprint } from '../fingerprints.js';

/** Returns the line of an earlier row that holds this email for another system_id, if any. */
export interface EmailIndex {
  (email: string, systemId: string, line: number): number | undefined;
  /** Brings the slot of an email fingerprint's first half into the cache (run/warm-tables.ts). */
  touch(a: number): number;
}

/** One slot: the email's two fingerprints, the line that first used it (0: free), its system_id's fingerprint. */
const [LINE, ID] = [2, 3];

/** `expected`: about how many rows will be checked (the pre-scan's count of line ends), 0 when unknown. */
export function createEmailIndex(expected = 0): EmailIndex {
  const table = new FingerprintTable(4, LINE, expected);
  const check = (email: string, systemId: string, line: number): number | undefined => {
    const id = idFingerprint(systemId).a;
    const { a, b } = emailFingerprint(email);
    const at = table.find(a, b);
    const { slots } = table;
    const owner = slots[at + LINE] as number;
    if (owner !== 0) return slots[at + ID] === id ? undefined : owner;
    slots[at] = a;
    slots[at + 1] = b;
    slots[at + LINE] = line;
    slots[at + ID] = id;
    table.added();
    return undefined;
  };
  return Object.assign(check, { touch: (a: number) => table.touch(a) });
}
