/**
 * `check` passes only when the server proves it is the API and knows the key (issue 23, item 8):
 * the API's JSON 404 to the real key for a made-up system_id, and 401 to a deliberately wrong key
 * at the same URL. A root URL, `/api/v4`, or a server that answers 404 whatever the key fails.
 */
import { createServer } from 'node:http';
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRunClient } from '../src/execute/send.js';
import { createRunControl } from '../src/run/control.js';
import { importContacts } from '../src/index.js';
import { FileError } from '../src/errors.js';
import { runCredentialCheck } from '../src/api/credentials.js';
import { Secret, type Connection } from '../src/config.js';
import { json, useLoopbackServers } from './loopback-servers.js';
import { emulatorEnv, runCli, tempDir, TEST_API_KEY, TEST_PORTAL_CODE, useEmulators } from './helpers.js';

const emulator = useEmulators();
const listen = useLoopbackServers();

function connection(baseUrl: string, apiKey = TEST_API_KEY): Connection {
  return { baseUrl, portalCode: TEST_PORTAL_CODE, apiKey: new Secret(apiKey) };
}

const check = (conn: Connection) => runCredentialCheck({ connection: conn, retries: 0, timeoutMs: 5000 });

describe('the credential check proves the API and the key (issue 23, item 8)', () => {
  it('passes against the emulator at its base URL: 404 to the key, 401 to a wrong one', async () => {
    const emu = await emulator();
    const verdict = await check(connection(emu.baseUrl));
    expect(verdict).toMatchObject({ ok: true });
    expect(verdict.ok && verdict.proof).toMatch(/deliberately wrong key with 401/);
    // Two GETs of the same made-up contact: the same URL, one key each.
    const gets = emu.log().filter((entry) => entry.method === 'GET');
    expect(gets).toHaveLength(2);
    expect(gets[0]?.systemId).toBe(gets[1]?.systemId);
  });

  it('refuses the wrong key itself: 401, with the one 401 hint', async () => {
    const emu = await emulator();
    const verdict = await check(connection(emu.baseUrl, 'w'.repeat(40)));
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.reason).toBe('auth');
    expect(verdict.error.hint).toMatch(/IP allow-list.*emulator, it makes a new key/);
  });

  for (const [name, path] of [
    ['the root URL', ''],
    ['/api/v4', '/api/v4'],
    ['/api/v5/contacts (one level too deep)', '/api/v5/contacts'],
  ] as const) {
    for (const key of [TEST_API_KEY, 'w'.repeat(40)]) {
      it(`fails for ${name} of the emulator, ${key === TEST_API_KEY ? 'the right key' : 'a wrong key'}: not the API`, async () => {
        const emu = await emulator();
        const verdict = await check(connection(`${emu.baseUrl.replace('/api/v5', '')}${path}`, key));
        expect(verdict.ok).toBe(false);
        if (verdict.ok) return;
        expect(verdict.reason).toBe('not_api');
        expect(verdict.error.hint).toMatch(/usually ends in \/api\/v5/);
      });
    }
  }

  it("fails for a server that answers the API's own JSON 404 whatever the key", async () => {
    const base = await listen(
      createServer((_req, res) =>
        json(res, 404, { message: 'A Contact with this System ID was not found', status: 404 }),
      ),
    );
    const verdict = await check(connection(`${base}/api/v5`));
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.reason).toBe('not_api');
    expect(verdict.error.message).toMatch(/answered 404 to a deliberately wrong key instead of 401/);
  });

  it('fails for a server that answers 200 JSON to everything (a catch-all stub)', async () => {
    const base = await listen(createServer((_req, res) => json(res, 200, { ok: true })));
    const verdict = await check(connection(`${base}/api/v5`));
    expect(verdict).toMatchObject({ ok: false, reason: 'not_api' });
  });

  it('fails for a web server: a plain 404 page', async () => {
    const base = await listen(
      createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>404</h1>')),
    );
    const verdict = await check(connection(`${base}/api/v5`));
    expect(verdict).toMatchObject({ ok: false, reason: 'not_api' });
  });

  it('the CLI: exit 0 at the base URL; exit 2 with the base-URL hint at the root URL and at /api/v4', async () => {
    const emu = await emulator();
    const good = await runCli(['check'], { env: emulatorEnv(emu) });
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toMatch(/credentials\s+work \(the API refused a deliberately wrong key with 401/);
    for (const base of [emu.baseUrl.replace('/api/v5', ''), emu.baseUrl.replace('/api/v5', '/api/v4')]) {
      const bad = await runCli(['check'], { env: { ...emulatorEnv(emu), CIOPULSE_BASE_URL: base } });
      expect(bad.code, base).toBe(2);
      expect(bad.stdout).not.toMatch(/credentials\s+work/);
      expect(bad.stderr).toMatch(/^error: .*this does not look like the CIOPulse API/m);
      expect(bad.stderr).toMatch(
        /^hint: this base URL does not look like the CIOPulse API \(it usually ends in \/api\/v5\)/m,
      );
    }
  });
});

