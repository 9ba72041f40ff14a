/**
 * `--where COL=VALUE` and `--where COL!=VALUE`: keep only the rows that match every condition
 * (README, "Keeping CIOPulse in sync with your helpdesk"). COL is a header of the input as it is
 * written; values are compared trimmed and case-insensitively, because helpdesk exports spell the
 * same flag `true`, `TRUE` or `True`. A left-out row is `filtered`: counted, never sent; in a
 * sync it also counts as absent from the file.
 */
import { UsageError } from '../errors.js';
import { FILE_ERRORS, HINTS } from '../error-messages.js';
import { ROW_DETAILS } from '../contact/row-messages.js';

export interface WhereCondition {
  column: string;
  negate: boolean;
  value: string;
  /** As typed, for the row's detail. */
  text: string;
}

/** Splits at the first `=`; a `!` just before it makes the condition "not equal". */
export function parseWhere(expressions: readonly string[]): WhereCondition[] {
  return expressions.map((text) => {
    const at = text.indexOf('=');
    const negate = at > 0 && text[at - 1] === '!';
    const column = text.slice(0, negate ? at - 1 : at).trim();
    if (at < 0 || column === '')
      throw new UsageError(FILE_ERRORS.whereForm(text), {
        hint: HINTS.whereExample(),
      });
    return { column, negate, value: text.slice(at + 1).trim(), text };
  });
}

/** undefined: the row is kept; otherwise the condition that left it out, for its detail. */
export type RowFilter = (cells: readonly string[]) => string | undefined;

/** Binds each condition to its column; a column the header lacks is a usage error, before anything is sent. */
export function compileWhere(conditions: readonly WhereCondition[], columns: readonly string[]): RowFilter | undefined {
  if (conditions.length === 0) return undefined;
  const bound = conditions.map((condition) => {
    const wanted = condition.column.toLowerCase();
    const index = columns.findIndex((c) => c.trim().toLowerCase() === wanted);
    if (index < 0)
      throw new UsageError(FILE_ERRORS.whereColumn(condition.text, condition.column), {
        hint: HINTS.whereColumns(columns),
      });
    return { ...condition, index, value: condition.value.toLowerCase() };
  });
  return (cells) => {
    for (const condition of bound) {
      const equal = (cells[condition.index] ?? '').trim().toLowerCase() === condition.value;
      if (equal === condition.negate) return ROW_DETAILS.leftOutByWhere(condition.text);
    }
    return undefined;
  };
}
