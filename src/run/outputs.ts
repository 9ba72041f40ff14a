/**
 * A run's output files, settled before the input is read (README, "Default paths"): where
 * each goes, that none is the input or another output, and how a FIFO or a device is written.
 *
 * A results or errors file that is not a regular file (a FIFO, `/dev/stdout`) cannot be read back
 * for the final rewrite, and nothing may be created beside it. So the run writes it to a private
 * temporary folder (mode 700) and copies it into the target at the end, straight; it gets no
 * journal and no lock, so such a run cannot be resumed.
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { isWorkbookFile } from '../csv/read.js';
import { pipeline } from 'node:stream/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileError } from '../errors.js';
import { isSpecialFile, refuseSameFiles, type NamedFile } from '../csv/targets.js';
import { resolveErrorsPath, resolveJournalPath, resolveResultsPath, type RunMode } from './paths.js';
import { writeFailure } from '../errno.js';
import { HINTS } from '../error-messages.js';

export interface RunOutputs {
  /** Where the user sees them (the summary names these). */
  resultsPath: string;
  errorsPath: string;
  /** Undefined when the results go to a FIFO or a device: nothing is created beside it. */
  journalPath: string | undefined;
  /** Whether a lock file may be created beside the results. */
  lockable: boolean;
  /** Where the sink writes: the paths above, or private temporary files for a FIFO or a device. */
  sinkResultsPath: string;
  sinkErrorsPath: string;
  /** Whether the errors file is a file of ours that may be removed when the run has no error rows. */
  errorsRemovable: boolean;
  /** Copies staged files into a FIFO or device target; throws a FileError naming the target. */
  deliver(): Promise<void>;
  /** Removes the private temporary folder. */
  dispose(): void;
}

/** A workbook or CSV, known before the input is read; a pipe or a missing file is refused by openCsv later. */
export async function inputFormat(input: string): Promise<'csv' | 'xlsx'> {
  let regular: boolean;
  try {
    regular = statSync(input).isFile();
  } catch {
    regular = false;
  }
  return regular && (await isWorkbookFile(input)) ? 'xlsx' : 'csv';
}

export function resolveRunOutputs(spec: {
  mode: RunMode;
  input: string;
  /** The input's format: a workbook's results are a workbook too. */
  format: 'csv' | 'xlsx';
  results: string | undefined;
  errors: string | undefined;
  sending: boolean;
  resume: boolean;
  /** More files the run or its caller writes (the undo files, the report). */
  others: readonly NamedFile[];
}): RunOutputs {
  const resultsPath = resolveResultsPath(spec.input, spec.mode, spec.results, spec.format);
  const errorsPath = resolveErrorsPath(resultsPath, spec.errors);
  refuseSameFiles({ label: 'the input', path: spec.input }, [
    { label: 'the results file', path: resultsPath },
    { label: 'the errors file', path: errorsPath },
    ...spec.others,
  ]);
  const resultsSpecial = isSpecialFile(resultsPath);
  const errorsSpecial = isSpecialFile(errorsPath);
  if (resultsSpecial && spec.resume)
    throw new FileError(
      `cannot resume into ${resultsPath}: it is not a regular file, so no earlier run was kept there`,
      {
        file: resultsPath,
      },
    );
  let folder: string | undefined;
  const staged = (name: string): string => {
    folder ??= mkdtempSync(join(tmpdir(), 'ciopulse-run-'));
    return join(folder, name);
  };
  const sinkResultsPath = resultsSpecial ? staged('results.csv') : resultsPath;
  const sinkErrorsPath = errorsSpecial ? staged('errors.csv') : errorsPath;
  return {
    resultsPath,
    errorsPath,
    journalPath: spec.sending && !resultsSpecial ? resolveJournalPath(resultsPath) : undefined,
    lockable: !resultsSpecial,
    sinkResultsPath,
    sinkErrorsPath,
    errorsRemovable: !errorsSpecial,
    async deliver() {
      if (resultsSpecial) await copyStraight(sinkResultsPath, resultsPath);
      if (errorsSpecial) await copyStraight(sinkErrorsPath, errorsPath);
    },
    dispose() {
      if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** Writes a staged file into a FIFO or a device; a failed write (a full device) is never success. */
async function copyStraight(from: string, to: string): Promise<void> {
  try {
    await pipeline(createReadStream(from), createWriteStream(to, { flags: 'w' }));
  } catch (error) {
    throw writeFailure(to, error);
  }
}

/** What to do about a results or errors file that could not be written; resume only when a journal can. */
export function writeFailedHint(error: FileError, journalPath: string | undefined): string {
  return HINTS.writeFailed(/ENOSPC|EDQUOT/.test(error.message), journalPath !== undefined);
}
