/**
 * Real spreadsheets end to end (issues 11 and 13): the real CLI, as a process, against the
 * emulator; each case asserts what the emulator stored, not only the exit code.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, emulatorEnv, readResults, runCli, tempDir, useEmulators, writeFile } from './helpers.js';

const emulator = useEmulators();

describe('an Outlook export with its map file', () => {
  it('dry run shows the mapping; the import stores job titles and never an honorific', async () => {
    const dir = tempDir('outlook-');
    const file = join(dir, 'outlook-export.csv');
    copyFileSync(join(ROOT, 'samples', 'outlook-export.csv'), file);
    const mapFile = join(ROOT, 'samples', 'outlook.map');

    const dry = await runCli(['import', file, '--map-file', mapFile, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain('job_title  ← "Job Title": Service Desk Lead | Network Engineer');
    expect(dry.stderr).toContain('"Title": job_title comes from "Job Title", which names the field exactly');
    expect(dry.stderr).toContain('system_id  ← "Organizational ID Number" (--map): OUT-2001 | OUT-2002');
    expect(dry.stdout).toContain('"Notes", column 16 (no header) (no field');
    const quiet = await runCli(['import', file, '--map-file', mapFile, '--dry-run', '--quiet']);
    expect(quiet.stderr).not.toContain('Columns sent');

    const emu = await emulator();
    const run = await runCli(['import', file, '--map-file', mapFile], { env: emulatorEnv(emu) });
    expect(run.code).toBe(0);
    const stored = emu.contacts();
    expect(stored).toHaveLength(6);
    expect(stored.map((c) => c.job_title).sort()).toEqual([
      'IT Manager',
      'Network Engineer',
      'Security Analyst',
      'Service Desk Lead',
      'Support Engineer, Tier 2',
      'Team Lead',
    ]);
    expect(stored.some((c) => /^(Mr|Ms|Mrs|Dr)$/.test(c.job_title ?? ''))).toBe(false);
    expect(stored.find((c) => c.system_id === 'OUT-2006')).toEqual({
      system_id: 'OUT-2006',
      first_name: 'Zoë',
      last_name: 'Martin',
      email: 'zoe.martin@example.com',
      job_title: 'Team Lead',
      mobile: '+61412555106',
    });
  });
});

describe('rows a strict reading finds, every one', () => {
  it('a stray quote no longer swallows the rows after it (issue 11, item 2)', async () => {
    const lines = ['system_id,first_name,last_name,email,job_title', 'Q1,Ann,"Lee" ,q1@x.com,Dev'];
    for (let i = 2; i <= 9; i++) lines.push(`Q${i},N${i},L${i},q${i}@x.com,T`);
    lines.push(
      'Q10,Bob,"Smith, Jr",q10@x.com,Dev',
      'Q11,C,D,q11@x.com,T',
      'Q12,E,F,q12@x.com,T',
      'Q13,G,H,q13@x.com,T',
    );
    const dir = tempDir('stray-');
    const file = writeFile(dir, 'c.csv', `${lines.join('\n')}\n`);
    const emu = await emulator();
    const run = await runCli(['import', file, '--json'], { env: emulatorEnv(emu) });
    expect(run.code).toBe(1);
    const summary = JSON.parse(run.stdout) as { rows: number; counts: Record<string, number> };
    expect(summary.rows).toBe(13);
    expect(summary.counts.created).toBe(12);
    expect(summary.counts.invalid).toBe(1);
    // Requests run concurrently, so the creation order is not the file's.
    expect(
      emu
        .contacts()
        .map((c) => c.system_id)
        .sort(),
    ).toEqual(['Q10', 'Q11', 'Q12', 'Q13', 'Q2', 'Q3', 'Q4', 'Q5', 'Q6', 'Q7', 'Q8', 'Q9']);
    expect(emu.contacts().find((c) => c.system_id === 'Q10')?.last_name).toBe('Smith, Jr');
    const results = readResults(join(dir, 'c.results.csv'));
    expect(results[0]?.error).toContain('malformed_row: line 2: cannot read this row');
    // As typed, not JavaScript-escaped.
    expect(results[0]?.error).toContain('Q1,Ann,"Lee" ,q1@x.com,Dev');
  });

  it('a bare CR in a delete file is a row error, and deletes nothing it merged (issue 11, item 3)', async () => {
    const emu = await emulator();
    emu.seedContacts(
      ['A1', 'A2', 'A3', 'B1'].map((id) => ({
        system_id: id,
        first_name: 'X',
        last_name: 'Y',
        email: `${id.toLowerCase()}@x.com`,
        job_title: null,
        mobile: null,
      })),
    );
    const dir = tempDir('cr-');
    const file = writeFile(dir, 'leavers.csv', 'system_id\nA1\rA2\rA3\nB1\n');
    const run = await runCli(['delete', file, '--yes'], { env: emulatorEnv(emu) });
    expect(run.code).toBe(1);
    expect(
      emu
        .contacts()
        .map((c) => c.system_id)
        .sort(),
    ).toEqual(['A1', 'A2', 'A3']);
    const results = readResults(join(dir, 'leavers.delete.csv'));
    expect(results[0]?.error).toContain('bare CR');
  });
});

describe('encodings and short rows', () => {
  it('--encoding windows-1252 wins over a UTF-8 BOM; a short row reads as empty trailing cells', async () => {
    const body = Buffer.from(
      'system_id,first_name,last_name,email,job_title,mobile\r\nW1,Zo\xeb,M\xfcller,w1@x.com,Caf\xe9 Lead,+61412000001\r\nW2,Ann,Lee,w2@x.com\r\n',
      'latin1',
    );
    const dir = tempDir('bom-');
    const file = writeFile(dir, 'excel.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]));
    const emu = await emulator();
    const first = await runCli(['import', file], { env: emulatorEnv(emu) });
    expect(first.code).toBe(2);
    expect(first.stderr).toContain('--encoding windows-1252');
    const run = await runCli(['import', file, '--encoding', 'windows-1252'], { env: emulatorEnv(emu) });
    expect(run.code).toBe(0);
    expect([...emu.contacts()].sort((a, b) => a.system_id.localeCompare(b.system_id))).toEqual([
      {
        system_id: 'W1',
        first_name: 'Zoë',
        last_name: 'Müller',
        email: 'w1@x.com',
        job_title: 'Café Lead',
        mobile: '+61412000001',
      },
      { system_id: 'W2', first_name: 'Ann', last_name: 'Lee', email: 'w2@x.com', job_title: null, mobile: null },
    ]);
  });

  it('names every whole-file problem, one error line each, and sends nothing', async () => {
    const dir = tempDir('all-');
    const file = writeFile(
      dir,
      'bad.csv',
      Buffer.from('Customer,Email Address,E-mail Address\n1,a@x.com,b@x.com\n2,Caf\xe9,c@x.com\n', 'latin1'),
    );
    const emu = await emulator();
    const run = await runCli(['import', file], { env: emulatorEnv(emu) });
    expect(run.code).toBe(2);
    const errors = run.stderr.split('\n').filter((l) => l.startsWith('error:'));
    expect(errors).toHaveLength(3);
    expect(errors[0]).toContain('not valid UTF-8');
    expect(errors[1]).toContain('both map to email');
    expect(errors[2]).toContain('no system_id column');
    expect(emu.stats().byMethod.PUT ?? 0).toBe(0);
    expect(readFileSync(file).length).toBeGreaterThan(0);
  });
});
