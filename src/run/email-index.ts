/**
 * The in-file email check (README, "Uniqueness and order within the file"; API document, "Adding
 * or Updating Contacts": "two contacts cannot share the same email address"): a later row that
 * reuses an earlier row's email, compared case-insensitively, under another system_id is invalid
 * before it is sent.
 *
 * At a million rows a Map of email strings was most of a dry run's memory, and its growth kept
 * the garbage collector from returning memory (measured: BENCHMARKS.md, section 1). So
 * the index is an open-addressing table in typed arrays, off the JS heap: a 64-bit fingerprint
 * of each lower-cased email and the line that first used it, twelve bytes a slot. Two different
 * emails share a fingerprint with probability about n²/2⁶⁵ (3·10⁻⁸ for a million rows). Each
 * row's system_id is kept as a 32-bit fingerprint; should two system_ids ever collide, the row
 * is simply sent, and the API's own 422 still catches it.
 */

/** Returns the line of an earlier row that holds this email for another system_id, if any. */
export type EmailIndex = (email: string, systemId: string, line: number) => number | undefined;

/** A 32-bit FNV-1a of the UTF-16 units with a final avalanche; person-index.ts uses it too. */
export function fnv1a(text: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  // A final avalanche (murmur3's fmix32), so that nearby keys spread across the table.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

function lowerCase(email: string): string {
  // Only allocates when there is something to change.
  return /[A-Z\u0080-\uFFFF]/.test(email) ? email.toLowerCase() : email;
}

export function createEmailIndex(initialCapacity = 1 << 12): EmailIndex {
  let capacity = initialCapacity;
  let mask = capacity - 1;
  let hashA = new Int32Array(capacity);
  let hashB = new Int32Array(capacity);
  /** The line that first used the email; 0 marks an empty slot (data lines start at 2). */
  let lines = new Int32Array(capacity);
  let size = 0;
  let idHashes = new Int32Array(1 << 12);

  const slotOf = (a: number, b: number): number => {
    let slot = a & mask;
    while (lines[slot] !== 0 && (hashA[slot] !== a || hashB[slot] !== b)) slot = (slot + 1) & mask;
    return slot;
  };

  function grow(): void {
    const oldA = hashA;
    const oldB = hashB;
    const oldLines = lines;
    capacity *= 2;
    mask = capacity - 1;
    hashA = new Int32Array(capacity);
    hashB = new Int32Array(capacity);
    lines = new Int32Array(capacity);
    for (let i = 0; i < oldLines.length; i++) {
      const line = oldLines[i] ?? 0;
      if (line === 0) continue;
      const slot = slotOf(oldA[i] ?? 0, oldB[i] ?? 0);
      hashA[slot] = oldA[i] ?? 0;
      hashB[slot] = oldB[i] ?? 0;
      lines[slot] = line;
    }
  }

  return (email, systemId, line) => {
    const key = lowerCase(email);
    const a = fnv1a(key, 0x811c9dc5);
    const b = fnv1a(key, 0x9747b28c);
    const id = fnv1a(systemId, 0x811c9dc5);
    const slot = slotOf(a, b);
    const owner = lines[slot] ?? 0;
    if (owner !== 0) return idHashes[owner] === id ? undefined : owner;
    if (line >= idHashes.length) {
      const grown = new Int32Array(Math.max(line + 1, idHashes.length * 2));
      grown.set(idHashes);
      idHashes = grown;
    }
    idHashes[line] = id;
    hashA[slot] = a;
    hashB[slot] = b;
    lines[slot] = line;
    size++;
    if (size * 2 > capacity) grow();
    return undefined;
  };
}
