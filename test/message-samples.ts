/**
 * Sample inputs for the whole-run sentences that docs/MESSAGES.md lists (test/row-messages.test.ts):
 * one per function of src/error-messages.ts and of the row details, so that the type makes a new
 * sentence name its sample, and a sentence cannot skip the catalogue.
 */
import { ROW_DETAILS } from '../src/contact/row-messages.js';
import { SUPERSEDED_NOTE, supersededDetail } from '../src/run/supersede.js';
import { NEXT_STEPS } from '../src/report/words.js';
import { CHECK_LINES, CLI_HINTS, CLI_LINES, USAGE_ERRORS } from '../src/cli/words.js';
import {
  ANSWER_ERRORS,
  CREDENTIAL_CHECK,
  FILE_ERRORS,
  HINTS,
  INPUT_ERRORS,
  LISTING_ERRORS,
  NOT_THE_API_WHY,
  RUN_STOPS,
  SETTINGS_ERRORS,
  SYNC_ERRORS,
} from '../src/error-messages.js';

export type Samples<T> = {
  [C in keyof T]: { [V in keyof T[C]]: T[C][V] extends (...args: infer A) => string ? A : never };
};

type Say = (...args: never[]) => string;

/** A sample for each function, and for each function of a group of them (`needs.get`). */
export type FlatSamples<T> = {
  [K in keyof T as T[K] extends Say ? K : T[K] extends Record<string, Say> ? K : never]: T[K] extends (
    ...args: infer A
  ) => string
    ? A
    : FlatSamples<T[K]>;
};

const STOP_SAMPLES: FlatSamples<typeof RUN_STOPS> = {
  revokedKey: [],
  notTheApi: ['PUT /contacts/AGT-10001 answered 200 with an HTML page: this does not look like the CIOPulse API'],
  checkFailed: ['the API refused the credentials (401 Invalid security credentials)'],
  deadServer: [10, 'no answer after 6 attempts: connect ECONNREFUSED 127.0.0.1:8787'],
  interrupted: [],
};

const ANSWER_SAMPLES: FlatSamples<typeof ANSWER_ERRORS> = {
  refusedCredentials: ['Invalid security credentials', ''],
  noAnswer: ['http://127.0.0.1:8787/api/v5', 'connect ECONNREFUSED 127.0.0.1:8787', 6],
  notTheApi: ['GET /contacts/ciopulse-contacts-credential-check-1a2b answered 404 with an HTML page'],
  redirectWithoutLocation: ['GET /contacts answered 301'],
  redirectTo: ['GET /contacts answered 301', 'https://example.com/api/v5/contacts', 'https://example.com/api/v5'],
  notFound: ['GET /contacts/AGT-404: not found', 'A Contact with this System ID was not found'],
  notASystemId: ['..'],
  noContact: ['AGT-404'],
  notAContact: ['http://127.0.0.1:8787/api/v5/contacts/AGT-1', false],
  answered: ['GET /contacts/AGT-10001', 503, 'Service Unavailable', 6],
};

const NOT_THE_API_SAMPLES: FlatSamples<typeof NOT_THE_API_WHY> = {
  withBody: ['PUT /contacts/AGT-10001 answered 200', NOT_THE_API_WHY.body.html],
  putAnswered404: ['PUT /contacts/AGT-10001 answered 404'],
  listAnswered404: ['GET /contacts answered 404'],
  no404Body: ['GET /contacts/AGT-10001 answered 404'],
};

const CHECK_SAMPLES: FlatSamples<typeof CREDENTIAL_CHECK> = {
  foundImpossible: [200],
  no404Body: [],
  wrongKeyTaken: [404],
  failed: ['the credential check', '503 Service Unavailable after 3 attempts'],
  proofTook2xx: [200],
  proof404: [],
  proofBoth: [],
};

