/**
 * The API client against small node:http servers on 127.0.0.1 that answer exactly what each test
 * needs: one request path for every call (retries, Retry-After and its clamp, the stop signal
 * during a wait, a permit released while waiting), the total deadline, capped answers, the
 * "not the API" rules, redaction, and the proxy connect bound.
 */
import { describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createApiClient, type ApiClientOptions, type RetryEvent } from '../src/api/client.js';
import { createDispatcher } from '../src/api/dispatcher.js';
import { withApiClient } from '../src/api/with-client.js';
import { createRedactor } from '../src/api/redact.js';
import { Secret } from '../src/config.js';
import { ApiError, InterruptedError } from '../src/errors.js';
import { TEST_API_KEY, TEST_PORTAL_CODE } from './helpers.js';
import { droppingProxy, json, useLoopbackServers } from './loopback-servers.js';

type Handler = (req: IncomingMessage, res: ServerResponse, count: number) => void;

const listen = useLoopbackServers();

async function serve(handler: Handler): Promise<{ baseUrl: string; requests: () => number; server: Server }> {
  let count = 0;
  const server = createServer((req, res) => {
    count++;
    req.resume();
    handler(req, res, count);
  });
  return { baseUrl: `${await listen(server)}/api/v5`, requests: () => count, server };
}

function client(baseUrl: string, options: Partial<ApiClientOptions> = {}) {
  return createApiClient({
    connection: { baseUrl, portalCode: TEST_PORTAL_CODE, apiKey: new Secret(TEST_API_KEY) },
    concurrency: 2,
    retries: 3,
    random: () => 0,
    ...options,
  });
}

const CONTACT = { first_name: 'Ann', last_name: 'Lee', email: 'ann@example.com' };

describe('one request path', () => {
  it('retries 5xx for every method, GET all included, and reports each retry', async () => {
    const { baseUrl, requests } = await serve((req, res, n) => {
      if (n % 2 === 1) return json(res, 503, { message: 'busy', status: 503 });
      if (req.url?.endsWith('/contacts')) return json(res, 200, { contacts: [] });
      return json(res, req.method === 'DELETE' ? 202 : 200, { message: 'ok', status: 200 });
    });
    const events: RetryEvent[] = [];
    const api = client(baseUrl, { onRetry: (e) => events.push(e) });
    try {
      expect((await api.put('A1', CONTACT)).status).toBe(200);
      expect((await api.remove('A1')).status).toBe(202);
      expect((await api.getOne('A1')).status).toBe(200);
      const all = await api.getAllResponse();
      expect(all.status).toBe(200);
      expect(await new Response(all.body).text()).toBe('{"contacts":[]}');
    } finally {
      await api.close();
    }
    expect(requests()).toBe(8);
    expect(events.map((e) => `${e.method} ${e.reason}`)).toEqual(['PUT 503', 'DELETE 503', 'GET 503', 'GET 503']);
  });

  it('waits at least what Retry-After asks, and reports the throttle', async () => {
    const { baseUrl } = await serve((_req, res, n) =>
      n === 1 ? json(res, 429, { message: 'slow down', status: 429 }, { 'retry-after': '1' }) : json(res, 201, {}),
    );
    const events: RetryEvent[] = [];
    const throttles: number[] = [];
    const api = client(baseUrl, { onRetry: (e) => events.push(e), onThrottle: (e) => throttles.push(e.attempt) });
    try {
      const result = await api.put('A1', CONTACT);
      expect(result.status).toBe(201);
      expect(result.attempts).toBe(2);
    } finally {
      await api.close();
    }
    expect(events[0]?.waitMs).toBe(1000);
    expect(throttles).toEqual([1]);
    expect(api.gate.stats().throttles).toBe(1);
  });

  it('clamps a huge Retry-After to --max-retry-wait, keeps the row in its retry budget, and says so', async () => {
    const { baseUrl, requests } = await serve((_req, res) =>
      json(res, 503, { message: 'later', status: 503 }, { 'retry-after': '99999999' }),
    );
    const events: RetryEvent[] = [];
    const api = client(baseUrl, { retries: 2, maxRetryWaitMs: 20, onRetry: (e) => events.push(e) });
    try {
      const result = await api.put('A1', CONTACT);
      expect(result.status).toBe(503);
      expect(result.attempts).toBe(3);
      expect(result.notes?.[0]).toMatch(/Retry-After asked for 99999999 s; waited 0 s/);
    } finally {
      await api.close();
    }
    expect(requests()).toBe(3);
    expect(events.map((e) => [e.waitMs, e.clampedFromMs])).toEqual([
      [20, 99_999_999_000],
      [20, 99_999_999_000],
    ]);
  });

  it('ends a wait when the stop signal aborts, for a write and for GET all', async () => {
    const { baseUrl, requests } = await serve((_req, res) =>
      json(res, 503, { message: 'later', status: 503 }, { 'retry-after': '3600' }),
    );
    const stop = new AbortController();
    const api = client(baseUrl, { stopSignal: stop.signal, onRetry: () => stop.abort() });
    try {
      const result = await api.put('A1', CONTACT);
      expect(result).toMatchObject({ status: 503, attempts: 1, stoppedBeforeRetry: true });
      await expect(api.getAllResponse()).rejects.toBeInstanceOf(InterruptedError);
    } finally {
      await api.close();
    }
    expect(requests()).toBe(1);
  });

  it('releases its permit while it waits: another request goes through meanwhile', async () => {
    const { baseUrl } = await serve((req, res) =>
      req.url?.endsWith('/SLOW')
        ? json(res, 503, { message: 'later', status: 503 }, { 'retry-after': '3600' })
        : json(res, 200, {}),
    );
    const stop = new AbortController();
    let waiting: () => void = () => undefined;
    const inWait = new Promise<void>((resolve) => (waiting = resolve));
    const api = client(baseUrl, { concurrency: 1, stopSignal: stop.signal, onRetry: () => waiting() });
    try {
      const slow = api.put('SLOW', CONTACT);
      await inWait;
      expect(api.gate.stats().inFlight).toBe(0);
      expect((await api.put('FAST', CONTACT)).status).toBe(200);
      stop.abort();
      expect((await slow).stoppedBeforeRetry).toBe(true);
    } finally {
      await api.close();
    }
  });
});

