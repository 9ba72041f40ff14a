/**
 * The words of the typed errors (errors.ts) that stop a run or a command, and of a run that
 * stops: why it stopped (`stopped:` on stderr), what the credential check found, what an API
 * answer that ends a command says, the settings and file errors (`error:`), and the `hint:` that
 * goes with each. In one place, so that the words can be reviewed together: docs/MESSAGES.md
 * lists them for a sample input (test/row-messages.test.ts). The row messages are in
 * contact/row-messages.ts; the errno words in errno.ts.
 *
 * The code decides (api/, config.ts, execute/send.ts, run/, csv/, xlsx/, remote/walk.ts); these
 * functions only word.
 */

/** Why a run stopped before its last row (README, "Failure behaviour"): the `stopped:` line. */
export const RUN_STOPS = {
  /** A 401 after the credential check passed. */
  revokedKey: () => 'the API answered 401 Invalid security credentials mid-run; the key may have been revoked',
  /** An answer that is not the API's (api/loop.ts), on any request. */
  notTheApi: (reason: string) => `${reason}; the run stopped`,
  /** The credential check failed: 401, not the API, or no answer. */
  checkFailed: (reason: string) => `${reason}; nothing was sent`,
  deadServer: (rows: number, lastAnswer: string) => `${rows} rows in a row used up their retries (last: ${lastAnswer})`,
  interrupted: () => 'interrupted',
} as const;

/** What an API answer says when it ends a command or a run (the `error:` line). */
export const ANSWER_ERRORS = {
  refusedCredentials: (apiMessage: string | undefined, context: string) =>
    `the API refused the credentials (401 ${apiMessage ?? 'Invalid security credentials'})${context}`,
  noAnswer: (url: string, message: string | undefined, attempts: number) =>
    `no answer from ${url}: ${message ?? 'a network error'}${attempts > 1 ? ` (${attempts} attempts)` : ''}`,
  /** `what` is the request and its answer: `PUT /contacts/AGT-1 answered 200 with an HTML page`. */
  notTheApi: (what: string) => `${what}: this does not look like the CIOPulse API`,
  redirectWithoutLocation: (what: string) => `${what}: the API answered with a redirect without a Location`,
  redirectTo: (what: string, target: string, baseUrl: string | undefined) =>
    `${what}: the API answered with a redirect to ${target}; set the base URL to ${baseUrl ?? 'it'}`,
  notFound: (what: string, apiMessage: string | undefined) => `${what} (404 ${apiMessage ?? 'not found'})`,
  /** `get`: an id no request can address (an empty segment, `.` or `..` would name /contacts itself). */
  notASystemId: (systemId: string) => `"${systemId}" cannot be a system_id`,
  /** `get`'s 404, before the API's own words. */
  noContact: (systemId: string) => `no contact with system_id "${systemId}"`,
  notAContact: (url: string, empty: boolean) =>
    `GET ${url} answered 200 with ${empty ? 'no body' : 'something that is not a contact'}`,
  answered: (request: string, status: number, apiMessage: string | undefined, attempts: number) =>
    `${request} answered ${status}${apiMessage === undefined ? '' : `: ${apiMessage}`}${attempts > 1 ? ` (${attempts} attempts)` : ''}`,
} as const;

/** How a request's answer shows it is not the API (api/loop.ts), after `PUT /contacts/X answered 404`. */
export const NOT_THE_API_WHY = {
  body: {
    html: 'an HTML page',
    empty: 'an empty body',
    text: 'a body that is not JSON',
    json: 'JSON',
    oversized: 'a body over 1 MB, more than any one answer of the API',
  },
  withBody: (what: string, body: string) => `${what} with ${body}`,
  putAnswered404: (what: string) => `${what}, which the API never does for a PUT (an upsert)`,
  listAnswered404: (what: string) => `${what}, which the API never does for the list of all contacts`,
  no404Body: (what: string) => `${what} without the API's JSON error body`,
} as const;

