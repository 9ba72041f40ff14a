import { basename } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take longest start first, so that neither worker is left running one of them
 * alone at the end. Without a cache of earlier runs (a fresh clone, CI) vitest starts larger
 * files first, and these are small files that run long: the quick bench and the packed-install test.
 */
const LONG_FIRST = ['bench-quick.test.ts', 'package.test.ts', 'failure.test.ts'];

class LongFirstSequencer extends BaseSequencer {
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

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // One fixed fast-check seed for every property test; FC_SEED tries another (README, "Testing").
    setupFiles: ['test/fast-check-seed.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end tests spawn the CLI and an emulator each; two cores, so keep the pool small.
    maxWorkers: 2,
    sequence: { sequencer: LongFirstSequencer },
  },
});
