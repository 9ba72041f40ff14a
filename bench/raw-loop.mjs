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
import { Pool } from 'undici';
import { readLoopInput, runPutLoop } from './put-loop.mjs';

const input = readLoopInput('raw-loop.mjs');
const pool = new Pool(input.base.origin, { connections: input.concurrency });
const headers = { authorization: input.authorization, accept: 'application/json', 'content-type': 'application/json' };

await runPutLoop(input, async (path, body) => {
  const response = await pool.request({ path, method: 'PUT', headers, body });
  await response.body.text();
  return response.statusCode;
});
await pool.close();
