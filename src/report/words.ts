/**
 * The report's words: titles for modes, statuses and codes. Partial on purpose: a status or code
 * added later still works, shown by its name.
 */
import { STATUSES } from '../run/statuses.js';
import { SUPERSEDED_NOTE } from '../run/supersede.js';

export const MODE_TITLES: Readonly<Record<string, string>> = {
  import: 'Import',
  'dry-run': 'Dry run',
  plan: 'Plan',
  delete: 'Delete',
  'delete-dry-run': 'Delete (dry run)',
  sync: 'Sync',
  'sync-plan': 'Sync plan',
};

/** Every status the report knows, in the order it shows them: the results' own order. */
export const REPORT_STATUSES: readonly string[] = STATUSES;

const KNOWN: ReadonlySet<string> = new Set(REPORT_STATUSES);

export function isKnownStatus(status: string): boolean {
  return KNOWN.has(status);
}

export const STATUS_NOTES: Readonly<Record<string, string>> = {
  created: 'new contact created (201)',
  updated: 'existing contact updated (200)',
  deleted: 'contact deleted',
  valid: 'passed every local check; nothing was sent',
  'would-create': 'would create a new contact',
  'would-update': 'would change an existing contact',
  unchanged: 'already up to date; nothing to send',
  'would-fail': 'the API would refuse it',
  invalid: 'failed a local check; never sent',
  failed: 'refused by the API, or its retries ran out',
  uncertain: 'sent, but the answer was lost: it may or may not have been applied',
  superseded: SUPERSEDED_NOTE,
  skipped: 'not attempted: the run was stopped',
  filtered: 'left out by --where (or outside the sync --scope); never sent',
  'would-delete': 'sync plan: in scope and no longer in the file; would be deleted',
  'delete-refused': 'the API refused the delete: the contact leads or is alerted by a support group',
};

/** Plain words for each error code. */
export const CODE_TITLES: Readonly<Record<string, string>> = {
  missing_system_id: 'Missing system_id',
  invalid_system_id: 'system_id cannot be a URL path segment',
  backslash_char: 'Character the API forbids (quote, backslash, line break or control character)',
  spreadsheet_error: 'Spreadsheet error value such as #N/A or #REF!',
  invalid_email: 'Email address is not valid',
  invalid_mobile: 'Mobile is not in international format',
  missing_required: 'Field required for a new contact is missing',
  invalid_type: 'Value of the wrong type',
  unknown_field: 'Unknown field',
  not_an_object: 'Body is not a JSON object',
  duplicate_email: 'Email already used by an earlier row in the file',
  ragged_row: 'Wrong number of cells in the row',
  malformed_row: 'Row could not be read as CSV',
  uncached_formula: 'Formula with no saved value (.xlsx)',
  replacement_char: 'Mis-decoded text (U+FFFD)',
  api_rejected: 'Rejected by the API',
  not_found: 'Contact not found',
  email_taken: 'Email already held by another contact',
  protected_contact: 'Contact leads or is alerted by a support group',
  auth_failed: 'Credentials refused (401)',
  server_error: 'Server error; retries used up',
  network_error: 'No answer from the server',
  email_swap: 'Two contacts swap email addresses',
  one_word_name: 'Full name is one word: no first and last name to split',
};

/** Plain words for each warning code: the row was sent (or would be) all the same. */
export const WARNING_TITLES: Readonly<Record<string, string>> = {
  not_a_mobile: 'The mobile column holds a number that is not a mobile (a fixed line, say)',
};

/** `1 row`, `3 rows`: plain text, for the terminal (the HTML report's `plural` groups thousands). */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * The advice of the `Next:` line (report/summary.ts, `nextCommand`): what to do by hand before the
 * command to paste, which the terminal summary, `--json` and the HTML report all show.
 */
export const NEXT_STEPS = {
  /** Before a stopped run can go on; a stop with no advice here needs nothing by hand. */
  stopped: {
    auth: () => 'fix the credentials (`check` shows what is in use)',
    // Resuming against the same URL would stop again at once: the URL is what needs fixing.
    not_api: () => 'fix the base URL (it usually ends in /api/v5); `check` shows what is in use',
  },
  /** After a real run with bad rows; `alsoUncertain` goes at the end of the first two. */
  fixErrors: (errorsFile: string, alsoUncertain: string) => `fix ${errorsFile}${alsoUncertain}`,
  reassignGroups: (errorsFile: string, alsoUncertain: string) =>
    `reassign the support groups named in ${errorsFile} in the CIOPulse Portal${alsoUncertain}`,
  alsoUncertain: (uncertain: number) =>
    uncertain === 0
      ? ''
      : ` (its ${plural(uncertain, 'uncertain row')} ${uncertain === 1 ? 'is' : 'are'} sent again as ${uncertain === 1 ? 'it is' : 'they are'})`,
  resendLost: (uncertain: number, isDelete: boolean) =>
    `${plural(uncertain, 'row')} lost ${uncertain === 1 ? 'its answer' : 'their answers'} (maybe applied); sending again is safe (${
      isDelete ? 'a delete of a contact already gone counts as deleted with --ignore-missing' : 'a PUT is an upsert'
    }), and --resume sends only those`,
  /** After a dry run or a plan. */
  fixListedRows: (errorsFile: string, input: string) => `fix the rows listed in ${errorsFile} in ${input}`,
  mapForCreate: (fields: readonly string[]) => `map columns to ${fields.join(', ')} if the file adds new people`,
  /** After a sync: rows are fixed in the helpdesk, and the same sync runs again. */
  syncFixAtSource: (bad: number, errorsFile: string) =>
    `fix the ${plural(bad, 'row')} listed as invalid or failed in ${errorsFile} at their source`,
  syncReassignGroups: (resultsFile: string) =>
    `reassign the support groups named in ${resultsFile} (status delete-refused) in the CIOPulse Portal`,
  syncLost: (uncertain: number) =>
    `${plural(uncertain, 'row')} lost ${uncertain === 1 ? 'its answer' : 'their answers'}; running the sync again settles ${uncertain === 1 ? 'it' : 'them'}`,
  /** The line itself: the advice, then the command. */
  then: (advice: string, command: string) => `${advice}, then: ${command}`,
} as const;

export function titleOf(code: string, titles: Readonly<Record<string, string>>): string {
  return titles[code] ?? code.replace(/_/g, ' ');
}
