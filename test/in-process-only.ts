/**
 * The `unit` project's rule (vitest.config.ts): in-process tests only. Starting a process from a
 * test there throws, naming where the test belongs instead; the functions come back after the file.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { afterAll } from 'vitest';

const require = createRequire(import.meta.url);
const childProcess = require('node:child_process') as Record<string, unknown>;
const NAMES = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const;
const originals = new Map(NAMES.map((name) => [name, childProcess[name]]));

for (const name of NAMES) {
  childProcess[name] = (): never => {
    throw new Error(
      `test:unit runs in-process tests only, and ${name}() starts a process: move this test to a *-cli.test.ts file, or list its file in E2E in vitest.config.ts`,
    );
  };
}
syncBuiltinESMExports();

afterAll(() => {
  for (const [name, original] of originals) childProcess[name] = original;
  syncBuiltinESMExports();
});
