/**
 * node:http plumbing for the emulator, kept free of API rules: one-shot JSON answers, chunked
 * JSON lists with backpressure, bounded body reading, and listen() as a promise.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { ConfigError } from '../errors.js';
import type { Reply } from './rules.js';

/** Every answer is JSON, as the API document's error descriptions are. */
export const JSON_TYPE = 'application/json';

/** GET all writes this many records per chunk, waiting for 'drain' when the socket is full. */
const RECORDS_PER_CHUNK = 1000;

/** One writeHead with Content-Length, so keep-alive needs no chunked framing. */
export function send(res: ServerResponse, reply: Reply, extraHeaders?: readonly string[]): void {
  const headers = ['Content-Type', JSON_TYPE, 'Content-Length', String(Buffer.byteLength(reply.body))];
  if (extraHeaders !== undefined) headers.push(...extraHeaders);
  res.writeHead(reply.status, headers);
  res.end(reply.body);
}

/**
 * What a web server answers for a path it does not serve: a plain-text 404, not the API's JSON
 * error body. The API's `{"message":…,"status":404}` means "no contact with this system_id"
 * (API document, "Error Handling"), and a client may take it as proof that it reached the API.
 */
export function sendNotFoundPage(res: ServerResponse): void {
  const body = 'Not Found\n';
  res.writeHead(404, ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(Buffer.byteLength(body))]);
  res.end(body);
}

/** Resolves on 'drain', or on 'close' so that a client that went away cannot leave us waiting. */
function waitForDrain(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Streams `head item,item,… tail` with status 200 in chunks, respecting backpressure, so a list
 * of 100k+ contacts never becomes one giant string.
 */
/**
 * Starts `writeJsonList` and owns its outcome: a failed write (the client went away mid-answer)
 * ends that one response, never the server. The caller has nothing to wait for.
 */
export function streamJsonList<T>(
  res: ServerResponse,
  head: string,
  items: readonly T[],
  serialize: (item: T) => string,
  tail: string,
): void {
  writeJsonList(res, head, items, serialize, tail).catch((error: unknown) =>
    res.destroy(error instanceof Error ? error : undefined),
  );
}

async function writeJsonList<T>(
  res: ServerResponse,
  head: string,
  items: readonly T[],
  serialize: (item: T) => string,
  tail: string,
): Promise<void> {
  res.writeHead(200, ['Content-Type', JSON_TYPE]);
  let chunk = head;
  for (let start = 0; start < items.length; start += RECORDS_PER_CHUNK) {
    const end = Math.min(start + RECORDS_PER_CHUNK, items.length);
    const parts: string[] = [];
    for (let i = start; i < end; i++) parts.push(serialize(items[i] as T));
    chunk += (start === 0 ? '' : ',') + parts.join(',');
    if (!res.write(chunk)) await waitForDrain(res);
    if (res.destroyed) return;
    chunk = '';
  }
  res.end(chunk + tail);
}

/**
 * Reads a request body; `done(null)` when it exceeds `limit`. The excess is drained rather than
 * kept, so memory stays bounded and the client still reads its 413 instead of a reset.
 */
export function readBody(req: IncomingMessage, limit: number, done: (body: Buffer | null) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > limit) done(null);
    else done(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
  });
}

export function isLoopbackAddress(address: string | undefined): boolean {
  return (
    address !== undefined && (address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.'))
  );
}

/** The host clients should use in a URL: a wildcard bind is reached on loopback; IPv6 literals need brackets. */
export function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        new ConfigError(`the emulator cannot listen on ${host}:${port}: ${error.code ?? error.message}`, {
          cause: error,
        }),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Stops accepting, ends idle keep-alive sockets now, and cuts the rest after `graceMs`. */
export function closeServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}
