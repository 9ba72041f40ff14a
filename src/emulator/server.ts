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
 * a DELETE of an unknown system_id is 404 even if a support group names it; a path that is no
 * route is answered as a web server would, a plain-text 404 before any auth check (so the API's
 * JSON 404 always means "no such contact"); wrong methods are 405 (with `Allow`), JSON; invalid
 * UTF-8 in a body is a 400; a system_id over MAX_SYSTEM_ID_LENGTH characters is a 400.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CREDENTIAL_CHECK_PREFIX } from '../api/credentials.js';
import { apiSystemId, toRowErrors, type Contact } from '../contact/schema.js';
import { createApiKey, createAuthCheck, createPortalCode } from './auth.js';
import { checkNumber, createAttemptCounter, createFaultPlan, type FaultKind, type FaultPlan } from './faults.js';
import { createProtectionIndex, loadSupportGroups, type SupportGroupsDocument } from './groups.js';
import { closeServer, listen, readBody, send, sendNotFoundPage, streamJsonList, urlHost } from './http.js';
import { createRequestLog, type RequestLog, type RequestLogEntry } from './log.js';
import { createPersister, runLoadDataFile, type Persister } from './persist.js';
import {
  BAD_ESCAPE,
  createContactActions,
  errorReply,
  messageBody,
  RETRY_AFTER,
  THROTTLED,
  toRecordJson,
  TRANSACTION_FAILED,
  UNAUTHORIZED,
  type ContactActions,
  type Reply,
} from './rules.js';
import { createContactStore, type ContactStore } from './store.js';
import {
  API_BASE_PATH,
  CONTROL_PREFIX,
  handleControl,
  methodNotAllowed,
  parseRoute,
  pathOf,
  type ControlRoutes,
  type Route,
} from './routing.js';

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
  /** The address it really listens on (`0.0.0.0` stays `0.0.0.0`), as a URL; `baseUrl` is how to reach it. */
  listenUrl: string;
  /** It listens on every interface: any machine that can reach this one can call it. */
  listensEverywhere: boolean;
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

export { API_BASE_PATH } from './routing.js';
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
/** The request log keeps the last this-many /api/v5 requests. */
export const LOG_LIMIT = 200_000;
const KEEP_ALIVE_MS = 60_000;
/** close() waits this long for answers in flight before cutting connections. */
const CLOSE_GRACE_MS = 2000;
const EMPTY_BODY = Buffer.alloc(0);

