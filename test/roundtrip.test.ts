/**
 * The spreadsheet round trip (DESIGN.md, "Round trip"): `export` then `import` of the unchanged
 * file must change nothing. Nulls export as empty cells, which import omits (field unchanged);
 * `--excel-safe` adds a `'` that import strips again. Checked byte for byte on the emulator's state.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRowParser, type Contact } from '../src/contact.js';
import { startEmulator, type Emulator } from '../src/emulator/server.js';
import { emulatorEnv, readResults, runCli, tempDir, TEST_API_KEY, TEST_PORTAL_CODE } from './helpers.js';

const started: Emulator[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((e) => e.close()));
});

async function emulator(contacts: Contact[]): Promise<Emulator> {
  const emu = await startEmulator({ port: 0, portalCode: TEST_PORTAL_CODE, apiKey: TEST_API_KEY });
  started.push(emu);
  emu.seedContacts(contacts);
  return emu;
}

/**
 * Everything the API can hold that a CSV could plausibly damage. Quotes, backslashes and line
 * breaks are left out: the API forbids them ("Your JSON must never include a backslash"), so no
 * contact can hold one.
 */
const CONTACTS: Contact[] = [
  { system_id: 'R1', first_name: 'Tim', last_name: 'Test', email: 'tim@example.com', job_title: null, mobile: '+61411112233' },
  { system_id: 'R2', first_name: 'Zoë', last_name: 'Ångström', email: 'zoe@example.com', job_title: 'Head, Ops', mobile: null },
  { system_id: 'R3', first_name: '李', last_name: 'Emoji 😀🎉', email: 'li@example.com', job_title: '007', mobile: '+4915112345678' },
  { system_id: 'R4', first_name: 'Long', last_name: 'Digits', email: 'long@example.com', job_title: '12345678901234567890', mobile: '+12025550123' },
  { system_id: '000042', first_name: null, last_name: null, email: null, job_title: null, mobile: null },
  { system_id: 'R6', first_name: 'Semi;colon', last_name: 'Tab-free, comma', email: 'MiXeD.Case@Example.com', job_title: 'a=b', mobile: null },
  { system_id: 'R7 with space', first_name: 'Null', last_name: 'Lookalike', email: 'null@example.com', job_title: 'null', mobile: null },
];

/** Formula-like values: with --excel-safe each gets a `'` in the file, and import must strip it. */
const FORMULA_CONTACTS: Contact[] = [
  { system_id: 'F1', first_name: '=SUM(A1)', last_name: '-manager', email: 'f1@example.com', job_title: '@home', mobile: '+61411112234' },
  { system_id: 'F2', first_name: '＝full-width', last_name: '+plus', email: 'f2@example.com', job_title: '-', mobile: null },
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

describe('export → import changes nothing', () => {
  it('plain export: every row updated, the state byte for byte the same', async () => {
    const { before, after, imported, results } = await roundTrip([...CONTACTS, ...FORMULA_CONTACTS], []);
    expect(imported.code, imported.stderr).toBe(0);
    expect(results.map((r) => r.status)).toEqual(Array(CONTACTS.length + FORMULA_CONTACTS.length).fill('updated'));
    expect(after).toStrictEqual(before);
  });

  it('--excel-safe --bom: the prefixes and the BOM come off again on import', async () => {
    // A value that already looks guarded ('=x) survives only here: --excel-safe nests the guard.
    const guarded: Contact = { system_id: 'G1', first_name: "'=already", last_name: "''-twice", email: 'g1@example.com', job_title: "'plain", mobile: null };
    const { before, after, imported, results, exported } = await roundTrip([...CONTACTS, ...FORMULA_CONTACTS, guarded], ['--excel-safe', '--bom']);
    expect(exported.stderr).not.toMatch(/warning/);
    expect(imported.code, imported.stderr).toBe(0);
    expect(results.every((r) => r.status === 'updated')).toBe(true);
    // The results CSV repeats the input's cells verbatim: the prefix was in the file.
    expect(results.find((r) => r.system_id === 'F1')).toMatchObject({ first_name: "'=SUM(A1)", last_name: "'-manager", job_title: "'@home" });
    expect(after).toStrictEqual(before);
  });

  // import strips the excel-safe `'` from system_id too, or a formula-like system_id exported
  // with --excel-safe would come back as another contact.
  it('--excel-safe with formula-like system_ids', async () => {
    expect(createRowParser()({ system_id: "'-1" }).systemId).toBe('-1');
    const ids: Contact[] = [
      { system_id: '-1', first_name: 'Minus', last_name: 'One', email: 'm1@example.com', job_title: null, mobile: null },
      { system_id: '+61', first_name: 'Plus', last_name: 'Id', email: 'p1@example.com', job_title: null, mobile: null },
      { system_id: '=A1', first_name: 'Eq', last_name: 'Id', email: 'e1@example.com', job_title: null, mobile: null },
    ];
    const { before, after, results } = await roundTrip(ids, ['--excel-safe']);
    expect(results.map((r) => r.status)).toEqual(['updated', 'updated', 'updated']);
    expect(after).toStrictEqual(before);
  });

  it('--empty null: a null stays null; an empty string, indistinguishable in the file, becomes null', async () => {
    // Both export as an empty cell. Under --empty null an empty cell means "clear this field", so a
    // null is sent as null (no change), and "" is cleared to null: the one thing that changes.
    const emptyString: Contact = { system_id: 'E1', first_name: 'Empty', last_name: 'String', email: 'es@example.com', job_title: '', mobile: null };
    const { before, after, imported, results } = await roundTrip([...CONTACTS, emptyString], [], ['--empty', 'null']);
    expect(imported.code, imported.stderr).toBe(0);
    expect(results.every((r) => r.status === 'updated')).toBe(true);
    const expected = before.map((c) => (c.system_id === 'E1' ? { ...c, job_title: null } : c));
    expect(after).toStrictEqual(expected);
  });

  it('without --empty null the empty string survives too', async () => {
    const emptyString: Contact = { system_id: 'E1', first_name: 'Empty', last_name: 'String', email: 'es@example.com', job_title: '', mobile: null };
    const { before, after } = await roundTrip([emptyString], []);
    expect(after).toStrictEqual(before);
  });
});
