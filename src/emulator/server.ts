/**
 * The local CIOPulse Contacts API v5 emulator: a real HTTP server on loopback (README,
 * "emulator"). node:http directly, no framework, because the benchmarks drive PUTs through it as
 * fast as a raw undici loop can send them (BENCHMARKS.md, section 3): one writeHead with
 * Content-Length per answer, keep-alive, and cheap counters.
 *
 * Order of work for every /api/v5 request: count and log it → (PUT) read the body → latency →
 * auth → route → 413 → injected fault → the document's rules. Control routes live outside
 * /api/v5 under /__emulator/, need no auth, and answer loopback clients only.
 *
 * Decisions where the document is silent: PUT answers 201/200 with the stored record in GET
 * one's shape (`{"contact":{…}}`); DELETE answers 202 `{"message":"Contact deleted","status":202}`;
 * a DELETE of an unknown system_id is 404 even if a support group names it; unknown routes are
 * 404 and wrong methods 405 (with `Allow`), both JSON; invalid UTF-8 in a body is a 400.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Contact } from '../contact.js';
import { ConfigError, FileError } from '../errors.js';
import { createApiKey, createAuthCheck, createPortalCode } from './auth.js';
import { createAttemptCounter, createFaultPlan, type FaultKind } from './faults.js';
import { createProtectionIndex, loadSupportGroups, type SupportGroupsDocument } from './groups.js';
import { closeServer, isLoopbackAddress, listen, readBody, send, streamJsonList, urlHost } from './http.js';
import { createRequestLog, type RequestLogEntry } from './log.js';
import { createPersister, loadContactsFile, runCreateDataFile, type Persister } from './persist.js';
import { createContactActions, errorReply, messageBody, MESSAGES, toRecordJson, type Reply } from './rules.js';
import { createContactStore, type ContactStore } from './store.js';

export type { SupportGroup, SupportGroupsDocument } from './groups.js';
export type { RequestLogEntry } from './log.js';

export interface EmulatorOptions {
  /** Default 0: a random free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default: `EMU` and four random characters. */
  portalCode?: string;
  /** Default: 40 random characters [A-Za-z0-9]. */
  apiKey?: string;
  /** Persist contacts here as `{"contacts":[…]}` (atomic, debounced writes); loaded on start if it exists. */
  dataFile?: string;
  /** A path or the document itself; default samples/support-groups.json. */
  groups?: string | SupportGroupsDocument;
  /** A delay before every /api/v5 request is answered. */
  latencyMs?: number;
  /** 500 `{"message":"Transaction failed","status":500}`, write not applied. */
  failRate?: number;
  /** 429 with `Retry-After: 1`, write not applied. */
  throttleRate?: number;
  /** Socket destroyed before applying. */
  resetRate?: number;
  /** Write applied, then the socket destroyed without a response. */
  loseRate?: number;
  /** The seed for every fault; default 1. */
  seed?: number;
  /** After this many /api/v5 requests every request gets 401: a key revoked mid-run. */
  revokeAfter?: number;
  /** Default 64 KiB; a larger PUT body gets 413. */
  maxBodyBytes?: number;
}

export interface EmulatorStats {
  /** /api/v5 requests since start or the last resetStats(). */
  requests: number;
  inFlight: number;
  maxInFlight: number;
  byMethod: Record<string, number>;
  /** Injected faults by kind (`fail`, `throttle`, `reset`, `lose`), and `revoked` for revokeAfter's 401s. */
  faults: Record<string, number>;
}

export interface Emulator {
  /** e.g. http://127.0.0.1:PORT/api/v5 */
  baseUrl: string;
  portalCode: string;
  apiKey: string;
  port: number;
  stats(): EmulatorStats;
  /** Every /api/v5 request in arrival order: the last LOG_LIMIT of them. */
  log(): RequestLogEntry[];
  /** The current contacts in creation order, snake_case, values exactly as stored. */
  contacts(): Contact[];
  /** Puts contacts in directly, bypassing every API rule but email uniqueness (for tests). */
  seedContacts(contacts: Contact[]): void;
  /** Zeroes the counters and clears the log. Attempt counts and the revokeAfter count go on: they are state, not stats. */
  resetStats(): void;
  /** Stops listening, ends connections, and flushes the data file. */
  close(): Promise<void>;
}

