/**
 * The spreadsheet round trip (README, "Round trips"): `export` then `import` of the unchanged
 * file must change nothing. Nulls export as empty cells, which import omits (field unchanged);
 * `--excel-safe` adds a `'` that import strips again. Checked byte for byte on the emulator's state.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRowParser, type Contact } from '../src/contact/schema.js';
import type { Emulator } from '../src/emulator/server.js';
import { resolveConnection } from '../src/config.js';
import { exportContacts, type ExportCommonOptions } from '../src/export/index.js';
import { importContacts, type ImportOptions } from '../src/run/entry.js';
import {
  CSV_HEADER,
  emulatorEnv,
  readCsv,
  readResults,
  runCli,
  runCliUntilFileGrows,
  tempDir,
  useEmulators,
  writeFile,
} from './helpers.js';

const start = useEmulators();

async function emulator(contacts: Contact[]): Promise<Emulator> {
  const emu = await start();
  emu.seedContacts(contacts);
  return emu;
}

/**
 * Everything the API can hold that a CSV could plausibly damage. Quotes, backslashes and line
 * breaks are left out: the API forbids them ("Your JSON must never include a backslash"), so no
 * contact can hold one.
 */
const CONTACTS: Contact[] = [
  {
    system_id: 'R1',
    first_name: 'Tim',
    last_name: 'Test',
    email: 'tim@example.com',
    job_title: null,
    mobile: '+61411112233',
  },
  {
    system_id: 'R2',
    first_name: 'Zoë',
    last_name: 'Ångström',
    email: 'zoe@example.com',
    job_title: 'Head, Ops',
    mobile: null,
  },
  {
    system_id: 'R3',
    first_name: '李',
    last_name: 'Emoji 😀🎉',
    email: 'li@example.com',
    job_title: '007',
    mobile: '+4915112345678',
  },
  {
    system_id: 'R4',
    first_name: 'Long',
    last_name: 'Digits',
    email: 'long@example.com',
    job_title: '12345678901234567890',
    mobile: '+12025550123',
  },
  { system_id: '000042', first_name: null, last_name: null, email: null, job_title: null, mobile: null },
  {
    system_id: 'R6',
    first_name: 'Semi;colon',
    last_name: 'Tab-free, comma',
    email: 'MiXeD.Case@Example.com',
    job_title: 'a=b',
    mobile: null,
  },
  {
    system_id: 'R7 with space',
    first_name: 'Null',
    last_name: 'Lookalike',
    email: 'null@example.com',
    job_title: 'null',
    mobile: null,
  },
];

/** Formula-like values: with --excel-safe each gets a `'` in the file, and import must strip it. */
const FORMULA_CONTACTS: Contact[] = [
  {
    system_id: 'F1',
    first_name: '=SUM(A1)',
    last_name: '-manager',
    email: 'f1@example.com',
    job_title: '@home',
    mobile: '+61411112234',
  },
  {
    system_id: 'F2',
    first_name: '＝full-width',
    last_name: '+plus',
    email: 'f2@example.com',
    job_title: '-',
    mobile: null,
  },
];

async function roundTrip(contacts: Contact[], exportArgs: string[], importArgs: string[] = []) {
  const emu = await emulator(contacts);
  const before = structuredClone(emu.contacts());
  const dir = tempDir('roundtrip-');
  const file = join(dir, 'a.csv');
  const exported = await runCli(['export', '--out', file, ...exportArgs], { env: emulatorEnv(emu) });
  expect(exported.code, exported.stderr).toBe(0);
  const imported = await runCli(['import', file, ...importArgs], { env: emulatorEnv(emu) });
  const results = readResults(join(dir, 'a.results.csv'));
  return { emu, before, after: emu.contacts(), exported, imported, results };
}

/**
 * The same round trip through the library, in-process: for the variants of a rule already proved
 * through the CLI above, where a process start per step is the cost.
 */
