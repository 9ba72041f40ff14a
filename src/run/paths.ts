/**
 * Where a run's files go (README, "Default paths"): beside the input, named after its stem,
 * so a dry run or a plan never overwrites a real run's results.
 */
import { basename, dirname, extname, join } from 'node:path';

export type RunMode = 'import' | 'dry-run' | 'plan' | 'delete' | 'delete-dry-run' | 'sync' | 'sync-plan';

const SUFFIX: Record<RunMode, string> = {
  import: 'results',
  'dry-run': 'dryrun',
  plan: 'plan',
  // A delete of the same file must never pick up an import's results (or --resume them).
  delete: 'delete',
  'delete-dry-run': 'delete-dryrun',
  sync: 'sync',
  'sync-plan': 'sync-plan',
};

export function inputStem(input: string): string {
  return join(dirname(input), basename(input, extname(input)));
}

/**
 * An errors file this tool wrote (`contacts.results.errors.csv`), imported again after fixing:
 * its run is named `contacts.retry-1`, the next one `contacts.retry-2`, so names never pile up
 * (`contacts.results.errors.results.errors.csv`) and no run writes over the file it reads.
 */
const ERRORS_FILE = /^(.+?)(?:\.retry-(\d+))?\.(?:results|dryrun|plan|delete|delete-dryrun|sync|sync-plan)\.errors$/i;

function runStem(input: string): string {
  const stem = inputStem(input);
  const match = ERRORS_FILE.exec(basename(stem));
  if (match === null) return stem;
  return join(dirname(stem), `${match[1] ?? ''}.retry-${Number(match[2] ?? 0) + 1}`);
}

/** An .xlsx input gets .xlsx results by default; an explicit path's extension chooses (README, ".xlsx round trips"). */
export function resolveResultsPath(
  input: string,
  mode: RunMode,
  explicit?: string,
  format: 'csv' | 'xlsx' = 'csv',
): string {
  return explicit ?? `${runStem(input)}.${SUFFIX[mode]}.${format}`;
}

/** The results path with `.csv` replaced by `.errors.csv`, or `.xlsx` by `.errors.xlsx`. */
export function resolveErrorsPath(resultsPath: string, explicit?: string): string {
  if (explicit !== undefined) return explicit;
  const ext = /\.(csv|xlsx)$/i.exec(resultsPath);
  return ext === null
    ? `${resultsPath}.errors.csv`
    : `${resultsPath.slice(0, -ext[0].length)}.errors.${(ext[1] ?? 'csv').toLowerCase()}`;
}

export function resolveJournalPath(resultsPath: string): string {
  return `${resultsPath}.journal`;
}