const HINT_SAMPLES: FlatSamples<typeof HINTS> = {
  unauthorized: [true],
  thenResume: ['check the portal code, the API key …'],
  notTheApi: [],
  unreachable: [],
  redirect: [],
  notFound: [],
  deadServer: [],
  writeFailed: [true, true],
  syncScopes: [],
  maxDeleteExample: [],
  syncEmptyFile: [],
  syncTooManyDeletes: [],
  restoreSyncState: [],
  syncStatePerPortal: [],
  chmod: ['chmod 600 .env'],
  baseUrlExample: ['https://app.cio-pulse.com/api/v5'],
  keyNotInUrl: [],
  useHttps: [],
  setMissing: [
    ['CIOPULSE_PORTAL_CODE (or --portal-code)', 'CIOPULSE_API_KEY (or --api-key-file, a file only you can read)'],
  ],
  copyKeyAgain: [],
  fileChanged: [],
  resaveWorkbook: [],
  resumeSameInput: [],
  whereExample: [],
  whereColumns: [['Name', 'Email', 'Suspended']],
  separateOutputs: [],
  quoteBareId: [],
  exportAgain: [],
  notJsonStart: ['<html><head><title>Sign in'],
};

const SETTINGS_SAMPLES: FlatSamples<typeof SETTINGS_ERRORS> = {
  sharedKeyFile: ['env file', '.env', '644'],
  notAUrl: ['app.cio-pulse.com/api/v5'],
  userinfoInUrl: ['https://***@app.cio-pulse.com/api/v5'],
  plainHttp: ['ciopulse.example.com'],
  missing: [['the portal code', 'the API key']],
  keyLength: [39, 40],
};

const FILE_SAMPLES: FlatSamples<typeof FILE_ERRORS> = {
  changedWhileRead: ['contacts.csv'],
  notAWorkbook: ['contacts.xlsx', 'it has no xl/workbook.xml'],
  resultsOfAnotherInput: ['contacts.results.csv', "its header is not this input's"],
  whereForm: ['Suspended'],
  whereColumn: ['Active=true', 'Active'],
  groupsNotJson: ['groups.json', "Unexpected token 'C'"],
  otherSystemId: [12, 'AGT-12', 'AGT-13', 'journal'],
  otherHeader: [],
  unknownStatus: [7, 'done'],
  otherCommand: [true, 'created'],
  changedWhileReading: [],
  previewResults: ['contacts.dryrun.csv', 'valid'],
};

const LISTING_SAMPLES: FlatSamples<typeof LISTING_ERRORS> = {
  endedMidJson: [1048576, 'Unexpected end of JSON input'],
  notRepairable: ['Unexpected token <', 'Unexpected character "<"'],
  brokeOff: [1048576, 'the connection was reset (ECONNRESET)'],
};

const SYNC_SAMPLES: FlatSamples<typeof SYNC_ERRORS> = {
  refused: [SYNC_ERRORS.deletesTooMany(40, 120, '33.3', undefined)],
  wouldBeRefused: [SYNC_ERRORS.deletesTooMany(40, 120, '33.3', '5%')],
  deletesAll: [false, 120],
  deletesTooMany: [40, 120, '33.3', '25'],
  declined: [],
  noLimit: [],
  notAScope: ['mine'],
  notAMaxDelete: ['ten'],
  stateUnreadable: ['contacts.sync-state.json', 'Unexpected end of JSON input'],
  stateUnwritable: ['contacts.sync-state.json', 'ENOSPC: no space left on device'],
  notAState: ['contacts.sync-state.json'],
  stateOfAnotherPortal: [
    'contacts.sync-state.json',
    SYNC_ERRORS.portal('ACME', 'https://app.cio-pulse.com/api/v5'),
    SYNC_ERRORS.portal('TEST', 'http://127.0.0.1:8787/api/v5'),
  ],
  portal: ['ACME', 'https://app.cio-pulse.com/api/v5'],
};

const DETAIL_SAMPLES: FlatSamples<typeof ROW_DETAILS> = {
  mayHaveLanded: [false],
  notAttempted: [],
  sentUnrecorded: [],
  matchesApi: [],
  leftOutByWhere: ['Suspended!=TRUE'],
  fromJournal: [],
  lostOnAttempt: [[1, 2]],
  sentByEarlierRun: [],
  attempts: [3],
  mayHaveBeenCreate: ['response lost on attempt 1'],
  createdOrUpdated: [],
  earlierDeleteThen404: ['an earlier run sent this row and never recorded its answer'],
  lostDeleteThen404: ['response lost on attempt 1'],
  unsettled: ['response lost on attempt 1, 2', false],
  notThere: [],
  secondChance: [],
  secondChancePredicted: [],
  change: ['job_title', 'Agent', 'Team Lead'],
  trunkPrefix: [],
  addedPlus: [],
  sets: ['email', 'maria.garcia@example.com'],
  empty: [],
  keptEmpty: ['job_title', 'Agent'],
  outsideScope: ['prefix:AGT-'],
  noLongerInFile: [],
  wouldBeDeleted: [],
  deleteRefused: [],
  alreadyGone: [],
};

