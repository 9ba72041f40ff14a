/**
 * The exit code of a run (README, "Exit codes"): the highest that applies wins, 130 > 2 > 1 > 0.
 * Rows that are invalid, failed, uncertain or would fail make it 1; a stopped run 2.
 */
import { EXIT_INTERRUPTED } from '../errors.js';
import type { RunSummary } from './run-types.js';
import { countBad } from './statuses.js';

export function resolveExitCode(summary: Pick<RunSummary, 'stopped' | 'counts'>): number {
  if (summary.stopped?.reason === 'signal') return EXIT_INTERRUPTED;
  if (summary.stopped !== undefined) return 2;
  return countBad(summary.counts) > 0 ? 1 : 0;
}
