/**
 * The practical limit for #3: a minimal hand-written loop that makes the same PUTs as `import`,
 * with the raw HTTP client, an undici Pool with one connection per request in flight.
 *
 * The CSV is read and split before the clock starts (no validation, no results file). Timed:
 * building each row's JSON body (the same body `import` sends: empty cells omitted) and the
 * PUT itself, keeping `concurrency` requests in flight until the last answer has arrived.
 *
 *   CIOPULSE_BASE_URL=… CIOPULSE_PORTAL_CODE=… CIOPULSE_API_KEY=… node bench/raw-loop.mjs <file.csv> <concurrency>
 *
 * Credentials come from the environment only, never argv. Prints one JSON line.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { Pool } from 'undici';

const [file, concurrencyText] = process.argv.slice(2);
const concurrency = Number(concurrencyText ?? 16);
const { CIOPULSE_BASE_URL: baseUrl, CIOPULSE_PORTAL_CODE: portalCode, CIOPULSE_API_KEY: apiKey } = process.env;
if (file === undefined || !(concurrency >= 1) || !baseUrl || !portalCode || !apiKey) {
  process.stderr.write('usage: CIOPULSE_BASE_URL=… CIOPULSE_PORTAL_CODE=… CIOPULSE_API_KEY=… node bench/raw-loop.mjs <file.csv> <concurrency>\n');
  process.exit(2);
}

const FIELDS = ['first_name', 'last_name', 'email', 'job_title', 'mobile'];
const [header, ...rows] = parse(readFileSync(file), { bom: true });
const idIndex = header.indexOf('system_id');
const fieldIndexes = FIELDS.map((field) => [field, header.indexOf(field)]).filter(([, index]) => index >= 0);

const base = new URL(baseUrl);
const basePath = base.pathname.replace(/\/+$/, '');
const pool = new Pool(base.origin, { connections: concurrency });
const headers = {
  authorization: `Basic ${Buffer.from(`${portalCode}:${apiKey}`).toString('base64')}`,
  accept: 'application/json',
  'content-type': 'application/json',
};

const statuses = {};
let next = 0;

async function worker() {
  for (;;) {
    const i = next++;
    if (i >= rows.length) return;
    const cells = rows[i];
    const body = {};
    for (const [field, index] of fieldIndexes) {
      const value = cells[index].trim();
      if (value !== '') body[field] = value;
    }
    const response = await pool.request({
      path: `${basePath}/contacts/${encodeURIComponent(cells[idIndex].trim())}`,
      method: 'PUT',
      headers,
      body: JSON.stringify(body),
    });
    await response.body.text();
    statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
  }
}

const started = performance.now();
await Promise.all(Array.from({ length: concurrency }, worker));
const elapsedMs = performance.now() - started;
await pool.close();
process.stdout.write(`${JSON.stringify({ rows: rows.length, elapsedMs, rowsPerSecond: rows.length / (elapsedMs / 1000), statuses })}\n`);
