/**
 * What the CLI says after a run, through the real CLI (README, "Next steps"): every suggested
 * command is pasted into a shell and checked to do what it says; diagnostics on stderr; whole
 * lines off a terminal; names that do not pile up; and the rough edges of issue 14.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../src/report/html.js';
import { formatEta } from '../src/report/progress.js';
import { startEmulator } from '../src/emulator/server.js';
import {
  CLI,
  ROOT,
  TEST_API_KEY,
  TEST_PORTAL_CODE,
  readResults,
  runCli,
  secretsDir,
  tempDir,
  useEmulators,
  writeFile,
  ptyTranscript,
} from './helpers.js';
import { cleanEnv, fakeInstall, nextOf, runShell } from './shell.js';

const emulator = useEmulators();

function privateEnvFile(baseUrl: string): string {
  const path = writeFile(
    secretsDir(),
    'conn settings.env',
    `CIOPULSE_BASE_URL=${baseUrl}\nCIOPULSE_PORTAL_CODE=${TEST_PORTAL_CODE}\nCIOPULSE_API_KEY=${TEST_API_KEY}\n`,
  );
  chmodSync(path, 0o600);
  return path;
}

describe('Next: commands can be pasted', () => {
  it('dry run → import → fixed errors file: each pasted command does what it says, with this run’s flags, quoted, without piling names', async () => {
    const emu = await emulator();
    const envFile = privateEnvFile(emu.baseUrl);
    const dir = tempDir('next-');
    const file = writeFile(
      dir,
      "it's here.csv",
      'System ID,Given Name,Family Name,Work Email,Mobile\nM1,Ann,Lee,ann@x.com,0412 345 678\nM2,Bob,Ng,bob@x.com,#N/A\nM3,Cy,Ong,not-an-email,\nM4,Di,Poe,di@x.com,12\n',
    );
    const flags = [
      '--env-file',
      envFile,
      '--map',
      'Work Email=email',
      '--default-country',
      'AU',
      '--null-token',
      '#N/A',
    ];

    const dry = await runCli(['import', file, '--dry-run', ...flags, '--report', 'dry.html'], { cwd: dir });
    expect(dry.code).toBe(1);
    const first = nextOf(dry.stdout);
    expect(first?.advice).toBe("fix the rows listed in it's here.dryrun.errors.csv in it's here.csv");
    expect(first?.command).toBe(
      `node -- ${CLI} import 'it'\\''s here.csv' --env-file '${envFile}' --map 'Work Email=email' --default-country AU --null-token '#N/A'`,
    );
    // The HTML report's "Next step" is the same command.
    expect(readFileSync(join(dir, 'dry.html'), 'utf8')).toContain(
      `then run <code data-next-command>${escapeHtml(first?.command ?? '')}</code>`,
    );
    // Off a terminal the summary keeps whole lines: the longest error message is not cut.
    const mobileError =
      readResults(join(dir, "it's here.dryrun.csv")).find((r) => r['System ID'] === 'M4')?.error ?? '';
    expect(mobileError.length).toBeGreaterThan(90);
    expect(dry.stdout).toContain(mobileError.replace(/^invalid_mobile: /, ''));

    const real = await runShell(first?.command ?? 'false', { cwd: dir, env: cleanEnv() });
    expect(real.code).toBe(1);
    expect(
      emu
        .contacts()
        .map((c) => c.system_id)
        .sort(),
    ).toEqual(['M1', 'M2']);
    const second = nextOf(real.stdout);
    expect(second?.advice).toBe("fix it's here.results.errors.csv");
    expect(second?.command).toBe(
      `node -- ${CLI} import 'it'\\''s here.results.errors.csv' --env-file '${envFile}' --map 'Work Email=email' --default-country AU --null-token '#N/A'`,
    );

    const errorsFile = join(dir, "it's here.results.errors.csv");
    writeFileSync(
      errorsFile,
      readFileSync(errorsFile, 'utf8')
        .replace('not-an-email', 'cy@x.com')
        .replace(/,12\r?\n/, ',0412 999 888\n'),
    );
    const stale = writeFile(dir, "it's here.retry-1.results.errors.csv", 'System ID\nOLD\n');
    const fixed = await runShell(second?.command ?? 'false', { cwd: dir, env: cleanEnv() });
    expect(fixed.code).toBe(0);
    expect(
      emu
        .contacts()
        .map((c) => c.system_id)
        .sort(),
    ).toEqual(['M1', 'M2', 'M3', 'M4']);
    expect(fixed.stdout).toMatch(/^Results: it's here\.retry-1\.results\.csv$/m);
    expect(fixed.stdout).toMatch(/^Errors: +none, so no errors file was written$/m);
    expect(existsSync(stale)).toBe(false);
    expect(fixed.stdout).not.toMatch(/^Next:/m);
  });

  it('a stopped run: stopped and hint on stderr, and its pasted --resume finishes the job', async () => {
    const dataFile = join(tempDir('resume-data-'), 'contacts.json');
    const first = await startEmulator({
      port: 0,
      portalCode: TEST_PORTAL_CODE,
      apiKey: TEST_API_KEY,
      dataFile,
      revokeAfter: 6,
    });
    const port = new URL(first.baseUrl).port;
    const envFile = privateEnvFile(first.baseUrl);
    const dir = tempDir('resume-');
    const rows = Array.from({ length: 40 }, (_, i) => `R${i},F${i},L${i},r${i}@x.com`).join('\n');
    const file = writeFile(dir, 'big list.csv', `system_id,first_name,last_name,email\n${rows}\n`);
    let stopped;
    try {
      stopped = await runCli(['import', file, '--env-file', envFile, '--concurrency', '1', '--encoding', 'latin1'], {
        cwd: dir,
      });
    } finally {
      await first.close();
    }
    expect(stopped.code).toBe(2);
    expect(stopped.stderr).toMatch(/^stopped: .*401/m);
    expect(stopped.stderr).toMatch(/^hint: /m);
    expect(stopped.stdout).not.toMatch(/stopped:|hint:/);
    const next = nextOf(stopped.stdout);
    expect(next?.advice).toMatch(/^fix the credentials/);
    expect(next?.command).toBe(
      `node -- ${CLI} import 'big list.csv' --env-file '${envFile}' --encoding latin1 --resume`,
    );

    // The same server again, key no longer revoked: the pasted command sends only the rest.
    const second = await startEmulator({
      port: Number(port),
      portalCode: TEST_PORTAL_CODE,
      apiKey: TEST_API_KEY,
      dataFile,
    });
    try {
      const resumed = await runShell(next?.command ?? 'false', { cwd: dir, env: cleanEnv() });
      expect(resumed.code).toBe(0);
      expect(second.contacts()).toHaveLength(40);
      expect(resumed.stdout).toMatch(/answered in the earlier run/);
    } finally {
      await second.close();
    }
  });

  it('through npx, Next: starts with npx ciopulse-contacts, and pasting it runs through npx', async () => {
    const dir = fakeInstall();
    writeFile(dir, 'few.csv', 'system_id,first_name,last_name,email\nN1,Ann,Lee,ann@x.com\n');
    const dry = await runShell('npx ciopulse-contacts import few.csv --dry-run', { cwd: dir });
    expect(dry.code).toBe(0);
    const next = nextOf(dry.stdout);
    expect(next).toEqual({ advice: undefined, command: 'npx ciopulse-contacts import few.csv' });
    // No credentials here: the pasted command reaches the tool itself, which asks for them.
    const pasted = await runShell(next?.command ?? 'false', { cwd: dir });
    expect(pasted.code).toBe(2);
    expect(pasted.stderr).toMatch(/^error: missing the portal code and the API key/);
  });
});

describe('rough edges', () => {
  it('plain one-line answers to common slips, help for the bare command and completion --help', async () => {
    const dir = tempDir('edges-');
    const file = writeFile(dir, 'c.csv', 'system_id,email\nA1,a@x.com\n');
    const cases: [string[], number, RegExp][] = [
      [['import', file, '--dryrun'], 2, /^error: unknown option: --dryrun \(did you mean --dry-run\?\)\n/],
      [['import', file, '--limit', 'abc'], 2, /^error: --limit needs a whole number, such as --limit 10\n/],
      [['get'], 2, /^error: get needs the system_id of a contact: ciopulse-contacts get <system_id>\n/],
      [['export', '--out', 'nodir/x.csv'], 2, /^error: --out nodir\/x\.csv: the folder nodir does not exist\n/],
    ];
    for (const [args, code, stderr] of cases) {
      const result = await runCli(args, {
        cwd: dir,
        env: {
          CIOPULSE_PORTAL_CODE: TEST_PORTAL_CODE,
          CIOPULSE_API_KEY: TEST_API_KEY,
          CIOPULSE_BASE_URL: 'http://127.0.0.1:9/api/v5',
        },
      });
      expect({ args, code: result.code }).toEqual({ args, code });
      expect(result.stderr).toMatch(stderr);
    }
    const completion = await runCli(['completion', '--help']);
    expect(completion.code).toBe(0);
    expect(completion.stdout).toMatch(/^ciopulse-contacts completion\n/);
    expect(completion.stdout).not.toMatch(/begin-ciopulse-contacts-completions/);
    const bare = await runCli([]);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toMatch(/Commands:[\s\S]*ciopulse-contacts check/);
    expect(bare.stderr).toBe('');
  });

  it('a header-only file says "no rows" and suggests nothing; a delete of a missing or protected contact offers no "fix"', async () => {
    const emu = await emulator({ groups: join(ROOT, 'samples', 'support-groups.json') });
    const env = {
      CIOPULSE_BASE_URL: emu.baseUrl,
      CIOPULSE_PORTAL_CODE: TEST_PORTAL_CODE,
      CIOPULSE_API_KEY: TEST_API_KEY,
    };
    const dir = tempDir('edges2-');
    const empty = await runCli(['import', writeFile(dir, 'empty.csv', 'system_id,email\n')], { cwd: dir, env });
    expect(empty.code).toBe(0);
    expect(empty.stdout).toMatch(/no rows: empty\.csv holds a header and nothing else/);
    expect(empty.stdout).not.toMatch(/^Next:/m);

    const missing = await runCli(['delete', writeFile(dir, 'gone.csv', 'system_id\nNOPE1\n'), '--yes'], {
      cwd: dir,
      env,
    });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/not_found +1 row +first at line 2: no contact with this system_id \(404 /);
    expect(missing.stdout).not.toMatch(/not found: /);
    expect(missing.stdout).not.toMatch(/^Next:/m);

    const put = await fetch(`${emu.baseUrl}/contacts/CONTACT123`, {
      method: 'PUT',
      headers: {
        authorization: `Basic ${Buffer.from(`${TEST_PORTAL_CODE}:${TEST_API_KEY}`).toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ first_name: 'Sam', last_name: 'Lead', email: 'sam@x.com' }),
    });
    expect(put.status).toBe(201);
    const guarded = await runCli(['delete', writeFile(dir, 'lead.csv', 'system_id\nCONTACT123\nNOPE2\n'), '--yes'], {
      cwd: dir,
      env,
    });
    expect(guarded.code).toBe(1);
    const next = nextOf(guarded.stdout);
    expect(next?.advice).toBe('reassign the support groups named in lead.delete.errors.csv in the CIOPulse Portal');
    expect(next?.command).toBe(`node -- ${CLI} delete lead.delete.errors.csv --ignore-missing`);
  });

  it('the progress bar’s frames never read "ETA LLs"', async () => {
    const emu = await emulator();
    const dir = tempDir('eta-');
    const file = writeFile(
      dir,
      'c.csv',
      `system_id,first_name,last_name,email\n${Array.from({ length: 30 }, (_, i) => `E${i},A,B,e${i}@x.com`).join('\n')}\n`,
    );
    const command = `"${process.execPath}" "${CLI}" import "${file}"`;
    // `script` gives the CLI a terminal, so it draws the bar instead of plain lines.
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn('script', ['-qec', command, ptyTranscript()], {
        env: cleanEnv({
          CIOPULSE_BASE_URL: emu.baseUrl,
          CIOPULSE_PORTAL_CODE: TEST_PORTAL_CODE,
          CIOPULSE_API_KEY: TEST_API_KEY,
        }),
      });
      let text = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (text += d));
      child.on('error', reject);
      child.on('close', () => resolve(text));
    });
    expect(output).toMatch(/ETA (0s|--|\d)/);
    expect(output).not.toMatch(/LLs|NULL|INF/);
    expect(formatEta(50, 100, 2)).toBe('2s');
    expect(formatEta(0, 100, 0)).toBe('--');
    expect(formatEta(100, 100, 3)).toBe('0s');
    expect(formatEta(1, 10_000, 1)).toBe('2h46m');
  });
});
