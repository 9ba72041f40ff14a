/**
 * Memory-level parallelism for the in-file checks of a run (run/email-index.ts, run/person-index.ts).
 * At a million rows their fingerprint tables are tens of megabytes, and each row's lookup lands on a
 * random page: one cache and TLB miss after another, each waited for alone, were an eighth of a dry
 * run (BENCHMARKS.md, section 1). So for each batch of records the parser hands over, the
 * fingerprints of every row's system_id and email cell are computed first, then the first slot of
 * each lookup is read in one tight loop of independent loads, which the CPU overlaps. The rows are
 * then judged one by one exactly as before; each row's fingerprints are handed to the fingerprinters
 * (`prime`), so nothing is hashed twice. The reads change nothing: the checks' outcome and order are
 * the same with or without them.
 */
import type { CsvRecord } from '../csv/read.js';
import { emailFingerprint, idFingerprint } from '../fingerprints.js';

/** A table whose slot for a fingerprint's first half can be read ahead. */
interface Touchable {
  touch(a: number): number;
}

export interface TableWarmer {
  /** Reads ahead the slots this batch's rows will look up. */
  warm(batch: readonly CsvRecord[]): void;
  /** Before a row of the last warmed batch is checked (in order, some passed over): its fingerprints, computed in `warm`. */
  prime(record: CsvRecord): void;
}

/** Four ints a record: its system_id's fingerprint, then its email cell's. */
const [ID_A, ID_B, EMAIL_A, EMAIL_B, STRIDE] = [0, 1, 2, 3, 4];

export function createTableWarmer(
  columns: { systemId: number; email: number | undefined },
  people: Touchable | undefined,
  emails: Touchable | undefined,
): TableWarmer {
  let batch: readonly CsvRecord[] = [];
  let next = 0;
  let prints = new Int32Array(0);
  // Where the reads go, so that they are not optimised away.
  let sink = 0;
  const emailColumn = emails === undefined ? undefined : columns.email;
  return {
    warm(records) {
      batch = records;
      next = 0;
      if (prints.length < STRIDE * records.length) prints = new Int32Array(STRIDE * records.length);
      for (let i = 0; i < records.length; i++) {
        const cells = (records[i] as CsvRecord).cells;
        const id = idFingerprint(cells[columns.systemId] ?? '');
        prints[STRIDE * i + ID_A] = id.a;
        prints[STRIDE * i + ID_B] = id.b;
        if (emailColumn === undefined) continue;
        const email = emailFingerprint(cells[emailColumn] ?? '');
        prints[STRIDE * i + EMAIL_A] = email.a;
        prints[STRIDE * i + EMAIL_B] = email.b;
      }
      // Apart from the hashing, so that the loads follow each other closely enough to overlap.
      let read = sink;
      for (let i = 0; i < records.length; i++) {
        if (people !== undefined) read ^= people.touch(prints[STRIDE * i + ID_A] as number);
        if (emailColumn !== undefined && emails !== undefined)
          read ^= emails.touch(prints[STRIDE * i + EMAIL_A] as number);
      }
      sink = read;
    },
    prime(record) {
      // Rows refused before their in-file checks are passed over. A row that did not come from the
      // last batch, in order, is simply hashed again by its checks.
      while (next < batch.length && batch[next] !== record) next++;
      if (next === batch.length) return;
      const at = STRIDE * next++;
      idFingerprint.prime(
        record.cells[columns.systemId] ?? '',
        prints[at + ID_A] as number,
        prints[at + ID_B] as number,
      );
      if (emailColumn !== undefined)
        emailFingerprint.prime(
          record.cells[emailColumn] ?? '',
          prints[at + EMAIL_A] as number,
          prints[at + EMAIL_B] as number,
        );
    },
  };
}
