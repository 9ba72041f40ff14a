/**
 * Output paths through the real CLI (issue 22 items 1 and 7): an output that is the input, or
 * another output, is refused before anything is read or sent; a FIFO or a device is written
 * straight, never renamed over, with nothing created beside it. Devices are private ones made
 * with mknod in a temporary folder (CI runs as root): never the machine's own /dev nodes.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, linkSync, openSync, lstatSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import {
  CLI,
  emulatorEnv,
  readResults,
  runCli,
  tempDir,
  useEmulators,
  writeFile,
  CSV_HEADER as HEADER,
} from './helpers.js';

const emulator = useEmulators();

function rows(count: number): string {
  const lines = [HEADER];
  for (let i = 0; i < count; i++) lines.push(`P${i},Ann,Lee,p${i}@example.com,Dev,`);
  return `${lines.join('\n')}\n`;
}

/** A private /dev/full: every write fails with ENOSPC. */
function privateFull(dir: string): string {
  const path = join(dir, 'full');
  execFileSync('mknod', ['-m', '666', path, 'c', '1', '7']);
  return path;
}

function makeFifo(dir: string, name: string): string {
  const path = join(dir, name);
  execFileSync('mkfifo', [path]);
  return path;
}

/**
 * Everything written into a FIFO until its writer closes it, read by `cat`: a blocking open in
 * this process would hold one of the few threads of its file-system pool until the writer came.
 */
function readFifo(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const cat = spawn('cat', [path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const guard = setTimeout(() => cat.kill(), 30_000);
    let text = '';
    cat.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    cat.on('error', reject);
    cat.on('close', () => {
      clearTimeout(guard);
      resolve(text);
    });
  });
}

describe('an output that is the input, or another output (item 1)', () => {
  it('is refused with exit 2 before anything is read or sent, through symlinks and hard links; the input is untouched', async () => {
    const emu = await emulator();
    const dir = tempDir('same-');
    const input = writeFile(dir, 'big.csv', rows(50));
    const before = readFileSync(input);
    symlinkSync(input, join(dir, 'link.csv'));
    linkSync(input, join(dir, 'hard.csv'));
    const cases: [string[], RegExp][] = [
      [['--dry-run', '--results', input], /the results file .*big\.csv is the input file/],
      [['--dry-run', '--errors', input], /the errors file .*big\.csv is the input file/],
      [['--dry-run', '--report', input], /the report .*big\.csv is the input file/],
      [['--dry-run', '--results', join(dir, 'link.csv')], /the results file .*link\.csv is the input file/],
      [['--dry-run', '--results', join(dir, 'hard.csv')], /the results file .*hard\.csv is the input file/],
      [['--backup', input], /the undo file .*big\.csv is the input file/],
      [
        ['--dry-run', '--results', join(dir, 'x.csv'), '--errors', join(dir, 'x.csv')],
        /the errors file .*x\.csv is the same file as the results file .*x\.csv/,
      ],
      [
        ['--dry-run', '--results', join(dir, 'y.csv'), '--report', join(dir, 'y.csv')],
        /the report .*y\.csv is the same file as the results file/,
      ],
    ];
    for (const [flags, message] of cases) {
      const result = await runCli(['import', input, ...flags], { env: emulatorEnv(emu) });
      expect(result.code, flags.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(readFileSync(input).equals(before)).toBe(true);
    }
    const deleted = await runCli(['delete', input, '--yes', '--results', input], { env: emulatorEnv(emu) });
    expect(deleted.code).toBe(2);
    expect(readFileSync(input).equals(before)).toBe(true);
    expect(emu.stats().requests).toBe(0);
    // Nothing was written anywhere: no x.csv, no y.csv, no results beside the input.
    expect(readdirSync(dir).sort()).toEqual(['big.csv', 'hard.csv', 'link.csv']);
  });
});

describe('outputs that are not regular files (item 7)', () => {
  it('export --out and --report to a private full device: exit 2, the node stays a device, nothing beside it', async () => {
    const emu = await emulator();
    const dir = tempDir('device-');
    const full = privateFull(dir);
    const exported = await runCli(['export', '--out', full], { env: emulatorEnv(emu) });
    expect(exported.code).toBe(2);
    expect(exported.stderr).toMatch(/cannot write .*full: .*ENOSPC/);
    expect(statSync(full).isCharacterDevice()).toBe(true);

    const input = writeFile(dir, 'c.csv', rows(3));
    const report = await runCli(['import', input, '--dry-run', '--report', full], { env: emulatorEnv(emu) });
    expect(report.code).toBe(2);
    expect(report.stderr).toMatch(/cannot write .*full/);
    expect(statSync(full).isCharacterDevice()).toBe(true);
    expect(readdirSync(dir).filter((name) => name.startsWith('full'))).toEqual(['full']);
  });

  it('import --results to a private full device: exit 2 naming ENOSPC, no journal, lock or temporary beside it; a second run is not stuck', async () => {
    const emu = await emulator();
    const dir = tempDir('devresults-');
    const full = privateFull(dir);
    const input = writeFile(dir, 'c.csv', rows(20));
    for (let run = 0; run < 2; run++) {
      const result = await runCli(['import', input, '--results', full, '--errors', join(dir, 'e.csv')], {
        env: emulatorEnv(emu),
        timeoutMs: 30_000,
      });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`error: cannot write ${full}: no space left on device (ENOSPC)`);
      expect(result.stderr).not.toMatch(/resume|RangeError|unexpected/);
      expect(statSync(full).isCharacterDevice()).toBe(true);
      expect(readdirSync(dir).filter((name) => name.startsWith('full'))).toEqual(['full']);
    }
  });

  it('a FIFO as --results and --errors is written straight and stays a FIFO', async () => {
    const dir = tempDir('fifo-');
    const input = writeFile(dir, 'c.csv', `${rows(3)}BAD,Ann,Lee,not-an-email,Dev,\n`);
    const results = makeFifo(dir, 'results');
    const errors = makeFifo(dir, 'errors');
    const read = Promise.all([readFifo(results), readFifo(errors)]);
    const result = await runCli(['import', input, '--dry-run', '--results', results, '--errors', errors]);
    const [resultsText, errorsText] = await read;
    expect(result.code).toBe(1);
    expect(resultsText.split('\r\n').filter(Boolean)).toHaveLength(5);
    expect(resultsText).toContain('P2,Ann,Lee,p2@example.com,Dev,,valid');
    expect(errorsText).toContain('BAD,Ann,Lee,not-an-email');
    expect(lstatSync(results).isFIFO()).toBe(true);
    expect(lstatSync(errors).isFIFO()).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['c.csv', 'errors', 'results']);
  });

  it('an output reached through a symlink keeps the link: the file it points to gets the data', async () => {
    const emu = await emulator();
    emu.seedContacts([
      { system_id: 'S1', first_name: 'Ann', last_name: 'Lee', email: 's1@example.com', job_title: null, mobile: null },
    ]);
    const dir = tempDir('symlink-out-');
    const real = writeFile(dir, 'real.csv', 'old\n');
    const link = join(dir, 'link.csv');
    symlinkSync(real, link);
    const result = await runCli(['export', '--out', link], { env: emulatorEnv(emu) });
    expect(result.code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readResults(real).map((r) => r.system_id)).toEqual(['S1']);
  });
});

