/**
 * The dry run's executor: nothing is sent, every row that passed the local checks is `valid`.
 */
import { NO_STATS, type Executor } from '../run/executor.js';
import type { ResultsSink } from '../run/sink.js';
import { ROW_DETAILS } from '../contact/row-messages.js';

/** A dry run: every row that passed the local checks is `valid`. */
export function createValidateExecutor(sink: ResultsSink, isDelete: boolean): Executor {
  return {
    start: () => Promise.resolve(),
    execute(row) {
      const detail = row.notes.length > 0 ? row.notes.join('; ') : isDelete ? ROW_DETAILS.wouldBeDeleted() : undefined;
      return sink.put({
        seq: row.seq,
        line: row.line,
        cells: row.cells,
        systemId: row.systemId,
        status: 'valid',
        detail,
        warnings: row.warnings,
      });
    },
    finish: () => Promise.resolve({ overrides: new Map() }),
    stats: () => NO_STATS,
    close: () => Promise.resolve(),
  };
}
