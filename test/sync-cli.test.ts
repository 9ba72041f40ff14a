/**
 * `sync` through the built CLI (issue 24): a Zendesk team-member export with the shipped map file
 * and --where, the confirmation rule without a terminal, and kill -9 at any point followed by a
 * re-run (and a --resume) that converges without touching what the file lists or what no sync wrote.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Contact } from '../src/contact/schema.js';
import type { Emulator } from '../src/emulator/server.js';
import {
  ROOT,
  emulatorEnv,
  readResults,
  runCli,
  runCliUntilFileGrows,
  tempDir,
  useEmulators,
  writeFile,
} from './helpers.js';

const emulator = useEmulators();
const ZENDESK_HEADER =
  'ID,Name,Email,Suspended,Date created,Last updated,Last sign-in,Time zone,Language,Primary Group,Groups';

function zendeskRow(id: number, name: string, suspended = 'false'): string {
  const email = `${name.split(' ')[0]?.toLowerCase() ?? 'x'}@example.com`;
  return `${id},${name},${email},${suspended},2024-01-02,2026-11-30,2026-12-01,Sydney,English,Support,Support`;
}

describe('sync: a helpdesk export through the CLI', () => {
  it('a Zendesk team-member export with samples/zendesk.map and --where "Suspended!=TRUE": suspended agents and leavers go', async () => {
    const emu = await emulator();
    const env = emulatorEnv(emu);
    const dir = tempDir('sync-zendesk-');
    const map = join(ROOT, 'samples', 'zendesk.map');
    const args = (file: string) =>
      ['sync', file, '--map-file', map, '--where', 'Suspended!=TRUE', '--delete-missing', '--yes', '--json'] as const;
    const first = writeFile(
      dir,
      'team-members.csv',
      `${ZENDESK_HEADER}\n${[zendeskRow(101, 'Ann Lee'), zendeskRow(102, 'Bob Ray'), zendeskRow(103, 'Cat Poe')].join('\n')}\n`,
    );
    const one = await runCli(args(first), { env });
    expect(one.code).toBe(0);
    expect(emu.contacts().map((c) => [c.system_id, c.first_name, c.last_name])).toEqual([
      ['101', 'Ann', 'Lee'],
      ['102', 'Bob', 'Ray'],
      ['103', 'Cat', 'Poe'],
    ]);
    // Next export: Bob is suspended, Cat left, Dee joined.
    writeFile(
      dir,
      'team-members.csv',
      `${ZENDESK_HEADER}\n${[zendeskRow(101, 'Ann Lee'), zendeskRow(102, 'Bob Ray', 'true'), zendeskRow(104, 'Dee Ames')].join('\n')}\n`,
    );
    const report = join(dir, 'sync.html');
    const two = await runCli([...args(first), '--report', report], { env });
    expect(two.code).toBe(0);
    expect(readFileSync(report, 'utf8')).toMatch(/Sync.*team-members\.csv/s);
    const summary = JSON.parse(two.stdout) as { mode: string; counts: Record<string, number>; sync: { owned: number } };
    expect(summary.mode).toBe('sync');
    expect(summary.counts).toMatchObject({ unchanged: 1, filtered: 1, created: 1, deleted: 2, 'delete-refused': 0 });
    expect(summary.sync.owned).toBe(2);
    expect(emu.contacts().map((c) => c.system_id)).toEqual(['101', '104']);
    const rows = readResults(join(dir, 'team-members.sync.csv'));
    expect(rows.map((r) => [r.ID, r.Name, r.status])).toEqual([
      ['101', 'Ann Lee', 'unchanged'],
      ['102', 'Bob Ray', 'filtered'],
      ['104', 'Dee Ames', 'created'],
      ['102', 'Bob Ray', 'deleted'],
      ['103', 'Cat Poe', 'deleted'],
    ]);
  });

  it('deletes need --yes without a terminal (exit 2, nothing sent); a sync that deletes nothing does not ask', async () => {
    const emu = await emulator();
    const env = emulatorEnv(emu);
    const dir = tempDir('sync-yes-');
    const header = 'system_id,first_name,last_name,email';
    const file = writeFile(dir, 'a.csv', `${header}\nY1,Ann,Lee,y1@example.com\nY2,Bob,Ray,y2@example.com\n`);
    expect((await runCli(['sync', file, '--delete-missing'], { env })).code).toBe(0);
    writeFile(dir, 'a.csv', `${header}\nY1,Ann,Lee,y1@example.com\nY3,Cat,Poe,y3@example.com\n`);
    emu.resetStats();
    const refused = await runCli(['sync', file, '--delete-missing'], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      'refusing to delete 1 contacts without confirmation: stdin is not a terminal; pass --yes',
    );
    expect(refused.stderr).toContain(`sync ${file} --delete-missing --plan`);
    expect(emu.stats().byMethod).toEqual({ GET: 2 });
    const yes = await runCli(['sync', file, '--delete-missing', '--yes'], { env });
    expect(yes.code).toBe(0);
    expect(emu.contacts().map((c) => c.system_id)).toEqual(['Y1', 'Y3']);
  });

  it('the delete guard: exit 2, nothing sent, and a preview to paste, never a command that lifts the guard', async () => {
    const emu = await emulator();
    const env = emulatorEnv(emu);
    const dir = tempDir('sync-guard-');
    const header = 'system_id,first_name,last_name,email';
    const rows = Array.from({ length: 12 }, (_, i) => `g${i},F${i},L${i},g${i}@example.com`);
    const file = writeFile(dir, 'agents.csv', `${header}\n${rows.join('\n')}\n`);
    expect((await runCli(['sync', file], { env })).code).toBe(0);
    // A cut-short export: 11 of 12 owned contacts would go.
    writeFile(dir, 'agents.csv', `${header}\n${rows[0] ?? ''}\n`);
    const before = emu.stats().byMethod;
    const refused = await runCli(['sync', file, '--delete-missing', '--yes'], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`sync ${file} --delete-missing --plan`);
    expect(refused.stderr).not.toMatch(/--max-delete\s+100%/);
    expect(emu.stats().byMethod.DELETE ?? 0).toBe(before.DELETE ?? 0);
    expect(emu.contacts()).toHaveLength(12);
  });

  it('the --fix-missing-plus that a mobile error suggests is a sync flag too, and puts the + back', async () => {
    const emu = await emulator();
    const env = emulatorEnv(emu);
    const dir = tempDir('sync-plus-');
    const file = writeFile(
      dir,
      'a.csv',
      'system_id,first_name,last_name,email,mobile\nP1,Ann,Lee,p1@example.com,61412345678\n',
    );
    const without = await runCli(['sync', file], { env });
    expect(without.code).toBe(1);
    const [row] = readResults(join(dir, 'a.sync.csv'));
    expect(row?.status).toBe('invalid');
    expect(row?.error).toContain('--fix-missing-plus');
    const fixed = await runCli(['sync', file, '--fix-missing-plus'], { env });
    expect(fixed.code).toBe(0);
    expect(emu.contacts().map((c) => [c.system_id, c.mobile])).toEqual([['P1', '+61412345678']]);
  });

  it('a refused delete exits 1 and Next: names the support group to reassign', async () => {
    const emu = await emulator();
    const env = emulatorEnv(emu);
    const dir = tempDir('sync-lead-');
    const header = 'system_id,first_name,last_name,email';
    const file = writeFile(dir, 'a.csv', `${header}\nCONTACT789,Ann,Lee,lead@example.com\nZ1,Bob,Ray,z1@example.com\n`);
    expect((await runCli(['sync', file], { env })).code).toBe(0);
    writeFile(dir, 'a.csv', `${header}\nZ1,Bob,Ray,z1@example.com\n`);
    const run = await runCli(['sync', file, '--delete-missing', '--yes'], { env });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/delete-refused\s+1/);
    expect(run.stdout).toContain('reassign the support groups named in');
    expect(readFileSync(join(dir, 'a.sync.csv'), 'utf8')).toContain('Service Delivery');
  });
});

describe('sync: crash safety', () => {
  const HEADER = 'system_id,first_name,last_name,email,job_title';
  const row = (c: Contact) => [c.system_id, c.first_name, c.last_name, c.email, c.job_title ?? ''].join(',');
  const agent = (i: number, title = 'Agent'): Contact => ({
    system_id: `K${i}`,
    first_name: `F${i}`,
    last_name: `L${i}`,
    email: `k${i}@example.com`,
    job_title: title,
    mobile: null,
  });

  function expectMatches(emu: Emulator, wanted: readonly Contact[], untouched: readonly Contact[]): void {
    const now = new Map(emu.contacts().map((c) => [c.system_id, c]));
    for (const c of [...wanted, ...untouched]) expect(now.get(c.system_id)).toEqual(c);
    expect(now.size).toBe(wanted.length + untouched.length);
  }

  it('kill -9 in the delete phase, then in the row phase of a --resume: the next plain sync converges', async () => {
    const emu = await emulator({ latencyMs: 15 });
    const env = emulatorEnv(emu);
    const dir = tempDir('sync-kill-');
    const file = join(dir, 'agents.csv');
    const before = Array.from({ length: 120 }, (_, i) => agent(i));
    writeFile(dir, 'agents.csv', `${HEADER}\n${before.map(row).join('\n')}\n`);
    const base = ['sync', file, '--delete-missing', '--yes', '--max-delete', '100%', '--concurrency', '2'];
    expect((await runCli(base, { env })).code).toBe(0);
    // Contacts no sync wrote: never deleted under the owned scope, whatever happens.
    const manual = [agent(900), agent(901)];
    emu.seedContacts(manual);

    // Keep 0–59 (30 of them changed), drop 60–119, add 200–279.
    const after = [
      ...before.slice(0, 60).map((c, i) => (i < 30 ? { ...c, job_title: 'Lead' } : c)),
      ...Array.from({ length: 80 }, (_, i) => agent(200 + i)),
    ];
    writeFile(dir, 'agents.csv', `${HEADER}\n${after.map(row).join('\n')}\n`);
    const journal = join(dir, 'agents.sync.csv.journal');

    // In the delete phase: a few deletes have answers.
    const killed = await runCliUntilFileGrows(base, env, journal, 600, 'SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    const listed = new Set(after.map((c) => c.system_id));
    for (const c of after.slice(0, 60)) expect(emu.contacts().some((x) => x.system_id === c.system_id)).toBe(true);

    // A --resume, killed again once it is into the rows (60 deletes ≈ 6 KB of journal, then PUTs).
    const again = await runCliUntilFileGrows([...base, '--resume'], env, journal, 9000, 'SIGKILL');
    expect(again.signal).toBe('SIGKILL');
    expect(emu.contacts().filter((c) => !listed.has(c.system_id) && c.system_id.startsWith('K9')).length).toBe(2);

    const last = await runCli(base, { env });
    expect(last.code).toBe(0);
    expectMatches(emu, after, manual);
    const state = JSON.parse(readFileSync(join(dir, 'agents.sync-state.json'), 'utf8')) as { owned: string[] };
    expect(new Set(state.owned)).toEqual(listed);

    emu.resetStats();
    expect((await runCli(base, { env })).code).toBe(0);
    expect(emu.stats().byMethod).toEqual({ GET: 2 });
  });
});
