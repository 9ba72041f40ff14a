/**
 * What the two minimal PUT loops share (bench/raw-loop.mjs with undici, bench/keepalive-client.mjs
 * with node:http): reading their arguments and the CSV before the clock starts, and the timed
 * loop that keeps `concurrency` PUTs in flight until the last answer. Each loop brings only its
 * own `put(path, body) → status`.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';

const FIELDS = ['first_name', 'last_name', 'email', 'job_title', 'mobile'];

/** The file, the concurrency and the connection from argv and the environment; exits 2 on a usage error. */
export function readLoopInput(script) {
  const [file, concurrencyText] = process.argv.slice(2);
  const concurrency = Number(concurrencyText ?? 16);
  const { CIOPULSE_BASE_URL: baseUrl, CIOPULSE_PORTAL_CODE: portalCode, CIOPULSE_API_KEY: apiKey } = process.env;
  if (file === undefined || !(concurrency >= 1) || !baseUrl || !portalCode || !apiKey) {
    process.stderr.write(
      `usage: CIOPULSE_BASE_URL=… CIOPULSE_PORTAL_CODE=… CIOPULSE_API_KEY=… node bench/${script} <file.csv> <concurrency>\n`,
    );
    process.exit(2);
  }
  const [header, ...rows] = parse(readFileSync(file), { bom: true });
  const base = new URL(baseUrl);
  return {
    rows,
    concurrency,
    base,
    basePath: base.pathname.replace(/\/+$/, ''),
    idIndex: header.indexOf('system_id'),
    fieldIndexes: FIELDS.map((field) => [field, header.indexOf(field)]).filter(([, index]) => index >= 0),
    authorization: `Basic ${Buffer.from(`${portalCode}:${apiKey}`).toString('base64')}`,
  };
}

/** Timed: each row's JSON body (empty cells omitted, as `import` sends it) and its PUT. Prints one JSON line. */
export async function runPutLoop(input, put) {
  const { rows, concurrency, basePath, idIndex, fieldIndexes } = input;
  const statuses = {};
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= rows.length) return;
      const cells = rows[i];
      const body = {};
      for (const [field, index] of fieldIndexes) {
        const value = cells[index].trim();
        if (value !== '') body[field] = value;
      }
      const status = await put(
        `${basePath}/contacts/${encodeURIComponent(cells[idIndex].trim())}`,
        JSON.stringify(body),
      );
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedMs = performance.now() - started;
  process.stdout.write(
    `${JSON.stringify({ rows: rows.length, elapsedMs, rowsPerSecond: rows.length / (elapsedMs / 1000), statuses })}\n`,
  );
}
