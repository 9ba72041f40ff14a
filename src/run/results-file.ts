/**
 * Reading our own results (and errors) file back, in one place: `--resume` and the journal guard
 * read it through here, on top of the one table reader (csv/table.ts: CSV or .xlsx) that the final
 * rewrite uses too.
 */
import { readTable } from '../csv/table.js';

/** The header row, or [] for an empty file. */
export async function readResultsHeader(path: string): Promise<string[]> {
  for await (const record of readTable(path)) return record;
  return [];
}

/**
 * The data rows, ignoring a last record a crash cut short: one of another width (`width`
 * undefined: any width), or an unclosed quote at the very end.
 */
export async function* readResultRows(path: string, width?: number): AsyncGenerator<string[]> {
  const rows = readTable(path);
  let header = true;
  try {
    for await (const record of rows) {
      if (header) {
        header = false;
        continue;
      }
      if (width !== undefined && record.length !== width) return; // a cut-off last line
      yield record;
    }
  } catch (error) {
    // An unclosed quote at the very end is a line the crash cut in half; anything else is not ours.
    if ((error as { code?: string }).code !== 'CSV_QUOTE_NOT_CLOSED') throw error;
  } finally {
    await rows.return(undefined);
  }
}