/** The credential check (api/credentials.ts): what failed, and for `check`, the proof it works. */
export const CREDENTIAL_CHECK = {
  foundImpossible: (status: number | undefined) => `the credential check found a contact that cannot exist (${status})`,
  no404Body: () => "the credential check got a 404 without the API's JSON error body",
  wrongKeyTaken: (status: number) =>
    `the same URL answered ${status} to a deliberately wrong key instead of 401: the server does not check the key`,
  failed: (what: 'the credential check' | 'the check with a deliberately wrong key', answer: string) =>
    `${what} failed: ${answer}`,
  proofTook2xx: (status: number | undefined) => `the API answered ${status}`,
  proof404: () => 'the API answered 404 for a contact that does not exist',
  proofBoth: () =>
    'the API refused a deliberately wrong key with 401, and answered 404 to this key for a contact that does not exist',
} as const;

/** The connection settings (config.ts, README "Where settings come from"): each error, then its hint. */
export const SETTINGS_ERRORS = {
  sharedKeyFile: (what: string, path: string, mode: string) =>
    `the ${what} ${path} holds the API key and can be read by other users (mode ${mode})`,
  notAUrl: (shown: string) => `the base URL "${shown}" is not a URL`,
  userinfoInUrl: (shown: string) => `the base URL holds a user name or password (${shown}); it must not`,
  plainHttp: (host: string) => `refusing plain http to ${host}: the API key would cross the network unencrypted`,
  missing: (settings: readonly string[]) => `missing ${settings.join(' and ')}`,
  keyLength: (length: number, expected: number) =>
    `the API key has ${length} characters; CIOPulse keys have ${expected}`,
} as const;

/** Whole-file errors outside the CSV reader's own (`error:`); their hints are in HINTS. */
export const FILE_ERRORS = {
  changedWhileRead: (path: string) => `${path}: the file changed while it was read`,
  notAWorkbook: (path: string, why: string) => `${path} cannot be read as an Excel workbook (.xlsx): ${why}`,
  resultsOfAnotherInput: (resultsPath: string, why: string) => `${resultsPath} does not belong to this input: ${why}`,
  /** Why, for `resultsOfAnotherInput` (run/resume.ts); `found` is the journal or the results. */
  otherSystemId: (line: number, inInput: string, held: string, found: 'journal' | 'results') =>
    `line ${line} has system_id "${inInput}" in the input but "${held}" in the ${found}`,
  otherHeader: () => 'its header is not the input’s columns followed by status,http_status,error,detail',
  unknownStatus: (row: number, status: string) => `row ${row} has the unknown status "${status}"`,
  otherCommand: (isDelete: boolean, status: string) =>
    `it comes from ${isDelete ? 'an import' : 'a delete'} (status "${status}")`,
  changedWhileReading: () => 'it changed while being read',
  previewResults: (resultsPath: string, status: string) =>
    `${resultsPath} comes from a dry run or a plan (status "${status}"), which sent nothing`,
  whereForm: (text: string) => `--where "${text}" needs the form COLUMN=VALUE or COLUMN!=VALUE`,
  whereColumn: (text: string, column: string) => `--where "${text}": the file has no column "${column}"`,
  groupsNotJson: (file: string, why: string) => `the support groups file ${file} is not valid JSON: ${why}`,
} as const;

/** Why an input must be a file: the whole file is checked before the first row is sent, so it is read twice. */
const READ_TWICE =
  'the whole file is checked before any row is sent, so it is read twice: save it to a file first and name that file';

/**
 * The input file as a whole, found before any row is sent (`error:`; README, "CSV rules"): the
 * CSV reader's pre-scan (csv/prescan.ts), its header and `--map` (csv/headers.ts, mapping.ts),
 * its flags (csv/read.ts), a workbook's sheets (xlsx/read.ts), and outputs that would overwrite it
 * (csv/targets.ts). `place` is where the header is: `contacts.csv line 1`, `contacts.xlsx row 1`.
 */
