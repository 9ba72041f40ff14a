import { basename } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Two projects (README, "Testing"):
 * - `unit`: in-process tests only, the working loop (`npm run test:unit`). test/in-process-only.ts
 *   makes starting a process there an error, so a test that needs one cannot land in it unseen.
 * - `e2e`: every file that starts a process (the CLI, a pty, tsc, a fresh node): `E2E` below and
 *   any `*-cli.test.ts`.
 * `npm test` runs both. The quick bench and the packaging test are not here: they run in CI
 * (`.ci/run`, `npm run test:ci-extra`, vitest.ci.config.ts).
 */
export const E2E = [
  'test/**/*-cli.test.ts',
  'test/credential-check.test.ts',
  'test/delete.test.ts',
  'test/demo.test.ts',
  'test/export.test.ts',
  'test/failure.test.ts',
  'test/hostile-server.test.ts',
  'test/integrity.test.ts',
  'test/library.test.ts',
  'test/messages.test.ts',
  'test/next-steps.test.ts',
  'test/plan.test.ts',
  'test/report-browser.test.ts',
  'test/roundtrip.test.ts',
  'test/settings.test.ts',
  'test/transport.test.ts',
];

/** Run by `npm run test:ci-extra` (vitest.ci.config.ts), never by `npm test`. */
export const CI_EXTRA = ['test/bench-quick.test.ts', 'test/package.test.ts'];

/**
 * The files that take longest start first, so that neither worker is left running one of them
 * alone at the end. Without a cache of earlier runs (a fresh clone, CI) vitest starts larger
 * files first, and these are small files that run long.
 */
export const LONG_FIRST = ['bench-quick.test.ts', 'package.test.ts', 'failure.test.ts'];

export class LongFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification): number => {
      const index = LONG_FIRST.indexOf(basename(spec.moduleId));
      return index === -1 ? LONG_FIRST.length : index;
    };
    // Array.prototype.sort is stable: the rest keep the base order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}

/** What every project shares. The leak check (test/global-setup.ts) runs once per project, over its own files. */
export const SHARED = {
  globalSetup: ['test/global-setup.ts'],
  // One fixed fast-check seed for every property test; FC_SEED tries another (README, "Testing").
  setupFiles: ['test/fast-check-seed.ts'],
  testTimeout: 60_000,
  hookTimeout: 60_000,
};

export default defineConfig({
  test: {
    // End-to-end tests spawn the CLI and an emulator each; two cores, so keep the pool small.
    maxWorkers: 2,
    sequence: { sequencer: LongFirstSequencer },
    projects: [
      {
        test: {
          ...SHARED,
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [...E2E, ...CI_EXTRA],
          setupFiles: [...SHARED.setupFiles, 'test/in-process-only.ts'],
        },
      },
      {
        test: { ...SHARED, name: 'e2e', include: E2E, exclude: CI_EXTRA },
      },
    ],
  },
});
