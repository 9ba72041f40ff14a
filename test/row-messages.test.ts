/**
 * The messages, reviewed together: docs/MESSAGES.md lists every sentence of the message modules
 * (src/contact/row-messages.ts, src/error-messages.ts, src/cli/words.ts, report/words.ts'
 * NEXT_STEPS, run/supersede.ts) for a sample input. This test renders it and fails when the
 * committed file is stale; `npm run messages` writes it again. Every variant of every code, and
 * every function of the other modules (test/message-samples.ts), needs a sample (the types say
 * so), so a new message cannot skip the catalogue.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROW_ERRORS, ROW_PHRASES, ROW_WARNINGS } from '../src/contact/row-messages.js';
import { createRowParser } from '../src/contact/schema.js';
import {
  CLI_SECTIONS,
  DETAIL_SECTIONS,
  NEXT_STEP_SECTIONS,
  WHOLE_RUN_SECTIONS,
  type Samples,
  type Section,
} from './message-samples.js';

const ROOT = join(import.meta.dirname, '..');
const CATALOGUE = join(ROOT, 'docs', 'MESSAGES.md');

/** One sample input per variant; the values are the kind a real row would hold. */
const ERROR_SAMPLES: Samples<typeof ROW_ERRORS> = {
  missing_system_id: { empty: [] },
  invalid_system_id: {
    dotSegment: ['..'],
    tooLong: [143, 100],
    controlChar: ['AGT-1\nAGT-2'],
  },
  scientific_system_id: { rounded: ['4.30123E+10'] },
  conflicting_person: { twoPeople: ['AGT-10011', 'line 12', 'column "email"'] },
  control_char: { wrongEncoding: ['008E'] },
  replacement_char: { damaged: [] },
  lossy_save: { questionMarks: ['column "first_name"', '?ukasz', 'Łukasz'] },
  backslash_char: { needsEscape: [ROW_PHRASES.escapedChar('"')] },
  spreadsheet_error: { errorValue: ['#N/A'] },
  invalid_email: { notAnAddress: ['maria.garcia@'] },
  invalid_mobile: {
    notE164: ['0412 345 678'],
    notE164WithHint: ['0412 345 678', ROW_PHRASES.mobileFix.localNumber()],
    stillNotE164: ['+61 412 345', '+61412345'],
    notNational: ['447911123456', 'AU', ROW_PHRASES.mobileFix.lostPlus('447911123456', true)],
    numberCell: ['61412345678', ROW_PHRASES.mobileFix.lostPlus('61412345678', true)],
  },
  missing_required: { inBody: [], predicted: ['column "email"'] },
  invalid_type: { notText: [] },
  unknown_field: { notAllowed: ['title', 'first_name, last_name, email, job_title, mobile'] },
  not_an_object: { notAnObject: [] },
  duplicate_email: { usedEarlier: ['column "email"', 'TANE.JONES@EXAMPLE.COM', 'line 7'] },
  ragged_row: {
    csv: [14, 7, 6, '"Sydney"', ','],
    xlsx: [9, 'G9', 'F', 'Sydney'],
  },
  malformed_row: {
    quoting: ['line 5', ROW_PHRASES.csvQuoting.closingQuote(), 'Q1,Ann,"Lee" ,q1@x.com,Dev'],
    foreignLineBreak: [8, 'a bare CR line break', 4, 'LF or CRLF', 'A1⏎A2,Ann'],
  },
  uncached_formula: { noSavedValue: [['F7']] },
  one_word_name: { oneWord: ['Madonna'] },
  api_rejected: { answer: ['400 email: is required when creating a contact'] },
  not_found: { noContact: ['Contact not found'] },
  email_taken: {
    answer: ['422 Another Contact already has this email address'],
    predicted: ['column "email"', 'sam.reid@example.com', 'AGT-10042', false],
  },
  protected_contact: {
    answer: ['400 Contact CONTACT123 is the Support Lead of support group "Service Desk" (TEAM123)'],
  },
  auth_failed: { answer: ['401 Unauthorized'] },
  server_error: { answer: ['503 Service Unavailable'] },
  network_error: { answer: ['no answer: the connection was reset (ECONNRESET)'] },
  answer_lost: {
    unsettled: ['503 Service Unavailable', false],
    deleteThen404: ['404 Contact not found'],
  },
  not_the_api: {
    stopped: ['this base URL does not look like the CIOPulse API (it usually ends in /api/v5)'],
  },
  internal_error: { bug: [new TypeError("Cannot read properties of undefined (reading 'email')")] },
  email_swap: { cycle: ['line 7 (system_id S-E)'] },
};

