/**
 * Small node:http servers on 127.0.0.1 that stand in for a broken network (never for the API:
 * the emulator is the API). Shared by the client's unit tests and the CLI's hostile-server tests.
 */
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

/** Registers an afterEach that closes every server the test file started; returns `listen`. */
export function useLoopbackServers(): (server: Server) => Promise<string> {
  const servers: Server[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      server.close();
    }
  });
  return async (server) => {
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/** A proxy that drops every CONNECT (and answers 405 to the rest), counting the connections made to it. */
export async function droppingProxy(
  listen: (server: Server) => Promise<string>,
): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  const server = createServer((_req, res) => res.writeHead(405).end());
  server.on('connection', () => connections++);
  server.on('connect', (_req, socket: NodeJS.ReadableStream & { destroy(): void }) => socket.destroy());
  return { url: await listen(server), connections: () => connections };
}
