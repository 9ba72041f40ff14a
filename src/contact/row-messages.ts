/**
 * Every sentence a result row's `error` or a row warning says, keyed by its stable code
 * (row-issues.ts), in one place so that the words can be reviewed together. docs/MESSAGES.md
 * lists each one for a sample input and is generated from this file (`npm run messages`;
 * test/row-messages.test.ts fails when it is stale).
 *
 * The checks decide; these functions only word. Each takes the specifics (the value, the line,
 * the column) and returns the sentence. A field error is said without its column: the importer
 * puts the column in front (`column "Mobile Phone" "0412" is not …`, run/prepare.ts); a sentence
 * that names a column, a line or a cell in the middle takes it already worded (`column "email"`,
 * `line 7`, `cell F7`), since a CSV and a workbook name them differently (csv/source.ts, placeOf).
 */
import type { SureType } from './phone-plans.js';
import type { RowErrorCode, RowWarningCode } from './row-issues.js';

type Words = Record<string, (...args: never[]) => string>;

/** The API's rule for a mobile, as `invalid_mobile` says it. */
const notE164 = (value: string): string =>
  `"${value}" is not "+" then country code and number with no spaces or hyphens`;

/** The sentence of each error code, with a variant for each way the check can fail. */
export const ROW_ERRORS = {
  missing_system_id: {
    empty: () => 'is empty; every row needs a system_id',
  },
  invalid_system_id: {
    dotSegment: (value: string) => `"${value}" cannot be a URL path segment`,
    tooLong: (length: number, max: number) =>
      `is ${length} characters long; a system_id has at most ${max} (is this the right column?)`,
    controlChar: (value: string) =>
      `${JSON.stringify(value)} holds a control character (a line break or tab); an id is one line of text`,
  },
  scientific_system_id: {
    rounded: (value: string) =>
      `"${value}" is a number in scientific notation: the spreadsheet rounded the id and its last digits are lost, so rows of different contacts would share it; re-export the ids as text (format the column as Text, or export from the helpdesk again), or use the .xlsx file`,
  },
  conflicting_person: {
    twoPeople: (systemId: string, otherPlace: string, differingColumn: string) =>
      `"${systemId}" is also used by ${otherPlace} for another person (${differingColumn} differs): the later row would overwrite the earlier, so neither is sent; fix the id, or remove one of the rows`,
  },
  control_char: {
    wrongEncoding: (hex: string) =>
      `contains the invisible control character U+${hex}, which is never in a name: the file was read in the wrong encoding; a CSV from Excel for Mac needs --encoding macintosh, one from Excel on Windows --encoding windows-1252 (or save it as "CSV UTF-8")`,
  },
  replacement_char: {
    damaged: () =>
      'contains U+FFFD, the replacement character: the text was damaged before it reached this file (a tool could not decode it), and no --encoding brings it back; fix it at the source and export again',
  },
  lossy_save: {
    questionMarks: (column: string, next: string, held: string) =>
      `${column} "${next}" would overwrite "${held}" in the API with question marks: the file was saved as "CSV (Comma delimited)", which turns every letter it cannot encode into "?"; save it as "CSV UTF-8", or use .xlsx`,
  },
  backslash_char: {
    needsEscape: (character: string) =>
      `contains ${character}, which JSON must escape with a backslash; the API forbids backslashes`,
  },
  spreadsheet_error: {
    errorValue: (value: string) =>
      `holds the spreadsheet error ${value} (a broken formula?); fix it, or pass --null-token "${value}" to clear the field`,
  },
  invalid_email: {
    notAnAddress: (value: string) => `"${value}" is not a valid email address`,
  },
  invalid_mobile: {
    /** The API's own rule, alone (the emulator) or before a hint (the importer). */
    notE164,
    notE164WithHint: (value: string, hint: string) => `${notE164(value)}; ${hint}`,
    stillNotE164: (value: string, e164: string) =>
      `${notE164(value)}, and without its spacing it is ${e164}, still not that; check the digits`,
    notNational: (value: string, country: string, hint: string) =>
      `"${value}" is not a valid ${country} number in national form, so --default-country ${country} does not apply; ${hint}`,
    numberCell: (value: string, hint: string) =>
      `holds the number ${value}, not text, so its + is gone; ${hint}, and format the column as Text`,
  },
  missing_required: {
    /** A request body (the emulator). */
    inBody: () => 'is required when creating a contact',
    /** A plan's prediction, naming the columns. */
    predicted: (columns: string) => `creating a contact needs ${columns}; the API would answer 400`,
  },
  invalid_type: {
    notText: () => 'must be a string or null',
  },
  unknown_field: {
    notAllowed: (keys: string, allowed: string) => `unknown field(s) ${keys}; allowed: ${allowed}`,
  },
  not_an_object: {
    notAnObject: () => 'the body must be a JSON object',
  },
  duplicate_email: {
    usedEarlier: (column: string, email: string, ownerPlace: string) =>
      `${column} "${email}" is already used by ${ownerPlace} for another system_id (emails are unique, compared case-insensitively)`,
  },
  ragged_row: {
    csv: (line: number, cells: number, width: number, extra: string, delimiter: string) =>
      `line ${line} has ${cells} cells but the header has ${width}; extra cells: ${extra} (a value holding "${delimiter}" must be quoted)`,
    xlsx: (row: number, cell: string, lastColumn: string, value: string) =>
      `row ${row} has a value in ${cell}, right of the last header (column ${lastColumn}): "${value}"; give the column a header, or clear the cell`,
  },
  malformed_row: {
    quoting: (where: string, reason: string, typed: string) =>
      `${where}: cannot read this row: ${reason}; quote a value that holds a quote and write the quote as "" (the row reads: ${typed})`,
    foreignLineBreak: (line: number, found: string, byte: number, fileEnds: string, typed: string) =>
      `line ${line}: cannot read this row: it holds ${found} (byte ${byte} of the row) but the file's lines end with ${fileEnds}, ` +
      `so the lines on either side would be read as one value; re-save the file with one kind of line ending (the row reads: ${typed})`,
  },
  uncached_formula: {
    noSavedValue: (cells: readonly string[]) =>
      `${cells.length === 1 ? 'cell' : 'cells'} ${cells.join(', ')} ${cells.length === 1 ? 'holds a formula' : 'hold formulas'} with no saved value ` +
      '(the file was saved by a program that does not calculate formulas): open it in Excel or LibreOffice and save it again, or paste the values over the formulas',
  },
  one_word_name: {
    oneWord: (name: string) =>
      `${JSON.stringify(name)} is one word, so it cannot be split into first_name and last_name; map separate name columns, or fix the name`,
  },
  /** The answers below are the API's own words (api/failures.ts, describeAnswer), passed through. */
  api_rejected: {
    answer: (answer: string) => answer,
  },
  not_found: {
    noContact: (apiMessage: string | undefined) => `no contact with this system_id (404 ${apiMessage ?? 'not found'})`,
  },
  email_taken: {
    answer: (answer: string) => answer,
    /** `byEarlierRow`: a row before this one in the file took the email, not a contact in the API. */
    predicted: (column: string, email: string, holder: string, byEarlierRow: boolean) =>
      `${column} "${email}" is held by system_id ${holder} ${byEarlierRow ? 'after the rows before this one' : 'in the API'}; the API would answer 422`,
  },
  protected_contact: {
    /** The API's answer names the group; the advice is added when the answer has none. */
    answer: (answer: string) => (/reassign/i.test(answer) ? answer : `${answer}; reassign the support group first`),
  },
  auth_failed: {
    answer: (answer: string) => answer,
  },
  server_error: {
    answer: (answer: string) => answer,
  },
  network_error: {
    answer: (answer: string) => answer,
  },
  answer_lost: {
    unsettled: (answer: string, isDelete: boolean) => `${answer}; ${ROW_DETAILS.mayHaveLanded(isDelete)}`,
    deleteThen404: (answer: string) =>
      `${answer} after a lost answer: it may have been deleted by that attempt, or never existed`,
  },
  not_the_api: {
    /** The whole run's stop reason (api/failures.ts), on each row it stopped. */
    stopped: (reason: string) => reason,
  },
  internal_error: {
    bug: (error: unknown) => `internal error (a bug; please report it): ${String(error)}`,
  },
  email_swap: {
    cycle: (others: string) =>
      `email swap with ${others}: each wants an email another holds, which the API cannot exchange in one import; give one contact a temporary email first, import, then import the final emails`,
  },
} as const satisfies Record<RowErrorCode, Words>;