const USAGE_SAMPLES: FlatSamples<typeof USAGE_ERRORS> = {
  apiKeyFlag: [],
  unknownCommand: ['improt', 'import'],
  unexpectedArgument: ['extra.csv'],
  unknownOptions: [[USAGE_ERRORS.unknownFlag('dryrun', 'dry-run')]],
  unknownFlag: ['concurency', 'concurrency'],
  needs: { get: [], import: [], delete: [] },
  deleteUnconfirmed: [],
  syncUnconfirmed: [12],
  notWholeNumber: ['concurrency', 10],
  belowMinimum: ['concurrency', 1, 0],
  maxRetryWait: [-1],
  rate: [0],
  notAField: ['title', ['first_name', 'last_name', 'email', 'job_title', 'mobile']],
  notACountry: ['Australia'],
  jsonNeedsOut: [],
  outFolderMissing: ['out/contacts.csv', 'out'],
};

const CLI_HINT_SAMPLES: FlatSamples<typeof CLI_HINTS> = {
  apiKeyWays: [],
  usage: [],
  options: ['import'],
  dryRunFirst: ['ciopulse-contacts delete leavers.csv --dry-run'],
  planFirst: ['ciopulse-contacts sync agents.csv --plan'],
  planInstead: [],
  mkdir: ['mkdir -p out'],
  resumeOrRestart: ['ciopulse-contacts import agents.csv --resume', 'ciopulse-contacts import agents.csv --restart'],
  nothingToResume: [],
  syncRefused: ['ciopulse-contacts sync agents.csv --plan'],
  unexpected: [],
};

const CHECK_LINE_SAMPLES: FlatSamples<typeof CHECK_LINES> = {
  origin: { flag: [], envFile: ['.env.prod'], keyFile: ['ciopulse.key'], dotEnv: [], environment: [], default: [] },
  notSet: [],
  key: [40, 'from the environment'],
  dotEnvRead: [],
  dotEnvNotRead: ['--env-file names another file'],
  credentialsWork: ['the API answered 404 for a contact that does not exist'],
};

const CLI_LINE_SAMPLES: FlatSamples<typeof CLI_LINES> = {
  deletePrompt: [false, 3, 'leavers.csv', 'https://app.cio-pulse.com/api/v5'],
  syncPrompt: [
    'agents.csv',
    'https://app.cio-pulse.com/api/v5',
    { rows: 120, listed: 118, creates: 2, existing: 116, deletes: 3, scopeSize: 119, scope: 'owned' },
  ],
  deleteCancelled: [],
  retry: ['PUT AGT-10001', 2, 503, 1840],
  stopping: [10],
  secondInterruptRun: [],
  secondInterruptExport: [],
  badRows: [4],
  internalError: ["Cannot read properties of undefined (reading 'email')"],
  unexpectedFailure: ['EPIPE'],
};

const NEXT_STEP_SAMPLES: FlatSamples<typeof NEXT_STEPS> = {
  stopped: { auth: [], not_api: [] },
  fixErrors: ['agents.errors.csv', NEXT_STEPS.alsoUncertain(2)],
  reassignGroups: ['leavers.delete.errors.csv', ''],
  alsoUncertain: [1],
  resendLost: [3, false],
  fixListedRows: ['agents.plan.errors.csv', 'agents.csv'],
  mapForCreate: [['first_name', 'last_name']],
  syncFixAtSource: [2, 'agents.sync.errors.csv'],
  syncReassignGroups: ['agents.sync.csv'],
  syncLost: [1],
  then: ['fix agents.errors.csv', 'ciopulse-contacts import agents.errors.csv'],
};