export const INPUT_ERRORS = {
  fromStdin: () => `the rows cannot come from standard input ("-"): ${READ_TWICE}`,
  notAFile: (path: string) => `${path} is a pipe or a device, not a file: ${READ_TWICE}`,
  empty: (path: string) => `${path} is empty: a CSV file needs a header row with a system_id column`,
  /** `what` is one of `looksLike`. */
  notCsv: (path: string, what: string) => `${path} is not a CSV file: it looks like ${what}`,
  looksLike: {
    xlsx: () => 'a zip file, probably an Excel workbook (.xlsx); save it from Excel as "CSV UTF-8"',
    xls: () => 'an old Excel workbook (.xls); save it from Excel as "CSV UTF-8"',
    pdf: () => 'a PDF file',
    nulBytes: () => 'a binary file (it holds NUL bytes); if it is UTF-16 text without a BOM, pass --encoding utf16le',
    nulCharacters: () => 'a binary file (it holds NUL characters)',
    markup: () => 'HTML or XML',
    json: () => 'JSON',
  },
  noHeaderRow: (path: string, kib: number) => `${path}: found no header row in the first ${kib} KiB`,
  /** `what` is `cutCharacter` or `badByte`; `advice` one of `legacyEncoding`. */
  notUtf8: (path: string, line: number, what: string, advice: string) =>
    `${path} line ${line} is not valid UTF-8 (${what}); ${advice}, or save the file as "CSV UTF-8"`,
  cutCharacter: () => 'the file ends inside a multi-byte character',
  badByte: (hex: string, shown: string, encoding: string) => `byte 0x${hex} in ${shown}, shown as ${encoding}`,
  legacyEncoding: {
    'windows-1252': () =>
      'the bytes fit windows-1252, which Excel on Windows writes: run again with --encoding windows-1252',
    macintosh: () => 'the bytes fit MacRoman, which Excel for Mac writes: run again with --encoding macintosh',
  },
  notUtf16: (path: string, line: number, name: string) =>
    `${path} line ${line} is not valid ${name} (a broken surrogate pair or a cut-off last character); re-save the file, for example as "CSV UTF-8"`,
  unclosedQuote: (path: string, line: number) =>
    `${path} line ${line}: a quoted value starts here and never ends, so it would swallow the rest of the file; fix the quotes, and write a quote inside a quoted value as ""`,
  swallowingQuote: (path: string, line: number, mib: number) =>
    `${path} line ${line}: a closing quote is followed by more text instead of a delimiter or the end of the line, and the CSV reader would read the next ${mib} MiB or more as part of this value; fix the quote (write a quote inside a quoted value as "")`,
  encodingUnknown: (requested: string, encodings: readonly string[]) =>
    `--encoding ${requested} is not supported; use one of ${encodings.join(', ')}`,
  encodingOfWorkbook: (path: string) =>
    `--encoding applies to CSV files; ${path} is an .xlsx workbook, which names its own`,
  sheetOfCsv: (path: string) => `--sheet applies to .xlsx workbooks; ${path} is read as CSV`,
  noSuchSheet: (wanted: string, path: string, sheets: readonly string[]) =>
    `--sheet ${wanted}: ${path} has no such sheet; its sheets are ${sheets.map((name, i) => `${i + 1} "${name}"`).join(', ')}`,
  emptySheet: (path: string, sheet: string) =>
    `${path}: the sheet "${sheet}" is empty: it needs a header row with a system_id column`,
  sheetUnreadable: (path: string, sheet: string, why: string) => `${path}: the sheet "${sheet}" cannot be read: ${why}`,
  /** `--map` and `--map-file`: `source` is the flag (`--map "Email"`) or the line (`agents.map line 3`). */
  mapForm: (source: string) => `${source} must look like "CSV header=field" (or "CSV header=" to ignore the column)`,
  mapField: (source: string, field: string, fields: readonly string[]) =>
    `${source}: unknown field "${field}"; the fields are ${fields.join(', ')} (or leave it empty to ignore the column)`,
  mapColumn: (source: string, file: string, header: string, headers: string) =>
    `${source}: ${file} has no column "${header}"; its headers are ${headers}`,
  /** The header; `a`, `b` are numbered columns (`2 ("Email")`), `fix` a `--map` to paste. */
  twoColumnsOneField: (place: string, a: string, b: string, field: string, fix: string) =>
    `${place}: columns ${a} and ${b} both map to ${field}; keep one, e.g. ignore the other with ${fix}`,
  fullNameAndPart: (place: string, fullName: string, own: string, part: string, fix: string) =>
    `${place}: column ${fullName} (full_name) and column ${own} both give ${part}; map only one, e.g. ${fix}`,
  noColumn: (place: string, field: string, headers: string, fix: string) =>
    `${place}: no ${field} column; the headers are ${headers}. Rename the column, or pass ${fix}`,
  /** Outputs (csv/targets.ts): each named by its label, `results file out.csv`. */
  outputIsInput: (output: string, input: string) =>
    `${output} is the input file ${input}: writing it would destroy the input`,
  sameOutput: (output: string, other: string) => `${output} is the same file as ${other}`,
} as const;

