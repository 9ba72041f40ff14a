/**
 * The end-of-run summary: counts per status, time and speed, the most common errors grouped by
 * code, the files, and the next command to run. `formatSummary` returns text; the CLI prints it.
 */
import { lineWord } from '../csv/source.js';
import { DEFAULT_RERUN, displayPath as display, rerunCommand, type Rerun, type RunVerb } from '../shell.js';
import { createStyles, type Styles } from './styles.js';
import { resolveResultsPath } from '../run/paths.js';
import { BAD_STATUSES, countBad, STATUSES } from '../run/statuses.js';
import { cannotCreate } from '../contact/fields.js';
import type { RunSummary } from '../run/run-types.js';
import { SYNC_ERRORS } from '../error-messages.js';
import { NEXT_STEPS, plural } from './words.js';

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms / 1000)} s`;
}

function truncate(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

/** What to do next: something to do by hand first (`advice`), then a command that can be pasted. */
export interface NextStep {
  advice: string | undefined;
  command: string;
}

function rowsWithCode(summary: RunSummary, code: string): number {
  return summary.errorGroups.filter((g) => g.code === code).reduce((n, g) => n + g.count, 0);
}

/** `--resume` and, when this run's results are not in the default place, where they are. */
function resumeArgs(summary: RunSummary, rerun: Rerun): string[] {
  const results =
    summary.resultsPath === resolveResultsPath(summary.input, summary.mode, undefined, summary.format)
      ? []
      : ['--results', display(summary.resultsPath)];
  return ['--resume', ...results, ...(rerun.resumeFlags ?? [])];
}

/**
 * After a real run with bad rows. A delete's `not_found` rows need nothing (the contact is gone),
 * and its `protected_contact` rows need the support group reassigned in the Portal, not a fix in
 * the file; only the rest get "fix the errors file". An `uncertain` row's answer was lost: there
 * is nothing to fix, and sending it again is safe (a PUT is an upsert, API document), so when those
 * are the only bad rows the advice is `--resume`, which sends exactly them again.
 */
function afterBadRows(
  summary: RunSummary,
  command: (input: string, extra?: readonly string[], ownFile?: boolean) => string,
  rerun: Rerun,
): NextStep | undefined {
  const errors = display(summary.errorsPath);
  const uncertain = summary.counts.uncertain;
  const isDelete = summary.mode.startsWith('delete');
  // Rows that were not there are gone either way, so a second run may count them as deleted.
  const ignore = !isDelete || rerun.flags.includes('--ignore-missing') ? [] : ['--ignore-missing'];
  const notFound = isDelete ? rowsWithCode(summary, 'not_found') : 0;
  const guarded = isDelete ? rowsWithCode(summary, 'protected_contact') : 0;
  // Uncertain rows are bad, but there is nothing in them to fix.
  const toFix = countBad(summary.counts) - uncertain - notFound - guarded;
  const uncertainNote = NEXT_STEPS.alsoUncertain(uncertain);
  // The errors file is the tool's own, written in UTF-8: no --encoding for it.
  if (toFix > 0)
    return { advice: NEXT_STEPS.fixErrors(errors, uncertainNote), command: command(summary.errorsPath, ignore, true) };
  if (guarded > 0)
    return {
      advice: NEXT_STEPS.reassignGroups(errors, uncertainNote),
      command: command(summary.errorsPath, ignore, true),
    };
  if (uncertain > 0) {
    return {
      advice: NEXT_STEPS.resendLost(uncertain, isDelete),
      command: command(summary.input, [...resumeArgs(summary, rerun), ...ignore]),
    };
  }
  return undefined;
}

/** The command a mode belongs to. */
export function verbOf(mode: RunSummary['mode']): RunVerb {
  return mode.startsWith('delete') ? 'delete' : mode.startsWith('sync') ? 'sync' : 'import';
}

/** What to do by hand before a stopped run can go on; undefined: nothing (a signal, a server back up). */
const STOP_ADVICE: Partial<Record<NonNullable<RunSummary['stopped']>['reason'], () => string>> = NEXT_STEPS.stopped;

/**
 * `--plan`'s next command: with `--changed-only` when that sends fewer requests than a plain
 * import (its PUTs plus one GET all, against one PUT for every valid row). An ordinary import never
 * suggests it: knowing what changed took this plan's GET all.
 */
function changedOnlySaves(summary: RunSummary): boolean {
  const changed = summary.changedOnlyRequests;
  return summary.mode === 'plan' && changed !== undefined && changed + 1 < summary.rows - summary.counts.invalid;
}

function planFlags(summary: RunSummary, rerun: Rerun): string[] {
  return changedOnlySaves(summary) && !rerun.flags.includes('--changed-only') ? ['--changed-only'] : [];
}

/** The step that carries on from here, or undefined when nothing is left to do. */
export function nextCommand(summary: RunSummary, rerun: Rerun = DEFAULT_RERUN): NextStep | undefined {
  const verb = verbOf(summary.mode);
  const command = (input: string, extra: readonly string[] = [], ownFile = false): string =>
    rerunCommand(rerun, verb, input, extra, { ownFile });
  if (
    summary.stopped !== undefined &&
    summary.mode !== 'dry-run' &&
    summary.mode !== 'delete-dry-run' &&
    summary.mode !== 'plan' &&
    summary.mode !== 'sync-plan'
  ) {
    // Without a journal (stopped at the credential check) nothing was sent: the same command again.
    // With one, the rows before the stop have answers, so a resume sends only the rest.
    // A sync needs no --resume: it starts again from one GET all, and rows already applied are unchanged.
    const again =
      summary.journalPath === undefined || verbOf(summary.mode) === 'sync' ? [] : resumeArgs(summary, rerun);
    return { advice: STOP_ADVICE[summary.stopped.reason]?.(), command: command(summary.input, again) };
  }
  if (summary.rows === 0) return undefined;
  const preview =
    summary.mode === 'dry-run' ||
    summary.mode === 'plan' ||
    summary.mode === 'delete-dry-run' ||
    summary.mode === 'sync-plan';
  if (preview) {
    const missing = summary.missingForCreate ?? [];
    const advice =
      [
        countBad(summary.counts) > 0
          ? NEXT_STEPS.fixListedRows(display(summary.errorsPath), display(summary.input))
          : '',
        missing.length > 0 ? NEXT_STEPS.mapForCreate(missing) : '',
      ]
        .filter((a) => a !== '')
        .join('; ') || undefined;
    return { advice, command: command(summary.input, planFlags(summary, rerun)) };
  }
  if (summary.mode === 'sync') return afterSync(summary, command);
  return countBad(summary.counts) > 0 ? afterBadRows(summary, command, rerun) : undefined;
}

/**
 * After a sync: the file is rebuilt from the helpdesk, so rows are fixed there, not in an errors
 * file, and the same command runs again (it sends only what still differs).
 */
function afterSync(summary: RunSummary, command: (input: string) => string): NextStep | undefined {
  const refused = summary.counts['delete-refused'];
  const uncertain = summary.counts.uncertain;
  const bad = countBad(summary.counts) - refused - uncertain;
  if (bad + refused + uncertain === 0) return undefined;
  const advice = [
    bad > 0 ? NEXT_STEPS.syncFixAtSource(bad, display(summary.errorsPath)) : undefined,
    refused > 0 ? NEXT_STEPS.syncReassignGroups(display(summary.resultsPath)) : undefined,
    uncertain > 0 ? NEXT_STEPS.syncLost(uncertain) : undefined,
  ].filter((part) => part !== undefined);
  return { advice: advice.join('; '), command: command(summary.input) };
}

/**
 * One line per error or warning code: count, first line, example. Cut to the terminal's width
 * only on a terminal; in a file or a pipe the whole line is kept (README, "Results and errors files").
 */
function groupLines(
  groups: readonly { code: string; count: number; firstLine: number; example: string }[],
  paint: (text: string) => string,
  s: Styles,
  width: number | undefined,
  lineWord: 'line' | 'row',
): string[] {
  const codeWidth = Math.max(...groups.map((g) => g.code.length));
  const room = width === undefined ? undefined : Math.max(30, width - codeWidth - 16);
  return groups.map((group) => {
    const example = `first at ${lineWord} ${group.firstLine}: ${group.example}`;
    return `  ${paint(group.code.padEnd(codeWidth))}  ${plural(group.count, 'row').padStart(10)}  ${s.dim(room === undefined ? example : truncate(example, room))}`;
  });
}

/** One line: "fix X, then: <command>", or the command alone. */
export function formatNextStep(next: NextStep): string {
  return next.advice === undefined ? next.command : NEXT_STEPS.then(next.advice, next.command);
}

export function formatSummary(
  summary: RunSummary,
  styles: Styles = createStyles(false),
  rerun: Rerun = DEFAULT_RERUN,
  options: { width?: number; next?: boolean } = {},
): string {
  const s = styles;
  const lines: string[] = [];
  const title = {
    import: 'import',
    'dry-run': 'dry run',
    plan: 'plan',
    delete: 'delete',
    'delete-dry-run': 'delete (dry run)',
    sync: 'sync',
    'sync-plan': 'sync plan',
  }[summary.mode];
  lines.push(s.bold(`${title} of ${display(summary.input)}`));
  const width = Math.max(...STATUSES.map((st) => st.length));
  for (const status of STATUSES) {
    const count = summary.counts[status];
    if (count === 0) continue;
    const label = status.padEnd(width);
    const paint = BAD_STATUSES.has(status)
      ? s.red
      : status === 'skipped' || status === 'superseded'
        ? s.yellow
        : s.green;
    lines.push(`  ${paint(label)}  ${String(count).padStart(8)}`);
  }
  const extras = [
    summary.retries > 0 ? `${summary.retries} retries` : undefined,
    summary.reused > 0 ? `${summary.reused} answered in the earlier run` : undefined,
    summary.warnings > 0 ? `${plural(summary.warnings, 'warning')} (see detail)` : undefined,
  ].filter((x) => x !== undefined);
  if (summary.rows === 0) {
    lines.push(`  no rows: ${display(summary.input)} holds a header and nothing else`);
  } else {
    lines.push(
      `  ${'rows'.padEnd(width)}  ${String(summary.rows).padStart(8)}  in ${seconds(summary.elapsedMs)}, ${Math.round(summary.rowsPerSecond).toLocaleString('en-US')} rows/s${extras.length > 0 ? `, ${extras.join(', ')}` : ''}`,
    );
  }
  if (summary.errorGroups.length > 0) {
    lines.push('', s.bold('Most common errors'));
    lines.push(...groupLines(summary.errorGroups.slice(0, 8), s.red, s, options.width, lineWord(summary.format)));
    if (summary.errorGroups.length > 8)
      lines.push(s.dim(`  … and ${summary.errorGroups.length - 8} more kinds; see the errors file`));
  }
  if (summary.warningGroups.length > 0) {
    // Warned rows are sent (or would be): say so, so "no errors" never reads as "nothing to check".
    lines.push('', s.bold('Warnings (rows sent as they are; see detail in the results)'));
    lines.push(...groupLines(summary.warningGroups, s.yellow, s, options.width, lineWord(summary.format)));
  }
  if (summary.resultsWritten === false) {
    // Stopped before any answer: an earlier run's files at these paths are the record that counts.
    lines.push('', `Results: none written; nothing was sent, so ${display(summary.resultsPath)} was left as it was`);
    return `${lines.join('\n')}\n`;
  }
  lines.push('', `Results: ${display(summary.resultsPath)}`);
  const bad = countBad(summary.counts);
  const again = summary.mode.startsWith('delete') ? 'run again' : 'import again';
  const deleteRows = summary.counts.deleted + summary.counts['would-delete'] + summary.counts['delete-refused'];
  if (summary.mode.startsWith('sync') && deleteRows > 0)
    lines.push(
      `Deletes: ${plural(deleteRows, 'row')} after the input's rows, one per contact the file no longer lists`,
    );
  if (bad > 0) lines.push(`Errors:  ${display(summary.errorsPath)} (${plural(bad, 'row')}, ready to fix and ${again})`);
  else if (summary.rows > 0) lines.push('Errors:  none, so no errors file was written');
  if (summary.missingForCreate !== undefined && summary.missingForCreate.length > 0) {
    lines.push(`${s.yellow('Cannot create:')} ${cannotCreate(summary.missingForCreate)}`);
  }
  if (summary.unmappedColumns.length > 0) {
    lines.push(
      `${s.yellow('Not sent:')} ${summary.unmappedColumns.map((c) => (/^column \d+ \(no header\)$/.test(c) ? c : `"${c}"`)).join(', ')} (no field; kept in the results; --map '<header>=<field>' sends one)`,
    );
  }
  if (summary.keptEmptyRows !== undefined && summary.keptEmptyRows > 0) {
    const rows = summary.keptEmptyRows === 1 ? '1 row has' : `${summary.keptEmptyRows} rows have`;
    lines.push(
      `${s.yellow('Kept:')}    ${rows} empty cells over values the API holds; the values were kept (--empty null clears them; see detail)`,
    );
  }
  if (summary.changedOnlyRequests !== undefined) {
    const sent = summary.changedOnlyRequests;
    // The command to paste is the Next: line, which carries this run's flags and the launcher.
    const saves = changedOnlySaves(summary) ? 'Next: uses it' : 'a plain import sends as few';
    lines.push(
      `Changed only: --changed-only would send ${plural(sent, 'PUT')} for ${plural(summary.rows, 'row')} (plus one GET all); ${saves}`,
    );
  }
  if (summary.journalPath !== undefined) lines.push(`Journal: ${display(summary.journalPath)} (kept for --resume)`);
  if (summary.backup !== undefined) {
    lines.push(
      `Backup:  ${display(summary.backup.backupPath)} (${summary.backup.updated + (summary.backup.deleted ?? 0)} contacts as they were; import it with --empty null to undo the updates${summary.backup.deleted === undefined ? '' : ' and deletes'})`,
    );
    lines.push(
      `Created: ${display(summary.backup.createdPath)} (${summary.backup.created} new system_ids; delete them to undo the creates)`,
    );
  }
  if (summary.sync !== undefined) {
    const { sync } = summary;
    const deletes = sync.deleteMissing ? '' : '; deletes are off (--delete-missing)';
    lines.push(
      `State:   ${display(sync.statePath)} (owns ${plural(sync.owned, 'system_id')}; scope ${sync.scope}: ${plural(sync.scopeSize, 'contact')}${deletes})`,
    );
    if (sync.wouldRefuse !== undefined)
      lines.push(`${s.red('Refused:')} ${SYNC_ERRORS.wouldBeRefused(sync.wouldRefuse)}`);
  }
  // `next: false`: the caller says what comes next itself (the demo, whose emulator is gone when it exits).
  const next = options.next === false ? undefined : nextCommand(summary, rerun);
  if (next !== undefined) lines.push(`Next:    ${formatNextStep(next)}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Why the run stopped, for stderr: diagnostics go there, so that they are seen even when stdout
 * (the summary) is redirected to a file.
 */
export function formatStopped(summary: RunSummary, styles: Styles = createStyles(false)): string {
  if (summary.stopped === undefined) return '';
  const hint = summary.stopped.hint === undefined ? '' : `${styles.dim('hint:')} ${summary.stopped.hint}\n`;
  return `${styles.red('stopped:')} ${summary.stopped.message}\n${hint}`;
}

/** `--json`: the summary as data; paths stay as given. */
export function summaryToJson(summary: RunSummary, rerun: Rerun = DEFAULT_RERUN): string {
  const next = nextCommand(summary, rerun);
  // JSON.stringify drops undefined: a script reading the summary gets every key, null when it does not apply.
  return `${JSON.stringify(
    {
      ...summary,
      journalPath: summary.journalPath ?? null,
      stopped: summary.stopped ?? null,
      keptEmptyRows: summary.keptEmptyRows ?? null,
      changedOnlyRequests: summary.changedOnlyRequests ?? null,
      next: next === undefined ? null : { advice: next.advice ?? null, command: next.command },
    },
    null,
    2,
  )}\n`;
}
