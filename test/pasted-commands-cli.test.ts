/**
 * Every command the tool suggests runs as pasted (issue 23, items 13–15; issue 21, item 2): each
 * case takes the suggestion from the real CLI's output, runs it in a POSIX shell, and checks what
 * it did, against the emulator where it sends.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CLI,
  TEST_API_KEY,
  TEST_PORTAL_CODE,
  emulatorEnv,
  runCli,
  secretsDir,
  tempDir,
  useEmulators,
  writeFile,
} from './helpers.js';
import { json, useLoopbackServers } from './loopback-servers.js';
import { cleanEnv, nextOf, runShell } from './shell.js';

const emulator = useEmulators();
const listen = useLoopbackServers();

describe('suggested commands, pasted', () => {
  it("an errors file's Next: leaves out the input's --encoding: the tool's own file is UTF-8 (item 13)", async () => {
    const emu = await emulator();
    const env = emulatorEnv(emu);
    const dir = tempDir('enc-next-');
    const latin = 'system_id,first_name,last_name,email\nW1,José,García,jose@x.com\nW2,Zoë,Müller,not-an-email\n';
    writeFile(dir, 'c.csv', Buffer.from(latin, 'latin1'));
    const run = await runCli(['import', 'c.csv', '--encoding', 'windows-1252'], { cwd: dir, env });
    expect(run.code).toBe(1);
    const next = nextOf(run.stdout);
    expect(next?.advice).toBe('fix c.results.errors.csv');
    expect(next?.command).toBe(`node -- ${CLI} import c.results.errors.csv`);

    const errors = join(dir, 'c.results.errors.csv');
    writeFileSync(errors, readFileSync(errors, 'utf8').replace('not-an-email', 'zoe@x.com'));
    const pasted = await runShell(next?.command ?? 'false', { cwd: dir, env: cleanEnv(env) });
    expect(pasted.code).toBe(0);
    expect(emu.contacts().find((c) => c.system_id === 'W2')).toMatchObject({ first_name: 'Zoë', last_name: 'Müller' });
    // The user's own file still needs its encoding: a resume or a re-run of it keeps the flag.
    const dry = await runCli(['import', 'c.csv', '--encoding', 'windows-1252', '--dry-run'], { cwd: dir });
    expect(nextOf(dry.stdout)?.command).toContain('import c.csv --encoding windows-1252');
  });

  it("delete's 'check the file first' hint keeps the --map the run needed, and runs (item 14)", async () => {
    const dir = tempDir('delete-hint-');
    writeFile(dir, 'leavers.csv', 'Agent Key,Name\nK1,Ann Lee\nK2,Bob Ng\n');
    const refused = await runCli(['delete', 'leavers.csv', '--map', 'Agent Key=system_id'], {
      cwd: dir,
      env: emulatorEnv(await emulator()),
    });
    expect(refused.code).toBe(2);
    const hint = /check the file first with: (.*)$/m.exec(refused.stderr)?.[1];
    expect(hint).toBe(`node -- ${CLI} delete leavers.csv --map 'Agent Key=system_id' --dry-run`);
    const pasted = await runShell(hint ?? 'false', { cwd: dir });
    expect(pasted.code).toBe(0);
    expect(pasted.stdout).toMatch(/^ {2}valid +2$/m);
  });

  it("a dry run's Next: keeps the --env-file it was given, and the pasted import uses it (item 15)", async () => {
    const emu = await emulator();
    const envFile = join(secretsDir(), 'portal.env');
    writeFileSync(
      envFile,
      Object.entries(emulatorEnv(emu))
        .map(([k, v]) => `${k}=${v}\n`)
        .join(''),
    );
    chmodSync(envFile, 0o600);
    const dir = tempDir('envfile-next-');
    writeFile(dir, 'c.csv', 'system_id,first_name,last_name,email\nE1,Ann,Lee,e1@x.com\n');
    for (const verb of ['import', 'delete'] as const) {
      const dry = await runCli([verb, 'c.csv', '--env-file', envFile, '--dry-run'], { cwd: dir });
      expect(dry.code).toBe(0);
      expect(nextOf(dry.stdout)?.command).toBe(`node -- ${CLI} ${verb} c.csv --env-file ${envFile}`);
    }
    const dry = await runCli(['import', 'c.csv', '--env-file', envFile, '--dry-run'], { cwd: dir });
    const pasted = await runShell(nextOf(dry.stdout)?.command ?? 'false', { cwd: dir });
    expect(pasted.code).toBe(0);
    expect(emu.contacts().map((c) => c.system_id)).toEqual(['E1']);
  });

  it("the mapping block's --map suggestion is quoted as every other command, and runs as pasted (issue 21, item 2)", async () => {
    const dir = tempDir('map-hint-');
    writeFile(dir, 'c.csv', `system_id,first_name,last_name,email,Ann's $Cell\nM1,Ann,Lee,m1@x.com,+61412000001\n`);
    const dry = await runCli(['import', 'c.csv', '--dry-run'], { cwd: dir });
    const flag = /to send it: (--map .*)$/m.exec(dry.stderr)?.[1];
    expect(flag).toBe(`--map 'Ann'\\''s $Cell=mobile'`);
    const pasted = await runShell(`node -- ${CLI} import c.csv --dry-run ${flag ?? ''}`, { cwd: dir });
    expect(pasted.code).toBe(0);
    expect(pasted.stderr).toContain(`mobile     ← "Ann's $Cell" (--map): +61412000001`);
  });

  it('the unfinished-run hint: the pasted --resume keeps --map and --encoding, and finishes the run', async () => {
    // A server that answers every request with the API's 404 passes the credential check, then
    // stops the run at its first PUT (no PUT answers 404), so a journal is kept.
    const notApi = await listen(
      createServer((_req, res) =>
        json(res, 404, { message: 'A Contact with this System ID was not found', status: 404 }),
      ),
    );
    const env = {
      CIOPULSE_BASE_URL: `${notApi}/api/v5`,
      CIOPULSE_PORTAL_CODE: TEST_PORTAL_CODE,
      CIOPULSE_API_KEY: TEST_API_KEY,
    };
    const dir = tempDir('unfinished-');
    const rows = 'Staff No,first_name,last_name,email\nU1,José,Lee,u1@x.com\nU2,Zoë,Ng,u2@x.com\n';
    writeFile(dir, 'c.csv', Buffer.from(rows, 'latin1'));
    const args = ['import', 'c.csv', '--map', 'Staff No=system_id', '--encoding', 'windows-1252', '--concurrency', '1'];
    const stopped = await runCli(args, { cwd: dir, env });
    expect(stopped.code).toBe(2);
    const refused = await runCli(args, { cwd: dir, env });
    expect(refused.code).toBe(2);
    const resume = /to continue it \(only rows without an answer are sent\): (.*)$/m.exec(refused.stderr)?.[1];
    expect(resume).toBe(`node -- ${CLI} import c.csv --map 'Staff No=system_id' --encoding windows-1252 --resume`);
    const emu = await emulator();
    const pasted = await runShell(resume ?? 'false', { cwd: dir, env: cleanEnv(emulatorEnv(emu)) });
    expect(pasted.code).toBe(0);
    expect(
      emu
        .contacts()
        .map((c) => [c.system_id, c.first_name])
        .sort(),
    ).toEqual([
      ['U1', 'José'],
      ['U2', 'Zoë'],
    ]);
  });
});
