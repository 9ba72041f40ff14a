/**
 * `export`: GET all → records → CSV (README, "export").
 *
 *   walk (src/remote/walk.ts) ─► one record at a time ─► a row in the columns so far ─► spool file
 *                                                                                          │
 *   --out (temp file, renamed at the end) or a stream ◄──── header + spooled rows ◄────────┘
 *
 * Why a spool: the columns are the six contact fields and then every other field in first-seen
 * order, so the header is known only once the last record has been read. Holding the records
 * would grow with the portal (measured: BENCHMARKS.md, section 4), so each record becomes a
 * row in the columns known so far and is appended to a spool file (src/export/spool.ts); columns
 * are only ever appended, so an early row just lacks trailing cells and is padded on the way
 * out. Memory stays flat, nothing reaches the output before the whole answer has parsed, and a
 * failure at any point leaves an existing `--out` file untouched.
 *
 * Like the rest of the library, this module never prints and never exits: warnings go through
 * `onWarning`, failures are thrown as typed errors.
 */
import { access, constants } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isSpecialFile } from '../csv/targets.js';
import { dirname } from 'node:path';
import type { ApiClient, RetryEvent } from '../api/client.js';
import type { Connection } from '../config.js';
import { resolveHeaderField } from '../csv/headers.js';
import { mapFlag } from '../shell.js';
import type { CsvWriter } from '../csv/write.js';
import { excelSafe, isGuarded } from '../csv/formula.js';
import { InternalError, UsageError } from '../errors.js';
import { EXPORT_COLUMNS, toCell } from '../remote/listing.js';
import { writeToFile, writeToStream } from './output.js';
import { createSpool, type Spool } from './spool.js';
import { localWriteFailure } from '../errno.js';
import { abortError, walkListing } from '../remote/walk.js';
import { oneShotClientOptions, withApiClient } from '../api/with-client.js';
import { countChar } from '../csv/scan.js';
import { createTableWriter, isXlsxPath } from '../csv/table.js';
import { lineWord } from '../csv/source.js';
import {
  createRepeatTracker,
  describeRepeat,
  repeatedIdsWarning,
  type RepeatedIds,
  type RepeatTracker,
} from '../remote/repeated-ids.js';

export { EXPORT_COLUMNS, extractRecords, normaliseKey, toCell, toContact } from '../remote/listing.js';
export { walkListing } from '../remote/walk.js';
export type { RecordHandler, WalkOptions, WalkResult } from '../remote/walk.js';

/** Where the contacts come from: the API at `connection`, read by a client the export builds and closes. */
export interface ExportSource {
  /** How to reach the API. */
  connection: Connection;
  /** Retries for the GET (429, 5xx, network); default 5. */
  retries?: number | undefined;
  /** Time limit, in ms, for the answer to start and between its chunks; default 30 000. */
  timeoutMs?: number | undefined;
  /** The longest wait before a retry, whatever Retry-After asks, in ms. */
  maxRetryWaitMs?: number | undefined;
  onRetry?: ((event: RetryEvent) => void) | undefined;
}

export type ExportOptions = ExportSource & ExportCommonOptions;

export interface ExportCommonOptions {
  /** The file to write (CSV, or a workbook when it ends in .xlsx), via a temporary file renamed at the end. Undefined: write to `stream`. */
  out?: string | undefined;
  /** Where the CSV goes when `out` is undefined (the CLI passes stdout). It is not ended. */
  stream?: NodeJS.WritableStream | undefined;
  /** Prefix `'` to cells a spreadsheet would run as a formula; `import` strips it again. */
  excelSafe?: boolean | undefined;
  /** Write a UTF-8 BOM first, so that Excel shows non-ASCII text correctly on a double-click. */
  bom?: boolean | undefined;
  /** Where the spool file goes; default: beside `out`, or the OS temp folder for a stream. */
  spoolDir?: string | undefined;
  /** Aborting stops the export; nothing is written to `out`. */
  signal?: AbortSignal | undefined;
  onWarning?: ((message: string) => void) | undefined;
}

