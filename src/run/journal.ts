/**
 * The journal (`<results>.journal`), read in one place: one JSON line per answer, written by the
 * sink with one write(2) each (docs/ARCHITECTURE.md, "Resume, the journal and the lock"). It is
 * streamed, never read whole: after a long run killed late it can be as long as the input.
 */
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { ResultRow } from './results.js';
import type { RowStatus } from './statuses.js';

/** One journal line: enough for `--resume` to reuse the answer without reading any CSV cell. */
export interface JournalEntry {
  seq: number;
  line: number;
  system_id: string;
  status: RowStatus;
  http: number | null;
  errors?: ResultRow['errors'];
  detail?: string;
}

/** Every entry, in the order written; the line a crash cut short is skipped. */
export async function* readJournal(path: string): AsyncGenerator<JournalEntry> {
  if (!existsSync(path)) return;
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  try {
    for await (const text of lines) {
      if (text === '') continue;
      let entry: JournalEntry;
      try {
        entry = JSON.parse(text) as JournalEntry;
      } catch {
        continue; // the line a crash cut short
      }
      if (typeof entry.seq === 'number' && typeof entry.status === 'string') yield entry;
    }
  } finally {
    lines.close();
  }
}

/** The last answer for each row from `fromSeq` on, streamed: resume and sync's adoption of an unfinished run. */
export async function lastAnswers(path: string, fromSeq = 0): Promise<Map<number, JournalEntry>> {
  const entries = new Map<number, JournalEntry>();
  for await (const entry of readJournal(path)) if (entry.seq >= fromSeq) entries.set(entry.seq, entry);
  return entries;
}
