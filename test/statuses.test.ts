/**
 * One answer to "which statuses are bad" (src/run/statuses.ts) and one superseded rule
 * (src/run/supersede.ts): every consumer (exit code, terminal summary, next step, HTML report,
 * report collector) agrees with them, status by status.
 */
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../src/run/run-types.js';
import { resolveExitCode } from '../src/run/exit.js';
import { ATTENTION_STATUSES, BAD_STATUSES, STATUSES, countBad, type RowStatus } from '../src/run/statuses.js';
import { SUPERSEDED_NOTE, supersededOutcome } from '../src/run/supersede.js';
import { formatSummary, nextCommand } from '../src/report/summary.js';
import { createStyles } from '../src/report/styles.js';
import { createReportCollector } from '../src/report/collect.js';
import { renderVerdict } from '../src/report/render.js';
import { STATUS_NOTES } from '../src/report/words.js';

function summaryWith(status: RowStatus, mode: RunSummary['mode'] = 'import'): RunSummary {
  const counts = Object.fromEntries(STATUSES.map((s) => [s, s === status ? 2 : 0])) as Record<RowStatus, number>;
  return {
    mode,
    input: '/tmp/x/c.csv',
    resultsPath: '/tmp/x/c.results.csv',
    errorsPath: '/tmp/x/c.results.errors.csv',
    journalPath: undefined,
    rows: 2,
    counts,
    errorGroups: [],
    warnings: 0,
    warningGroups: [],
    retries: 0,
    elapsedMs: 10,
    rowsPerSecond: 100,
    reused: 0,
    stopped: undefined,
    unmappedColumns: [],
  };
}

describe('bad statuses, one set', () => {
  it('holds uncertain beside invalid, failed and would-fail, and a sync’s refused delete', () => {
    expect([...BAD_STATUSES].sort()).toEqual(['delete-refused', 'failed', 'invalid', 'uncertain', 'would-fail']);
    expect(countBad(new Map([['uncertain', 3]]))).toBe(3);
    for (const status of BAD_STATUSES) expect(ATTENTION_STATUSES.has(status)).toBe(true);
  });

  for (const status of STATUSES) {
    const bad = BAD_STATUSES.has(status);
    it(`${status}: exit code, summary, next step and report all say ${bad ? 'bad' : 'not bad'}`, () => {
      const summary = summaryWith(status);
      expect(resolveExitCode(summary)).toBe(bad ? 1 : 0);
      const text = formatSummary(summary, createStyles(false));
      expect(text.includes('(2 rows, ready to fix')).toBe(bad);
      // A real run with bad rows always names a next step.
      if (bad) expect(nextCommand(summary)).toBeDefined();
      const collector = createReportCollector();
      for (const seq of [0, 1]) collector.onRow({ seq, line: seq + 2, cells: ['X'], systemId: `X${seq}`, status });
      const data = collector.result();
      expect(data.problemCounts.get(status) ?? 0).toBe(ATTENTION_STATUSES.has(status) ? 2 : 0);
      const html = renderVerdict({ summary, data, next: undefined, keptEmpty: undefined, generatedAt: new Date(0) });
      expect(html.includes('verdict-bad')).toBe(bad);
    });
  }
});

describe('superseded, one rule and one wording', () => {
  it('the report explains it as the pipeline decides it: failed, uncertain or 422 rows, not only 422', () => {
    expect(STATUS_NOTES.superseded).toBe(SUPERSEDED_NOTE);
    expect(SUPERSEDED_NOTE).toMatch(/failed, uncertain/);
  });

  it('names the later row and keeps the own answer', () => {
    const after = supersededOutcome(
      { line: 2, systemId: 'A', status: 'uncertain', httpStatus: undefined, detail: 'lost' },
      { seq: 5, line: 7 },
    );
    expect(after.status).toBe('superseded');
    expect(after.detail).toBe(
      'superseded by line 7, applied after this row (its own answer: uncertain); not sent again',
    );
  });
});
