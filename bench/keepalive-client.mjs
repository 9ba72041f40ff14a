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
import { Agent, request } from 'node:http';
import { readLoopInput, runPutLoop } from './put-loop.mjs';

const input = readLoopInput('keepalive-client.mjs');
const { base, authorization } = input;
const agent = new Agent({ keepAlive: true, maxSockets: input.concurrency });

function put(path, body) {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: base.hostname,
        port: base.port,
        path,
        method: 'PUT',
        agent,
        headers: {
          authorization,
          accept: 'application/json',
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
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

await runPutLoop(input, put);
agent.destroy();