async function roundTripInProcess(
  contacts: Contact[],
  exportOptions: Partial<ExportCommonOptions> = {},
  importOptions: Partial<ImportOptions> = {},
) {
  const emu = await emulator(contacts);
  const before = structuredClone(emu.contacts());
  const file = join(tempDir('roundtrip-lib-'), 'a.csv');
  const connection = resolveConnection({}, emulatorEnv(emu));
  // The library's own form: the export builds its client from the connection and closes it.
  await exportContacts({ ...exportOptions, connection, retries: 0, out: file });
  const summary = await importContacts({ ...importOptions, input: file, connection });
  return { emu, before, after: emu.contacts(), summary, results: readResults(summary.resultsPath) };
}

describe('export → import changes nothing', () => {
  it('plain export: every row updated, the state byte for byte the same', async () => {
    const { before, after, imported, results } = await roundTrip([...CONTACTS, ...FORMULA_CONTACTS], []);
    expect(imported.code, imported.stderr).toBe(0);
    expect(results.map((r) => r.status)).toEqual(Array(CONTACTS.length + FORMULA_CONTACTS.length).fill('updated'));
    expect(after).toStrictEqual(before);
  });

  it('--excel-safe --bom: the prefixes and the BOM come off again on import', async () => {
    // A value that already looks guarded ('=x) survives only here: --excel-safe nests the guard.
    const guarded: Contact = {
      system_id: 'G1',
      first_name: "'=already",
      last_name: "''-twice",
      email: 'g1@example.com',
      job_title: "'plain",
      mobile: null,
    };
    const { before, after, imported, results, exported } = await roundTrip(
      [...CONTACTS, ...FORMULA_CONTACTS, guarded],
      ['--excel-safe', '--bom'],
    );
    expect(exported.stderr).not.toMatch(/warning/);
    expect(imported.code, imported.stderr).toBe(0);
    expect(results.every((r) => r.status === 'updated')).toBe(true);
    // The results CSV repeats the input's cells verbatim: the prefix was in the file.
    expect(results.find((r) => r.system_id === 'F1')).toMatchObject({
      first_name: "'=SUM(A1)",
      last_name: "'-manager",
      job_title: "'@home",
    });
    expect(after).toStrictEqual(before);
  });

  // import strips the excel-safe `'` from system_id too, or a formula-like system_id exported
  // with --excel-safe would come back as another contact.
  it('--excel-safe with formula-like system_ids', async () => {
    expect(createRowParser()({ system_id: "'-1" }).systemId).toBe('-1');
    const ids: Contact[] = [
      {
        system_id: '-1',
        first_name: 'Minus',
        last_name: 'One',
        email: 'm1@example.com',
        job_title: null,
        mobile: null,
      },
      { system_id: '+61', first_name: 'Plus', last_name: 'Id', email: 'p1@example.com', job_title: null, mobile: null },
      { system_id: '=A1', first_name: 'Eq', last_name: 'Id', email: 'e1@example.com', job_title: null, mobile: null },
    ];
    const { before, after, results } = await roundTripInProcess(ids, { excelSafe: true });
    expect(results.map((r) => r.status)).toEqual(['updated', 'updated', 'updated']);
    expect(after).toStrictEqual(before);
  });

  it('--empty null: a null stays null; an empty string, indistinguishable in the file, becomes null', async () => {
    // Both export as an empty cell. Under --empty null an empty cell means "clear this field", so a
    // null is sent as null (no change), and "" is cleared to null: the one thing that changes.
    const emptyString: Contact = {
      system_id: 'E1',
      first_name: 'Empty',
      last_name: 'String',
      email: 'es@example.com',
      job_title: '',
      mobile: null,
    };
    const { before, after, summary, results } = await roundTripInProcess(
      [...CONTACTS, emptyString],
      {},
      { empty: 'null' },
    );
    expect(summary.counts.updated).toBe(CONTACTS.length + 1);
    expect(results.every((r) => r.status === 'updated')).toBe(true);
    const expected = before.map((c) => (c.system_id === 'E1' ? { ...c, job_title: null } : c));
    expect(after).toStrictEqual(expected);
  });

  it('without --empty null the empty string survives too', async () => {
    const emptyString: Contact = {
      system_id: 'E1',
      first_name: 'Empty',
      last_name: 'String',
      email: 'es@example.com',
      job_title: '',
      mobile: null,
    };
    const { before, after, summary } = await roundTripInProcess([emptyString]);
    expect(summary.counts.updated).toBe(1);
    expect(after).toStrictEqual(before);
  });
});

