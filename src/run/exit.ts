/**
 * The exit code of a run (README, "Exit codes"): the highest that applies wins, 130 > 2 > 1 > 0.
 * Rows that are invalid, failed, uncertain or would fail, and a sync's refused deletes, make it 1; a
 * stopped run 2.
 */
import { EXIT_INTERRUPTED } from '../errors.js';
import type { RunSummary } from './pipeline.js';

export function resolveExitCode(summary: Pick<RunSummary, 'stopped' | 'counts'>): number {
  if (summary.stopped?.reason === 'signal') return EXIT_INTERRUPTED;
  if (summary.stopped !== undefined) return 2;
  const { counts } = summary;
  if (
    counts.invalid > 0 ||
    counts.failed > 0 ||
    counts.uncertain > 0 ||
    counts['would-fail'] > 0 ||
    counts['delete-refused'] > 0
  )
    return 1;
  return 0;
}