const WARNING_SAMPLES: Samples<typeof ROW_WARNINGS> = {
  not_a_mobile: { notAMobile: ['+61298765432', 'FIXED_LINE'] },
  trunk_zero: { trunkZero: ['+610411223344', '+61411223344'] },
  unrecognised_mobile: { unreadable: ['+999123456'], notValid: ['+6112345678'] },
};

/** A sentence in a table cell: code-spanned so that nothing in it reads as Markdown. */
function cell(sentence: string): string {
  return `\`\` ${sentence.replace(/\|/g, '\\|')} \`\``;
}

function section<T extends Record<string, Record<string, (...args: never[]) => string>>>(
  words: T,
  samples: Samples<T>,
): string[] {
  const lines: string[] = [];
  for (const code of Object.keys(words)) {
    lines.push(`### \`${code}\``, '', '| variant | says, for a sample input |', '|---|---|');
    const variants = words[code] ?? {};
    for (const [variant, say] of Object.entries(variants)) {
      const args = (samples as Record<string, Record<string, unknown[]>>)[code]?.[variant] ?? [];
      lines.push(`| ${variant} | ${cell((say as (...a: unknown[]) => string)(...args))} |`);
    }
    lines.push('');
  }
  return lines;
}

/** One row per function, and per function of a group of them (`needs.get`); other values are left out. */
function rows(words: object, samples: object, prefix = ''): string[] {
  const lines: string[] = [];
  for (const [name, say] of Object.entries(words)) {
    const sample: unknown = (samples as Record<string, unknown>)[name];
    if (typeof say === 'function') {
      const said = (say as (...a: unknown[]) => string)(...((sample as unknown[] | undefined) ?? []));
      lines.push(`| ${prefix}${name} | ${cell(said.replace(/\n/g, ' ⏎ '))} |`);
    } else if (Object.values(say as object).every((v) => typeof v === 'function')) {
      lines.push(...rows(say as object, (sample as object | undefined) ?? {}, `${prefix}${name}.`));
    }
  }
  return lines;
}

function flat(sections: readonly Section[]): string[] {
  return sections.flatMap(({ title, words, samples }) => [
    `### ${title}`,
    '',
    '| name | says, for a sample input |',
    '|---|---|',
    ...rows(words, samples),
    '',
  ]);
}

