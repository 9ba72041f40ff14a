/**
 * The in-file email check (README, "Uniqueness and order within the file"; API document, "Adding
 * or Updating Contacts": "two contacts cannot share the same email address"): a later row that
 * reuses an earlier row's email, compared case-insensitively, under another system_id is invalid
 * before it is sent.
 *
 * The index is a fingerprint table (src/fingerprints.ts), off the JS heap: a 64-bit fingerprint
 * of each lower-cased email and the line that first used it. Each row's system_id is kept as a
 * 32-bit fingerprint; should two system_ids ever collide, the row is simply sent, and the API's
 * own 422 still catches it.
 */
import { createFingerprintTable, fnv1a, SEED_A, SEED_B } from '../fingerprints.js';

/** Returns the line of an earlier row that holds this email for another system_id, if any. */
export type EmailIndex = (email: string, systemId: string, line: number) => number | undefined;

function lowerCase(email: string): string {
  // Only allocates when there is something to change.
  return /[A-Z\u0080-\uFFFF]/.test(email) ? email.toLowerCase() : email;
}

export function createEmailIndex(initialCapacity = 1 << 12): EmailIndex {
  /** Email fingerprint → the line that first used it (data lines start at 2, so never 0). */
  const owners = createFingerprintTable(initialCapacity);
  let idHashes = new Int32Array(1 << 12);

  return (email, systemId, line) => {
    const key = lowerCase(email);
    const id = fnv1a(systemId, SEED_A);
    const owner = owners.claim(fnv1a(key, SEED_A), fnv1a(key, SEED_B), line);
    if (owner !== 0) return idHashes[owner] === id ? undefined : owner;
    if (line >= idHashes.length) {
      const grown = new Int32Array(Math.max(line + 1, idHashes.length * 2));
      grown.set(idHashes);
      idHashes = grown;
    }
    idHashes[line] = id;
    return undefined;
  };
}
