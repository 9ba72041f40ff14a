import { defineConfig } from 'vitest/config';
import { CI_EXTRA, LongFirstSequencer, SHARED } from './vitest.config.js';

/**
 * `npm run test:ci-extra`: the slow checks that `npm test` leaves to CI (`.ci/run` runs them after
 * it): the quick bench and the packaging test. They need `npm run build` first.
 */
export default defineConfig({
  test: { ...SHARED, include: CI_EXTRA, maxWorkers: 2, sequence: { sequencer: LongFirstSequencer } },
});
