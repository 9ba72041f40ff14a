/**
 * Real helpdesk and spreadsheet exports through the real CLI (issue 23; fixtures and their sources
 * in test/fixtures/exports/README.md), with the map files shipped in samples/: what a dry run says,
 * and what the emulator stores.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Contact } from '../src/contact/schema.js';
import { ROOT, emulatorEnv, runCli, tempDir, useEmulators, writeFile } from './helpers.js';

const EXPORTS = join(ROOT, 'test', 'fixtures', 'exports');

describe('a file that can create no one (issue 23, item 9)', () => {
  it('a dry run of a one-Name-column export warns, before and after, and --json lists the fields', async () => {
    const dir = tempDir('cannot-create-');
    const file = join(dir, 'zendesk.csv');
    copyFileSync(join(EXPORTS, 'zendesk-team-members.csv'), file);
    const dry = await runCli(['import', file, '--map', 'ID=system_id', '--dry-run'], { cwd: dir });
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain('warning: no column gives first_name, last_name, which creating a contact needs');
    expect(dry.stdout).toContain('Cannot create: no column gives first_name, last_name');
    expect(dry.stdout).toMatch(/^Next: +map columns to first_name, last_name if the file adds new people, then: /m);

    const german = writeFile(dir, 'de.csv', 'Personalnummer,Vorname,Nachname,E-Mail-Adresse\nP1,Jürgen,Weiß,j@x.de\n');
    const json = await runCli(['import', german, '--map', 'Personalnummer=system_id', '--dry-run', '--json'], {
      cwd: dir,
    });
    expect((JSON.parse(json.stdout) as { missingForCreate: string[] }).missingForCreate).toEqual([
      'first_name',
      'last_name',
      'email',
    ]);

    // Mapped, the same export can create everyone but the one-word name.
    const mapped = await runCli(['import', file, '--map-file', join(ROOT, 'samples', 'zendesk.map'), '--dry-run'], {
      cwd: dir,
    });
    expect(mapped.stdout).not.toContain('Cannot create');
    expect(mapped.stdout).toMatch(/^ {2}valid +5$/m);
    expect(mapped.stdout).toContain('one_word_name');
  });
});

describe('each export imported with its map file, as an admin would (issue 23, done-when fixtures)', () => {
  const emulator = useEmulators();

  async function importExport(file: string, args: string[]): Promise<{ code: number | null; stdout: string }> {
    const dir = tempDir('real-export-');
    const copy = join(dir, file);
    copyFileSync(join(EXPORTS, file), copy);
    const emu = await emulator();
    const run = await runCli(['import', copy, ...args], { cwd: dir, env: emulatorEnv(emu) });
    stored = emu.contacts();
    return run;
  }
  let stored: Contact[] = [];

  it('Zendesk: names split from Name; the one-word name refused, naming its column', async () => {
    const run = await importExport('zendesk-team-members.csv', ['--map-file', join(ROOT, 'samples', 'zendesk.map')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('one_word_name');
    expect(stored.map((c) => [c.system_id, c.first_name, c.last_name]).sort()).toEqual([
      ['381234567801', 'Priya', 'Raman'],
      ['381234567802', 'Jack', 'van der Berg'],
      ['381234567803', 'Ana', 'de la Cruz'],
      ['381234567804', 'Zoë', 'Martin'],
      ['381234567805', 'Seán', 'Ní Bhriain'],
    ]);
  });

  it('Freshdesk: grouped international mobiles normalised with no flag; Title is the job title', async () => {
    const run = await importExport('freshdesk-contacts.csv', ['--map-file', join(ROOT, 'samples', 'freshdesk.map')]);
    expect(run.code).toBe(0);
    expect(stored.map((c) => [c.first_name, c.last_name, c.mobile, c.job_title]).sort()).toEqual([
      ['Ludwig', 'von Mises', '+436641234567', 'Team Lead'],
      ['Min-jun', 'Kim', '+821012345678', 'Support Engineer'],
      ['Priya', 'Raman', '+61412555101', 'Service Desk Lead'],
      ['Tom', "O'Brien", '+16175550199', 'Network Engineer'],
    ]);
  });

  it('ServiceNow: sys_id is the key; the business phone is never sent as the mobile', async () => {
    const run = await importExport('servicenow-sys_user.csv', ['--map-file', join(ROOT, 'samples', 'servicenow.map')]);
    expect(run.code).toBe(0);
    expect(stored.find((c) => c.system_id === '62826bf03710200044e0bfc8bcbe5df1')).toEqual({
      system_id: '62826bf03710200044e0bfc8bcbe5df1',
      first_name: 'Abel',
      last_name: 'Tuter',
      email: 'abel.tuter@example.com',
      job_title: 'Service Desk Analyst',
      mobile: '+18588677525',
    });
  });

  it('HubSpot: Record ID is the key; a (0) trunk prefix is dropped', async () => {
    const run = await importExport('hubspot-contacts.csv', ['--map-file', join(ROOT, 'samples', 'hubspot.map')]);
    expect(run.code).toBe(0);
    expect(stored.find((c) => c.system_id === '51234567893')?.mobile).toBe('+4915123456789');
    expect(stored.find((c) => c.system_id === '51234567892')?.mobile).toBe('+821012345678');
  });

  it('Google Sheets: mobiles that lost their + are refused with "did you mean"; --fix-missing-plus mends only mobiles', async () => {
    const map = ['--map', 'Employee ID=system_id'];
    const refused = await importExport('google-sheets.csv', map);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('did you mean +61412345678?');
    expect(stored.map((c) => c.system_id)).toEqual(['E1003']);

    const fixed = await importExport('google-sheets.csv', [...map, '--fix-missing-plus']);
    expect(fixed.code).toBe(1);
    expect(stored.map((c) => [c.system_id, c.mobile]).sort()).toEqual([
      ['E1001', '+61412345678'],
      ['E1002', '+16175550199'],
      ['E1003', '+61412555106'],
    ]);
    // 61298765432 is a Sydney landline with a + in front: left for a person to decide.
    expect(fixed.stdout).toMatch(/invalid_mobile +1 row {2}first at line 5: .*it is not a mobile/);
    expect(fixed.stdout).toMatch(/^Next: .* --map 'Employee ID=system_id' --fix-missing-plus$/m);
  });
});