export function renderCatalogue(): string {
  const fix = ROW_PHRASES.mobileFix;
  const phrases: [string, string][] = [
    ['a mobile in scientific notation', fix.scientific()],
    ['digits that are a mobile with a +', fix.lostPlus('61412345678', true)],
    ['digits that are a number, not a mobile, with a +', fix.lostPlus('61298765432', false)],
    ['nothing valid with a +', fix.writeInFull()],
    ['with --default-country, not a national number', fix.otherCountry()],
    ['a national number, no --default-country', fix.localNumber()],
    ['other digits, no --default-country', fix.countryCode()],
    ['a closing quote then text', ROW_PHRASES.csvQuoting.closingQuote()],
    ['a quote inside an unquoted value', ROW_PHRASES.csvQuoting.openingQuote(3)],
    ['csv-parse refused the record otherwise', ROW_PHRASES.csvQuoting.notQuotingRules()],
    ...['"', '\\', '\n', '\r', '\t', '\u0007'].map((ch): [string, string] => [
      `backslash_char: ${JSON.stringify(ch)}`,
      ROW_PHRASES.escapedChar(ch),
    ]),
    ['backslash_char: a lone surrogate', ROW_PHRASES.loneSurrogate()],
  ];
  return [
    '# Messages',
    '',
    '<!-- Generated by `npm run messages` from src/contact/row-messages.ts, src/error-messages.ts, src/cli/words.ts,',
    'src/report/words.ts (NEXT_STEPS) and src/run/supersede.ts; edit those files, not this one. -->',
    '',
    'Every sentence a result row says in its `error` column, and every warning in its `detail`, by',
    'stable code (README, [Error codes](../README.md#error-codes)), for a sample input, so that the',
    'words can be reviewed together. A message about one field is written after its column, in the',
    'results file: `invalid_mobile: column "Mobile Phone" "0412 345 678" is not …` (a workbook names',
    'the cell: `cell F7 (column "mobile")`). A sentence that names another row says `line N` for a CSV',
    'file and `row N` for a workbook. After the rows come the words of a whole run or a whole file, the',
    "`Next:` advice, and the command line's own sentences.",
    '',
    '## Errors',
    '',
    ...section(ROW_ERRORS, ERROR_SAMPLES),
    '## Warnings',
    '',
    'The row is sent; `detail` starts with the code (README, [Phone numbers](../README.md#phone-numbers)).',
    '',
    ...section(ROW_WARNINGS, WARNING_SAMPLES),
    '## Detail cells',
    '',
    'What a row that did not fail says in its `detail` (README, [Statuses](../README.md#statuses)).',
    '',
    ...flat(DETAIL_SECTIONS),
    '## Phrases the messages share',
    '',
    '| where | says |',
    '|---|---|',
    ...phrases.map(([where, says]) => `| ${where} | ${cell(says)} |`),
    '',
    '## Whole-run and whole-file errors, and hints',
    '',
    'From src/error-messages.ts: why a run stopped (`stopped:`), what an answer that ends a run or a',
    "command says (`error:`), the credential check, the settings and file errors, a sync's guards,",
    'the input file as a whole (encoding, quotes, header, `--map`, sheets), and the `hint:` lines',
    '(README, [Failure behaviour](../README.md#failure-behaviour)).',
    '',
    ...flat(WHOLE_RUN_SECTIONS),
    '## The next step',
    '',
    'From src/report/words.ts: the advice of the `Next:` line, before the command to paste (README,',
    '[Next steps](../README.md#next-steps)); the terminal summary, `--json` and the HTML report show it.',
    '',
    ...flat(NEXT_STEP_SECTIONS),
    '## The command line',
    '',
    'From src/cli/words.ts: the usage errors (exit 2), their hints, what `check` prints, and the',
    'questions and lines around a run. A line break in a sentence shows as ⏎.',
    '',
    ...flat(CLI_SECTIONS),
  ].join('\n');
}

describe('the row messages catalogue', () => {
  it('docs/MESSAGES.md is the catalogue of the message modules (npm run messages writes it)', () => {
    const rendered = renderCatalogue();
    if (process.env['UPDATE_MESSAGES'] === '1') writeFileSync(CATALOGUE, rendered);
    expect(readFileSync(CATALOGUE, 'utf8')).toBe(rendered);
  });

  it('every code with a sentence is explained in the README (Error codes, Phone numbers)', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const errorCodes = readme.slice(readme.indexOf('### Error codes'), readme.indexOf('### The errors file'));
    const phones = readme.slice(readme.indexOf('### Phone numbers'), readme.indexOf('### The backslash rule'));
    expect(Object.keys(ROW_ERRORS).filter((code) => !errorCodes.includes(`\`${code}\``))).toEqual([]);
    expect(Object.keys(ROW_WARNINGS).filter((code) => !phones.includes(`\`${code}\``))).toEqual([]);
  });

  it('is what a check says: the row parser words its errors through the module', () => {
    const parse = createRowParser();
    const row = parse({ system_id: '..', email: 'maria.garcia@', mobile: '0412 345 678', job_title: '#N/A' });
    expect(row.ok).toBe(false);
    const messages = row.ok ? [] : row.errors.map((e) => `${e.code}: ${e.message}`);
    expect(messages).toEqual([
      `invalid_system_id: ${ROW_ERRORS.invalid_system_id.dotSegment('..')}`,
      `invalid_email: ${ROW_ERRORS.invalid_email.notAnAddress('maria.garcia@')}`,
      `spreadsheet_error: ${ROW_ERRORS.spreadsheet_error.errorValue('#N/A')}`,
      `invalid_mobile: ${ROW_ERRORS.invalid_mobile.notE164WithHint('0412 345 678', ROW_PHRASES.mobileFix.localNumber())}`,
    ]);
  });
});
