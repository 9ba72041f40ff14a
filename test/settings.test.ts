/**
 * Connection settings through the real CLI (README, "Where settings come from"): --env-file as
 * the installed bin, npx and node see it, .env and its dotenv rule, `check`, every missing
 * setting at once, `--api-key` refused by name, and env files held to the key file's mode rule.
 */
import { chmodSync, mkdirSync } from 'node:fs';
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
import { cleanEnv, fakeInstall, runShell } from './shell.js';

const emulator = useEmulators();

describe('--env-file reaches the tool, not Node', () => {
  it('a missing file, a directory and an unreadable file exit 2 with one line naming it; a good file works (bin, npx, node --)', async () => {
    const emu = await emulator();
    const dir = fakeInstall();
    mkdirSync(join(dir, 'adir'));
    const good = writeFile(
      dir,
      'good.env',
      `CIOPULSE_BASE_URL=${emu.baseUrl}\nCIOPULSE_PORTAL_CODE=${emu.portalCode}\nCIOPULSE_API_KEY=${TEST_API_KEY}\n`,
    );
    chmodSync(good, 0o600);
    const env = cleanEnv({ PATH: `${join(dir, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` });
    const launchers = ['ciopulse-contacts', 'npx -- ciopulse-contacts', `node -- ${CLI}`];
    // Root reads any file whatever its mode, so there the unreadable file is one whose read fails.
    const locked = writeFile(dir, 'locked.env', 'CIOPULSE_PORTAL_CODE=X\n');
    chmodSync(locked, 0o000);
    const unreadable = process.getuid?.() === 0 ? '/proc/self/mem' : 'locked.env';
    const bad: [string, RegExp][] = [
      ['nope.env', /^error: cannot read the env file nope\.env: it does not exist \(ENOENT\)\n/],
      ['adir', /^error: cannot read the env file adir: it is a directory \(EISDIR\)\n/],
      [
        unreadable,
        /^error: cannot read the env file (\/proc\/self\/mem: input\/output error \(EIO\)|locked\.env: permission denied \(EACCES\))\n/,
      ],
    ];
    for (const launcher of launchers) {
      // Which file is wrong is the tool's business; how it was started is Node's: every kind through the bin, one through the others.
      for (const [file, message] of launcher === 'ciopulse-contacts' ? bad : bad.slice(0, 1)) {
        const result = await runShell(`${launcher} check --env-file ${file}`, { cwd: dir, env });
        expect({ launcher, code: result.code }).toEqual({ launcher, code: 2 });
        expect(result.stderr).toMatch(message);
        expect(result.stderr).not.toMatch(/^node:/m);
      }
    }
    // The bin as installed and npx without "--": a good file works, and so does a missing one through the bin.
    for (const launcher of ['ciopulse-contacts', 'npx ciopulse-contacts']) {
      const ok = await runShell(`${launcher} check --env-file good.env`, { cwd: dir, env });
      expect({ launcher, code: ok.code, stderr: ok.stderr }).toEqual({ launcher, code: 0, stderr: '' });
      expect(ok.stdout).toMatch(/portal code\s+TESTPORTAL\s+\(from the env file good\.env\)/);
    }
  });
});