export interface ExportSummary {
  rows: number;
  columns: string[];
  /** The answer was not valid JSON and was read through jsonrepair. */
  repaired: boolean;
  /**
   * System_ids GET all listed more than once, every copy written: how many, and the first few
   * with the lines (rows, in a workbook) of their copies in the output.
   */
  repeatedIds: RepeatedIds;
  out: string | undefined;
  elapsedMs: number;
}

/** The columns seen so far; a record becomes a row in that order, new names appended. */
function createColumns(): { names: string[]; row(record: Record<string, unknown>): string[] } {
  const names: string[] = [...EXPORT_COLUMNS];
  const index = new Map<string, number>(names.map((n, i) => [n, i]));
  return {
    names,
    row(record) {
      for (const name of Object.keys(record)) {
        if (!index.has(name)) {
          index.set(name, names.length);
          names.push(name);
        }
      }
      const cells = new Array<string>(names.length).fill('');
      for (const [name, value] of Object.entries(record)) cells[index.get(name) as number] = toCell(value);
      return cells;
    },
  };
}

/** import trims every cell, so padding spaces do not come back. */
function hasPadding(cell: string): boolean {
  return cell.length > 0 && cell !== cell.trim();
}

/** What the rows of one read of the answer were like, for the warnings. */
interface Counts {
  rows: number;
  noSystemId: number;
  padded: number;
  guarded: number;
  /** Output lines the data rows take so far: a CSV cell with a line break spans lines, as import counts them. */
  lines: number;
  repeats: RepeatTracker;
}

function createCounts(): Counts {
  return { rows: 0, noSystemId: 0, padded: 0, guarded: 0, lines: 0, repeats: createRepeatTracker() };
}

/**
 * Repeated system_ids with the lines of their copies in the output: after the header, which in a
 * CSV file can itself span lines.
 */
function placeRepeats(repeated: RepeatedIds, header: readonly string[], xlsx: boolean): RepeatedIds {
  const headerLines = xlsx ? 1 : 1 + countChar(header, '\n');
  return {
    count: repeated.count,
    examples: repeated.examples.map((e) => ({ ...e, lines: e.lines.map((line) => headerLines + line) })),
  };
}

/** Before the GET: a folder we cannot write to would otherwise fail only after the whole download. */
async function checkWritable(dirs: Iterable<string>): Promise<void> {
  for (const dir of new Set(dirs)) {
    await access(dir, constants.W_OK).catch((error: unknown) => {
      throw localWriteFailure(dir, error);
    });
  }
}

function warnAboutRows(
  warn: (message: string) => void,
  counts: Counts,
  header: readonly string[],
  collisions: ReadonlySet<string>,
  repeated: RepeatedIds,
  word: 'line' | 'row',
): void {
  for (const name of collisions)
    warn(`the API's records hold two fields that both map to "${name}"; the first non-empty value was kept`);
  if (counts.noSystemId > 0) warn(`${counts.noSystemId} records have no system_id; import will refuse those rows`);
  if (repeated.count > 0) {
    const named = repeated.examples.map((e) => describeRepeat(e, word));
    warn(
      repeatedIdsWarning(
        repeated.count,
        named,
        `every copy was written, on the ${word}s named: check which is current with get, and remove the others before importing the file back`,
      ),
    );
  }
  if (counts.padded > 0)
    warn(
      `${counts.padded} cells start or end with spaces; import trims cells, so importing this file back would change them`,
    );
  if (counts.guarded > 0) {
    warn(
      `${counts.guarded} cells start with ' before a formula character; import strips that ', so importing this file back would change them: export with --excel-safe to keep them`,
    );
  }
  // import matches headers loosely (`Title` → job_title): an extra column it would read as a field
  // clashes with the real one, and the file would not import back.
  const clashing = header.slice(EXPORT_COLUMNS.length).filter((name) => resolveHeaderField(name) !== undefined);
  if (clashing.length > 0) {
    const flags = clashing.map((name) => mapFlag(name, '')).join(' ');
    warn(
      `import would read the extra column${clashing.length === 1 ? '' : 's'} ${clashing.join(', ')} as a contact field too; to import this file back, drop ${clashing.length === 1 ? 'it' : 'them'} or pass ${flags}`,
    );
  }
}

