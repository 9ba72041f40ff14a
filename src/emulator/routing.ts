/**
 * The emulator's routing: which path is the contacts collection, which is one contact (its
 * system_id one percent-encoded segment, API document), and which are the emulator's own control
 * routes. The handlers are in server.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLoopbackAddress, send } from './http.js';
import { errorReply, type Reply } from './rules.js';

export const API_BASE_PATH = '/api/v5';
const CONTACTS_PATH = `${API_BASE_PATH}/contacts`;
export const CONTROL_PREFIX = '/__emulator/';

export type Route =
  { kind: 'all' } | { kind: 'one'; systemId: string } | { kind: 'badEscape'; segment: string } | { kind: 'unknown' };

const ALL_ROUTE: Route = { kind: 'all' };
const UNKNOWN_ROUTE: Route = { kind: 'unknown' };

/** system_id is exactly one percent-encoded path segment, so `/`, `?`, `#`, `%` and `+` arrive encoded. */
export function parseRoute(path: string): Route {
  if (path === CONTACTS_PATH) return ALL_ROUTE;
  if (!path.startsWith(`${CONTACTS_PATH}/`)) return UNKNOWN_ROUTE;
  const segment = path.slice(CONTACTS_PATH.length + 1);
  if (segment.length === 0 || segment.includes('/')) return UNKNOWN_ROUTE;
  try {
    return { kind: 'one', systemId: decodeURIComponent(segment) };
  } catch {
    return { kind: 'badEscape', segment };
  }
}

export function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

export function methodNotAllowed(method: string, path: string, allow: string): [Reply, readonly string[]] {
  return [errorReply(405, `${method} is not allowed on ${path}`), ['Allow', allow]];
}

/** The emulator's own routes under /__emulator/ (stats, log, contacts, reset), by name. */
export type ControlRoutes = Record<string, { method: string; run: (res: ServerResponse) => void }>;

/** Loopback clients only: the control routes show every contact. */
export function handleControl(
  controlRoutes: ControlRoutes,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): void {
  if (!isLoopbackAddress(req.socket.remoteAddress))
    return send(res, errorReply(403, 'The emulator control routes answer loopback clients only'));
  const name = path.slice(CONTROL_PREFIX.length);
  const control = Object.hasOwn(controlRoutes, name) ? controlRoutes[name] : undefined;
  if (control === undefined) return send(res, errorReply(404, `There is no control route ${path}`));
  const method = req.method ?? 'GET';
  if (method !== control.method) return send(res, ...methodNotAllowed(method, path, control.method));
  control.run(res);
}
