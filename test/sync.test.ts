/**
 * `sync` through the library against the emulator (issue 24): the mirror case, a second sync that
 * sends nothing, owned against prefix against all, the guards, the email handover, a protected
 * contact, --where, --plan, --backup and the state file.
 */
import { once } from 'node:events';
import { readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Contact } from '../src/contact/schema.js';
import { ConfigError, DeclinedError, SyncRefusedError } from '../src/errors.js';
import { importContacts, syncContacts, type SyncOptions } from '../src/run/entry.js';
import { resolveExitCode } from '../src/run/exit.js';
import { parseWhere } from '../src/run/where.js';
import type { Emulator } from '../src/emulator/server.js';
import { connectionOf, contact, countReads, readResults, tempDir, useEmulators, writeFile } from './helpers.js';

const emulator = useEmulators();
const HEADER = 'system_id,first_name,last_name,email,job_title';

function line(c: Contact): string {
  return [c.system_id, c.first_name, c.last_name, c.email, c.job_title].map((v) => v ?? '').join(',');
}

function csv(contacts: readonly Contact[], header = HEADER): string {
  return `${header}\n${contacts.map(line).join('\n')}\n`;
}

/** One sync of `content` in its own file, the state kept in `dir` across calls. */
function syncer(emu: Emulator, dir: string) {
  let runs = 0;
  return async (content: string, options: Partial<SyncOptions> = {}) => {
    const input = writeFile(dir, `agents-${++runs}.csv`, content);
    const summary = await syncContacts({
      input,
      connection: connectionOf(emu),
      state: join(dir, 'agents.sync-state.json'),
      concurrency: 4,
      ...options,
    });
    return { summary, rows: readResults(summary.resultsPath) };
  };
}

function byId(emu: Emulator): Map<string, Contact> {
  return new Map(emu.contacts().map((c) => [c.system_id, c]));
}