/** The library's entry point for export: every contact, as CSV, to a file or a stream. */
export async function exportContacts(options: ExportOptions): Promise<ExportSummary> {
  return withApiClient(oneShotClientOptions(options), (api) => exportWith(api, options));
}

async function exportWith(client: ApiClient, options: ExportCommonOptions): Promise<ExportSummary> {
  const started = performance.now();
  const { out } = options;
  const warn = options.onWarning ?? (() => undefined);
  if (out === undefined && options.stream === undefined)
    throw new UsageError('exportContacts needs `out` (a file) or `stream`');
  // A FIFO or a device gets nothing beside it: its spool goes to the temporary folder (csv/targets.ts).
  const beside = out !== undefined && !isSpecialFile(out);
  const spoolDir = options.spoolDir ?? (beside ? dirname(out) : tmpdir());
  await checkWritable([spoolDir, ...(beside ? [dirname(out)] : [])]);

  let spool: Spool | undefined;
  let columns = createColumns();
  let counts = createCounts();
  const safe = options.excelSafe === true;
  // Lines are counted as import counts them: in a workbook a row is one row whatever its cells hold.
  const xlsx = out !== undefined && isXlsxPath(out);

  let writer: CsvWriter | undefined;
  try {
    const walked = await walkListing({
      client,
      signal: options.signal,
      onWarning: warn,
      begin: async () => {
        // A second read (through jsonrepair) starts from scratch.
        await spool?.remove();
        const current = createSpool(spoolDir);
        spool = current;
        columns = createColumns();
        const tally = createCounts();
        counts = tally;
        return (record) => {
          tally.rows++;
          const cells = columns.row(record);
          const line = tally.lines + 1;
          tally.lines += xlsx ? 1 : 1 + countChar(cells, '\n');
          if (cells[0] === '') tally.noSystemId++;
          else tally.repeats.add(cells[0] as string, line);
          // Only the six columns matter: import reads no other.
          for (let i = 0; i < EXPORT_COLUMNS.length; i++) {
            const cell = cells[i] as string;
            if (hasPadding(cell)) tally.padded++;
            // `'=x` reads as a guarded `=x`; --excel-safe nests the guard (`''=x`), so only a plain export loses it.
            if (!safe && isGuarded(cell)) tally.guarded++;
          }
          return current.push(cells);
        };
      },
    });
    if (spool === undefined) throw new InternalError('no spool');
    await spool.end();
    if (walked.repaired !== undefined) {
      warn(
        `the API's answer was not valid JSON (${walked.repaired}); repaired it with jsonrepair and read it again: check the exported values`,
      );
    }
    const header = columns.names;
    const repeatedIds = placeRepeats(counts.repeats.repeated, header, xlsx);
    warnAboutRows(warn, counts, header, walked.collisions, repeatedIds, lineWord(xlsx ? 'xlsx' : 'csv'));

    const width = header.length;
    const source = spool;
    async function* finalRows(): AsyncGenerator<string[]> {
      yield safe ? header.map(excelSafe) : header;
      for await (const cells of source.rows()) {
        if (options.signal?.aborted === true) throw abortError();
        while (cells.length < width) cells.push('');
        yield safe ? cells.map(excelSafe) : cells;
      }
    }
    if (options.signal?.aborted === true) throw abortError();
    if (out !== undefined) {
      // An .xlsx `out` is a workbook of text cells (README, ".xlsx round trips").
      writer = createTableWriter(out, { atomic: true, bom: options.bom === true, sheetName: 'Contacts' });
      await writeToFile(writer, finalRows()).catch((error: unknown) => {
        throw localWriteFailure(out, error);
      });
      writer = undefined;
    } else {
      await writeToStream(options.stream as NodeJS.WritableStream, options.bom === true, finalRows());
    }
    return {
      rows: counts.rows,
      columns: [...header],
      repaired: walked.repaired !== undefined,
      repeatedIds,
      out,
      elapsedMs: performance.now() - started,
    };
  } catch (error) {
    await writer?.abort();
    throw error;
  } finally {
    await spool?.remove();
  }
}
