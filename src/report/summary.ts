/**
 * The end-of-run summary: counts per status, time and speed, the most common errors grouped by
 * code, the files, and the next command to run. `formatSummary` returns text; the CLI prints it.
 */
import { relative } from 'node:path';
import { createStyles, type Styles } from './styles.js';
import { resolveResultsPath } from '../import/paths.js';
import { STATUSES, type RowStatus } from '../import/results.js';
import type { RunSummary } from '../import/pipeline.js';

const BAD: ReadonlySet<RowStatus> = new Set(['invalid', 'failed', 'uncertain', 'would-fail']);

function display(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') || rel === '' ? path : rel;
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms / 1000)} s`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function truncate(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

/** The command that carries on from here, or undefined when nothing is left to do. */
export function nextCommand(summary: RunSummary): string | undefined {
  const verb = summary.mode.startsWith('delete') ? 'delete' : 'import';
  // A resume must find this run's results, so name them when they are not in the default place.
  const results = summary.resultsPath === resolveResultsPath(summary.input, summary.mode) ? '' : ` --results ${display(summary.resultsPath)}`;
  // Only a run that left a journal has anything to resume (one stopped at the credential check has not).
  const resumable = summary.journalPath !== undefined;
  if (summary.stopped !== undefined && summary.stopped.reason !== 'auth' && summary.mode !== 'dry-run' && resumable) {
    return `ciopulse-contacts ${verb} ${display(summary.input)} --resume${results}`;
  }
  if (summary.stopped?.reason === 'auth') return `fix the credentials, then: ciopulse-contacts ${verb} ${display(summary.input)}${resumable ? ` --resume${results}` : ''}`;
  if (summary.stopped !== undefined && !resumable) return undefined;
  const bad = summary.counts.invalid + summary.counts.failed + summary.counts.uncertain + summary.counts['would-fail'];
  const preview = summary.mode === 'dry-run' || summary.mode === 'plan' || summary.mode === 'delete-dry-run';
  if (preview) {
    const run = `ciopulse-contacts ${verb} ${display(summary.input)}`;
    return bad > 0 ? `fix the rows listed in ${display(summary.errorsPath)} in ${display(summary.input)}, then: ${run}` : run;
  }
  if (bad > 0) return `fix ${display(summary.errorsPath)}, then: ciopulse-contacts ${verb} ${display(summary.errorsPath)}`;
  return undefined;
}

export function formatSummary(summary: RunSummary, styles: Styles = createStyles(false)): string {
  const s = styles;
  const lines: string[] = [];
  const title = { import: 'import', 'dry-run': 'dry run', plan: 'plan', delete: 'delete', 'delete-dry-run': 'delete (dry run)' }[summary.mode];
  lines.push(s.bold(`${title} of ${display(summary.input)}`));
  const width = Math.max(...STATUSES.map((st) => st.length));
  for (const status of STATUSES) {
    const count = summary.counts[status];
    if (count === 0) continue;
    const label = status.padEnd(width);
    const paint = BAD.has(status) ? s.red : status === 'skipped' || status === 'superseded' ? s.yellow : s.green;
    lines.push(`  ${paint(label)}  ${String(count).padStart(8)}`);
  }
  const extras = [
    summary.retries > 0 ? `${summary.retries} retries` : undefined,
    summary.reused > 0 ? `${summary.reused} answered in the earlier run` : undefined,
    summary.warnings > 0 ? `${plural(summary.warnings, 'warning')} (see detail)` : undefined,
  ].filter((x) => x !== undefined);
  lines.push(
    `  ${'rows'.padEnd(width)}  ${String(summary.rows).padStart(8)}  in ${seconds(summary.elapsedMs)}, ${Math.round(summary.rowsPerSecond).toLocaleString('en-US')} rows/s${extras.length > 0 ? `, ${extras.join(', ')}` : ''}`,
  );
  if (summary.errorGroups.length > 0) {
    lines.push('', s.bold('Most common errors'));
    const codeWidth = Math.max(...summary.errorGroups.slice(0, 8).map((g) => g.code.length));
    for (const group of summary.errorGroups.slice(0, 8)) {
      const rows = plural(group.count, 'row');
      lines.push(`  ${s.red(group.code.padEnd(codeWidth))}  ${rows.padStart(10)}  ${s.dim(truncate(`first at line ${group.firstLine}: ${group.example}`, 90))}`);
    }
    if (summary.errorGroups.length > 8) lines.push(s.dim(`  … and ${summary.errorGroups.length - 8} more kinds; see the errors file`));
  }
  if (summary.stopped !== undefined) {
    lines.push('', `${s.red('stopped:')} ${summary.stopped.message}`);
    if (summary.stopped.hint !== undefined) lines.push(`${s.dim('hint:')} ${summary.stopped.hint}`);
  }
  lines.push('', `Results: ${display(summary.resultsPath)}`);
  const bad = summary.counts.invalid + summary.counts.failed + summary.counts.uncertain + summary.counts['would-fail'];
  const again = summary.mode.startsWith('delete') ? 'run again' : 'import again';
  if (bad > 0) lines.push(`Errors:  ${display(summary.errorsPath)} (${plural(bad, 'row')}, ready to fix and ${again})`);
  if (summary.unmappedColumns.length > 0) {
    lines.push(`${s.yellow('Not sent:')} ${summary.unmappedColumns.map((c) => `"${c}"`).join(', ')} (no field; kept in the results; --map "<header>=<field>" sends one)`);
  }
  if (summary.journalPath !== undefined) lines.push(`Journal: ${display(summary.journalPath)} (kept for --resume)`);
  if (summary.backup !== undefined) {
    lines.push(`Backup:  ${display(summary.backup.backupPath)} (${summary.backup.updated} contacts as they were; import it with --empty null to undo the updates)`);
    lines.push(`Created: ${display(summary.backup.createdPath)} (${summary.backup.created} new system_ids; delete them to undo the creates)`);
  }
  const next = nextCommand(summary);
  if (next !== undefined) lines.push(`Next:    ${next}`);
  return `${lines.join('\n')}\n`;
}

/** `--json`: the summary as data; paths stay as given. */
export function summaryToJson(summary: RunSummary): string {
  return `${JSON.stringify({ ...summary, next: nextCommand(summary) ?? null }, null, 2)}\n`;
}
