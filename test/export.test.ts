/**
 * export and get, end to end: the real CLI against the emulator, and against a tiny node:http
 * server for the response shapes the emulator does not produce (the API document leaves the
 * listing's shape open, and its one example is not even valid JSON). Plus the pure helpers.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Contact } from '../src/contact/schema.js';
import type { Emulator } from '../src/emulator/server.js';
import { resolveConnection } from '../src/config.js';
import { createBareIdScanner } from '../src/remote/bare-ids.js';
import { createRepeatTracker, describeRepeat } from '../src/remote/repeated-ids.js';
import { EXPORT_COLUMNS, exportContacts, extractRecords, normaliseKey, toCell } from '../src/export/index.js';
import { CLI, emulatorEnv, readCsv, runCli, tempDir, TEST_API_KEY, TEST_PORTAL_CODE, useEmulators } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((close) => close()));
});
const start = useEmulators();

async function emulator(contacts: Contact[] = []): Promise<Emulator> {
  const emu = await start();
  emu.seedContacts(contacts);
  return emu;
}

interface TestServer {
  baseUrl: string;
  portalCode: string;
  apiKey: string;
  requests: () => number;
}

/** A loopback server that answers GET /api/v5/contacts with `handler`; for shapes the emulator never sends. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/api/v5`,
    portalCode: TEST_PORTAL_CODE,
    apiKey: TEST_API_KEY,
    requests: () => requests,
  };
}

function serveJson(text: string, status = 200): Promise<TestServer> {
  return serve((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
}

const contact = (c: Partial<Contact> & { system_id: string }): Contact => ({
  first_name: null,
  last_name: null,
  email: null,
  job_title: null,
  mobile: null,
  ...c,
});

const HEADER = EXPORT_COLUMNS.join(',');

/** `export --out <dir>/out.csv ...args`; returns the CLI result, the file text and the folder listing. */
async function exportTo(
  server: { baseUrl: string; portalCode: string; apiKey: string },
  args: string[] = [],
  existing?: string,
) {
  const dir = tempDir('export-');
  const out = join(dir, 'out.csv');
  if (existing !== undefined) writeFileSync(out, existing);
  const result = await runCli(['export', '--out', out, ...args], { env: emulatorEnv(server) });
  const text = existsSync(out) ? readFileSync(out, 'utf8') : undefined;
  return { dir, out, result, text, files: readdirSync(dir) };
}

/**
 * The same export through the library, in-process: for the cases about reading the answer's
 * shape and bytes, where the CLI adds nothing and a process start per case is the cost.
 */
async function exportInProcess(server: { baseUrl: string; portalCode: string; apiKey: string }, name = 'out.csv') {
  const out = join(tempDir('export-lib-'), name);
  const env = {
    CIOPULSE_BASE_URL: server.baseUrl,
    CIOPULSE_PORTAL_CODE: server.portalCode,
    CIOPULSE_API_KEY: server.apiKey,
  };
  const warnings: string[] = [];
  const connection = resolveConnection({}, env);
  const summary = await exportContacts({ connection, retries: 0, out, onWarning: (w) => warnings.push(w) });
  return { summary, out, warnings };
}

function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('error:'));
}

function expectNoStack(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at /m);
}