const INPUT_SAMPLES: FlatSamples<typeof INPUT_ERRORS> = {
  fromStdin: [],
  notAFile: ['/dev/stdin'],
  empty: ['contacts.csv'],
  notCsv: ['contacts.csv', INPUT_ERRORS.looksLike.xlsx()],
  looksLike: { xlsx: [], xls: [], pdf: [], nulBytes: [], nulCharacters: [], markup: [], json: [] },
  noHeaderRow: ['contacts.csv', 64],
  notUtf8: [
    'contacts.csv',
    7,
    INPUT_ERRORS.badByte('E9', '"Jos\u00e9"', 'windows-1252'),
    INPUT_ERRORS.legacyEncoding['windows-1252'](),
  ],
  cutCharacter: [],
  badByte: ['E9', '"José"', 'windows-1252'],
  legacyEncoding: { 'windows-1252': [], macintosh: [] },
  notUtf16: ['contacts.csv', 12, 'UTF-16LE'],
  unclosedQuote: ['contacts.csv', 5],
  swallowingQuote: ['contacts.csv', 5, 1],
  encodingUnknown: ['ascii', ['utf8', 'windows-1252', 'macintosh', 'utf16le', 'utf16be']],
  encodingOfWorkbook: ['contacts.xlsx'],
  sheetOfCsv: ['contacts.csv'],
  noSuchSheet: ['Agents', 'contacts.xlsx', ['Sheet1', 'Leavers']],
  emptySheet: ['contacts.xlsx', 'Sheet1'],
  sheetUnreadable: ['contacts.xlsx', 'Sheet1', 'unexpected end of the XML'],
  mapForm: ['--map "Email"'],
  mapField: [
    '--map "Title=title"',
    'title',
    ['system_id', 'first_name', 'last_name', 'email', 'job_title', 'mobile', 'full_name'],
  ],
  mapColumn: ['--map "Mail=email"', 'contacts.csv', 'Mail', '"Id", "Name", "Email"'],
  twoColumnsOneField: ['contacts.csv line 1', '3 ("Email")', '4 ("E-mail")', 'email', "--map 'E-mail='"],
  fullNameAndPart: ['contacts.csv line 1', '2 ("Name")', '3 ("First Name")', 'first_name', "--map 'First Name='"],
  noColumn: ['contacts.csv line 1', 'system_id', '"Customer ID", "Name", "Email"', "--map 'Customer ID=system_id'"],
  outputIsInput: ['results file contacts.csv', 'contacts.csv'],
  sameOutput: ['errors file out.csv', 'results file out.csv'],
};

/** One table of docs/MESSAGES.md: a module's words, a sample for each. */
export interface Section {
  title: string;
  words: object;
  samples: object;
}

function section<T extends object>(title: string, words: T, samples: FlatSamples<T>): Section {
  return { title, words, samples };
}

/** The superseded words stay in run/supersede.ts (one module for that rule); listed from there. */
const SUPERSEDED_WORDS = { note: () => SUPERSEDED_NOTE, detail: supersededDetail };

export const DETAIL_SECTIONS: readonly Section[] = [
  section('Row details', ROW_DETAILS, DETAIL_SAMPLES),
  section('Superseded (from src/run/supersede.ts, with the rest of that rule)', SUPERSEDED_WORDS, {
    note: [],
    detail: [{ seq: 11, line: 12 }, 'email_taken: 422 Another Contact already has this email address', 'csv'],
  }),
];

export const WHOLE_RUN_SECTIONS: readonly Section[] = [
  section('Why a run stopped', RUN_STOPS, STOP_SAMPLES),
  section('Answers that end a command or a run', ANSWER_ERRORS, ANSWER_SAMPLES),
  section('Not the API: why', NOT_THE_API_WHY, NOT_THE_API_SAMPLES),
  section('The credential check', CREDENTIAL_CHECK, CHECK_SAMPLES),
  section('Connection settings', SETTINGS_ERRORS, SETTINGS_SAMPLES),
  section('Files and flags', FILE_ERRORS, FILE_SAMPLES),
  section('The input file as a whole: CSV, workbook, header, --map, outputs', INPUT_ERRORS, INPUT_SAMPLES),
  section("An export's listing that did not arrive whole", LISTING_ERRORS, LISTING_SAMPLES),
  section('Sync: its guards, flags and state file', SYNC_ERRORS, SYNC_SAMPLES),
  section('Hints', HINTS, HINT_SAMPLES),
];

export const NEXT_STEP_SECTIONS: readonly Section[] = [section('Next:', NEXT_STEPS, NEXT_STEP_SAMPLES)];

export const CLI_SECTIONS: readonly Section[] = [
  section('Usage errors', USAGE_ERRORS, USAGE_SAMPLES),
  section('Hints of the command line', CLI_HINTS, CLI_HINT_SAMPLES),
  section('check', CHECK_LINES, CHECK_LINE_SAMPLES),
  section('Questions and lines around a run', CLI_LINES, CLI_LINE_SAMPLES),
];