/** What libphonenumber calls a number, as the `not_a_mobile` warning says it. */
export const NUMBER_TYPE_WORDS: Readonly<Record<SureType, string>> = {
  FIXED_LINE: 'a fixed-line (landline)',
  FIXED_LINE_OR_MOBILE: 'a fixed-line or mobile',
  MOBILE: 'a mobile',
  PREMIUM_RATE: 'a premium-rate',
  TOLL_FREE: 'a toll-free',
  SHARED_COST: 'a shared-cost',
  VOIP: 'a VoIP',
  PERSONAL_NUMBER: 'a personal (forwarding)',
  PAGER: 'a pager',
  UAN: 'a universal access (UAN)',
  VOICEMAIL: 'a voicemail',
  UNKNOWN: 'an',
};

/** The sentence of each warning code: the row is sent, but something deserves a look. */
export const ROW_WARNINGS = {
  not_a_mobile: {
    notAMobile: (value: string, type: SureType) =>
      `mobile ${value} is ${NUMBER_TYPE_WORDS[type]} number by libphonenumber, not a mobile; sent as the API allows it`,
  },
  trunk_zero: {
    trunkZero: (value: string, reads: string) =>
      `mobile ${value} has a trunk zero after the country code (libphonenumber reads ${reads}); sent as the API allows it`,
  },
  unrecognised_mobile: {
    unreadable: (value: string) => `mobile ${value} is not a number libphonenumber can read; sent as the API allows it`,
    notValid: (value: string) =>
      `mobile ${value} is not a valid number for its country (libphonenumber); sent as the API allows it`,
  },
} as const satisfies Record<RowWarningCode, Words>;

