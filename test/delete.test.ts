/**
 * delete, end to end: the real CLI against the emulator. It runs on the import pipeline, so
 * these cases check what is delete's own: the status mapping (202 deleted, 404, the Support
 * Lead / Also Alert rule), --ignore-missing, --dry-run, and the confirmation rules
 * (README, "delete").
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Contact } from '../src/contact/schema.js';
import type { Emulator } from '../src/emulator/server.js';
import {
  CLI,
  emulatorEnv,
  readCsv,
  readResults,
  runCli,
  ptyTranscript,
  tempDir,
  useEmulators,
  writeFile,
} from './helpers.js';

const start = useEmulators();

const person = (system_id: string, n: number): Contact => ({
  system_id,
  first_name: `First${n}`,
  last_name: `Last${n}`,
  email: `p${n}@example.com`,
  job_title: null,
  mobile: null,
});

/** A, B, C, plus CONTACT123: the Support Lead of "Service Desk" in samples/support-groups.json. */
async function emulator(): Promise<Emulator> {
  const emu = await start();
  emu.seedContacts([person('A', 1), person('B', 2), person('C', 3), person('CONTACT123', 123)]);
  return emu;
}

function deleteFile(content: string) {
  const dir = tempDir('delete-');
  const file = writeFile(dir, 'leavers.csv', content);
  return { dir, file, results: join(dir, 'leavers.delete.csv'), errors: join(dir, 'leavers.delete.errors.csv') };
}

const ids = (emu: Emulator): string[] => emu.contacts().map((c) => c.system_id);