/** A loopback proxy in front of the emulator that keeps every PUT body it forwards. */
async function recordingProxy(emu: Emulator): Promise<{ baseUrl: string; bodies: unknown[]; close(): void }> {
  const bodies: unknown[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
      if (req.method === 'PUT' && body !== undefined) bodies.push(JSON.parse(body.toString('utf8')));
      fetch(`${new URL(emu.baseUrl).origin}${req.url ?? ''}`, {
        method: req.method ?? 'GET',
        headers: { authorization: req.headers.authorization ?? '', 'content-type': 'application/json' },
        body,
      })
        .then(async (answer) =>
          res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text()),
        )
        .catch(() => res.socket?.destroy());
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}/api/v5`, bodies, close: () => server.close() };
}

describe('sync: the mirror case', () => {
  it('creates, updates only changed fields (an empty cell clears), leaves unmapped fields alone, deletes what left', async () => {
    const emu = await emulator();
    const dir = tempDir('sync-mirror-');
    const sync = syncer(emu, dir);
    const first = [contact('A1', { job_title: 'Agent' }), contact('A2'), contact('A3')];
    expect((await sync(csv(first))).summary.counts.created).toBe(3);
    // A mobile set in CIOPulse itself: the file has no mobile column, so it is left alone.
    emu.seedContacts([{ ...contact('A2'), mobile: '+61412345678' }]);

    emu.resetStats();
    const second = [contact('A1'), contact('A2', { first_name: 'Bobby' }), contact('A5')];
    const { summary, rows } = await sync(csv(second), { deleteMissing: true });

    expect(rows.map((r) => [r.system_id, r.status])).toEqual([
      ['A1', 'updated'],
      ['A2', 'updated'],
      ['A5', 'created'],
      ['A3', 'deleted'],
    ]);
    // The deleted contact's row holds its last values.
    expect(rows[3]).toMatchObject({ first_name: 'FA3', email: 'a3@example.com', http_status: '202' });
    const now = byId(emu);
    expect(now.get('A1')?.job_title).toBeNull();
    expect(now.get('A2')).toMatchObject({ first_name: 'Bobby', mobile: '+61412345678' });
    expect(now.has('A3')).toBe(false);
    expect(resolveExitCode(summary)).toBe(0);
  });

  it('sends only the fields that differ, so a field changed in the Portal alone is not written back', async () => {
    const emu = await emulator();
    const proxy = await recordingProxy(emu);
    try {
      const dir = tempDir('sync-fields-');
      const input = writeFile(dir, 'a.csv', csv([contact('F1', { job_title: 'Agent' })]));
      const options = { input, connection: { ...connectionOf(emu), baseUrl: proxy.baseUrl }, concurrency: 1 };
      await syncContacts(options);
      expect(proxy.bodies).toEqual([
        { first_name: 'FF1', last_name: 'LF1', email: 'f1@example.com', job_title: 'Agent' },
      ]);
      writeFile(dir, 'a.csv', csv([contact('F1', { job_title: 'Lead', first_name: '' })]));
      await syncContacts(options);
      expect(proxy.bodies[1]).toEqual({ first_name: null, job_title: 'Lead' });
    } finally {
      proxy.close();
    }
  });

  it('a second sync of the same file sends nothing: one credential check and one GET all', async () => {
    const emu = await emulator();
    const sync = syncer(emu, tempDir('sync-again-'));
    const file = csv([contact('B1'), contact('B2', { job_title: 'Lead' })]);
    await sync(file, { deleteMissing: true });
    emu.resetStats();
    const { summary } = await sync(file, { deleteMissing: true });
    expect(summary.counts.unchanged).toBe(2);
    expect(emu.stats().byMethod).toEqual({ GET: 2 });
  });

  it('--plan predicts creates, updates and deletes and writes nothing, not even the state', async () => {
    const emu = await emulator();
    const dir = tempDir('sync-plan-');
    const sync = syncer(emu, dir);
    await sync(csv([contact('P1'), contact('P2')]));
    const state = readFileSync(join(dir, 'agents.sync-state.json'), 'utf8');
    emu.resetStats();
    const { summary, rows } = await sync(csv([contact('P1', { job_title: 'New' }), contact('P3')]), {
      deleteMissing: true,
      plan: true,
    });
    expect(summary.mode).toBe('sync-plan');
    expect(rows.map((r) => r.status)).toEqual(['would-update', 'would-create', 'would-delete']);
    expect(emu.stats().byMethod).toEqual({ GET: 2 });
    expect(readFileSync(join(dir, 'agents.sync-state.json'), 'utf8')).toBe(state);
  });
});

describe('sync: reads of the file', () => {
  it('reads its file as often as an import does: the pre-pass lists the system_ids too (no third read)', async () => {
    const emu = await emulator();
    const dir = tempDir('sync-reads-');
    const input = writeFile(dir, 'agents.csv', csv([contact('R1'), contact('R2'), contact('R3')]));
    emu.seedContacts([contact('R1'), contact('R4')]);
    const connection = connectionOf(emu);
    const state = join(dir, 'agents.sync-state.json');
    const planned = await countReads(input, () =>
      syncContacts({ input, connection, state, scope: { kind: 'all' }, deleteMissing: true, plan: true }),
    );
    const synced = await countReads(input, () =>
      syncContacts({ input, connection, state, scope: { kind: 'all' }, deleteMissing: true }),
    );
    // An import of the same file, for the count to match: last, so the syncs above find R2 and R3 new.
    const imported = await countReads(input, () =>
      importContacts({ input, connection, changedOnly: true, results: join(dir, 'import.csv') }),
    );
    expect(imported.reads).toBeGreaterThan(0);
    expect({ plan: planned.reads, sync: synced.reads }).toEqual({ plan: imported.reads, sync: imported.reads });
    // And the one read still lists the file whole: R4 is the one contact it does not list.
    expect(readResults(planned.result.resultsPath).map((r) => [r.system_id, r.status])).toEqual([
      ['R1', 'unchanged'],
      ['R2', 'would-create'],
      ['R3', 'would-create'],
      ['R4', 'would-delete'],
    ]);
    expect(synced.result.counts).toMatchObject({ created: 2, deleted: 1 });
    expect([...byId(emu).keys()].sort()).toEqual(['R1', 'R2', 'R3']);
  });
});

describe('sync: scope', () => {
  async function setUp() {
    const emu = await emulator();
    const dir = tempDir('sync-scope-');
    const sync = syncer(emu, dir);
    await sync(csv([contact('zd-1'), contact('zd-2'), contact('zd-3'), contact('zd-4')]));
    // Contacts no sync wrote: one under the prefix, one outside it.
    emu.seedContacts([contact('zd-9'), contact('manual-1')]);
    return { emu, sync };
  }
  const KEEP = csv([contact('zd-1'), contact('zd-2'), contact('zd-3')]);

  it('owned deletes only what a sync with this state wrote', async () => {
    const { emu, sync } = await setUp();
    const { summary } = await sync(KEEP, { deleteMissing: true });
    expect(summary.counts.deleted).toBe(1);
    expect([...byId(emu).keys()].sort()).toEqual(['manual-1', 'zd-1', 'zd-2', 'zd-3', 'zd-9']);
  });

  it('a contact the file lists that already matched becomes owned, so it is deleted once it leaves', async () => {
    const emu = await emulator();
    emu.seedContacts([contact('pre-1'), contact('pre-2')]);
    const sync = syncer(emu, tempDir('sync-owned-matched-'));
    const first = await sync(csv([contact('pre-1'), contact('pre-2')]), { deleteMissing: true });
    expect(first.rows.map((r) => r.status)).toEqual(['unchanged', 'unchanged']);
    const second = await sync(csv([contact('pre-1')]), { deleteMissing: true });
    expect(second.summary.counts.deleted).toBe(1);
    expect([...byId(emu).keys()]).toEqual(['pre-1']);
  });

  it('prefix deletes the system_ids under the prefix, and leaves a row outside it unsent', async () => {
    const { emu, sync } = await setUp();
    const { summary, rows } = await sync(`${KEEP}other-1,O,P,o@example.com,\n`, {
      deleteMissing: true,
      scope: { kind: 'prefix', prefix: 'zd-' },
    });
    expect(summary.counts.deleted).toBe(2);
    expect(rows.find((r) => r.system_id === 'other-1')?.status).toBe('filtered');
    expect([...byId(emu).keys()].sort()).toEqual(['manual-1', 'zd-1', 'zd-2', 'zd-3']);
  });

  it('all deletes every contact the file does not list', async () => {
    const { emu, sync } = await setUp();
    const { summary } = await sync(KEEP, { deleteMissing: true, scope: { kind: 'all' } });
    expect(summary.counts.deleted).toBe(3);
    expect([...byId(emu).keys()].sort()).toEqual(['zd-1', 'zd-2', 'zd-3']);
  });

  it('a system_id written decomposed (NFD, as macOS may save it) is listed as its row is sent, so it is never deleted', async () => {
    const emu = await emulator();
    const sync = syncer(emu, tempDir('sync-nfd-'));
    const file = `${HEADER}\nZoe\u0308-1,Zoë,Ng,zoe@example.com,\nkeep-1,Kim,Ode,kim@example.com,\n`;
    await sync(file, { scope: { kind: 'all' } });
    expect([...byId(emu).keys()].sort()).toEqual(['Zo\u00eb-1', 'keep-1']);
    const again = await sync(file, { deleteMissing: true, scope: { kind: 'all' } });
    expect(again.summary.counts.deleted).toBe(0);
    expect([...byId(emu).keys()].sort()).toEqual(['Zo\u00eb-1', 'keep-1']);
  });

  it('without --delete-missing nothing is deleted, whatever the scope', async () => {
    const { emu, sync } = await setUp();
    await sync(KEEP, { scope: { kind: 'all' } });
    expect(emu.contacts()).toHaveLength(6);
  });
});

describe('sync: guards', () => {
  it('a header-only file with --delete-missing is refused, nothing sent', async () => {
    const emu = await emulator();
    const sync = syncer(emu, tempDir('sync-empty-'));
    await sync(csv([contact('E1')]));
    emu.resetStats();
    await expect(sync(`${HEADER}\n`, { deleteMissing: true })).rejects.toThrow(SyncRefusedError);
    expect(emu.stats().byMethod).toEqual({ GET: 2 });
    expect(emu.contacts()).toHaveLength(1);
  });

  it('a 90% delete is refused by default; --max-delete 95% lets it through', async () => {
    const emu = await emulator();
    const sync = syncer(emu, tempDir('sync-ninety-'));
    const all = Array.from({ length: 20 }, (_, i) => contact(`N${i}`));
    await sync(csv(all));
    emu.resetStats();
    const kept = csv(all.slice(0, 2));
    await expect(sync(kept, { deleteMissing: true })).rejects.toThrow(/18 of the 20 contacts in scope \(90\.0%\)/);
    expect(emu.stats().byMethod.DELETE).toBeUndefined();
    await expect(sync(kept, { deleteMissing: true, maxDelete: { count: 17 } })).rejects.toThrow(SyncRefusedError);
    const { summary } = await sync(kept, { deleteMissing: true, maxDelete: { percent: 95 } });
    expect(summary.counts.deleted).toBe(18);
  });

  it('a confirmation that says no sends nothing', async () => {
    const emu = await emulator();
    const sync = syncer(emu, tempDir('sync-no-'));
    await sync(csv([contact('C1'), contact('C2')]));
    emu.resetStats();
    let asked = 0;
    const confirmDeletes = (counts: { deletes: number; creates: number }) => {
      asked++;
      expect(counts).toMatchObject({ deletes: 1, creates: 1 });
      return false;
    };
    await expect(sync(csv([contact('C1'), contact('C3')]), { deleteMissing: true, confirmDeletes })).rejects.toThrow(
      DeclinedError,
    );
    expect(asked).toBe(1);
    expect(emu.stats().byMethod).toEqual({ GET: 2 });
  });
});

describe('sync: order and refusals', () => {
  it('an email handed from a leaver (and from a contact changing email) to a new hire lands in one run', async () => {
    const emu = await emulator();
    const sync = syncer(emu, tempDir('sync-handover-'));
    await sync(csv([contact('L1', { email: 'desk@example.com' }), contact('U1', { email: 'old@example.com' })]));
    const next = csv([
      // The new hire comes before the contact whose change frees the email.
      contact('H2', { email: 'old@example.com' }),
      contact('U1', { email: 'new@example.com' }),
      contact('H1', { email: 'desk@example.com' }),
    ]);
    const { summary, rows } = await sync(next, { deleteMissing: true });
    expect(rows.map((r) => [r.system_id, r.status])).toEqual([
      ['H2', 'created'],
      ['U1', 'updated'],
      ['H1', 'created'],
      ['L1', 'deleted'],
    ]);
    expect(resolveExitCode(summary)).toBe(0);
    expect(byId(emu).get('H1')?.email).toBe('desk@example.com');
  });

  it('a Support Lead is delete-refused, naming its group; the run goes on and exits 1', async () => {
    const emu = await emulator();
    const dir = tempDir('sync-protected-');
    const sync = syncer(emu, dir);
    await sync(csv([contact('CONTACT123'), contact('G1'), contact('G2')]));
    const { summary, rows } = await sync(csv([contact('G1')]), { deleteMissing: true });
    const refused = rows.find((r) => r.system_id === 'CONTACT123');
    expect(refused).toMatchObject({ status: 'delete-refused', http_status: '400' });
    expect(refused?.error).toContain('Service Desk');
    expect(rows.find((r) => r.system_id === 'G2')?.status).toBe('deleted');
    expect(summary.counts['delete-refused']).toBe(1);
    expect(resolveExitCode(summary)).toBe(1);
    // Still owned: once the group is reassigned, the next sync deletes it.
    expect(readFileSync(join(dir, 'agents.sync-state.json'), 'utf8')).toContain('CONTACT123');
  });
});

describe('--where', () => {
  it('sync: a left-out row counts as absent, so its owned contact is deleted', async () => {
    const emu = await emulator();
    const sync = syncer(emu, tempDir('sync-where-'));
    const header = `${HEADER},Suspended`;
    await sync(`${header}\nW1,Ann,Lee,w1@example.com,,FALSE\nW2,Bob,Ray,w2@example.com,,FALSE\n`);
    const { rows } = await sync(`${header}\nW1,Ann,Lee,w1@example.com,,false\nW2,Bob,Ray,w2@example.com,,TRUE\n`, {
      deleteMissing: true,
      where: parseWhere(['Suspended!=TRUE']),
    });
    expect(rows.map((r) => [r.system_id, r.status])).toEqual([
      ['W1', 'unchanged'],
      ['W2', 'filtered'],
      ['W2', 'deleted'],
    ]);
    expect([...byId(emu).keys()]).toEqual(['W1']);
  });

  it('import: left-out rows are filtered, counted and never sent; not an error', async () => {
    const emu = await emulator();
    const dir = tempDir('import-where-');
    const input = writeFile(
      dir,
      'agents.csv',
      'sys_id,first_name,last_name,email,active\nS1,Ann,Lee,s1@example.com,true\nS2,Bob,Ray,s2@example.com,false\n',
    );
    const summary = await importContacts({
      input,
      connection: connectionOf(emu),
      map: ['sys_id=system_id'],
      where: parseWhere(['active=true']),
    });
    expect(summary.counts).toMatchObject({ created: 1, filtered: 1 });
    expect(resolveExitCode(summary)).toBe(0);
    expect(emu.contacts().map((c) => c.system_id)).toEqual(['S1']);
    expect(readResults(summary.resultsPath)[1]).toMatchObject({
      status: 'filtered',
      detail: 'left out by --where "active=true"',
    });
  });

  it('a --where column the file lacks is a usage error before anything is sent', async () => {
    const emu = await emulator();
    const sync = syncer(emu, tempDir('sync-where-col-'));
    await expect(sync(csv([contact('X1')]), { where: parseWhere(['Status=active']) })).rejects.toThrow(
      /no column "Status"/,
    );
    expect(emu.stats().byMethod.PUT).toBeUndefined();
  });
});

describe('sync: backup and state', () => {
  it('--backup makes every update and delete undoable by importing it with --empty null', async () => {
    const emu = await emulator();
    const dir = tempDir('sync-backup-');
    const sync = syncer(emu, dir);
    const before = [contact('K1', { job_title: 'Agent' }), contact('K2')];
    await sync(csv(before));
    const backup = join(dir, 'undo.csv');
    const { summary } = await sync(csv([contact('K1', { job_title: 'Lead' })]), { deleteMissing: true, backup });
    expect(summary.backup).toMatchObject({ updated: 1, deleted: 1 });
    expect(emu.contacts()).toHaveLength(1);
    await importContacts({ input: backup, connection: connectionOf(emu), empty: 'null' });
    expect(emu.contacts().sort((a, b) => a.system_id.localeCompare(b.system_id))).toEqual(before);
  });

  it('the state is written at mode 600 and refused for another portal', async () => {
    const emu = await emulator();
    const dir = tempDir('sync-state-');
    const sync = syncer(emu, dir);
    await sync(csv([contact('S1')]));
    const path = join(dir, 'agents.sync-state.json');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ portalCode: emu.portalCode, owned: ['S1'] });
    const other = await emulator({ portalCode: 'OTHERPORTAL' });
    await expect(syncer(other, dir)(csv([contact('S1')]))).rejects.toThrow(ConfigError);
    expect(other.stats().requests).toBe(0);
  });
});
