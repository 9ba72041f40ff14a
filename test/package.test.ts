/**
 * Install like any npm CLI (README, "Install"): `npm pack`, then `npm install -g <tarball>` into
 * a temporary prefix, and run the installed bin with no dev dependencies anywhere on its path.
 * It installs the runtime dependencies (from the npm cache, or the registry when the cache lacks
 * one), so it takes 10–60 s: `npm test` leaves it to CI (`npm run test:ci-extra`, which .ci/run runs).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from './helpers.js';

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Environment for the installed bin: only the prefix's bin and node's own directory on PATH. */
function installedEnv(prefix: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('CIOPULSE_') && !key.startsWith('npm_') && key !== 'NODE_OPTIONS' && key !== 'FORCE_COLOR')
      env[key] = value;
  }
  env.PATH = [join(prefix, 'bin'), dirname(process.execPath), '/usr/bin', '/bin'].join(':');
  env.NO_COLOR = '1';
  return env;
}

function run(
  bin: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(bin, args, { cwd, env, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the packed package', () => {
  it(
    'installs globally from its tarball, ships only what it needs, and its bin runs --help, demo and a dry run',
    { timeout: 240_000 },
    () => {
      const work = tempDir('pack-');
      // dist/ is already built (pretest); --ignore-scripts packs it as it is.
      const packed = JSON.parse(
        execFileSync(NPM, ['pack', '--json', '--ignore-scripts', '--pack-destination', work], {
          cwd: ROOT,
          encoding: 'utf8',
        }),
      ) as {
        filename: string;
        files: { path: string }[];
      }[];
      const { filename, files } = packed[0]!;
      const paths = files.map((f) => f.path);
      expect(paths).toContain('dist/cli/main.js');
      expect(paths).toContain('dist/index.js');
      expect(paths).toContain('dist/index.d.ts');
      expect(paths).toContain('samples/contacts.csv');
      expect(paths).toContain('samples/contacts.xlsx');
      // The sample mapping file is a column map (`--map-file`), not a source map.
      expect(paths).toContain('samples/outlook.map');
      // No sources, tests, benchmarks, source maps or samples/out in the tarball.
      expect(paths.filter((p) => /^(src|test|bench|scripts)\/|^dist\/.*\.map$|^samples\/out\//.test(p))).toEqual([]);

      const prefix = join(work, 'prefix');
      execFileSync(
        NPM,
        ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', join(work, filename)],
        {
          cwd: work,
          encoding: 'utf8',
          stdio: 'pipe',
          env: { ...process.env, npm_config_update_notifier: 'false' },
        },
      );
      const installed = join(prefix, 'lib', 'node_modules', 'ciopulse-contacts');
      const bin = join(prefix, 'bin', 'ciopulse-contacts');
      expect(existsSync(bin)).toBe(true);
      // Runtime dependencies only: none of the dev tools came along.
      const modules = readdirSync(join(installed, 'node_modules'));
      for (const dev of ['vitest', 'typescript', 'esbuild', 'eslint', 'playwright-core', 'fast-check'])
        expect(modules).not.toContain(dev);

      const env = installedEnv(prefix);
      // The library and its subpaths, as a dependency resolves them (package.json "exports").
      const imported = run(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          "const [core, emulator, report] = await Promise.all(['ciopulse-contacts', 'ciopulse-contacts/emulator', 'ciopulse-contacts/report'].map((m) => import(m))); console.log(typeof core.importContacts, typeof core.startEmulator, typeof emulator.startEmulator, typeof report.writeHtmlReport);",
        ],
        join(prefix, 'lib'),
        env,
      );
      expect(imported.stderr).toBe('');
      expect(imported.stdout.trim()).toBe('function undefined function function');
      const help = run(bin, ['--help'], work, env);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/ciopulse-contacts import <file>/);
      const version = run(bin, ['--version'], work, env);
      expect(version.stdout.trim()).toBe(
        (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version,
      );

      const demoOut = join(work, 'demo');
      const demo = run(bin, ['demo', '--out', demoOut], work, env);
      expect(demo.stderr).toBe('');
      expect(demo.code).toBe(0);
      expect(demo.stdout).toMatch(/created\s+\d+/);
      expect(existsSync(join(demoOut, 'contacts.export.csv'))).toBe(true);

      const csv = join(work, 'one.csv');
      writeFileSync(
        csv,
        'system_id,first_name,last_name,email,job_title,mobile\nPK1,Ana,Silva,ana.silva@example.com,Engineer,+61412345678\n',
      );
      const dry = run(bin, ['import', csv, '--dry-run'], work, env);
      expect(dry.code).toBe(0);
      expect(dry.stdout).toMatch(/valid\s+1/);
      expect(readFileSync(join(work, 'one.dryrun.csv'), 'utf8')).toMatch(/PK1/);
      const sample = run(
        bin,
        [
          'import',
          join(installed, 'samples', 'contacts.csv'),
          '--dry-run',
          '--results',
          join(work, 'sample.dryrun.csv'),
        ],
        work,
        env,
      );
      expect(sample.stdout).toMatch(/invalid_email/);

      // Shell completion from the installed bin (README, "completion").
      const completion = run(bin, ['completion'], work, env);
      expect(completion.code).toBe(0);
      expect(completion.stdout).toMatch(/ciopulse-contacts/);
      expect(completion.stdout).toMatch(/ciopulse-contacts --get-yargs-completions/);
      const words = run(bin, ['--get-yargs-completions', 'ciopulse-contacts', 'ex'], work, env);
      expect(words.stdout.split('\n')).toContain('export');
    },
  );
});
