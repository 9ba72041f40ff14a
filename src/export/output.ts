/**
 * Writing the export's rows as CSV: to a file through the shared CSV writer, or straight into a
 * caller's stream that stays open (stdout), each row formatted by the same formatCsvRow.
 */
import { formatCsvRow, type CsvWriter } from '../csv/write.js';

type OpenStream = NodeJS.WritableStream & { destroyed?: boolean };

/**
 * Waits for 'drain', or for the stream to fail or close: a stream broken by EPIPE emits no
 * 'drain', and a wait on that alone would never settle (`export | head`).
 */
function drained(stream: OpenStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed === true) {
      resolve();
      return;
    }
    const done = (): void => {
      stream.removeListener('drain', done);
      stream.removeListener('error', done);
      stream.removeListener('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('error', done);
    stream.once('close', done);
  });
}

/** Rows formatted by formatCsvRow straight into a caller's stream, which stays open (stdout). */
export async function writeToStream(
  stream: OpenStream,
  bom: boolean,
  rows: AsyncIterable<readonly string[]>,
): Promise<void> {
  let failure: Error | undefined;
  // EPIPE from `export | head`: remembered here, thrown at the next row.
  const onStreamError = (error: Error): void => {
    failure ??= error;
  };
  stream.on('error', onStreamError);
  try {
    if (bom) stream.write('\uFEFF');
    for await (const row of rows) {
      if (failure !== undefined) throw failure;
      if (!stream.write(formatCsvRow(row))) await drained(stream);
    }
    if (failure !== undefined) throw failure;
  } finally {
    // A broken stream may report again later (stdout at exit); keep a listener on it so that is not fatal.
    if (failure === undefined) stream.removeListener('error', onStreamError);
  }
}

export async function writeToFile(writer: CsvWriter, rows: AsyncIterable<readonly string[]>): Promise<void> {
  for await (const row of rows) {
    const wait = writer.write(row);
    if (wait !== undefined) await wait;
  }
  await writer.end();
}
