/**
 * `import --plan` predicts, row by row, what a real import then does; `--backup` makes an undo
 * file that restores the state from before (issue: validation reports people can read).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Contact } from '../src/contact/schema.js';
import type { Emulator } from '../src/emulator/server.js';
import {
  CSV_HEADER,
  emulatorEnv,
  readResults,
  runCli,
  tempDir,
  TEST_API_KEY,
  TEST_PORTAL_CODE,
  useEmulators,
  writeFile,
} from './helpers.js';
import { createApiClient } from '../src/api/client.js';
import { readTable } from '../src/csv/table.js';
import { resolveConnection } from '../src/config.js';
import { createChangedFilter } from '../src/execute/changed.js';
import type { PreparedRow } from '../src/run/outcomes.js';
import { createPlanner, createSnapshotIndex, loadSnapshot, type SnapshotIndex } from '../src/execute/plan.js';
import { createShapeTracker, extractRecords } from '../src/remote/listing.js';
import { createRecordSplitter, NotPlain } from '../src/remote/split.js';

const start = useEmulators();

const contact = (
  system_id: string,
  email: string,
  job_title: string | null = null,
  mobile: string | null = null,
): Contact => ({
  system_id,
  first_name: `First ${system_id}`,
  last_name: `Last ${system_id}`,
  email,
  job_title,
  mobile,
});

async function seeded(): Promise<Emulator> {
  const emu = await start();
  emu.seedContacts([
    contact('A', 'a@example.com', 'Analyst'),
    contact('B', 'b@example.com', 'Boss', '+61411112233'),
    contact('C', 'c@example.com'),
    contact('D', 'd@example.com'),
    contact('HOLD', 'held@example.com'),
  ]);
  return emu;
}

const FILE = [
  CSV_HEADER,
  'A,First A,Last A,a@example.com,Senior Analyst,', // would-update: job_title
  'B,First B,Last B,b@example.com,Boss,+61411112233', // unchanged
  'NEW1,New,One,new1@example.com,Agent,', // would-create
  'NEW2,New,Two,,Agent,', // would-fail: a create needs an email
  'NEW3,New,Three,held@example.com,,', // would-fail: the API holds that email for HOLD
  'A,First A,Last A,a@example.com,Senior Analyst,+61422223333', // the same system_id again: would-update mobile
  'C,First C,Last C,c2@example.com,,', // C moves off c@ …
  'NEW4,New,Four,c@example.com,,', // … so NEW4 may take it
  'NEW5,New,Five,d@example.com,,', // d@ is D's until the next row frees it: the second chance
  'D,First D,Last D,d2@example.com,,',
  'BAD,Bad,Email,not-an-email,,', // invalid
  'NEW6,New,Six,NEW1@example.com,,', // invalid: line 4 already uses that email
].join('\n');

const AGREES: Record<string, string[]> = {
  'would-create': ['created'],
  'would-update': ['updated'],
  unchanged: ['updated'],
  'would-fail': ['failed', 'invalid'],
  invalid: ['invalid'],
  superseded: ['superseded'],
};

describe('import --plan', () => {
  it('predicts each row, names the field changes, and agrees with the real import row by row', async () => {
    const emu = await seeded();
    const dir = tempDir('plan-');
    const file = writeFile(dir, 'contacts.csv', `${FILE}\n`);
    const before = emu.contacts();
    const planRun = await runCli(['import', file, '--plan', '--report', join(dir, 'plan.html')], {
      env: emulatorEnv(emu),
    });
    expect(planRun.code).toBe(1);
    // A plan writes nothing: the state is as it was, and only GETs were sent.
    expect(emu.contacts()).toEqual(before);
    expect(Object.keys(emu.stats().byMethod).sort()).toEqual(['GET']);

    const plan = readResults(join(dir, 'contacts.plan.csv'));
    expect(plan.map((r) => r.status)).toEqual([
      'would-update',
      'unchanged',
      'would-create',
      'would-fail',
      'would-fail',
      'would-update',
      'would-update',
      'would-create',
      'would-create',
      'would-update',
      'invalid',
      'invalid',
    ]);
    expect(plan[0]?.detail).toBe('job_title: Analyst → Senior Analyst');
    expect(plan[5]?.detail).toBe('mobile: (empty) → +61422223333');
    expect(plan[4]?.error).toMatch(/email_taken: .*HOLD/);
    expect(plan[8]?.detail).toMatch(/second attempt/);
    expect(planRun.stdout).toMatch(/would-create\s+3/);
    expect(existsSync(join(dir, 'plan.html'))).toBe(true);
    expect(readFileSync(join(dir, 'plan.html'), 'utf8')).toContain('Senior Analyst');

    const importRun = await runCli(['import', file, '--concurrency', '4'], { env: emulatorEnv(emu) });
    expect(importRun.code).toBe(1);
    const actual = readResults(join(dir, 'contacts.results.csv'));
    expect(actual).toHaveLength(plan.length);
    for (const [i, predicted] of plan.entries()) {
      expect({ line: i + 2, status: AGREES[predicted.status ?? '']?.includes(actual[i]?.status ?? '') }).toEqual({
        line: i + 2,
        status: true,
      });
    }
  });

  it('--backup saves the contacts it will update and lists the ones it will create; importing it and deleting those restores the state', async () => {
    const emu = await seeded();
    const before = emu.contacts();
    const dir = tempDir('backup-');
    const file = writeFile(
      dir,
      'contacts.csv',
      `${CSV_HEADER}\nA,Changed,Last A,a@example.com,,+61433334444\nB,First B,Last B,b@example.com,,\nZED,New,Contact,zed@example.com,Agent,\n`,
    );
    const backup = join(dir, 'undo.csv');
    const run = await runCli(['import', file, '--backup', backup, '--empty', 'null'], { env: emulatorEnv(emu) });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/undo\.csv/);
    expect(emu.contacts().find((c) => c.system_id === 'B')?.job_title).toBeNull();
    expect(readResults(join(dir, 'undo.created.csv')).map((r) => r.system_id)).toEqual(['ZED']);

    const restore = await runCli(['import', backup, '--empty', 'null'], { env: emulatorEnv(emu) });
    expect(restore.code).toBe(0);
    const undoCreates = await runCli(['delete', join(dir, 'undo.created.csv'), '--yes'], { env: emulatorEnv(emu) });
    expect(undoCreates.code).toBe(0);
    expect(emu.contacts()).toEqual(before);
  });

  it('--backup named .xlsx writes a real workbook that imports back as it is and restores the state', async () => {
    const emu = await seeded();
    const before = emu.contacts();
    const dir = tempDir('backup-xlsx-');
    const file = writeFile(
      dir,
      'contacts.csv',
      `${CSV_HEADER}\nA,Changed,Last A,a@example.com,,+61433334444\nB,First B,Last B,b@example.com,,\n`,
    );
    const backup = join(dir, 'undo.xlsx');
    const run = await runCli(['import', file, '--backup', backup, '--empty', 'null'], { env: emulatorEnv(emu) });
    expect(run.code).toBe(0);
    // A zip, not CSV bytes under an .xlsx name.
    expect(readFileSync(backup).subarray(0, 2).toString('latin1')).toBe('PK');
    const rows: string[][] = [];
    for await (const row of readTable(backup)) rows.push(row);
    expect(rows.map((r) => r[0])).toEqual(['system_id', 'A', 'B']);
    expect(rows.find((r) => r[0] === 'B')).toContain('+61411112233');

    const restore = await runCli(['import', backup, '--empty', 'null'], { env: emulatorEnv(emu) });
    expect(restore.code).toBe(0);
    expect(emu.contacts()).toEqual(before);
  });
});

describe('the snapshot and the --changed-only filter (in process)', () => {
  const prepared = (seq: number, systemId: string, patch: PreparedRow['patch'], cells: string[] = []): PreparedRow => ({
    seq,
    line: seq + 2,
    cells,
    systemId,
    patch,
    warnings: [],
    notes: [],
  });

  it('loadSnapshot streams GET all into an index; the filter sends only rows that would create, change or fail', async () => {
    const emu = await seeded();
    const client = createApiClient({ connection: resolveConnection({}, emulatorEnv(emu)), concurrency: 1 });
    const index = await loadSnapshot(client);
    await client.close();
    expect(index.size).toBe(5);
    expect(index.get('B')).toEqual(contact('B', 'b@example.com', 'Boss', '+61411112233'));
    expect(index.emailOwner.get('held@example.com')).toBe('HOLD');

    // Columns: system_id, first_name, last_name, email, job_title, mobile.
    const filter = createChangedFilter(index, {
      emptyCells: [
        ['job_title', 4],
        ['mobile', 5],
      ],
    });
    const b = filter.check(
      prepared(0, 'B', { first_name: 'First B', job_title: 'Boss' }, ['B', 'First B', '', '', 'Boss', '']),
    );
    expect(b.send).toBe(false);
    expect(b.row).toMatchObject({
      status: 'unchanged',
      detail:
        'matches the API; not sent; mobile: empty in the file, +61411112233 in the API: kept (--empty null clears it)',
    });
    expect(filter.check(prepared(1, 'A', { job_title: 'Senior' })).send).toBe(true);
    // The same system_id again, asking for what the row before it set: compared with that, so not sent.
    expect(filter.check(prepared(2, 'A', { job_title: 'Senior' })).send).toBe(false);
    expect(filter.check(prepared(3, 'NEW', { first_name: 'N', last_name: 'W', email: 'n@example.com' })).send).toBe(
      true,
    );
    // Predicted to fail (the email is HOLD's): sent anyway, the API has the last word.
    expect(filter.check(prepared(4, 'X', { first_name: 'X', last_name: 'X', email: 'HELD@example.com' })).send).toBe(
      true,
    );
    expect(filter.keptEmptyRows).toBe(1);
  });

  it('a --backup reads the snapshot as the API held it, even after rows were predicted', () => {
    const index = createSnapshotIndex([contact('A', 'a@example.com', 'Analyst')]);
    const planner = createPlanner(index);
    expect(planner.predict(prepared(0, 'A', { job_title: 'Boss' })).status).toBe('would-update');
    expect(planner.toSend).toBe(1);
    // The planner updated the index as it predicted: a backup must be written before the first row.
    expect(index.get('A')?.job_title).toBe('Boss');
  });
});

describe('the fast GET-all reader (src/remote/split.ts)', () => {
  /** Splits the text into pieces at every `step` characters and reads it. */
  const read = (text: string, step: number): Record<string, unknown>[] => {
    const records: Record<string, unknown>[] = [];
    const splitter = createRecordSplitter(createShapeTracker(), (r) => records.push(r));
    for (let i = 0; i < text.length; i += step) splitter.push(text.slice(i, i + step));
    splitter.end();
    return records;
  };
  const bare =
    '[{"System_ID":"A1","First_Name":"Ann {x}","Email":"a\\"q@x.com"},\n {"contact":{"SystemId":"A2","Job_Title":null,"Nested":{"k":["v"]}}}]';
  const wrapped =
    '{"status":"ok","meta":{"page":"1"},"contacts":[{"system_id":"B1"},{"system_id":"B2","mobile":"+61411112233"}],"errors":[]}';

  it('reads the same records as extractRecords, however the text is cut', () => {
    for (const text of [bare, wrapped, '[]', ' [ ] ']) {
      const expected = extractRecords(JSON.parse(text));
      for (const step of [1, 2, 3, 7, 1000]) expect(read(text, step)).toEqual(expected);
    }
    expect(read(bare, 5).map((r) => r.email)).toEqual(['a"q@x.com', undefined]);
  });

  it('leaves everything that is not plain to the walk', () => {
    const notPlain = [
      '[{"system_id":"A","n":12345678901234567890}]', // a number: JSON.parse would round it
      '["A1","A2"]',
      '{"ids":["A1"]}',
      '"text"',
      '[{"system_id":"A"}', // cut short
      '[{"system_id":"A"}] x',
      '[{"Also_Alert_1_System_ID":CONTACT456}]', // the API document's own example
    ];
    for (const text of notPlain) expect(() => read(text, 4), text).toThrow(NotPlain);
  });
});