/** An export's GET all that did not arrive whole (remote/walk.ts): nothing is written. */
export const LISTING_ERRORS = {
  endedMidJson: (bytes: number, why: string) =>
    `the API's answer ended in the middle of its JSON after ${bytes} bytes (${why}); the listing is incomplete, so nothing was written`,
  notRepairable: (strictWhy: string, repairWhy: string) =>
    `the API's answer is not valid JSON and could not be repaired (${strictWhy}; then ${repairWhy})`,
  brokeOff: (bytes: number, why: string) =>
    `the API's answer broke off after ${bytes} bytes: ${why}; nothing was written`,
} as const;

/** A sync's guards, flags and state file (execute/sync*.ts; README, "Keeping CIOPulse in sync with your helpdesk"). */
export const SYNC_ERRORS = {
  /** `why` is one of the guards below. */
  refused: (why: string) => `sync refused: ${why}; nothing was sent`,
  wouldBeRefused: (why: string) => `a real sync would be refused: ${why} (--max-delete <n|p%> allows it)`,
  /** The file lists nothing, so every contact in scope would go. */
  deletesAll: (noDataRows: boolean, count: number) =>
    `the file ${noDataRows ? 'has no data rows' : 'has no rows left after --where and --scope'}: a sync would delete every one of the ${count} contacts in scope`,
  /** `over` is the --max-delete it passes (`50`, `5%`), undefined for the default guard. */
  deletesTooMany: (count: number, scopeSize: number, percent: string, over: string | undefined) =>
    `it would delete ${count} of the ${scopeSize} contacts in scope (${percent}%)${over === undefined ? '' : `, more than --max-delete ${over}`}`,
  declined: () => 'cancelled: nothing was sent',
  /** Said by the library (run/entry.ts) and, before it loads, by the CLI (cli/sync.ts). */
  noLimit: () => 'sync reads the whole file: with --limit every later row would look gone',
  notAScope: (text: string) => `--scope "${text}" is not a scope`,
  notAMaxDelete: (text: string) => `--max-delete "${text}" is not a count or a percentage`,
  stateUnreadable: (path: string, why: string) => `cannot read the sync state ${path}: ${why}`,
  stateUnwritable: (path: string, why: string) => `cannot write the sync state ${path}: ${why}`,
  notAState: (path: string) => `${path} is not a sync state file this version wrote`,
  stateOfAnotherPortal: (path: string, held: string, portal: string) =>
    `the sync state ${path} belongs to ${held}, not ${portal}`,
  /** How the state names a portal, for `stateOfAnotherPortal`. */
  portal: (portalCode: string, baseUrl: string) => `portal ${portalCode} at ${baseUrl}`,
} as const;

