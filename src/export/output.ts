/**
 * Writing the export's rows as CSV: to a file through the shared CSV writer, or through
 * csv-stringify into a caller's stream that stays open (stdout).
 */
import { stringify } from 'csv-stringify';
import type { CsvWriter } from '../csv/write.js';
/**
 * Waits for `event`, or for the stream to close: a stringifier destroyed by EPIPE emits neither
 * 'drain' nor 'end', and a wait on those alone would never settle (`export | head`).
 */
function settled(stream: NodeJS.EventEmitter & { destroyed: boolean }, event: string): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed) {
      resolve();
      return;
    }
    const done = (): void => {
      stream.removeListener(event, done);
      stream.removeListener('close', done);
      resolve();
    };
    stream.once(event, done);
    stream.once('close', done);
  });
}

/** csv-stringify straight into a caller's stream, which stays open (stdout). */
export async function writeToStream(
  stream: NodeJS.WritableStream,
  bom: boolean,
  rows: AsyncIterable<readonly string[]>,
): Promise<void> {
  const csv = stringify({ bom, record_delimiter: 'windows' });
  let failure: Error | undefined;
  csv.on('error', (error: Error) => (failure ??= error));
  // EPIPE from `export | head`: stop the stringifier; its pending 'drain' or 'end' then rejects.
  const onStreamError = (error: Error): void => {
    failure ??= error;
    csv.destroy(error);
  };
  stream.on('error', onStreamError);
  csv.pipe(stream, { end: false });
  try {
    for await (const row of rows) {
      if (failure !== undefined) throw failure;
      if (!csv.write(row)) await settled(csv, 'drain');
    }
    const ended = settled(csv, 'end');
    csv.end();
    await ended;
    if (failure !== undefined) throw failure;
  } finally {
    csv.unpipe(stream);
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
