/**
 * A spreadsheet's lossy save (README, "Uniqueness and order within the file"). Excel's "CSV (Comma
 * delimited)" writes windows-1252, and every letter outside it becomes `?`: an exported file,
 * edited and saved that way, would overwrite `Łukasz` with `?ukasz` and `美咲` with `??`. Only
 * where the API's current value is known can the two be told apart from a real edit, so the
 * planner (`--plan`, `--changed-only`, `--backup`, and `sync`) asks this one rule.
 */
import type { ContactField, ContactPatch, RowError } from './schema.js';
import { ROW_ERRORS } from './row-messages.js';

/** `to` matches `from` unit by unit, except that some non-ASCII units became `?`. */
function sameButQuestionMarks(from: readonly string[], to: readonly string[]): boolean {
  if (from.length !== to.length) return false;
  let replaced = false;
  for (let i = 0; i < from.length; i++) {
    const a = from[i] as string;
    const b = to[i] as string;
    if (a === b) continue;
    if (b !== '?' || a.charCodeAt(0) < 0x80) return false;
    replaced = true;
  }
  return replaced;
}

/**
 * True when the new value is the current one with only non-ASCII characters turned into `?`.
 * One `?` per character, or per UTF-16 unit (an emoji can come back as `??`), compared with the
 * value as the API holds it and in NFC (Apple Numbers writes decomposed letters).
 */
export function isLossySave(current: string, next: string): boolean {
  if (!next.includes('?') || current === next) return false;
  for (const from of new Set([current, current.normalize('NFC'), current.normalize('NFD')])) {
    if (sameButQuestionMarks([...from], [...next]) || sameButQuestionMarks(from.split(''), next.split(''))) return true;
  }
  return false;
}

/**
 * The row error for an update that would store a lossy save over the API's values, if any:
 * code `lossy_save`, naming the column (via `column`) and both values.
 */
export function findLossySave(
  patch: ContactPatch,
  current: { readonly [K in ContactField]?: string | null },
  column: (field: ContactField) => string,
): RowError | undefined {
  for (const field of Object.keys(patch) as ContactField[]) {
    const next = patch[field];
    const held = current[field];
    if (typeof next !== 'string' || typeof held !== 'string' || !isLossySave(held, next)) continue;
    return {
      code: 'lossy_save',
      field,
      message: ROW_ERRORS.lossy_save.questionMarks(column(field), next, held),
    };
  }
  return undefined;
}
