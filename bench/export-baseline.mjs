/**
 * The baseline for #4: the same GET all, read whole, a bare `JSON.parse`, then csv-stringify of
 * the six export columns to a file. No streaming, no key normalising beyond the emulator's known
 * PascalCase, no repair, no temporary file.
 *
 *   CIOPULSE_BASE_URL=… CIOPULSE_PORTAL_CODE=… CIOPULSE_API_KEY=… node bench/export-baseline.mjs <out.csv>
 *
 * Prints one JSON line: rows, elapsedMs (request sent → file closed), rowsPerSecond.
 */
import { fetch } from 'undici';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { stringify } from 'csv-stringify';

const [out] = process.argv.slice(2);
const { CIOPULSE_BASE_URL: baseUrl, CIOPULSE_PORTAL_CODE: portalCode, CIOPULSE_API_KEY: apiKey } = process.env;
if (out === undefined || !baseUrl || !portalCode || !apiKey) {
  process.stderr.write(
    'usage: CIOPULSE_BASE_URL=… CIOPULSE_PORTAL_CODE=… CIOPULSE_API_KEY=… node bench/export-baseline.mjs <out.csv>\n',
  );
  process.exit(2);
}

const KEYS = ['System_ID', 'First_Name', 'Last_Name', 'Email', 'Job_Title', 'Mobile'];
const started = performance.now();
const response = await fetch(`${baseUrl.replace(/\/+$/, '')}/contacts`, {
  headers: {
    authorization: `Basic ${Buffer.from(`${portalCode}:${apiKey}`).toString('base64')}`,
    accept: 'application/json',
  },
});
if (!response.ok) throw new Error(`GET all answered ${response.status}`);
const body = JSON.parse(await response.text());
const records = body.contacts;

const file = createWriteStream(out);
const stringifier = stringify();
stringifier.pipe(file);
stringifier.write(['system_id', 'first_name', 'last_name', 'email', 'job_title', 'mobile']);
for (const wrapped of records) {
  const record = wrapped.contact ?? wrapped;
  if (!stringifier.write(KEYS.map((key) => record[key] ?? ''))) await once(stringifier, 'drain');
}
stringifier.end();
await once(file, 'finish');
const elapsedMs = performance.now() - started;
process.stdout.write(
  `${JSON.stringify({ rows: records.length, elapsedMs, rowsPerSecond: records.length / (elapsedMs / 1000) })}\n`,
);