/** The `hint:` lines: what to do next. */
export const HINTS = {
  /** Every 401: the API document names the portal code, the key and the IP allow-list. */
  unauthorized: (loopback: boolean) =>
    `check the portal code, the API key (40 characters, from the Preferences page), and the Portal’s IP allow-list, which must include this machine’s address${
      loopback
        ? '; the base URL is loopback: if it is the emulator, it makes a new key each time it starts, so copy the three CIOPULSE_ lines it printed again'
        : ''
    }`,
  thenResume: (hint: string) => `${hint}; then resume the run`,
  notTheApi: () => 'this base URL does not look like the CIOPulse API (it usually ends in /api/v5)',
  /**
   * No answer, or an answer the check cannot use (a 5xx, a 403): one sentence for both, which
   * were two ("is the base URL right…", "is <url> the right base URL…") until they were merged.
   */
  unreachable: () => 'is the base URL right, and is the API up? --retries and --timeout set how hard to try',
  redirect: () => 'a redirect is never followed: it would send the API key to another address',
  notFound: () => 'system_id is matched exactly, case included; `export` lists every contact',
  deadServer: () => 'the server looks down; resume the run later',
  /** A results or errors file that could not be written; resume only when a journal can. */
  chmod: (command: string) => `run: ${command}`,
  baseUrlExample: (example: string) => `it looks like ${example}`,
  keyNotInUrl: () => 'the key goes in CIOPULSE_API_KEY or --api-key-file, and the portal code in CIOPULSE_PORTAL_CODE',
  useHttps: () => 'use https, or pass --allow-insecure if you really mean it',
  setMissing: (ways: readonly string[]) =>
    `set ${ways.join(' and ')} in the environment or in an --env-file; \`ciopulse-contacts check\` shows what is set and where from`,
  copyKeyAgain: () => 'copy the key again from the bottom of the Preferences page in the CIOPulse Portal',
  fileChanged: () => 'let whatever is writing it finish, or copy the file first, then run again',
  resaveWorkbook: () =>
    'open it in Excel or LibreOffice and save it again as "Excel Workbook (.xlsx)", or save it as "CSV UTF-8"',
  resumeSameInput: () => 'resume with the same input file, or write the results of this one to another path',
  whereExample: () => 'for example --where "active=true" or --where "Suspended!=TRUE"',
  whereColumns: (columns: readonly string[]) => `its columns are ${columns.map((c) => `"${c}"`).join(', ')}`,
  separateOutputs: () => 'give each output its own path, away from the input',
  quoteBareId: () => 'if it was copied from the API document, quote the bare CONTACT456',
  exportAgain: () => 'run the export again; if it keeps failing, the server may be cutting long answers',
  notJsonStart: (start: string) => `it starts with "${start}": an error page from a proxy, or the wrong base URL?`,
  writeFailed: (diskFull: boolean, canResume: boolean) =>
    `${diskFull ? 'free some space or choose another path' : 'choose another path'}, then ${canResume ? 'resume the run' : 'run again'}`,
  syncScopes: () =>
    'use owned (what syncs with this --state wrote), prefix:<text> (system_ids that start with it) or all',
  maxDeleteExample: () => 'for example --max-delete 50 or --max-delete 5%',
  syncEmptyFile: () => 'a cut-short or empty export must never empty the portal: check the export, and --where',
  syncTooManyDeletes: () =>
    'check the file; preview with --plan; --max-delete <n|p%> raises the limit when the deletes are meant',
  restoreSyncState: () =>
    'restore it from a backup, or name another --state (a new state owns nothing, so --scope owned deletes nothing)',
  syncStatePerPortal: () => 'each portal needs its own state: pass --state <file> for this one',
} as const;
