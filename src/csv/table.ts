/**
 * The files a run writes and reads back (results, errors; export's output), in either format:
 * the path's extension chooses, `.xlsx` for a workbook and anything else for CSV (README,
 * ".xlsx round trips"). The .xlsx modules load only when a workbook is written or read, so a CSV
 * run never pays for them (docs/ARCHITECTURE.md, "Build and start-up").
 */
import { existsSync, statSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { createCsvWriter, type CsvWriter, type CsvWriterOptions } from './write.js';

export interface TableWriterOptions extends CsvWriterOptions {
  /** .xlsx: the sheet's name. */
  sheetName?: string | undefined;
}

/** Written as a workbook: the extension decides, so `--results x.csv` picks CSV for an .xlsx input. */
export function isXlsxPath(path: string): boolean {
  return /\.xlsx$/i.test(path);
}

/** A special file (a FIFO, a device): written straight, never through a temporary file. */
function isSpecialFile(path: string): boolean {
  return existsSync(path) && !statSync(path).isFile();
}

/**
 * A CSV or .xlsx writer for `path`. A workbook is written through a temporary file renamed at
 * the end whatever `atomic` says, because half a zip is not a readable file.
 */
export function createTableWriter(path: string, options: TableWriterOptions = {}): CsvWriter {
  if (!isXlsxPath(path)) return createCsvWriter(path, options);
  const atomic = !isSpecialFile(path);
  return deferredWriter(
    path,
    import('../xlsx/write.js').then((m) => m.createXlsxWriter(path, { atomic, sheetName: options.sheetName })),
  );
}

/** A writer whose module is still loading: writes made meanwhile wait for it, in order. */
function deferredWriter(path: string, ready: Promise<CsvWriter>): CsvWriter {
  let writer: CsvWriter | undefined;
  let failure: unknown;
  const loaded = ready.then(
    (w) => {
      writer = w;
    },
    (error: unknown) => {
      failure = error;
    },
  );
  const loadedWriter = async (): Promise<CsvWriter> => {
    await loaded;
    if (writer === undefined) throw failure;
    return writer;
  };
  return {
    path,
    write(row) {
      if (writer !== undefined) return writer.write(row);
      const copy = row.slice();
      return loadedWriter().then((w) => w.write(copy));
    },
    end: async () => (await loadedWriter()).end(),
    abort: async () => {
      await loaded;
      await writer?.abort();
    },
  };
}

/**
 * The rows of a file this tool wrote (a results or errors file, CSV or .xlsx), header first, as
 * text. CSV rows keep their widths (an errors file keeps a ragged row whole); a workbook's rows
 * are padded to the header's width, since a writer leaves empty cells out.
 */
export async function* readTable(path: string): AsyncGenerator<string[]> {
  if (isXlsxPath(path)) {
    const { readWorkbookRows } = await import('../xlsx/read.js');
    yield* readWorkbookRows(path);
    return;
  }
  // Our own files: comma, CRLF; relax_column_count so a cut-off last line arrives short, not as an error.
  const parser = createReadStream(path).pipe(
    parse({ bom: true, relax_column_count: true, record_delimiter: ['\r\n', '\n'] }),
  );
  try {
    for await (const record of parser as AsyncIterable<string[]>) yield record;
  } finally {
    parser.destroy();
  }
}