describe('export against the emulator', () => {
  const seeded: Contact[] = [
    contact({
      system_id: 'A1',
      first_name: 'Tim',
      last_name: 'Test',
      email: 'tim@example.com',
      job_title: null,
      mobile: '+61411112233',
    }),
    contact({
      system_id: 'A2',
      first_name: 'Zoë',
      last_name: 'Ångström-你好',
      email: 'zoe@example.com',
      job_title: 'Head, Ops',
      mobile: null,
    }),
    contact({
      system_id: 'A3',
      first_name: 'Emoji 😀',
      last_name: 'Smith, Jr',
      email: 'e@example.com',
      job_title: '007',
      mobile: '+4915112345678',
    }),
    contact({
      system_id: '000123',
      first_name: null,
      last_name: null,
      email: null,
      job_title: '12345678901234567890',
      mobile: null,
    }),
  ];

  it('writes the six columns in order, in creation order; nulls are empty cells; CRLF; a one-line summary', async () => {
    const emu = await emulator(seeded);
    const { result, text, files } = await exportTo(emu);
    expect(result.code).toBe(0);
    expect(text).toBe(
      [
        HEADER,
        'A1,Tim,Test,tim@example.com,,+61411112233',
        'A2,Zoë,Ångström-你好,zoe@example.com,"Head, Ops",',
        'A3,Emoji 😀,"Smith, Jr",e@example.com,007,+4915112345678',
        '000123,,,,12345678901234567890,',
        '',
      ].join('\r\n'),
    );
    expect(result.stderr).toMatch(/^exported 4 contacts to .*out\.csv in \d+(\.\d)? s\n$/);
    expect(result.stdout).toBe('');
    // Only the CSV is left: no temporary file, no spool.
    expect(files).toEqual(['out.csv']);
  });

  it('writes to stdout without --out, with the summary on stderr', async () => {
    const emu = await emulator(seeded.slice(0, 1));
    const result = await runCli(['export'], { env: emulatorEnv(emu) });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${HEADER}\r\nA1,Tim,Test,tim@example.com,,+61411112233\r\n`);
    expect(result.stderr).toMatch(/^exported 1 contact to stdout/);
  });

  it('writes the same bytes to stdout as to --out, a bare line break quoted, --bom included', async () => {
    const emu = await emulator([
      ...seeded.slice(0, 2),
      contact({ system_id: 'LF', job_title: 'line\none', email: 'lf@example.com' }),
    ]);
    const { result: toFile, out } = await exportTo(emu, ['--bom']);
    const toStdout = await runCli(['export', '--bom'], { env: emulatorEnv(emu) });
    expect([toFile.code, toStdout.code]).toEqual([0, 0]);
    expect(toStdout.stdout).toBe(readFileSync(out, 'utf8'));
    expect(toStdout.stdout).toContain('"line\none"');
  });

  it('writes only the header for an empty portal', async () => {
    const emu = await emulator();
    const { result, text } = await exportTo(emu);
    expect(result.code).toBe(0);
    expect(text).toBe(`${HEADER}\r\n`);
  });

  it('--bom starts the file with a UTF-8 byte order mark', async () => {
    const emu = await emulator(seeded.slice(1, 2));
    const { result, out } = await exportTo(emu, ['--bom']);
    expect(result.code).toBe(0);
    const bytes = readFileSync(out);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.subarray(3).toString('utf8').startsWith(`${HEADER}\r\n`)).toBe(true);
  });

  it("--excel-safe prefixes ' to formula-like cells only, full-width look-alikes included", async () => {
    const emu = await emulator([
      contact({
        system_id: 'X1',
        first_name: '=1+1',
        last_name: '-x',
        email: 'x1@example.com',
        job_title: '@x',
        mobile: '+61411112233',
      }),
      contact({
        system_id: 'X2',
        first_name: '＝x',
        last_name: 'Plain',
        email: 'x2@example.com',
        job_title: 'a=b',
        mobile: null,
      }),
    ]);
    const safe = await exportTo(emu, ['--excel-safe']);
    expect(safe.result.code).toBe(0);
    expect(readCsv(safe.out).slice(1)).toEqual([
      ['X1', "'=1+1", "'-x", 'x1@example.com', "'@x", "'+61411112233"],
      ['X2', "'＝x", 'Plain', 'x2@example.com', 'a=b', ''],
    ]);
    const plain = await exportTo(emu);
    expect(readCsv(plain.out)[1]).toEqual(['X1', '=1+1', '-x', 'x1@example.com', '@x', '+61411112233']);
  });

  it('--json with --out prints a machine-readable summary on stdout', async () => {
    const emu = await emulator(seeded);
    const { result, out } = await exportTo(emu, ['--json']);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({
      command: 'export',
      rows: 4,
      columns: [...EXPORT_COLUMNS],
      repaired: false,
      out,
      warnings: [],
    });
    expect(result.stderr).toBe('');
  });

  it('--json without --out is a usage error: stdout carries the CSV', async () => {
    const emu = await emulator(seeded);
    const result = await runCli(['export', '--json'], { env: emulatorEnv(emu) });
    expect(result.code).toBe(2);
    expect(errorLines(result.stderr)).toEqual(['error: --json needs --out: without it, stdout carries the CSV itself']);
    expect(emu.stats().requests).toBe(0);
  });

  it('a 401 exits 2, names the likely causes, and leaves an existing file untouched', async () => {
    const emu = await emulator(seeded);
    const { result, text } = await exportTo({ ...emu, apiKey: 'x'.repeat(40) }, [], 'old,file\r\n');
    expect(result.code).toBe(2);
    expect(errorLines(result.stderr)).toEqual([
      'error: the API refused the credentials (401 Invalid security credentials)',
    ]);
    expect(result.stderr).toMatch(/portal code.*API key.*IP allow-list/);
    expectNoStack(result.stderr);
    expect(text).toBe('old,file\r\n');
  });
});

describe('export to a pipe that closes early', () => {
  it('`export | head` stops quietly with exit 0', async () => {
    const contacts = Array.from({ length: 200 }, (_, i) =>
      contact({
        system_id: `P${i}`,
        first_name: 'A',
        last_name: 'B',
        email: `p${i}@example.com`,
        job_title: 'x'.repeat(50),
        mobile: null,
      }),
    );
    const emu = await emulator(contacts);
    // A real `head -1`, with pipefail so the exit status is the CLI's own.
    const outcome = await new Promise<{ code: number | null; stderr: string; first: string }>((resolve) => {
      const child = spawn('bash', ['-c', `set -o pipefail; "${process.execPath}" "${CLI}" export | head -1`], {
        env: { ...process.env, ...emulatorEnv(emu), NO_COLOR: '1' },
      });
      let first = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (first += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('close', (code) => resolve({ code, stderr, first }));
    });
    expect(outcome.first.trim()).toBe(HEADER);
    expect(outcome.code).toBe(0);
    expect(outcome.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('export: the shapes of the answer', () => {
  const records = [
    {
      System_ID: 'S1',
      First_Name: 'Ann',
      Last_Name: 'Lee',
      Email: 'ann@example.com',
      Job_Title: null,
      Mobile: '+61411112233',
    },
    { System_ID: 'S2', First_Name: 'Bob', Last_Name: 'Ray', Email: 'bob@example.com', Job_Title: 'Dev', Mobile: null },
  ];
  const expected = [
    ['S1', 'Ann', 'Lee', 'ann@example.com', '', '+61411112233'],
    ['S2', 'Bob', 'Ray', 'bob@example.com', 'Dev', ''],
  ];

  it.each([
    ['a bare array', JSON.stringify(records)],
    [
      'an object holding one array, beside other keys',
      JSON.stringify({ status: 200, count: 2, meta: { page: [1] }, contacts: records }),
    ],
    ['single-key wrappers', JSON.stringify({ contacts: records.map((r) => ({ contact: r })) })],
    ['a bare array of wrappers', JSON.stringify(records.map((r) => ({ person: r })))],
  ])('reads %s', async (_name, body) => {
    const server = await serveJson(body);
    const { result, out } = await exportTo(server);
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(/warning/);
    expect(readCsv(out)).toEqual([[...EXPORT_COLUMNS], ...expected]);
  });

  it('maps keys in any case and spelling; extra fields follow the six in first-seen order', async () => {
    // Score is written as raw JSON text: a JS number literal would already have lost the digits.
    const body = JSON.stringify({
      data: [
        {
          MOBILE: '+61411112233',
          system_id: 'K1',
          FirstName: 'Ann',
          EMAIL: 'ann@example.com',
          Department_Code: 'SDEL',
        },
        {
          SystemID: 'K2',
          first_name: 'Bob',
          Team: 'Blue',
          'E-mail': 'bob@example.com',
          department_code: 'CCS',
          Active: true,
        },
        { System_Id: 'K3', lastName: 'Ray', Score: 'BIG', Tags: ['a', 'b'], Nested: { x: null } },
      ],
    }).replace('"BIG"', '12345678901234567890');
    const server = await serveJson(body);
    const { summary, out } = await exportInProcess(server);
    expect(summary.rows).toBe(3);
    expect(readCsv(out)).toEqual([
      [...EXPORT_COLUMNS, 'department_code', 'team', 'active', 'score', 'tags', 'nested'],
      ['K1', 'Ann', '', 'ann@example.com', '', '+61411112233', 'SDEL', '', '', '', '', ''],
      ['K2', 'Bob', '', 'bob@example.com', '', '', 'CCS', 'Blue', 'true', '', '', ''],
      // A number keeps its own digits, even past 2^53; nested values are JSON text.
      ['K3', '', 'Ray', '', '', '', '', '', '', '12345678901234567890', '["a","b"]', '{"x":null}'],
    ]);
  });

  it('names an unquoted system_id the JSON repair changed (True → true, None → empty); a plain word is kept quietly', async () => {
    const broken =
      '{"contacts":[\n' +
      '{"system_id":True,"first_name":"Ann","last_name":"A","email":"ann@example.com"},\n' +
      '{"system_id":None,"first_name":"Bob","last_name":"B","email":"bob@example.com"},\n' +
      '{"system_id":CONTACT456,"first_name":"Cy","last_name":"C","email":"cy@example.com"},\n' +
      '{"system_id":"K4","first_name":"Di","last_name":"D","email":"di@example.com"}\n' +
      ']}';
    const server = await serveJson(broken);
    const { result, out } = await exportTo(server);
    expect(result.code).toBe(0);
    const warnings = result.stderr.split('\n').filter((l) => l.includes('unquoted system_id'));
    expect(warnings).toEqual([
      'warning: GET all: the unquoted system_id True was read by the JSON repair as true; check that contact',
      'warning: GET all: the unquoted system_id None was read by the JSON repair as empty; check that contact',
    ]);
    expect(readCsv(out).map((r) => r[0])).toEqual(['system_id', 'true', '', 'CONTACT456', 'K4']);
  });

  it('the unquoted-id scan sees a key and its value split across chunks, once each', () => {
    const seen: string[] = [];
    const scanner = createBareIdScanner((m) => seen.push(m));
    for (const chunk of ['[{"System_ID"', ': Tr', 'ue, "x":1},{"system_id":Fal', 'se}]']) scanner.scan(chunk);
    scanner.finish();
    expect(seen).toEqual([
      'GET all: the unquoted system_id True was read by the JSON repair as true; check that contact',
      'GET all: the unquoted system_id False was read by the JSON repair as false; check that contact',
    ]);
  });

  it("repairs the document's own broken example (an unquoted value) with one warning, and exits 0", async () => {
    // The API document's support_groups listing, verbatim in its broken part: "Also_Alert_1_System_ID":CONTACT456.
    const broken =
      '{"support_groups":[\n' +
      '{"support_group":{"Support_Group_System_ID":"TEAM123","Support_Group_Name":"Service Desk","Support_Lead_System_ID":"CONTACT123","Also_Alert_1_Email":"contact456@example.com","Also_Alert_1_System_ID":CONTACT456,"Also_Alert_2_System_ID":null,"Active":"Y"}},\n' +
      '{"support_group":{"Support_Group_System_ID":"TEAM456","Support_Group_Name":"Complaints Department","Support_Lead_System_ID":"CONTACT456","Also_Alert_1_Email":null,"Also_Alert_1_System_ID":null,"Also_Alert_2_System_ID":null,"Active":"Y"}}\n' +
      ']}';
    const server = await serveJson(broken);
    const { result, out } = await exportTo(server);
    expect(result.code).toBe(0);
    const warnings = result.stderr.split('\n').filter((l) => l.startsWith('warning:'));
    // One repair warning; the only other one says support groups are not contacts (no system_id).
    expect(warnings.filter((w) => w.includes('not valid JSON'))).toEqual([
      expect.stringMatching(/^warning: the API's answer was not valid JSON .*; repaired it/),
    ]);
    expect(warnings.filter((w) => !w.includes('not valid JSON'))).toEqual([
      'warning: 2 records have no system_id; import will refuse those rows',
    ]);
    expect(result.stderr).toMatch(/\(the answer was repaired\)/);
    const [header, ...rows] = readCsv(out);
    expect(header).toEqual([
      ...EXPORT_COLUMNS,
      'support_group_system_id',
      'support_group_name',
      'support_lead_system_id',
      'also_alert_1_email',
      'also_alert_1_system_id',
      'also_alert_2_system_id',
      'active',
    ]);
    expect(rows[0]?.slice(6)).toEqual([
      'TEAM123',
      'Service Desk',
      'CONTACT123',
      'contact456@example.com',
      'CONTACT456',
      '',
      'Y',
    ]);
    expect(rows[1]?.slice(6)).toEqual(['TEAM456', 'Complaints Department', 'CONTACT456', '', '', '', 'Y']);
  });

  it.each([
    ['an HTML error page', '<html><body><h1>Bad gateway</h1></body></html>'],
    ['a listing with no list in it', '{"message":"ok","status":200}'],
    ['two lists of records', '{"contacts":[{"System_ID":"A"}],"groups":[{"Group":"G"}]}'],
    ['a list of strings', '{"contacts":["A","B"]}'],
  ])('exits 2 with one line and no stack trace for %s, leaving the old file', async (_name, body) => {
    const server = await serveJson(body);
    const { result, text, files } = await exportTo(server, [], 'old\r\n');
    expect(result.code).toBe(2);
    expect(errorLines(result.stderr)).toHaveLength(1);
    expectNoStack(result.stderr);
    expect(text).toBe('old\r\n');
    expect(files).toEqual(['out.csv']);
  });

  it('never repairs an answer that stops mid-JSON: closing its brackets would drop contacts silently', async () => {
    const server = await serveJson('{"contacts":[{"System_ID":"A1"},{"System_ID":"A2"}');
    const { result, text } = await exportTo(server, [], 'old\r\n');
    expect(result.code).toBe(2);
    expect(errorLines(result.stderr)[0]).toMatch(/ended in the middle of its JSON.*nothing was written/);
    expect(text).toBe('old\r\n');
  });

  it('a 500 exits 2 with the API message and leaves an existing file untouched', async () => {
    const server = await serveJson('{"message":"Transaction failed","status":500}', 500);
    const { result, text, files } = await exportTo(server, ['--retries', '0'], 'good,old,file\r\n');
    expect(result.code).toBe(2);
    expect(errorLines(result.stderr)).toEqual([expect.stringMatching(/answered 500: Transaction failed$/)]);
    expect(text).toBe('good,old,file\r\n');
    expect(files).toEqual(['out.csv']);
    expect(server.requests()).toBe(1);
  });

  it('a server that dies mid-body leaves an existing file untouched and no temporary files', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(
        `{"contacts":[${Array.from({ length: 500 }, (_, i) => JSON.stringify({ contact: { System_ID: `D${i}` } })).join(',')}`,
      );
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const { result, text, files } = await exportTo(server, ['--retries', '0'], 'good,old,file\r\n');
    expect(result.code).toBe(2);
    expect(errorLines(result.stderr)).toEqual([
      expect.stringMatching(/broke off after \d+ bytes.*nothing was written/),
    ]);
    expectNoStack(result.stderr);
    expect(text).toBe('good,old,file\r\n');
    expect(files).toEqual(['out.csv']);
  });

  it('streams a large answer (20k records) arriving in small chunks', async () => {
    const body = JSON.stringify({
      contacts: Array.from({ length: 20_000 }, (_, i) => ({
        contact: { System_ID: `L${i}`, Email: `l${i}@example.com` },
      })),
    });
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      let at = 0;
      const next = (): void => {
        if (at >= body.length) return void res.end();
        res.write(body.slice(at, (at += 7919)));
        setImmediate(next);
      };
      next();
    });
    const { summary, out } = await exportInProcess(server);
    expect(summary.rows).toBe(20_000);
    const rows = readCsv(out);
    expect(rows).toHaveLength(20_001);
    expect(rows[20_000]).toEqual(['L19999', '', '', 'l19999@example.com', '', '']);
  });

  it('splits a multi-byte character across chunks without damage', async () => {
    const body = Buffer.from(JSON.stringify([{ System_ID: 'U1', First_Name: 'Zoë 😀 你好' }]));
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      // One byte at a time: every multi-byte sequence is split.
      let at = 0;
      const next = (): void => {
        if (at >= body.length) return void res.end();
        res.write(body.subarray(at, ++at));
        setImmediate(next);
      };
      next();
    });
    const { summary, out } = await exportInProcess(server);
    expect(summary.rows).toBe(1);
    expect(readCsv(out)[1]?.[1]).toBe('Zoë 😀 你好');
  });

  it('warns about cells that import would not read back unchanged', async () => {
    const server = await serveJson(
      JSON.stringify([
        { System_ID: 'W1', First_Name: ' padded ', Last_Name: "'=guarded", Title: 'Dr' },
        { First_Name: 'no id' },
      ]),
    );
    const { result, out } = await exportTo(server);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /warning: 1 cells start with ' before a formula character; .*export with --excel-safe to keep them/,
    );
    // --excel-safe nests the guard ('' then =), which import reads back as '=guarded: no warning.
    const safe = await exportTo(server, ['--excel-safe']);
    expect(safe.result.stderr).not.toMatch(/before a formula character/);
    expect(readCsv(safe.out)[1]?.[2]).toBe("''=guarded");
    expect(result.stderr).toMatch(
      /warning: import would read the extra column title as a contact field too; .* pass --map title=/,
    );
    expect(result.stderr).toMatch(/warning: 1 records have no system_id/);
    expect(result.stderr).toMatch(/warning: 1 cells start or end with spaces/);
    expect(readCsv(out)[1]?.[1]).toBe(' padded ');
  });

  describe('a system_id GET all lists more than once (issue 22 item 14)', () => {
    // D1 and D2 are each listed twice; D3's title holds a line break, so it spans lines 3 and 4.
    const listing = JSON.stringify([
      { System_ID: 'D1', First_Name: 'Old', Last_Name: 'Lee', Email: 'd1@example.com' },
      { System_ID: 'D3', First_Name: 'Tri', Last_Name: 'Lee', Job_Title: 'Head\nOps' },
      { System_ID: 'D2', First_Name: 'Dee', Last_Name: 'Lee' },
      { System_ID: 'D1', First_Name: 'New', Last_Name: 'Lee', Email: 'd1b@example.com' },
      { System_ID: 'D2', First_Name: 'Dee', Last_Name: 'Lee' },
    ]);
    const warning =
      'the API listed 2 system_ids more than once (D1 on lines 2 and 6, D2 on lines 5 and 7); every copy was written, on the lines named: check which is current with get, and remove the others before importing the file back';

    it('writes every copy and warns by id with their lines, on stderr and in --json', async () => {
      const server = await serveJson(listing);
      const { result, out, text } = await exportTo(server, ['--json']);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe(`warning: ${warning}\n`);
      const summary = JSON.parse(result.stdout) as Record<string, unknown>;
      expect(summary).toMatchObject({
        rows: 5,
        warnings: [warning],
        repeatedIds: {
          count: 2,
          examples: [
            { systemId: 'D1', copies: 2, lines: [2, 6] },
            { systemId: 'D2', copies: 2, lines: [5, 7] },
          ],
        },
      });
      expect(readCsv(out).map((row) => row.slice(0, 2))).toEqual([
        ['system_id', 'first_name'],
        ['D1', 'Old'],
        ['D3', 'Tri'],
        ['D2', 'Dee'],
        ['D1', 'New'],
        ['D2', 'Dee'],
      ]);
      // The lines named are the file's physical lines, as import numbers them.
      const lines = (text ?? '').split(/\r?\n/);
      expect([lines[1], lines[5], lines[4], lines[6]].map((line) => line?.slice(0, 6))).toEqual([
        'D1,Old',
        'D1,New',
        'D2,Dee',
        'D2,Dee',
      ]);
    });

    it('names workbook rows in an .xlsx export', async () => {
      const server = await serveJson(listing);
      const { summary, warnings } = await exportInProcess(server, 'out.xlsx');
      expect(summary.rows).toBe(5);
      expect(summary.repeatedIds.examples.map((e) => e.lines)).toEqual([
        [2, 5],
        [4, 6],
      ]);
      expect(warnings).toEqual([
        expect.stringContaining('(D1 on rows 2 and 5, D2 on rows 4 and 6); every copy was written'),
      ]);
    });
  });
});

describe('get', () => {
  it('prints one contact as JSON with snake_case keys, the six fields first; null stays null', async () => {
    const emu = await emulator([
      contact({
        system_id: '007',
        first_name: 'James',
        last_name: 'Bond',
        email: 'jb@example.com',
        mobile: '+447700900007',
      }),
    ]);
    // 007 must stay the string "007", not become the number 7.
    const result = await runCli(['get', '007'], { env: emulatorEnv(emu) });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `${JSON.stringify({ system_id: '007', first_name: 'James', last_name: 'Bond', email: 'jb@example.com', job_title: null, mobile: '+447700900007' }, null, 2)}\n`,
    );
  });

  it('exits 1 with a clear message for an unknown system_id', async () => {
    const emu = await emulator();
    const result = await runCli(['get', 'NOPE'], { env: emulatorEnv(emu) });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(errorLines(result.stderr)).toEqual([
      'error: no contact with system_id "NOPE" (404 A Contact with this System ID was not found)',
    ]);
  });

  it('exits 2 on a 401', async () => {
    const emu = await emulator();
    const result = await runCli(['get', 'A1'], { env: emulatorEnv({ ...emu, portalCode: 'WRONG' }) });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/refused the credentials.*\n.*IP allow-list/);
  });

  it('refuses a system_id that cannot be a URL segment', async () => {
    const emu = await emulator();
    const result = await runCli(['get', '..'], { env: emulatorEnv(emu) });
    expect(result.code).toBe(2);
    expect(emu.stats().requests).toBe(0);
  });
});

describe('createRepeatTracker', () => {
  it('counts each repeated id once, names the first few with their lines, and bounds what it keeps', () => {
    const tracker = createRepeatTracker();
    for (let i = 1; i <= 10; i++) tracker.add('A', i);
    ['B', 'C', 'D', 'E', 'B', 'C', 'D', 'E'].forEach((id, i) => tracker.add(id, 100 + i));
    tracker.add('F', 200);
    expect(tracker.repeated).toEqual({
      count: 5,
      examples: [
        { systemId: 'A', copies: 10, lines: [1, 2, 3, 4, 5] },
        { systemId: 'B', copies: 2, lines: [100, 104] },
        { systemId: 'C', copies: 2, lines: [101, 105] },
      ],
    });
    expect(tracker.repeated.examples.map((e) => describeRepeat(e, 'line'))).toEqual([
      'A on lines 1, 2, 3, 4, 5 and 5 more',
      'B on lines 100 and 104',
      'C on lines 101 and 105',
    ]);
  });

  it('keeps every id through the table’s growth: 100k distinct ids, then each again once', () => {
    const tracker = createRepeatTracker();
    for (let i = 0; i < 100_000; i++) tracker.add(`id-${i}`, i + 1);
    expect(tracker.repeated.count).toBe(0);
    for (let i = 0; i < 100_000; i += 1000) tracker.add(`id-${i}`, 200_000 + i);
    expect(tracker.repeated.count).toBe(100);
    expect(tracker.repeated.examples[0]).toEqual({ systemId: 'id-0', copies: 2, lines: [1, 200_000] });
  });
});

describe('extractRecords, normaliseKey, toCell', () => {
  it('normalises keys to snake_case, landing odd spellings on the six columns', () => {
    expect(
      [
        'First_Name',
        'System_ID',
        'firstName',
        'SystemID',
        'E-mail',
        'FIRSTNAME',
        'Job Title',
        'Also_Alert_1_System_ID',
        'CCS_Only',
      ].map(normaliseKey),
    ).toEqual([
      'first_name',
      'system_id',
      'first_name',
      'system_id',
      'email',
      'first_name',
      'job_title',
      'also_alert_1_system_id',
      'ccs_only',
    ]);
  });

  it('unwraps every accepted shape', () => {
    const flat = [{ system_id: 'A', first_name: null }];
    expect(extractRecords([{ System_ID: 'A', First_Name: null }])).toEqual(flat);
    expect(extractRecords({ total: 1, contacts: [{ contact: { System_ID: 'A', First_Name: null } }] })).toEqual(flat);
    expect(extractRecords({ contacts: [] })).toEqual([]);
    expect(extractRecords([])).toEqual([]);
  });

  it('refuses what is not a listing', () => {
    expect(() => extractRecords('oops')).toThrow(/a string, not a list of contacts/);
    expect(() => extractRecords({ message: 'x' })).toThrow(/no list of contacts/);
    expect(() => extractRecords([1])).toThrow(/is a number, not a contact record/);
    expect(() => extractRecords({ a: [{ x: 1 }], b: [{ y: 1 }] })).toThrow(/two lists of records, "a" and "b"/);
  });

  it('turns values into cells: strings verbatim, null empty, others as text', () => {
    expect([
      toCell('007'),
      toCell('+61411112233'),
      toCell(null),
      toCell(undefined),
      toCell(12),
      toCell(false),
      toCell({ a: [1] }),
    ]).toEqual(['007', '+61411112233', '', '', '12', 'false', '{"a":[1]}']);
  });
});