describe('a failed run and the last good results (issue 23 item 11)', () => {
  it('a run stopped by a 401 before any answer leaves the earlier results and errors files as they were', async () => {
    const emu = await emulator();
    const dir = tempDir('keep-results-');
    const input = writeFile(dir, 'c.csv', `${rows(3)}BAD,Ann,Lee,not-an-email,Dev,\n`);
    const good = await runCli(['import', input], { env: emulatorEnv(emu) });
    expect(good.code).toBe(1);
    const resultsPath = join(dir, 'c.results.csv');
    const errorsPath = join(dir, 'c.results.errors.csv');
    const [results, errors] = [readFileSync(resultsPath), readFileSync(errorsPath)];
    expect(readResults(resultsPath).map((r) => r.status)).toEqual(['created', 'created', 'created', 'invalid']);

    const wrongKey = await runCli(['import', input], {
      env: { ...emulatorEnv(emu), CIOPULSE_API_KEY: 'w'.repeat(40) },
    });
    expect(wrongKey.code).toBe(2);
    expect(readFileSync(resultsPath).equals(results)).toBe(true);
    expect(readFileSync(errorsPath).equals(errors)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['c.csv', 'c.results.csv', 'c.results.errors.csv']);

    // A run that gets answers writes its results as before.
    const again = await runCli(['import', input], { env: emulatorEnv(emu) });
    expect(again.code).toBe(1);
    expect(readResults(resultsPath).map((r) => r.status)).toEqual(['updated', 'updated', 'updated', 'invalid']);
  });
});

describe('pipes and "-" as the input (item 9)', () => {
  it('are refused with a message that names the input and says why, never "does not exist" or "empty"', async () => {
    const dir = tempDir('pipe-in-');
    const dash = await runCli(['import', '-', '--dry-run'], { cwd: dir });
    expect(dash.code).toBe(2);
    expect(dash.stderr).toContain('the rows cannot come from standard input ("-")');
    expect(dash.stderr).not.toMatch(/does not exist/);
    const fifo = makeFifo(dir, 'rows.csv');
    const piped = await runCli(['import', fifo, '--dry-run']);
    expect(piped.code).toBe(2);
    expect(piped.stderr).toContain(`${fifo} is a pipe or a device, not a file`);
    expect(piped.stderr).toContain('save it to a file first');
    expect(piped.stderr).not.toMatch(/is empty/);
  });
});

describe('standard streams that fail (item 11)', () => {
  it('stdout on a full device: one line naming ENOSPC and exit 2, no stack trace', async () => {
    const emu = await emulator();
    const dir = tempDir('stdout-full-');
    const full = privateFull(dir);
    const input = writeFile(dir, 'c.csv', rows(2));
    for (const args of [
      ['import', input, '--dry-run'],
      ['export', '--json', '--out', join(dir, 'out.csv')],
    ]) {
      const fd = openSync(full, 'w');
      const child = spawn(process.execPath, ['--', CLI, ...args], {
        env: { ...process.env, ...emulatorEnv(emu), NO_COLOR: '1' },
        stdio: ['ignore', fd, 'pipe'],
      });
      closeSync(fd);
      let stderr = '';
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const [code] = (await once(child, 'close')) as [number | null];
      expect(code, args.join(' ')).toBe(2);
      expect(stderr).toContain('error: cannot write stdout: no space left on device (ENOSPC)');
      expect(stderr).not.toMatch(/Unhandled|\n\s{4}at /);
    }
  });
});

describe('small bugs (item 14)', () => {
  it('a dangling-symlink results path in a dry run is refused up front, naming the link, with no "resume" or "free some space"', async () => {
    const dir = tempDir('dangling-');
    const input = writeFile(dir, 'c.csv', rows(2));
    const link = join(dir, 'r.csv');
    symlinkSync(join(dir, 'gone', 'r.csv'), link);
    const result = await runCli(['import', input, '--dry-run', '--results', link]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`it is a symlink to ${join(dir, 'gone', 'r.csv')}, whose folder does not exist`);
    expect(result.stderr).not.toMatch(/resume|free some space/);
  });
});