describe('deadlines and aborts', () => {
  it('--timeout bounds the whole attempt: a body that drips forever is a lost answer', async () => {
    const { baseUrl } = await serve((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.write('{');
      const timer = setInterval(() => res.write(' '), 20);
      res.on('close', () => clearInterval(timer));
    });
    const api = client(baseUrl, { retries: 0, timeoutMs: 300 });
    try {
      const result = await api.put('A1', CONTACT);
      expect(result).toMatchObject({
        status: undefined,
        message: 'no answer within the time limit',
        lostAttempts: [1],
      });
    } finally {
      await api.close();
    }
  });

  it('after the stop signal and its grace period, aborts attempts in flight; they count as lost', async () => {
    const { baseUrl } = await serve(() => undefined);
    const stop = new AbortController();
    const api = client(baseUrl, { stopSignal: stop.signal, graceMs: 10, timeoutMs: 60_000 });
    try {
      const pending = api.put('A1', CONTACT);
      await new Promise((resolve) => setImmediate(resolve));
      stop.abort();
      const result = await pending;
      expect(result).toMatchObject({
        status: undefined,
        aborted: true,
        stoppedBeforeRetry: true,
        lostAttempts: [1],
        attempts: 1,
      });
    } finally {
      await api.close();
    }
  });
});