describe('where settings come from', () => {
  it('check: each setting and its source, never the key; flags > --env-file > environment > .env; exit 0 when it works', async () => {
    const emu = await emulator();
    const dir = tempDir('sources-');
    // .env never overrides the environment: its base URL loses, its portal code (set nowhere else) wins.
    writeFile(dir, '.env', 'CIOPULSE_BASE_URL=http://127.0.0.1:9/api/v5\nCIOPULSE_PORTAL_CODE=FROMDOTENV\n');
    const fromDotEnv = await runCli(['check'], {
      cwd: dir,
      env: { CIOPULSE_BASE_URL: emu.baseUrl, CIOPULSE_API_KEY: TEST_API_KEY },
    });
    expect(fromDotEnv.stdout).toMatch(
      new RegExp(`base URL\\s+${emu.baseUrl.replace(/\./g, '\\.')}\\s+\\(from the environment\\)`),
    );
    expect(fromDotEnv.stdout).toMatch(/portal code\s+FROMDOTENV\s+\(from \.env in the current directory\)/);
    expect(fromDotEnv.stdout).toMatch(/API key\s+40 characters, from the environment \(never shown\)/);
    expect(fromDotEnv.stdout).toMatch(/\.env\s+read \(it never overrides the environment\)/);
    // FROMDOTENV is not the emulator's portal code: the check fails, exit 2, with the loopback hint.
    expect(fromDotEnv.code).toBe(2);
    expect(fromDotEnv.stderr).toMatch(/^error: the API refused the credentials \(401/m);
    expect(fromDotEnv.stderr).toMatch(/emulator, it makes a new key each time it starts/);
    // Other commands say on stderr what they took from .env, since nobody named that file.
    const noted = await runCli(['get', 'X1'], {
      cwd: dir,
      env: { CIOPULSE_BASE_URL: emu.baseUrl, CIOPULSE_API_KEY: TEST_API_KEY },
    });
    expect(noted.code).toBe(2);
    expect(noted.stderr).toMatch(/^note: CIOPULSE_PORTAL_CODE from \.\/\.env \(it never overrides the environment/m);

    // --env-file beats the environment, a flag beats both, and .env is not read beside --env-file.
    const envFile = writeFile(
      secretsDir(),
      'conn.env',
      `CIOPULSE_BASE_URL=${emu.baseUrl}\nCIOPULSE_PORTAL_CODE=WRONG\nCIOPULSE_API_KEY=${TEST_API_KEY}\n`,
    );
    chmodSync(envFile, 0o600);
    const layered = await runCli(['check', '--env-file', envFile, '--portal-code', emu.portalCode], {
      cwd: dir,
      env: { CIOPULSE_BASE_URL: 'http://127.0.0.1:9/api/v5', CIOPULSE_API_KEY: 'y'.repeat(40) },
    });
    expect(layered.stdout).toMatch(/base URL\s+\S+\s+\(from the env file .*conn\.env\)/);
    expect(layered.stdout).toMatch(new RegExp(`portal code\\s+${emu.portalCode}\\s+\\(from a flag\\)`));
    expect(layered.stdout).toMatch(/API key\s+40 characters, from the env file .*conn\.env/);
    expect(layered.stdout).toMatch(/\.env\s+not read: --env-file names the file to use/);
    expect(layered.stdout).toMatch(/^credentials\s+work/m);
    expect(layered.code).toBe(0);
    for (const output of [fromDotEnv, layered]) expect(output.stdout + output.stderr).not.toContain(TEST_API_KEY);
  });

  it('names every missing setting at once, refuses --api-key by name, and refuses an env file others can read', async () => {
    const dir = tempDir('missing-');
    const file = writeFile(dir, 'c.csv', 'system_id,first_name,last_name,email\nA1,Ann,Lee,a@x.com\n');
    const missing = await runCli(['import', file], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: missing the portal code and the API key\n/);
    expect(missing.stderr).toMatch(/CIOPULSE_PORTAL_CODE .*CIOPULSE_API_KEY/);

    const typed = 'k'.repeat(40);
    for (const flag of [['--api-key', typed], [`--apiKey=${typed}`]]) {
      const keyFlag = await runCli(['import', file, ...flag], { cwd: dir });
      expect(keyFlag.code).toBe(2);
      expect(keyFlag.stderr).toMatch(/the API key is never taken as a flag: it would sit in your shell history/);
      expect(keyFlag.stderr).toMatch(/CIOPULSE_API_KEY in the environment or in an --env-file, or pass --api-key-file/);
      expect(keyFlag.stderr).not.toContain(typed);
    }

    const emu = await emulator();
    const envFile = writeFile(
      secretsDir(),
      'shared.env',
      `CIOPULSE_BASE_URL=${emu.baseUrl}\nCIOPULSE_PORTAL_CODE=${TEST_PORTAL_CODE}\nCIOPULSE_API_KEY=${TEST_API_KEY}\n`,
    );
    chmodSync(envFile, 0o644);
    const shared = await runCli(['import', file, '--env-file', envFile], { cwd: dir });
    expect(shared.code).toBe(2);
    expect(shared.stderr).toMatch(/shared\.env holds the API key and can be read by other users \(mode 644\)/);
    expect(shared.stderr).toMatch(/hint: run: chmod 600 .*shared\.env/);
    expect(emu.stats().requests).toBe(0);
    chmodSync(envFile, 0o600);
    const accepted = await runCli(['import', file, '--env-file', envFile], {
      cwd: dir,
      env: emulatorEnv({ ...emu, portalCode: 'IGNORED' }),
    });
    expect(accepted.code).toBe(0);
    expect(emu.contacts()).toHaveLength(1);
  });
});

describe('a key in the base URL', () => {
  it('is refused by every command that connects, never printed, and check says where the key goes', async () => {
    const emu = await emulator();
    const dir = tempDir('userinfo-');
    const file = writeFile(dir, 'c.csv', 'system_id,first_name,last_name,email\nA1,Ann,Lee,a@x.com\n');
    const baseUrl = emu.baseUrl.replace('http://', `http://${TEST_PORTAL_CODE}:${TEST_API_KEY}@`);
    const env = { ...emulatorEnv(emu), CIOPULSE_BASE_URL: baseUrl };
    for (const args of [['check'], ['import', file], ['import', file, '--plan', '--json'], ['export'], ['get', 'A1']]) {
      const result = await runCli(args, { cwd: dir, env });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain('the base URL holds a user name or password');
      expect(result.stderr).toContain('the key goes in CIOPULSE_API_KEY or --api-key-file');
      expect(result.stdout + result.stderr).not.toContain(TEST_API_KEY);
    }
    expect(emu.stats().requests).toBe(0);
  });
});

describe('--env-file on commands that need no connection', () => {
  it('a dry run of import or delete still refuses a missing --env-file with one line, exit 2', async () => {
    const dir = tempDir('env-dry-');
    const file = writeFile(dir, 'c.csv', 'system_id,first_name,last_name,email\nA1,Ann,Lee,a@x.com\n');
    for (const command of ['import', 'delete']) {
      const result = await runCli([command, file, '--dry-run', '--env-file', join(dir, 'nope.env')]);
      expect({ command, code: result.code }).toEqual({ command, code: 2 });
      expect(result.stderr).toMatch(/^error: cannot read the env file .*nope\.env: it does not exist \(ENOENT\)\n/);
    }
  });
});