/** A file in the export's layout from rows of cells (no value here needs quoting). */
function csvOf(rows: readonly (readonly string[])[]): string {
  return `${CSV_HEADER}\r\n${rows.map((r) => r.join(',')).join('\r\n')}\r\n`;
}

const person = (id: string, extra: Partial<Contact> = {}): Contact => ({
  system_id: id,
  first_name: `First ${id}`,
  last_name: `Last ${id}`,
  email: `${id.toLowerCase()}@example.com`,
  job_title: 'Agent',
  mobile: null,
  ...extra,
});

describe('import --changed-only', () => {
  it('export, edit 3 rows, import --changed-only: exactly 3 PUTs after one GET all, 3 updated, the rest unchanged', async () => {
    const contacts = Array.from({ length: 20 }, (_, i) =>
      person(`P${i}`, { mobile: i % 2 === 0 ? `+6141111${String(1000 + i)}` : null }),
    );
    const emu = await emulator(contacts);
    const env = emulatorEnv(emu);
    const dir = tempDir('changed-');
    const file = join(dir, 'a.csv');
    expect((await runCli(['export', '--out', file], { env })).code).toBe(0);
    // Edit 3 rows as a spreadsheet would.
    const [header, ...rows] = readCsv(file);
    const edits: Record<string, (r: string[]) => void> = {
      P3: (r) => (r[4] = 'Team Lead'),
      P7: (r) => (r[1] = 'Renamed'),
      P12: (r) => (r[5] = '+61499998888'),
    };
    for (const row of rows) edits[row[0] ?? '']?.(row);
    writeFile(dir, 'a.csv', csvOf(rows));
    expect(header).toEqual(['system_id', 'first_name', 'last_name', 'email', 'job_title', 'mobile']);

    emu.resetStats();
    const imported = await runCli(['import', file, '--changed-only'], { env });
    expect(imported.code, imported.stderr).toBe(0);
    const stats = emu.stats();
    expect(stats.byMethod).toEqual({ GET: 2, PUT: 3 }); // the credential check, GET all, and the 3 edits
    expect(
      emu
        .log()
        .filter((e) => e.method === 'PUT')
        .map((e) => e.systemId)
        .sort(),
    ).toEqual(['P12', 'P3', 'P7']);
    const results = readResults(join(dir, 'a.results.csv'));
    expect(results.filter((r) => r.status === 'updated').map((r) => r.system_id)).toEqual(['P3', 'P7', 'P12']);
    const unchanged = results.filter((r) => r.status === 'unchanged');
    expect(unchanged).toHaveLength(17);
    expect(unchanged.every((r) => r.detail === 'matches the API; not sent' && r.http_status === '')).toBe(true);
    expect(imported.stdout).toMatch(/unchanged\s+17/);
    const after = new Map(emu.contacts().map((c) => [c.system_id, c]));
    expect(after.get('P3')?.job_title).toBe('Team Lead');
    expect(after.get('P7')?.first_name).toBe('Renamed');
    expect(after.get('P12')?.mobile).toBe('+61499998888');
  });

  it('an empty cell over a value the API holds: kept, and said so in the detail, the summary and the plan', async () => {
    const contacts = [person('K1', { mobile: '+61412345678' }), person('K2', { mobile: '+61412345679' }), person('K3')];
    const emu = await emulator(contacts);
    const before = structuredClone(emu.contacts());
    const env = emulatorEnv(emu);
    const dir = tempDir('changed-empty-');
    // K1: mobile cleared in the spreadsheet; K2: mobile cleared and job title edited; K3 as exported.
    const file = writeFile(
      dir,
      'a.csv',
      csvOf([
        ['K1', 'First K1', 'Last K1', 'k1@example.com', 'Agent', ''],
        ['K2', 'First K2', 'Last K2', 'k2@example.com', 'Lead', ''],
        ['K3', 'First K3', 'Last K3', 'k3@example.com', 'Agent', ''],
      ]),
    );
    const kept = (value: string): string =>
      `mobile: empty in the file, ${value} in the API: kept (--empty null clears it)`;

    const plan = await runCli(['import', file, '--plan'], { env });
    expect(plan.code, plan.stderr).toBe(0);
    const planned = readResults(join(dir, 'a.plan.csv'));
    expect(planned.map((r) => r.status)).toEqual(['unchanged', 'would-update', 'unchanged']);
    expect(planned[0]?.detail).toBe(kept('+61412345678'));
    expect(planned[1]?.detail).toBe(`job_title: Agent → Lead; ${kept('+61412345679')}`);
    expect(plan.stdout).toContain('2 rows have empty cells over values the API holds');
    expect(plan.stdout).toContain('--changed-only would send 1 PUT for 3 rows (plus one GET all)');
    expect(plan.stdout).toContain(`import ${file} --changed-only`);

    // --limit: the plan's count covers the rows read.
    const limited = await runCli(['import', file, '--plan', '--limit', '2', '--results', join(dir, 'limit.csv')], {
      env,
    });
    expect(limited.stdout).toContain('--changed-only would send 1 PUT for 2 rows');

    // --fields job_title: the mobile column is not sent, so its empty cells say nothing.
    const fields = await runCli(
      ['import', file, '--plan', '--fields', 'job_title', '--results', join(dir, 'fields.csv')],
      { env },
    );
    expect(readResults(join(dir, 'fields.csv')).map((r) => r.detail)).toEqual(['', 'job_title: Agent → Lead', '']);
    expect(fields.stdout).not.toContain('empty cells');

    emu.resetStats();
    const backup = join(dir, 'undo.csv');
    const imported = await runCli(
      ['import', file, '--changed-only', '--backup', backup, '--report', join(dir, 'r.html')],
      { env },
    );
    expect(imported.code, imported.stderr).toBe(0);
    // One GET all serves both --backup and --changed-only.
    expect(emu.stats().byMethod).toEqual({ GET: 2, PUT: 1 });
    expect(readCsv(backup).map((r) => r[0])).toEqual(['system_id', 'K1', 'K2', 'K3']);
    const results = readResults(join(dir, 'a.results.csv'));
    expect(results.map((r) => r.status)).toEqual(['unchanged', 'updated', 'unchanged']);
    expect(results[0]?.detail).toBe(`matches the API; not sent; ${kept('+61412345678')}`);
    expect(results[1]?.detail).toBe(kept('+61412345679'));
    expect(results[2]?.detail).toBe('matches the API; not sent');
    expect(imported.stdout).toContain('2 rows have empty cells over values the API holds');
    expect(readFileSync(join(dir, 'r.html'), 'utf8')).toContain('2 rows have empty cells over values the API holds');
    // The mobiles are still there; only K2's job title changed.
    expect(emu.contacts()).toStrictEqual(before.map((c) => (c.system_id === 'K2' ? { ...c, job_title: 'Lead' } : c)));
  });

  it('an email moved from one contact to another within the file: the same outcome as without the flag', async () => {
    const contacts = [person('M1'), person('M2'), person('M3')];
    // M1 takes M2's email before M2 lets go of it (the 422 second chance); M3 is unchanged.
    const file = csvOf([
      ['M1', 'First M1', 'Last M1', 'm2@example.com', 'Agent', ''],
      ['M3', 'First M3', 'Last M3', 'm3@example.com', 'Agent', ''],
      ['M2', 'First M2', 'Last M2', 'm2.new@example.com', 'Agent', ''],
    ]);
    const outcome = async (flags: string[]) => {
      const emu = await emulator(contacts);
      const dir = tempDir('changed-move-');
      const path = writeFile(dir, 'a.csv', file);
      const run = await runCli(['import', path, ...flags], { env: emulatorEnv(emu) });
      expect(run.code, run.stderr).toBe(0);
      return {
        contacts: emu.contacts(),
        statuses: readResults(join(dir, 'a.results.csv')).map((r) => r.status),
        puts: emu.stats().byMethod.PUT,
      };
    };
    const plain = await outcome([]);
    const changed = await outcome(['--changed-only']);
    expect(changed.contacts).toStrictEqual(plain.contacts);
    expect(plain.contacts.find((c) => c.system_id === 'M1')?.email).toBe('m2@example.com');
    expect(plain.statuses).toEqual(['updated', 'updated', 'updated']);
    expect(changed.statuses).toEqual(['updated', 'unchanged', 'updated']);
    // M1's first try (422), M2, and M1's second chance; M3 is never sent.
    expect(changed.puts).toBe(3);
  });

  it('--changed-only --resume after kill -9: complete, and no row sent twice beyond those in flight', async () => {
    const total = 3000;
    const contacts = Array.from({ length: total }, (_, i) => person(`R${i}`));
    const emu = await start({ latencyMs: 4 });
    emu.seedContacts(contacts);
    const env = emulatorEnv(emu);
    const dir = tempDir('changed-kill-');
    // Two rows in three are edited; the third is as exported.
    const rows = contacts.map((c, i) => [
      c.system_id,
      c.first_name ?? '',
      c.last_name ?? '',
      c.email ?? '',
      i % 3 === 2 ? 'Agent' : 'Edited',
      '',
    ]);
    const file = writeFile(dir, 'a.csv', csvOf(rows));
    const changedRows = rows.filter((r) => r[4] === 'Edited').length;
    const concurrency = 8;
    const args = ['import', file, '--changed-only', '--concurrency', String(concurrency), '--quiet'];
    const killed = await runCliUntilFileGrows(args, env, join(dir, 'a.results.csv.journal'), 40_000, 'SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(join(dir, 'a.results.csv.journal'))).toBe(true); // killed mid-run
    const final = await runCli([...args, '--resume'], { env, timeoutMs: 120_000 });
    expect(final.code, final.stderr).toBe(0);
    const results = readResults(join(dir, 'a.results.csv'));
    expect(results).toHaveLength(total);
    expect(results.every((r) => r.status === 'updated' || r.status === 'unchanged')).toBe(true);
    // A PUT in flight at the kill may have landed without an answer: the resumed run's fresh GET
    // all then finds that row already matching, so it is `unchanged` rather than sent again.
    const updated = results.filter((r) => r.status === 'updated').length;
    expect(updated).toBeLessThanOrEqual(changedRows);
    expect(updated).toBeGreaterThanOrEqual(changedRows - concurrency);
    expect(emu.contacts().filter((c) => c.job_title === 'Edited')).toHaveLength(changedRows);
    const puts = new Map<string, number>();
    for (const entry of emu.log())
      if (entry.method === 'PUT' && entry.systemId !== null)
        puts.set(entry.systemId, (puts.get(entry.systemId) ?? 0) + 1);
    expect(puts.size).toBe(changedRows); // no unchanged row was ever sent
    expect([...puts.values()].filter((n) => n > 1).length).toBeLessThanOrEqual(concurrency);
    expect(existsSync(join(dir, 'a.results.csv.journal'))).toBe(false);
  });
});
