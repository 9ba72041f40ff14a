/**
 * The parser's own speed: a bare csv-parse → csv-stringify passthrough of a CSV file, to a file,
 * with csv-parse's defaults plus `bom: true` (no info, no checks). Run as its own process, like
 * the CLI it is compared with; prints one JSON line: rows, elapsedMs (from the first read to the
 * output file closed), rowsPerSecond.
 *
 *   node bench/passthrough.mjs <in.csv> <out.csv>
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify';

const [input, output] = process.argv.slice(2);
if (input === undefined || output === undefined) {
  process.stderr.write('usage: node bench/passthrough.mjs <in.csv> <out.csv>\n');
  process.exit(2);
}

const started = performance.now();
const parser = parse({ bom: true });
await pipeline(createReadStream(input, { highWaterMark: 256 * 1024 }), parser, stringify(), createWriteStream(output));
const elapsedMs = performance.now() - started;
// The header is a record too; count data rows, like the import summary does.
const dataRows = Math.max(0, parser.info.records - 1);
process.stdout.write(
  `${JSON.stringify({ rows: dataRows, elapsedMs, rowsPerSecond: dataRows / (elapsedMs / 1000) })}\n`,
);