describe('hostile answers', () => {
  it('reads at most 1 MB of an answer: an endless error body neither hangs nor fills memory', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const { baseUrl } = await serve((_req, res) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      const pump = (): void => {
        while (res.write(chunk));
      };
      res.on('drain', pump);
      pump();
    });
    const api = client(baseUrl, { retries: 0 });
    try {
      const result = await api.put('A1', CONTACT);
      expect(result.status).toBe(400);
      expect(typeof result.body === 'string' && result.body.length).toBe(1024 * 1024);
      expect(result.message?.length).toBe(200);
    } finally {
      await api.close();
    }
  });

  it('a 2xx write that is not JSON, a PUT 404 and a 404 without the API error body are not the API', async () => {
    const { baseUrl } = await serve((req, res) => {
      if (req.url?.endsWith('/LOGIN'))
        return res.writeHead(200, { 'content-type': 'text/html' }).end('<html>Login page</html>');
      if (req.url?.endsWith('/HTML404'))
        return res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>');
      return json(res, 404, { message: 'A Contact with this System ID was not found', status: 404 });
    });
    const fatal: string[] = [];
    const api = client(baseUrl, { onFatal: (e) => fatal.push(e.code) });
    try {
      expect((await api.put('LOGIN', CONTACT)).fatal).toBeInstanceOf(ApiError);
      expect((await api.put('API404', CONTACT)).fatal?.message).toMatch(/never does for a PUT/);
      expect((await api.getOne('HTML404')).fatal?.hint).toBe(
        'this base URL does not look like the CIOPulse API (it usually ends in /api/v5)',
      );
      const real = await api.remove('API404');
      expect(real.fatal).toBeUndefined();
      expect(real.status).toBe(404);
      expect((await api.getOne('ciopulse-contacts-credential-check-x')).fatal).toBeUndefined();
    } finally {
      await api.close();
    }
    expect(fatal).toEqual(['not_the_api', 'not_the_api', 'not_the_api']);
  });

  it('redacts a reflected Authorization header from every server message', async () => {
    const { baseUrl } = await serve((req, res) =>
      json(res, 400, {
        message: `bad request with ${req.headers.authorization ?? ''} (key ${TEST_API_KEY})`,
        status: 400,
      }),
    );
    const api = client(baseUrl);
    try {
      const result = await api.put('A1', CONTACT);
      const base64 = Buffer.from(`${TEST_PORTAL_CODE}:${TEST_API_KEY}`).toString('base64');
      expect(result.message).toBe('bad request with Basic [redacted] (key [redacted])');
      expect(JSON.stringify(result.body)).not.toContain(base64);
      expect(JSON.stringify(result.body)).not.toContain(TEST_API_KEY);
    } finally {
      await api.close();
    }
  });

  it('the redactor hides the key, the credential, the pair and any Basic value', () => {
    const redact = createRedactor(`Basic ${Buffer.from('PORTAL:abcdefghij0123456789').toString('base64')}`);
    expect(redact('k=abcdefghij0123456789 p=PORTAL:abcdefghij0123456789 h=Basic Zm9vOmJhcg==')).toBe(
      'k=[redacted] p=[redacted] h=Basic [redacted]',
    );
  });
});

describe('proxies', () => {
  it('one connect try per attempt when the proxy drops CONNECT, bounded by --retries', async () => {
    const proxy = await droppingProxy(listen);
    const { baseUrl, requests } = await serve((_req, res) => json(res, 200, {}));
    const origin = new URL(baseUrl).origin;
    const dispatcher = createDispatcher(origin, {
      connections: 1,
      timeoutMs: 5000,
      env: { HTTP_PROXY: proxy.url },
      proxyLoopback: true,
    });
    const api = client(baseUrl, { dispatcher, retries: 2 });
    try {
      const result = await api.put('A1', CONTACT);
      expect(result).toMatchObject({
        status: undefined,
        attempts: 3,
        message: 'the proxy did not open a connection to the server',
        lostAttempts: [],
      });
    } finally {
      await api.close();
      await dispatcher.close();
    }
    expect(proxy.connections()).toBe(3);
    expect(requests()).toBe(0);
  });

  it('never sends loopback through HTTP_PROXY or HTTPS_PROXY', async () => {
    const proxy = await droppingProxy(listen);
    const { baseUrl, requests } = await serve((_req, res) => json(res, 201, {}));
    for (const host of ['127.0.0.1']) {
      const origin = new URL(baseUrl.replace('127.0.0.1', host)).origin;
      const dispatcher = createDispatcher(origin, {
        connections: 1,
        timeoutMs: 5000,
        env: { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, NO_PROXY: '' },
      });
      const api = client(baseUrl.replace('127.0.0.1', host), { dispatcher });
      try {
        expect((await api.put('A1', CONTACT)).status).toBe(201);
      } finally {
        await api.close();
        await dispatcher.close();
      }
    }
    expect(proxy.connections()).toBe(0);
    expect(requests()).toBe(1);
  });
});

describe('withApiClient', () => {
  it('closes the client, and so its keep-alive socket, when the job throws', async () => {
    const { baseUrl, server } = await serve((_req, res) => json(res, 404, { message: 'not found', status: 404 }));
    // Longer than the wait below: only the client's close can end the socket in time.
    server.keepAliveTimeout = 60_000;
    const closed = new Promise<void>((resolve) => server.once('connection', (socket) => socket.once('close', resolve)));
    const job = withApiClient(
      { connection: { baseUrl, portalCode: TEST_PORTAL_CODE, apiKey: new Secret(TEST_API_KEY) }, retries: 0 },
      async (api) => {
        expect((await api.getOne('X1')).status).toBe(404);
        throw new Error('the job failed');
      },
    );
    await expect(job).rejects.toThrow('the job failed');
    const bound = new Promise<string>((resolve) => setTimeout(() => resolve('still open'), 3000).unref());
    await expect(Promise.race([closed.then(() => 'closed'), bound])).resolves.toBe('closed');
  });
});