function createStats(): EmulatorStats {
  return { requests: 0, inFlight: 0, maxInFlight: 0, byMethod: {}, faults: {} };
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
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

/** One running emulator: its settings, its parts, and the state every request reads and bumps. */
interface EmulatorState {
  latencyMs: number;
  maxBodyBytes: number;
  revokeAfter: number;
  faultPlan: FaultPlan;
  store: ContactStore;
  persister: Persister | undefined;
  actions: ContactActions;
  isAuthorized: (header: string | undefined) => boolean;
  nextAttempt: (method: string, systemId: string | null) => number;
  requestLog: RequestLog;
  stats: EmulatorStats;
  /** Every /api/v5 request ever, for revokeAfter: resetStats() must not un-revoke a key. */
  arrivals: number;
  closing: Promise<void> | undefined;
}

async function createEmulatorState(
  options: EmulatorOptions,
  portalCode: string,
  apiKey: string,
): Promise<EmulatorState> {
  const latencyMs = checkNumber('latencyMs', options.latencyMs, 0, 0);
  const maxBodyBytes = checkNumber('maxBodyBytes', options.maxBodyBytes, DEFAULT_MAX_BODY_BYTES, 1);
  const revokeAfter =
    options.revokeAfter === undefined ? Infinity : checkNumber('revokeAfter', options.revokeAfter, 0, 0);
  const faultPlan = createFaultPlan(options);
  const protections = createProtectionIndex(loadSupportGroups(options.groups));

  let persister: Persister | undefined;
  const store = createContactStore(() => persister?.schedule());
  if (options.dataFile !== undefined) {
    await runLoadDataFile(store, options.dataFile);
    persister = createPersister(options.dataFile, () => store.values());
  }

  return {
    latencyMs,
    maxBodyBytes,
    revokeAfter,
    faultPlan,
    store,
    persister,
    actions: createContactActions(store, protections),
    isAuthorized: createAuthCheck(portalCode, apiKey),
    nextAttempt: createAttemptCounter(),
    requestLog: createRequestLog(LOG_LIMIT),
    stats: createStats(),
    arrivals: 0,
    closing: undefined,
  };
}

function reply(state: EmulatorState, call: ApiCall, answer: Reply, extraHeaders?: readonly string[]): void {
  state.requestLog.answer(call.seq, answer.status);
  send(call.res, answer, extraHeaders);
}

function destroy(state: EmulatorState, call: ApiCall, status: 'reset' | 'lost'): void {
  state.requestLog.answer(call.seq, status);
  call.req.socket.destroy();
}

function answerApi(state: EmulatorState, call: ApiCall): void {
  // A client that gave up during the latency still gets its write applied, like a real server;
  // but once close() has begun, nothing may change the store behind the final flush.
  if (state.closing !== undefined && call.res.destroyed) return;
  // A path that is no route is not the API's to answer: a web server's 404, whatever the credentials.
  if (call.route.kind === 'unknown') {
    state.requestLog.answer(call.seq, 404);
    return sendNotFoundPage(call.res);
  }
  // "401 Invalid security credentials (portal code and/or API key missing or invalid)": checked before the rest.
  if (call.revoked) {
    bump(state.stats.faults, 'revoked');
    return reply(state, call, UNAUTHORIZED);
  }
  if (!state.isAuthorized(call.req.headers.authorization)) return reply(state, call, UNAUTHORIZED);

  const { method, path, route } = call;
  if (route.kind === 'badEscape') return reply(state, call, BAD_ESCAPE);
  if (route.kind === 'all') {
    if (method !== 'GET') return reply(state, call, ...methodNotAllowed(method, path, 'GET'));
    state.requestLog.answer(call.seq, 200);
    // No faults here: GET all is the export's single read, and the fault options are per row (README, "emulator").
    streamJsonList(call.res, '{"contacts":[', state.store.values(), toRecordJson, ']}');
    return;
  }
  if (method !== 'PUT' && method !== 'DELETE' && method !== 'GET')
    return reply(state, call, ...methodNotAllowed(method, path, 'GET, PUT, DELETE'));
  if (call.body === null)
    return reply(state, call, errorReply(413, `The JSON payload is larger than ${state.maxBodyBytes} bytes`));
  const id = apiSystemId.safeParse(route.systemId);
  if (!id.success)
    return reply(state, call, errorReply(400, `system_id ${toRowErrors(id.error.issues)[0]?.message ?? 'is invalid'}`));
  answerContact(state, call, route.systemId, call.body);
}

/**
 * A well-formed request on one contact: an injected fault, or the document's rules. The faults are
 * drawn per row, so the credential check, whose system_id is random, never gets one: a seeded
 * run stops or goes on the same way every time.
 */
function answerContact(state: EmulatorState, call: ApiCall, systemId: string, body: Buffer): void {
  const { method, attempt } = call;
  const fault: FaultKind | undefined =
    state.faultPlan.active && !systemId.startsWith(CREDENTIAL_CHECK_PREFIX)
      ? state.faultPlan.draw(method, systemId, attempt)
      : undefined;
  if (fault !== undefined) bump(state.stats.faults, fault);
  if (fault === 'fail') return reply(state, call, TRANSACTION_FAILED);
  if (fault === 'throttle') return reply(state, call, THROTTLED, RETRY_AFTER);
  if (fault === 'reset') return destroy(state, call, 'reset');

  const { actions } = state;
  const answer =
    method === 'PUT'
      ? actions.runPut(systemId, body)
      : method === 'DELETE'
        ? actions.runDelete(systemId)
        : actions.runGetOne(systemId);
  if (fault === 'lose') return destroy(state, call, 'lost');
  reply(state, call, answer);
}

function proceed(state: EmulatorState, call: ApiCall): void {
  if (state.latencyMs > 0) setTimeout(answerApi, state.latencyMs, state, call);
  else answerApi(state, call);
}

function handleApi(state: EmulatorState, req: IncomingMessage, res: ServerResponse, path: string): void {
  const method = req.method ?? 'GET';
  state.arrivals++;
  const counted = state.stats;
  counted.requests++;
  bump(counted.byMethod, method);
  if (++counted.inFlight > counted.maxInFlight) counted.maxInFlight = counted.inFlight;
  // 'close' fires for an answer sent, a socket destroyed, and a client gone alike.
  res.once('close', () => counted.inFlight--);

  const route = parseRoute(path);
  const systemId = route.kind === 'one' ? route.systemId : route.kind === 'badEscape' ? route.segment : null;
  const attempt = state.nextAttempt(method, systemId);
  const call: ApiCall = {
    req,
    res,
    method,
    path,
    route,
    seq: state.requestLog.record(method, systemId, attempt),
    attempt,
    revoked: state.arrivals > state.revokeAfter,
    body: EMPTY_BODY,
  };
  // Only a PUT carries a payload; node discards a body sent with any other method.
  if (method === 'PUT' && route.kind === 'one') {
    readBody(req, state.maxBodyBytes, (body) => {
      call.body = body;
      proceed(state, call);
    });
  } else {
    proceed(state, call);
  }
}

function snapshotStats(state: EmulatorState): EmulatorStats {
  const { stats } = state;
  return { ...stats, byMethod: { ...stats.byMethod }, faults: { ...stats.faults } };
}

function resetStats(state: EmulatorState): void {
  // Requests still in flight keep their old counters object, so they cannot skew the new one.
  state.stats = createStats();
  state.requestLog.clear();
}

function createControlRoutes(state: EmulatorState): ControlRoutes {
  return {
    stats: { method: 'GET', run: (res) => send(res, { status: 200, body: JSON.stringify(snapshotStats(state)) }) },
    log: {
      method: 'GET',
      run: (res) => streamJsonList(res, '{"log":[', state.requestLog.entries(), (entry) => JSON.stringify(entry), ']}'),
    },
    contacts: {
      method: 'GET',
      run: (res) =>
        streamJsonList(res, '{"contacts":[', state.store.values(), (contact) => JSON.stringify(contact), ']}'),
    },
    'reset-stats': {
      method: 'POST',
      run: (res) => {
        resetStats(state);
        send(res, { status: 200, body: messageBody(200, 'Stats reset') });
      },
    },
  };
}

function createEmulatorServer(state: EmulatorState): Server {
  const controlRoutes = createControlRoutes(state);
  const server = createServer({ noDelay: true, keepAliveTimeout: KEEP_ALIVE_MS }, (req, res) => {
    const path = pathOf(req.url ?? '/');
    if (path === API_BASE_PATH || path.startsWith(`${API_BASE_PATH}/`)) handleApi(state, req, res, path);
    else if (path.startsWith(CONTROL_PREFIX)) handleControl(controlRoutes, req, res, path);
    else sendNotFoundPage(res);
  });
  // Above keepAliveTimeout, as node's docs advise, so a reused socket is never cut mid-headers.
  server.headersTimeout = KEEP_ALIVE_MS + 5000;
  return server;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? '127.0.0.1';
  const port = checkNumber('port', options.port, 0, 0, 65535);
  const portalCode = options.portalCode ?? createPortalCode();
  const apiKey = options.apiKey ?? createApiKey();
  const state = await createEmulatorState(options, portalCode, apiKey);
  const server = createEmulatorServer(state);
  await listen(server, port, host);
  const bound = server.address() as AddressInfo;
  const boundPort = bound.port;

  const runClose = async (): Promise<void> => {
    await closeServer(server, CLOSE_GRACE_MS);
    await state.persister?.flush();
  };

  return {
    baseUrl: `http://${urlHost(host)}:${boundPort}${API_BASE_PATH}`,
    portalCode,
    apiKey,
    port: boundPort,
    listenUrl: `http://${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${boundPort}${API_BASE_PATH}`,
    listensEverywhere: bound.address === '0.0.0.0' || bound.address === '::',
    stats: () => snapshotStats(state),
    log: () => state.requestLog.entries(),
    contacts: () => state.store.values().map((contact) => ({ ...contact })),
    seedContacts(contacts) {
      for (const contact of contacts) state.store.set({ ...contact });
    },
    resetStats: () => resetStats(state),
    close() {
      state.closing ??= runClose();
      return state.closing;
    },
  };
}