export const API_BASE_PATH = '/api/v5';
const CONTACTS_PATH = `${API_BASE_PATH}/contacts`;
const CONTROL_PREFIX = '/__emulator/';
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
/** The request log keeps the last this-many /api/v5 requests. */
export const LOG_LIMIT = 200_000;
const KEEP_ALIVE_MS = 60_000;
/** close() waits this long for answers in flight before cutting connections. */
const CLOSE_GRACE_MS = 2000;
const EMPTY_BODY = Buffer.alloc(0);

const UNAUTHORIZED = errorReply(401, MESSAGES.unauthorized);
const TRANSACTION_FAILED = errorReply(500, MESSAGES.transactionFailed);
const THROTTLED = errorReply(429, 'Too many requests; retry after 1 second');
const BAD_ESCAPE = errorReply(400, 'The system_id in the URL is not valid percent-encoding');
const RETRY_AFTER = ['Retry-After', '1'] as const;

type Route =
  | { kind: 'all' }
  | { kind: 'one'; systemId: string }
  | { kind: 'badEscape'; segment: string }
  | { kind: 'unknown' };

const ALL_ROUTE: Route = { kind: 'all' };
const UNKNOWN_ROUTE: Route = { kind: 'unknown' };

/** system_id is exactly one percent-encoded path segment, so `/`, `?`, `#`, `%` and `+` arrive encoded. */
function parseRoute(path: string): Route {
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

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

function methodNotAllowed(method: string, path: string, allow: string): [Reply, readonly string[]] {
  return [errorReply(405, `${method} is not allowed on ${path}`), ['Allow', allow]];
}

function checkNumber(name: string, value: number | undefined, fallback: number, min: number, max = Infinity): number {
  const n = value ?? fallback;
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be a number from ${min}${max === Infinity ? ' up' : ` to ${max}`}, not ${String(value)}`);
  }
  return n;
}

function createStats(): EmulatorStats {
  return { requests: 0, inFlight: 0, maxInFlight: 0, byMethod: {}, faults: {} };
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/**
 * Loads `--data` into the store; a file that breaks email uniqueness is refused, not half-loaded.
 * A file that does not exist yet is written at once, so an unwritable path fails at start
 * rather than silently at the first debounced write.
 */
async function runLoadDataFile(store: ContactStore, file: string): Promise<void> {
  const contacts = loadContactsFile(file);
  if (contacts === undefined) return runCreateDataFile(file);
  for (const contact of contacts) {
    try {
      store.set(contact);
    } catch (error) {
      throw new FileError(`the emulator data file ${file} breaks email uniqueness: ${(error as Error).message}`, { file });
    }
  }
}

/** One /api/v5 request on its way through latency to an answer. */
interface ApiCall {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  path: string;
  route: Route;
  /** The log entry's sequence number. */
  seq: number;
  attempt: number;
  revoked: boolean;
  /** null when larger than maxBodyBytes. */
  body: Buffer | null;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? '127.0.0.1';
  const port = checkNumber('port', options.port, 0, 0, 65535);
  const latencyMs = checkNumber('latencyMs', options.latencyMs, 0, 0);
  const maxBodyBytes = checkNumber('maxBodyBytes', options.maxBodyBytes, DEFAULT_MAX_BODY_BYTES, 1);
  const revokeAfter = options.revokeAfter === undefined ? Infinity : checkNumber('revokeAfter', options.revokeAfter, 0, 0);
  const portalCode = options.portalCode ?? createPortalCode();
  const apiKey = options.apiKey ?? createApiKey();
  const faultPlan = createFaultPlan(options);
  const protections = createProtectionIndex(loadSupportGroups(options.groups));

  let persister: Persister | undefined;
  const store = createContactStore(() => persister?.schedule());
  if (options.dataFile !== undefined) {
    await runLoadDataFile(store, options.dataFile);
    persister = createPersister(options.dataFile, () => store.values());
  }

  const actions = createContactActions(store, protections);
  const isAuthorized = createAuthCheck(portalCode, apiKey);
  const nextAttempt = createAttemptCounter();
  const requestLog = createRequestLog(LOG_LIMIT);
  let stats = createStats();
  /** Every /api/v5 request ever, for revokeAfter: resetStats() must not un-revoke a key. */
  let arrivals = 0;
  let closing: Promise<void> | undefined;

  const reply = (call: ApiCall, answer: Reply, extraHeaders?: readonly string[]): void => {
    requestLog.answer(call.seq, answer.status);
    send(call.res, answer, extraHeaders);
  };

  const destroy = (call: ApiCall, status: 'reset' | 'lost'): void => {
    requestLog.answer(call.seq, status);
    call.req.socket.destroy();
  };

  const answerApi = (call: ApiCall): void => {
    // A client that gave up during the latency still gets its write applied, like a real server;
    // but once close() has begun, nothing may change the store behind the final flush.
    if (closing !== undefined && call.res.destroyed) return;
    // "401 Invalid security credentials (portal code and/or API key missing or invalid)": checked before anything else.
    if (call.revoked) {
      bump(stats.faults, 'revoked');
      return reply(call, UNAUTHORIZED);
    }
    if (!isAuthorized(call.req.headers.authorization)) return reply(call, UNAUTHORIZED);

    const { method, path, route } = call;
    if (route.kind === 'unknown') return reply(call, errorReply(404, `There is no endpoint ${path}`));
    if (route.kind === 'badEscape') return reply(call, BAD_ESCAPE);
    if (route.kind === 'all') {
      if (method !== 'GET') return reply(call, ...methodNotAllowed(method, path, 'GET'));
      requestLog.answer(call.seq, 200);
      // No faults here: GET all is the export's single read, and the fault options are per row (README, "emulator").
      streamJsonList(call.res, '{"contacts":[', store.values(), toRecordJson, ']}');
      return;
    }
    if (method !== 'PUT' && method !== 'DELETE' && method !== 'GET') return reply(call, ...methodNotAllowed(method, path, 'GET, PUT, DELETE'));
    if (call.body === null) return reply(call, errorReply(413, `The JSON payload is larger than ${maxBodyBytes} bytes`));

    const fault: FaultKind | undefined = faultPlan.active ? faultPlan.draw(method, route.systemId, call.attempt) : undefined;
    if (fault !== undefined) bump(stats.faults, fault);
    if (fault === 'fail') return reply(call, TRANSACTION_FAILED);
    if (fault === 'throttle') return reply(call, THROTTLED, RETRY_AFTER);
    if (fault === 'reset') return destroy(call, 'reset');

    const answer =
      method === 'PUT'
        ? actions.runPut(route.systemId, call.body)
        : method === 'DELETE'
          ? actions.runDelete(route.systemId)
          : actions.runGetOne(route.systemId);
    if (fault === 'lose') return destroy(call, 'lost');
    reply(call, answer);
  };

  const proceed = (call: ApiCall): void => {
    if (latencyMs > 0) setTimeout(answerApi, latencyMs, call);
    else answerApi(call);
  };

  const handleApi = (req: IncomingMessage, res: ServerResponse, path: string): void => {
    const method = req.method ?? 'GET';
    arrivals++;
    const counted = stats;
    counted.requests++;
    bump(counted.byMethod, method);
    if (++counted.inFlight > counted.maxInFlight) counted.maxInFlight = counted.inFlight;
    // 'close' fires for an answer sent, a socket destroyed, and a client gone alike.
    res.once('close', () => counted.inFlight--);

    const route = parseRoute(path);
    const systemId = route.kind === 'one' ? route.systemId : route.kind === 'badEscape' ? route.segment : null;
    const attempt = nextAttempt(method, systemId);
    const call: ApiCall = {
      req,
      res,
      method,
      path,
      route,
      seq: requestLog.record(method, systemId, attempt),
      attempt,
      revoked: arrivals > revokeAfter,
      body: EMPTY_BODY,
    };
    // Only a PUT carries a payload; node discards a body sent with any other method.
    if (method === 'PUT' && route.kind === 'one') {
      readBody(req, maxBodyBytes, (body) => {
        call.body = body;
        proceed(call);
      });
    } else {
      proceed(call);
    }
  };

  const snapshotStats = (): EmulatorStats => ({ ...stats, byMethod: { ...stats.byMethod }, faults: { ...stats.faults } });
  const resetStats = (): void => {
    // Requests still in flight keep their old counters object, so they cannot skew the new one.
    stats = createStats();
    requestLog.clear();
  };

  const controlRoutes: Record<string, { method: string; run: (res: ServerResponse) => void }> = {
    stats: { method: 'GET', run: (res) => send(res, { status: 200, body: JSON.stringify(snapshotStats()) }) },
    log: { method: 'GET', run: (res) => streamJsonList(res, '{"log":[', requestLog.entries(), (entry) => JSON.stringify(entry), ']}') },
    contacts: { method: 'GET', run: (res) => streamJsonList(res, '{"contacts":[', store.values(), (contact) => JSON.stringify(contact), ']}') },
    'reset-stats': {
      method: 'POST',
      run: (res) => {
        resetStats();
        send(res, { status: 200, body: messageBody(200, 'Stats reset') });
      },
    },
  };

  const handleControl = (req: IncomingMessage, res: ServerResponse, path: string): void => {
    if (!isLoopbackAddress(req.socket.remoteAddress)) return send(res, errorReply(403, 'The emulator control routes answer loopback clients only'));
    const name = path.slice(CONTROL_PREFIX.length);
    const control = Object.hasOwn(controlRoutes, name) ? controlRoutes[name] : undefined;
    if (control === undefined) return send(res, errorReply(404, `There is no control route ${path}`));
    const method = req.method ?? 'GET';
    if (method !== control.method) return send(res, ...methodNotAllowed(method, path, control.method));
    control.run(res);
  };

  const server = createServer({ noDelay: true, keepAliveTimeout: KEEP_ALIVE_MS }, (req, res) => {
    const path = pathOf(req.url ?? '/');
    if (path === API_BASE_PATH || path.startsWith(`${API_BASE_PATH}/`)) handleApi(req, res, path);
    else if (path.startsWith(CONTROL_PREFIX)) handleControl(req, res, path);
    else send(res, errorReply(404, `There is no endpoint ${path}; the API is under ${API_BASE_PATH}`));
  });
  // Above keepAliveTimeout, as node's docs advise, so a reused socket is never cut mid-headers.
  server.headersTimeout = KEEP_ALIVE_MS + 5000;
  await listen(server, port, host);
  const boundPort = (server.address() as AddressInfo).port;

  const runClose = async (): Promise<void> => {
    await closeServer(server, CLOSE_GRACE_MS);
    await persister?.flush();
  };

  return {
    baseUrl: `http://${urlHost(host)}:${boundPort}${API_BASE_PATH}`,
    portalCode,
    apiKey,
    port: boundPort,
    stats: snapshotStats,
    log: () => requestLog.entries(),
    contacts: () => store.values().map((contact) => ({ ...contact })),
    seedContacts(contacts) {
      for (const contact of contacts) store.set({ ...contact });
    },
    resetStats,
    close() {
      closing ??= runClose();
      return closing;
    },
  };
}
