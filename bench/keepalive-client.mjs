/**
 * The start-up section's baseline: the smallest honest client a user could write for the same
 * PUTs, node:http with a keep-alive Agent holding one socket per request in flight. It imports
 * nothing but Node's built-ins and csv-parse, so its whole-process time is close to node's own
 * start-up plus the requests themselves.
 *
 *   CIOPULSE_BASE_URL=… CIOPULSE_PORTAL_CODE=… CIOPULSE_API_KEY=… node bench/keepalive-client.mjs <file.csv> <concurrency>
 *
 * Credentials come from the environment only, never argv. Prints one JSON line.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { parse } from 'csv-parse/sync';

const [file, concurrencyText] = process.argv.slice(2);
const concurrency = Number(concurrencyText ?? 16);
const { CIOPULSE_BASE_URL: baseUrl, CIOPULSE_PORTAL_CODE: portalCode, CIOPULSE_API_KEY: apiKey } = process.env;
if (file === undefined || !(concurrency >= 1) || !baseUrl || !portalCode || !apiKey) {
  process.stderr.write('usage: CIOPULSE_BASE_URL=… CIOPULSE_PORTAL_CODE=… CIOPULSE_API_KEY=… node bench/keepalive-client.mjs <file.csv> <concurrency>\n');
  process.exit(2);
}

const FIELDS = ['first_name', 'last_name', 'email', 'job_title', 'mobile'];
const [header, ...rows] = parse(readFileSync(file), { bom: true });
const idIndex = header.indexOf('system_id');
const fieldIndexes = FIELDS.map((field) => [field, header.indexOf(field)]).filter(([, index]) => index >= 0);

const base = new URL(baseUrl);
const basePath = base.pathname.replace(/\/+$/, '');
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const authorization = `Basic ${Buffer.from(`${portalCode}:${apiKey}`).toString('base64')}`;

function put(path, body) {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: base.hostname,
        port: base.port,
        path,
        method: 'PUT',
        agent,
        headers: { authorization, accept: 'application/json', 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

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
    const status = await put(`${basePath}/contacts/${encodeURIComponent(cells[idIndex].trim())}`, JSON.stringify(body));
    statuses[status] = (statuses[status] ?? 0) + 1;
  }
}

const started = performance.now();
await Promise.all(Array.from({ length: concurrency }, worker));
const elapsedMs = performance.now() - started;
agent.destroy();
process.stdout.write(`${JSON.stringify({ rows: rows.length, elapsedMs, rowsPerSecond: rows.length / (elapsedMs / 1000), statuses })}\n`);
