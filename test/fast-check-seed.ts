/**
 * Every property test runs with one fixed seed, so the suite passes or fails the same way on
 * every run (README, "Testing"). `FC_SEED=<integer>` tries another seed, `FC_SEED=random` a new
 * one each run; a failing property prints the seed and the command that replays it.
 */
import fc from 'fast-check';
import { beforeEach } from 'vitest';

export const DEFAULT_FC_SEED = 20261207;

export function resolveFcSeed(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_FC_SEED;
  if (value.trim() === 'random') return Math.floor(Math.random() * 2 ** 31);
  if (!/^-?\d+$/.test(value.trim()))
    throw new Error(`FC_SEED must be an integer or "random", not ${JSON.stringify(value)}`);
  // fast-check takes any integer and reduces it to 32 bits itself.
  return Number(value.trim());
}

const seed = resolveFcSeed(process.env.FC_SEED);
fc.configureGlobal({ seed });

beforeEach(({ onTestFailed }) => {
  onTestFailed(({ task }) => {
    const errors = task.result?.errors ?? [];
    if (errors.some((e) => /Property failed/.test(String(e.message)))) {
      console.error(`fast-check seed ${seed}: replay with FC_SEED=${seed} npx vitest run ${task.file.name}`);
    }
  });
});
