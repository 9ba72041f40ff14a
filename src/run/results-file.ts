/**
 * Reading our own results (and errors) CSV back, in one place: `--resume`, the journal guard and
 * the final rewrite all read it through here. Our own files: comma, CRLF, a BOM only if asked.
 */
import { createReadStream } from 'node:fs';
import { parse, type Parser } from 'csv-parse';

/** relax_column_count: a cut-off last line arrives short, and an errors file keeps ragged rows whole. */
export function openResultsCsv(path: string): Parser {
  return createReadStream(path).pipe(parse({ bom: true, relax_column_count: true, record_delimiter: ['\r\n', '\n'] }));
}

/** The header row, or [] for an empty file. */
export async function readResultsHeader(path: string): Promise<string[]> {
  const parser = openResultsCsv(path);
  try {
    for await (const record of parser as AsyncIterable<string[]>) return record;
    return [];
  } finally {
    parser.destroy();
  }
}

/**
 * The data rows, ignoring a last record a crash cut short: one of another width (`width`
 * undefined: any width), or an unclosed quote at the very end.
 */
export async function* readResultRows(path: string, width?: number): AsyncGenerator<string[]> {
  const parser = openResultsCsv(path);
  let header = true;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
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
    parser.destroy();
  }
}
