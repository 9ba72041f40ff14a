/**
 * User-facing sentences live in the message modules (docs/ARCHITECTURE.md, "One concept, one
 * place"), so that docs/MESSAGES.md lists them all. The modules whose sentences moved there keep
 * none of their own: a string literal of four words or more in one of them is a sentence written
 * in place, and this test names it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

/** Whose sentences are in src/error-messages.ts, contact/row-messages.ts, cli/words.ts or report/words.ts. */
const WORDED_ELSEWHERE = [
  'src/execute/sync.ts',
  'src/execute/sync-scope.ts',
  'src/execute/sync-state.ts',
  'src/execute/sync-deletes.ts',
  'src/execute/changed.ts',
  'src/execute/validate.ts',
  'src/execute/send.ts',
  'src/execute/deferred.ts',
  'src/execute/plan.ts',
  'src/run/outcomes.ts',
  'src/run/where.ts',
  'src/run/resume.ts',
  'src/csv/prescan.ts',
  'src/csv/headers.ts',
  'src/csv/mapping.ts',
  'src/csv/targets.ts',
  'src/csv/read.ts',
  'src/xlsx/read.ts',
  'src/contact/phone.ts',
  'src/cli/usage.ts',
  'src/cli/output.ts',
  'src/remote/get-contact.ts',
];

/** Not a user's sentence: a bug's own words (InternalError), and `completion --help`, a help page. */
const NOT_SENTENCES = [
  'sync: the file was not read through before the deletes were planned',
  'ciopulse-contacts completion',
];

/** String and template literals outside comments and imports, with `${…}` read as one word. */
export function sentenceLiterals(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const found: string[] = [];
  for (const match of code.matchAll(/'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`|"(?:[^"\\\n]|\\.)*"/g)) {
    const lineStart = code.lastIndexOf('\n', match.index) + 1;
    if (/^\s*(import|export .* from)/.test(code.slice(lineStart, match.index))) continue;
    const text = match[0].slice(1, -1);
    const words = text.replace(/\$\{[^}]*\}/g, 'X').match(/[A-Za-z]{2,}/g) ?? [];
    if (words.length >= 4 && text.includes(' ') && !NOT_SENTENCES.some((n) => text.startsWith(n))) found.push(text);
  }
  return found;
}

describe('the message modules', () => {
  it('finds a sentence written in place (the check itself can fail)', () => {
    expect(
      sentenceLiterals("const a = 'x'; // a comment of many words\nthrow new Error(`the file ${p} is empty`);"),
    ).toEqual(['the file ${p} is empty']);
  });

  it.each(WORDED_ELSEWHERE)('%s words no sentence of its own', (file) => {
    expect(sentenceLiterals(readFileSync(join(ROOT, file), 'utf8'))).toEqual([]);
  });
});