describe('export against a wrong base URL (issue 23, item 12)', () => {
  it("exits 2 with the base-URL hint, as import does, when the list answers 404, even with the API's JSON body", async () => {
    const emu = await emulator();
    const jsonEverywhere = await listen(
      createServer((_req, res) =>
        json(res, 404, { message: 'A Contact with this System ID was not found', status: 404 }),
      ),
    );
    for (const base of [
      emu.baseUrl.replace('/api/v5', ''),
      emu.baseUrl.replace('/api/v5', '/api/v4'),
      `${jsonEverywhere}/api/v5`,
    ]) {
      const result = await runCli(['export'], { env: { ...emulatorEnv(emu), CIOPULSE_BASE_URL: base } });
      expect(result.code, base).toBe(2);
      expect(result.stderr).toMatch(
        /^hint: this base URL does not look like the CIOPulse API \(it usually ends in \/api\/v5\)/m,
      );
      expect(result.stderr).not.toMatch(/system_id is matched exactly/);
    }
  });
});

describe('a run asks its credential check beside the pre-pass (issue 21)', () => {
  /** A server that counts each GET and holds its answer until `answer` is called. */
  async function holdingServer() {
    const held: (() => void)[] = [];
    let gets = 0;
    let arrived: () => void = () => undefined;
    const firstGet = new Promise<void>((resolve) => (arrived = resolve));
    const url = await listen(
      createServer((req, res) => {
        if (req.method === 'GET') gets++;
        arrived();
        held.push(() => json(res, 404, { message: 'A Contact with this System ID was not found', status: 404 }));
      }),
    );
    return { url, firstGet, gets: () => gets, answer: () => held.splice(0).forEach((send) => send()) };
  }

  it('sends the check as the client is made, and judges that one answer', async () => {
    const server = await holdingServer();
    const control = createRunControl(undefined);
    const run = await createRunClient({ connection: connection(`${server.url}/api/v5`), retries: 0 }, control);
    try {
      // Nobody has asked for a verdict yet: the GET is already on its way.
      await server.firstGet;
      expect(server.gets()).toBe(1);
      const judged = run.checkCredentials();
      server.answer();
      await judged;
      expect(control.stopped()).toBeUndefined();
      expect(server.gets()).toBe(1);
    } finally {
      await run.close();
      control.dispose();
    }
  });

  it('a run that fails before its first row ends at once, without waiting for an unanswered check', async () => {
    const server = await holdingServer();
    const dir = tempDir('check-beside-');
    const input = join(dir, 'in.csv');
    writeFileSync(input, 'system_id,first_name,last_name,email\nH1,Ann,Lee,h1@example.com\n');
    const started = performance.now();
    const error = await importContacts({
      input,
      connection: connection(`${server.url}/api/v5`),
      results: join(dir, 'r.csv'),
      timeoutMs: 60_000,
      // Between the first open and the pre-pass: the file changes, and the pre-pass refuses it.
      onStart: () => utimesSync(input, new Date(), new Date(Date.now() + 5000)),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileError);
    // The check was cut off, on its way or held by the server, not waited for: its time limit is a minute.
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});