/** loadSnapshot over a loopback server that answers every GET with `body`; the index, warnings and GET count. */
async function snapshotOf(body: string): Promise<{ index: SnapshotIndex; warnings: string[]; gets: number }> {
  let gets = 0;
  const server = createServer((_req, res) => {
    gets++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const connection = resolveConnection(
      {},
      {
        CIOPULSE_BASE_URL: `http://127.0.0.1:${port}/api/v5`,
        CIOPULSE_PORTAL_CODE: TEST_PORTAL_CODE,
        CIOPULSE_API_KEY: TEST_API_KEY,
      },
    );
    const client = createApiClient({ connection, concurrency: 1, retries: 0 });
    const warnings: string[] = [];
    const index = await loadSnapshot(client, { onWarning: (w) => warnings.push(w) });
    await client.close();
    return { index, warnings, gets };
  } finally {
    server.close();
  }
}

describe('loadSnapshot on an answer that is not plain', () => {
  it('falls back to the walk, which repairs the API document’s own example with one warning', async () => {
    const { index, warnings, gets } = await snapshotOf(
      '[{"System_ID":"C1","First_Name":"Cy","Also_Alert_1_System_ID":CONTACT456}]',
    );
    expect(index.get('C1')?.first_name).toBe('Cy');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/not valid JSON/);
    expect(gets).toBe(3); // the fast path, the strict walk, the repairing walk
  });

  it('warns when GET all lists a system_id twice or more, naming it once and which copy the plan compares with (issue 22 item 14)', async () => {
    const { index, warnings } = await snapshotOf(
      JSON.stringify([
        { system_id: 'D1', first_name: 'Old', last_name: 'Lee', email: 'd1@example.com' },
        { system_id: 'D2', first_name: 'Dee', last_name: 'Lee', email: 'd2@example.com' },
        { system_id: 'D1', first_name: 'Mid', last_name: 'Lee', email: 'd1c@example.com' },
        { system_id: 'D1', first_name: 'New', last_name: 'Lee', email: 'd1b@example.com' },
      ]),
    );
    // Three copies of one id: one id named once, as export counts them.
    expect(index.get('D1')?.first_name).toBe('New');
    expect(warnings).toEqual([expect.stringMatching(/listed 1 system_id more than once \(D1\); .*last copy/)]);
  });
});