/** The parts of a sentence that several messages share: the fixes for a mobile, the names of characters. */
export const ROW_PHRASES = {
  /** What to do about a mobile that is not E.164 (contact/phone.ts decides which applies). */
  mobileFix: {
    scientific: () => 'it looks like Excel scientific notation: format the column as Text',
    lostPlus: (digits: string, isMobile: boolean) =>
      `did you mean +${digits}? Write the + when the number starts with its country code${
        isMobile
          ? ', or pass --fix-missing-plus to add it to every mobile that lost it'
          : ' (it is not a mobile, so --fix-missing-plus leaves it alone)'
      }`,
    writeInFull: () => 'write it as + then the country code and the number',
    otherCountry: () => 'if it is from another country, write it with + and its country code',
    localNumber: () => 'a local number needs --default-country, or the country code written in',
    countryCode: () => 'write it with + and its country code, or pass --default-country for national numbers',
  },
  /** How `backslash_char` names the character JSON would escape. */
  escapedChar: (ch: string): string => {
    const names: Record<string, string> = {
      '"': 'a double quote (")',
      '\\': 'a backslash (\\)',
      '\n': 'a line break',
      '\r': 'a carriage return',
      '\t': 'a tab',
    };
    return names[ch] ?? `the control character U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  },
  loneSurrogate: () => 'a lone UTF-16 surrogate (broken emoji or encoding)',
  /** Why csv-parse refused a record, for `malformed_row`. */
  csvQuoting: {
    closingQuote: () => 'a closing quote is followed by more text instead of a delimiter or the end of the line',
    openingQuote: (cell: number | undefined) =>
      `a quote appears in the middle of an unquoted value${cell === undefined ? '' : ` in cell ${cell}`}`,
    notQuotingRules: () => 'it does not follow the CSV quoting rules',
  },
} as const;

/**
 * The words of a row's `detail` cell: what the run did with a row it did not fail, and the
 * reason. The superseded wording is in run/supersede.ts, with the rest of that rule.
 */
const mayHaveLanded = (isDelete: boolean): string =>
  isDelete ? 'the contact may or may not have been deleted' : 'the write may or may not have been applied';

export const ROW_DETAILS = {
  mayHaveLanded,
  /** What the run did not do (run/outcomes.ts, execute/send.ts, execute/validate.ts). */
  notAttempted: () => 'not attempted: the run was stopped',
  sentUnrecorded: () => 'sent; the run ended before its answer was recorded',
  matchesApi: () => 'matches the API; not sent',
  leftOutByWhere: (condition: string) => `left out by --where "${condition}"`,
  fromJournal: () => 'answered in an earlier run (from its journal)',
  /** How the answer came (run/outcomes.ts): a `lost` one of the first two, then what settled it. */
  lostOnAttempt: (attempts: readonly number[]) => `response lost on attempt ${attempts.join(', ')}`,
  sentByEarlierRun: () => 'an earlier run sent this row and never recorded its answer',
  attempts: (count: number) => `${count} attempts`,
  mayHaveBeenCreate: (lost: string) => `${lost}; this update may have been the create`,
  createdOrUpdated: () => 'the API did not say whether this created or updated the contact',
  earlierDeleteThen404: (earlier: string) => `${earlier}; now 404: that attempt deleted it, unless it was already gone`,
  lostDeleteThen404: (lost: string) =>
    `${lost}; the retry found no such contact: the lost attempt may have deleted it, or it may never have existed`,
  unsettled: (lost: string, isDelete: boolean) => `${lost}; no later attempt settled it: ${mayHaveLanded(isDelete)}`,
  notThere: () => 'was not there (--ignore-missing)',
  /** The 422 second chance: done (execute/deferred.ts), and predicted by a plan (execute/plan.ts). */
  secondChance: () => 'second attempt after all other rows (the first got 422)',
  secondChancePredicted: () => 'on the second attempt, once the rest of the file has freed the email',
  /** A value the tool or the plan changes (contact/phone.ts, execute/plan.ts); `(empty)` for none. */
  change: (field: string, from: string, to: string, why?: string) =>
    `${field}: ${from} → ${to}${why === undefined ? '' : ` (${why})`}`,
  /** Why a mobile changed (contact/phone.ts), after `change`. */
  trunkPrefix: () => 'the (0) is the trunk prefix, not dialled from abroad',
  addedPlus: () => '--fix-missing-plus',
  sets: (field: string, value: string) => `${field}: ${value}`,
  empty: () => '(empty)',
  keptEmpty: (field: string, held: string) =>
    `${field}: empty in the file, ${held} in the API: kept (--empty null clears it)`,
  /** A sync's row whose system_id a `--scope prefix:` does not govern. */
  outsideScope: (scope: string) => `outside --scope ${scope}; not sent`,
  /** A sync's delete row: why, then what happened (`; ` between). */
  noLongerInFile: () => 'no longer in the file',
  wouldBeDeleted: () => 'would be deleted',
  deleteRefused: () => 'the API refused the delete',
  alreadyGone: () => 'already gone (404)',
} as const;
