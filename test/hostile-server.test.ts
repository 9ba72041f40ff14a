/**
 * The real CLI against a small node:http server on 127.0.0.1 that misbehaves on purpose: a login
 * page that answers 200, HTML 404s, bodies that never end, Retry-After in the days, an echoed
 * Authorization header, a server that is always 503. It stands in for a broken network or a wrong
 * base URL, not for the API (the emulator does that). Each case takes seconds.
 */
import { describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import {
  TEST_API_KEY,
  TEST_PORTAL_CODE,
  emulatorEnv,
  readResults,
  runCli,
  startCli,
  tempDir,
  useEmulators,
  writeFile,
  type CliResult,
  CSV_HEADER as HEADER,
} from './helpers.js';
import { droppingProxy, json, useLoopbackServers } from './loopback-servers.js';

const NOT_THE_API = 'this base URL does not look like the CIOPulse API (it usually ends in /api/v5)';
const BASE64 = Buffer.from(`${TEST_PORTAL_CODE}:${TEST_API_KEY}`).toString('base64');

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface Hostile {
  env: Record<string, string>;
  /** Requests seen, as "METHOD path-after-/api/v5". */
  log: string[];
}

const listen = useLoopbackServers();

async function hostile(handler: Handler): Promise<Hostile> {
  const log: string[] = [];
  const server = createServer((req, res) => {
    log.push(`${req.method ?? ''} ${(req.url ?? '').replace(/^\/api\/v5/, '')}`);
    req.resume();
    handler(req, res);
  });
  const baseUrl = `${await listen(server)}/api/v5`;
  return {
    env: { CIOPULSE_BASE_URL: baseUrl, CIOPULSE_PORTAL_CODE: TEST_PORTAL_CODE, CIOPULSE_API_KEY: TEST_API_KEY },
    log,
  };
}

/** The credential check's GET gets the API's own 404, so the run gets as far as its PUTs. */
function apiNotFound(res: ServerResponse): void {
  json(res, 404, { message: 'A Contact with this System ID was not found', status: 404 });
}

function csv(count: number): string {
  const lines = [HEADER];
  for (let i = 0; i < count; i++) lines.push(`H${i},Ann,Lee,h${i}@example.com,Dev,`);
  return `${lines.join('\n')}\n`;
}

/** Starts the CLI and sends SIGINT once `when` resolves; resolves with the transcript. */
async function runInterrupted(args: string[], env: Record<string, string>, when: Promise<void>): Promise<CliResult> {
  const { child, done } = startCli(args, env);
  const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
  try {
    await Promise.race([when.then(() => child.kill('SIGINT')), done]);
    return await done;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    clearTimeout(guard);
  }
}

describe('a server that is not the API', () => {
  it('a 200 login page to every PUT stops the run at the first one: exit 2, nothing counted as updated', async () => {
    const server = await hostile((req, res) =>
      req.method === 'GET'
        ? apiNotFound(res)
        : res.writeHead(200, { 'content-type': 'text/html' }).end('<html>Login page</html>'),
    );
    const dir = tempDir('login-');
    const file = writeFile(dir, 'c.csv', csv(40));
    const result = await runCli(['import', file, '--concurrency', '2'], { env: server.env });
    expect(result.code).toBe(2);
    expect(result.stderr + result.stdout).toContain(NOT_THE_API);
    const rows = readResults(join(dir, 'c.results.csv'));
    expect(rows).toHaveLength(40);
    expect(rows.filter((r) => r.status === 'updated' || r.status === 'created')).toHaveLength(0);
    expect(rows[0]?.error).toMatch(/not_the_api/);
    // Stopped within the requests already in flight, not after 40 PUTs.
    expect(server.log.filter((l) => l.startsWith('PUT')).length).toBeLessThanOrEqual(2);
  });

  it('an HTML 404 at the credential check stops before any PUT, with the base URL hint', async () => {
    const server = await hostile((_req, res) =>
      res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>'),
    );
    const dir = tempDir('html404-');
    const file = writeFile(dir, 'c.csv', csv(5));
    const result = await runCli(['import', file], { env: server.env });
    expect(result.code).toBe(2);
    expect(result.stderr + result.stdout).toContain(NOT_THE_API);
    expect(server.log.filter((l) => l.startsWith('PUT'))).toHaveLength(0);
  });

  it('export of a base URL that answers HTML 404s says it is not the API', async () => {
    const server = await hostile((_req, res) =>
      res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>'),
    );
    const result = await runCli(['export'], { env: server.env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(NOT_THE_API);
  });

  it('a PUT answered 404 (even in the API shape) stops the run like a 401', async () => {
    const server = await hostile((_req, res) => apiNotFound(res));
    const dir = tempDir('put404-');
    const file = writeFile(dir, 'c.csv', csv(30));
    const result = await runCli(['import', file, '--concurrency', '1'], { env: server.env });
    expect(result.code).toBe(2);
    expect(server.log.filter((l) => l.startsWith('PUT'))).toHaveLength(1);
    expect(readResults(join(dir, 'c.results.csv')).filter((r) => r.status === 'skipped')).toHaveLength(29);
  });
});

describe('answers the API document does not show', () => {
  it('a write answered 204, or 2xx with an empty body, is applied, and detail says the body was empty', async () => {
    const server = await hostile((req, res) => {
      if (req.method === 'GET') return apiNotFound(res);
      // H0 gets 204, H1 a 201 with nothing after it, H2 a 200 with a blank body.
      if (req.url?.endsWith('/H0')) return res.writeHead(204).end();
      if (req.url?.endsWith('/H1')) return res.writeHead(201, { 'content-length': '0' }).end();
      return res.writeHead(200, { 'content-type': 'application/json' }).end('  ');
    });
    const dir = tempDir('empty2xx-');
    const file = writeFile(dir, 'c.csv', csv(3));
    const result = await runCli(['import', file], { env: server.env });
    expect(result.code).toBe(0);
    const rows = readResults(join(dir, 'c.results.csv'));
    expect(rows.map((r) => [r.status, r.http_status])).toEqual([
      ['updated', '204'],
      ['created', '201'],
      ['updated', '200'],
    ]);
    for (const row of rows) expect(row.detail).toContain('with an empty body');
    expect(rows[0]?.detail).toContain('did not say whether');
  });

  it('a 204 to a DELETE is deleted', async () => {
    const server = await hostile((req, res) => (req.method === 'GET' ? apiNotFound(res) : res.writeHead(204).end()));
    const dir = tempDir('del204-');
    const file = writeFile(dir, 'd.csv', 'system_id\nA1\nA2\n');
    const result = await runCli(['delete', file, '--yes'], { env: server.env });
    expect(result.code).toBe(0);
    expect(readResults(join(dir, 'd.delete.csv')).map((r) => r.status)).toEqual(['deleted', 'deleted']);
  });

  for (const status of [301, 302, 307, 308]) {
    it(`a write answered ${status} stops the run (exit 2) naming the Location, never following it`, async () => {
      let followed = 0;
      const target = await hostile(() => followed++);
      const server = await hostile((req, res) =>
        req.method === 'GET'
          ? apiNotFound(res)
          : res.writeHead(status, { location: `${target.env.CIOPULSE_BASE_URL}${req.url?.slice(7) ?? ''}` }).end(),
      );
      const dir = tempDir('redirect-');
      const file = writeFile(dir, 'c.csv', csv(30));
      const result = await runCli(['import', file, '--concurrency', '2'], { env: server.env });
      expect(result.code).toBe(2);
      // Two rows are in flight: either may be the first answered.
      const base = target.env.CIOPULSE_BASE_URL ?? '';
      expect(result.stderr).toMatch(
        new RegExp(`the API answered with a redirect to ${base}/contacts/H[01]; set the base URL to ${base};`),
      );
      expect(result.stderr + result.stdout).not.toContain('fix the errors');
      expect(server.log.filter((l) => l.startsWith('PUT')).length).toBeLessThanOrEqual(2);
      expect(followed).toBe(0);
    });
  }
});

describe('bodies that would hang or fill memory', () => {
  it('get: an endless 200 body is read up to 1 MB, then refused', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const server = await hostile((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"contact":{"Notes":"');
      const pump = (): void => {
        while (res.write(chunk));
      };
      res.on('drain', pump);
      pump();
    });
    const result = await runCli(['get', 'X1'], { env: server.env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/answered 200 with a body over 1 MB/);
    expect(result.stderr).toContain(NOT_THE_API);
  });

  it('--timeout is a deadline for the whole attempt: a body dripping one byte at a time does not hold the row', async () => {
    const server = await hostile((req, res) => {
      if (req.method === 'GET') return apiNotFound(res);
      res.writeHead(500, { 'content-type': 'application/json' });
      const timer = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(timer));
    });
    const dir = tempDir('drip-');
    const file = writeFile(dir, 'c.csv', csv(1));
    const result = await runCli(['import', file, '--timeout', '400', '--retries', '0'], { env: server.env });
    expect(result.code).toBe(1);
    const [row] = readResults(join(dir, 'c.results.csv'));
    expect(row?.error).toMatch(/no answer within the time limit/);
  });

  it('Ctrl-C during an answer that never ends: stops after the grace period with 130', async () => {
    let arrived: () => void = () => undefined;
    const putArrived = new Promise<void>((resolve) => (arrived = resolve));
    const server = await hostile((req, res) => {
      if (req.method === 'GET') return apiNotFound(res);
      arrived();
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(timer));
    });
    const dir = tempDir('drip-int-');
    const file = writeFile(dir, 'c.csv', csv(3));
    const result = await runInterrupted(
      ['import', file, '--concurrency', '1', '--timeout', '600000'],
      server.env,
      putArrived,
    );
    expect(result.code).toBe(130);
    const rows = readResults(join(dir, 'c.results.csv'));
    expect(rows.map((r) => r.status)).not.toContain('updated');
    expect(rows[0]?.detail + (rows[0]?.error ?? '')).toMatch(/stopped while waiting for the answer|lost/);
  });
});

describe('Retry-After and the stop signal', () => {
  it('clamps Retry-After: 999999 and 99999999 to --max-retry-wait, and the detail says so', async () => {
    const server = await hostile((req, res) => {
      if (req.method === 'GET') return apiNotFound(res);
      const huge = req.url?.endsWith('/H0') === true ? '999999' : '99999999';
      json(res, 429, { message: 'Too many requests', status: 429 }, { 'retry-after': huge });
    });
    const dir = tempDir('clamp-');
    const file = writeFile(dir, 'c.csv', csv(2));
    const result = await runCli(['import', file, '--retries', '1', '--max-retry-wait', '1'], {
      env: server.env,
      timeoutMs: 30_000,
    });
    expect(result.code).toBe(1);
    const rows = readResults(join(dir, 'c.results.csv'));
    expect(rows.map((r) => r.detail)).toEqual([
      expect.stringMatching(/Retry-After asked for 999999 s; waited 1 s/),
      expect.stringMatching(/Retry-After asked for 99999999 s; waited 1 s/),
    ]);
    // Each row used its whole retry budget: two attempts, never a 1 ms retry from a timer overflow.
    expect(server.log.filter((l) => l.startsWith('PUT'))).toHaveLength(4);
  });

  it('export honours Ctrl-C while it waits to retry a 503: exit 130 after one request', async () => {
    let arrived: () => void = () => undefined;
    const first = new Promise<void>((resolve) => (arrived = resolve));
    const server = await hostile((_req, res) => {
      json(res, 503, { message: 'Service unavailable', status: 503 }, { 'retry-after': '30' });
      arrived();
    });
    const result = await runInterrupted(['export'], server.env, first);
    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(/interrupted: nothing was written/);
    expect(server.log).toHaveLength(1);
  });
});

describe('a slow --rate and the stop signal', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} wakes a row waiting for its --rate token: the run ends at once, exit 130`, async () => {
      let arrived: () => void = () => undefined;
      const first = new Promise<void>((resolve) => (arrived = resolve));
      const server = await hostile((req, res) => {
        if (req.method !== 'GET') return json(res, 200, {});
        apiNotFound(res);
        arrived();
      });
      const dir = tempDir('rate-');
      const file = writeFile(dir, 'c.csv', csv(3));
      const started = Date.now();
      const { child, done } = startCli(['import', file, '--rate', '0.001'], server.env);
      // The credential check goes at once; the first PUT then waits 1000 s for its token.
      const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await first;
      child.kill(signal);
      const result = await done;
      clearTimeout(guard);
      expect(result.code).toBe(130);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(readResults(join(dir, 'c.results.csv')).map((r) => r.status)).toEqual(['skipped', 'skipped', 'skipped']);
    });
  }
});

describe('echoed credentials', () => {
  it('redacts a reflected Authorization header from the 401 line, the results file and the summary', async () => {
    const echo = (req: IncomingMessage): string => `denied for ${req.headers.authorization ?? ''} key=${TEST_API_KEY}`;
    const at401 = await hostile((req, res) => json(res, 401, { message: echo(req), status: 401 }));
    const dir = tempDir('echo-');
    const file = writeFile(dir, 'c.csv', csv(2));
    const refused = await runCli(['import', file], { env: at401.env });
    expect(refused.code).toBe(2);
    expect(refused.stderr + refused.stdout).toMatch(/Basic \[redacted\] key=\[redacted\]/);

    const at400 = await hostile((req, res) =>
      req.method === 'GET' ? apiNotFound(res) : json(res, 400, { message: echo(req), status: 400 }),
    );
    const rejected = await runCli(['import', file], { env: at400.env });
    expect(rejected.code).toBe(1);
    const rows = readResults(join(dir, 'c.results.csv'));
    expect(rows[0]?.error).toMatch(/Basic \[redacted\] key=\[redacted\]/);
    for (const text of [refused.stdout, refused.stderr, rejected.stdout, rejected.stderr, JSON.stringify(rows)]) {
      expect(text).not.toContain(BASE64);
      expect(text).not.toContain(TEST_API_KEY);
    }
  });
});

describe('proxies', () => {
  const emulator = useEmulators();

  it('loopback never goes through HTTP_PROXY or HTTPS_PROXY, whatever NO_PROXY says', async () => {
    const proxy = await droppingProxy(listen);
    const url = proxy.url;
    const emu = await emulator();
    const dir = tempDir('noproxy-');
    const file = writeFile(dir, 'c.csv', csv(5));
    const result = await runCli(['import', file], {
      env: { ...emulatorEnv(emu), HTTP_PROXY: url, HTTPS_PROXY: url, NO_PROXY: '' },
    });
    expect(result.code).toBe(0);
    expect(emu.contacts()).toHaveLength(5);
    expect(proxy.connections()).toBe(0);
  });
});