describe('delete', () => {
  it('deletes every listed contact with --yes; other columns are kept in the results, never sent', async () => {
    const emu = await emulator();
    const { file, results } = deleteFile('System ID,Note\nA,left in May\nB,left in June\n');
    const result = await runCli(['delete', file, '--yes'], { env: emulatorEnv(emu) });
    expect(result.code, result.stderr).toBe(0);
    expect(ids(emu)).toEqual(['C', 'CONTACT123']);
    expect(readResults(results)).toEqual([
      { 'System ID': 'A', Note: 'left in May', status: 'deleted', http_status: '202', error: '', detail: '' },
      { 'System ID': 'B', Note: 'left in June', status: 'deleted', http_status: '202', error: '', detail: '' },
    ]);
  });

  it('a missing contact is failed "not found", and deleted with --ignore-missing', async () => {
    const emu = await emulator();
    const { file, results } = deleteFile('system_id\nA\nGONE\n');
    const first = await runCli(['delete', file, '--yes'], { env: emulatorEnv(emu) });
    expect(first.code).toBe(1);
    const rows = readResults(results);
    expect(rows.map((r) => r.status)).toEqual(['deleted', 'failed']);
    expect(rows[1]).toMatchObject({
      http_status: '404',
      error: expect.stringMatching(
        /^not_found: no contact with this system_id \(404 A Contact with this System ID was not found\)/,
      ) as unknown,
    });

    const again = await runCli(['delete', file, '--yes', '--ignore-missing'], { env: emulatorEnv(emu) });
    expect(again.code, again.stderr).toBe(0);
    expect(readResults(results).map((r) => [r.status, r.http_status, r.detail])).toEqual([
      ['deleted', '404', 'was not there (--ignore-missing)'],
      ['deleted', '404', 'was not there (--ignore-missing)'],
    ]);
  });

  it('refuses a Support Lead with the API message naming the group and a hint to reassign; the errors CSV holds only that row', async () => {
    const emu = await emulator();
    const { file, results, errors } = deleteFile('system_id,first_name\nA,Ann\nCONTACT123,Lead\nB,Bob\n');
    const result = await runCli(['delete', file, '--yes'], { env: emulatorEnv(emu) });
    expect(result.code).toBe(1);
    expect(ids(emu)).toEqual(['C', 'CONTACT123']);
    const rows = readResults(results);
    expect(rows.map((r) => r.status)).toEqual(['deleted', 'failed', 'deleted']);
    expect(rows[1]?.http_status).toBe('400');
    expect(rows[1]?.error).toMatch(/^protected_contact: 400 .*Service Desk.*reassign the group first$/);
    expect(rows[1]?.error).not.toMatch(/reassign.*reassign/);
    // The errors CSV is an input file again: the input's columns only, the failed row only.
    expect(readCsv(errors)).toEqual([
      ['system_id', 'first_name'],
      ['CONTACT123', 'Lead'],
    ]);
  });

  it('--dry-run sends nothing and needs no credentials', async () => {
    const emu = await emulator();
    const { file, dir } = deleteFile('system_id\nA\n..\nB\n');
    const before = emu.stats().requests;
    // No CIOPULSE_* at all: runCli starts from a clean environment.
    const result = await runCli(['delete', file, '--dry-run']);
    expect(result.code).toBe(1); // ".." is invalid: it cannot be a URL segment
    expect(emu.stats().requests).toBe(before);
    expect(ids(emu)).toEqual(['A', 'B', 'C', 'CONTACT123']);
    const rows = readResults(join(dir, 'leavers.delete-dryrun.csv'));
    expect(rows.map((r) => [r.status, r.detail])).toEqual([
      ['valid', 'would be deleted'],
      ['invalid', ''],
      ['valid', 'would be deleted'],
    ]);
    expect(existsSync(join(dir, 'leavers.delete.csv'))).toBe(false);
  });

  it('without --yes and with stdin not a terminal, refuses before sending anything (exit 2)', async () => {
    const emu = await emulator();
    const { file, results } = deleteFile('system_id\nA\n');
    const result = await runCli(['delete', file], { env: emulatorEnv(emu), stdin: 'y\n' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^error: refusing to delete without confirmation: stdin is not a terminal; pass --yes\n/,
    );
    expect(emu.stats().requests).toBe(0);
    expect(ids(emu)).toContain('A');
    expect(existsSync(results)).toBe(false);
  });

  it('a file without a system_id column is a whole-file error, before anything is sent', async () => {
    const emu = await emulator();
    const { file } = deleteFile('email\np1@example.com\n');
    const result = await runCli(['delete', file, '--yes'], { env: emulatorEnv(emu) });
    expect(result.code).toBe(2);
    expect(emu.stats().requests).toBe(0);
  });

  describe.skipIf(!existsSync('/usr/bin/script'))('on a terminal (a pty from script(1))', () => {
    /** Runs the CLI with a pseudo-terminal as stdin, typing `answer` at the prompt. */
    function onTerminal(
      args: string[],
      env: Record<string, string>,
      answer: string,
    ): Promise<{ code: number | null; output: string }> {
      const command = ['node', CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
      return new Promise((resolve, reject) => {
        const child = spawn('script', ['-qec', command, ptyTranscript()], {
          env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env },
        });
        let output = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          output += d;
          if (output.includes('[y/N]') && !child.stdin.writableEnded) child.stdin.end(`${answer}\n`);
        });
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, output }));
      });
    }

    it('asks with the count and the base URL; "y" deletes', async () => {
      const emu = await emulator();
      const { file } = deleteFile('system_id\nA\nB\n');
      const { code, output } = await onTerminal(['delete', file, '--quiet'], emulatorEnv(emu), 'y');
      expect(output).toContain(`Delete 2 contacts listed in ${file} from ${emu.baseUrl}? [y/N]`);
      expect(code).toBe(0);
      expect(ids(emu)).toEqual(['C', 'CONTACT123']);
    });

    it('anything else cancels: nothing is sent, exit 1', async () => {
      const emu = await emulator();
      const { file } = deleteFile('system_id\nA\nB\n');
      const { code, output } = await onTerminal(['delete', file], emulatorEnv(emu), 'n');
      expect(output).toContain('cancelled: nothing was deleted');
      expect(code).toBe(1);
      expect(emu.stats().requests).toBe(0);
    });
  });
});
