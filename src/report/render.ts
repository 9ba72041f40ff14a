/**
 * Rendering the HTML report's sections from collected data. Every value from the input is
 * untrusted: each goes through escapeHtml here, or reaches the page as JSON data that the page's
 * script renders with textContent only.
 */
import type { RunSummary } from '../run/run-types.js';
import { countBad } from '../run/statuses.js';
import type { CodeGroup, CollectedReport } from './collect.js';
import type { NextStep } from './summary.js';
import { DASH, duration, escapeHtml, localTime, num, percent, plural, statusClass } from './html-text.js';
import { CODE_TITLES, isKnownStatus, REPORT_STATUSES, STATUS_NOTES, titleOf, WARNING_TITLES } from './words.js';

export interface RenderInput {
  summary: RunSummary;
  data: CollectedReport;
  next: NextStep | undefined;
  /** Rows with empty cells over values the API holds (kept, since `--empty omit`). */
  keptEmpty: number | undefined;
  generatedAt: Date;
}

/** Rows that did not end well: the verdict counts these. */

// ───────────────────────────── counting ─────────────────────────────

function orderedStatuses(counts: ReadonlyMap<string, number>): { status: string; count: number }[] {
  const known = REPORT_STATUSES.filter((s) => (counts.get(s) ?? 0) > 0).map((status) => ({
    status,
    count: counts.get(status) ?? 0,
  }));
  const other = [...counts]
    .filter(([s, n]) => !isKnownStatus(s) && n > 0)
    .map(([status, count]) => ({ status, count }));
  return [...known, ...other];
}

function count(data: CollectedReport, status: string): number {
  return data.counts.get(status) ?? 0;
}

export function badRows(data: CollectedReport): number {
  return countBad(data.counts);
}

function listOf(data: CollectedReport, statuses: readonly string[]): string {
  const parts = statuses.filter((s) => count(data, s) > 0).map((s) => `${num(count(data, s))} ${s}`);
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} and ${parts.at(-1) ?? ''}`;
}

/** "2,005 rows have warnings (not_a_mobile)", or a plain count when the rows carry no codes. */
function warningsLine(input: RenderInput): string | undefined {
  const { data, summary } = input;
  if (data.warnedRows > 0) {
    const codes = [...data.warningGroups.values()].sort((a, b) => b.rows - a.rows).map((g) => g.code);
    return `${plural(data.warnedRows, 'row')} ${data.warnedRows === 1 ? 'has' : 'have'} warnings (${codes.join(', ')}): see "Warnings by kind".`;
  }
  if (summary.warnings > 0) return `${plural(summary.warnings, 'warning')}: see the detail column of the results.`;
  return undefined;
}

// ───────────────────────────── sections ─────────────────────────────

interface Verdict {
  tone: 'good' | 'bad' | 'warn';
  title: string;
  body: string;
}

function verdictOf(summary: RunSummary, data: CollectedReport): Verdict {
  const total = data.rows;
  const bad = badRows(data);
  const mode = summary.mode;
  if (total === 0) {
    return {
      tone: 'warn',
      title: 'The run has no rows',
      body: 'The input had a header but no data rows, or the run stopped before the first row.',
    };
  }
  if (mode === 'dry-run' || mode === 'delete-dry-run') {
    const verb = mode === 'dry-run' ? 'would be sent' : 'would be deleted';
    const title =
      bad > 0
        ? `${num(bad)} of ${plural(total, 'row')} failed validation`
        : `All ${plural(total, 'row')} passed validation`;
    return {
      tone: bad > 0 ? 'bad' : 'good',
      title,
      body: `${num(count(data, 'valid'))} ${verb}. This was a dry run: nothing was sent to the API.`,
    };
  }
  if (mode === 'plan' || mode === 'sync-plan') {
    const title =
      bad > 0 ? `${num(bad)} of ${plural(total, 'row')} would fail` : `All ${plural(total, 'row')} would succeed`;
    const outlook = listOf(data, [
      'would-create',
      'would-update',
      'unchanged',
      'would-delete',
      'would-fail',
      'invalid',
      'filtered',
    ]);
    const body = `Predicted against the API's current data: ${outlook === '' ? 'no rows' : outlook}. This was a plan: nothing was written to the API.`;
    return { tone: bad > 0 ? 'bad' : 'good', title, body };
  }
  const done = mode === 'delete' ? 'deleted' : mode === 'sync' ? 'synced' : 'imported';
  const uncertain = count(data, 'uncertain');
  // An uncertain row is bad (it may not have landed) but not "not done": it may have been applied.
  const notDone = bad - uncertain + count(data, 'skipped');
  const tone = bad > 0 ? 'bad' : notDone + uncertain > 0 || summary.stopped !== undefined ? 'warn' : 'good';
  let title =
    notDone > 0
      ? `${num(notDone)} of ${plural(total, 'row')} ${notDone === 1 ? 'was' : 'were'} not ${done}`
      : `All ${plural(total, 'row')} ${done}`;
  if (uncertain > 0)
    title =
      notDone > 0 ? `${title}; ${num(uncertain)} uncertain` : `${num(uncertain)} of ${plural(total, 'row')} uncertain`;
  const good = listOf(data, ['created', 'updated', 'deleted', 'unchanged', 'filtered']);
  let body = good === '' ? `No row was ${done}.` : `Ended well: ${good}.`;
  const tail = listOf(data, ['invalid', 'failed', 'uncertain', 'delete-refused', 'superseded', 'skipped']);
  if (tail !== '') body += ` Needing attention: ${tail}.`;
  return { tone, title, body };
}

function renderNext(next: NextStep | undefined): string {
  if (next === undefined) return '';
  const command =
    next.command === undefined || next.command === ''
      ? undefined
      : `<code data-next-command>${escapeHtml(next.command)}</code>`;
  const advice =
    next.advice === undefined || next.advice === ''
      ? undefined
      : escapeHtml(next.advice.charAt(0).toUpperCase() + next.advice.slice(1));
  if (command === undefined && advice === undefined) return '';
  const text =
    command === undefined
      ? `${advice ?? ''}.`
      : advice === undefined
        ? `run ${command}`
        : `${advice}, then run ${command}`;
  return `<p class="next"><span>Next step</span> ${text}</p>`;
}

export function renderVerdict(input: RenderInput): string {
  const { summary, data } = input;
  const verdict = verdictOf(summary, data);
  const paragraphs = [`<p>${escapeHtml(verdict.body)}</p>`];
  // Never "all rows would succeed" over warnings without a word about them.
  const warned = warningsLine(input);
  if (warned !== undefined) {
    paragraphs.push(`<p class="also" data-warnings>${escapeHtml(warned)}</p>`);
    if (verdict.tone === 'good') {
      verdict.tone = 'warn';
      verdict.title +=
        data.warnedRows > 0
          ? `, ${num(data.warnedRows)} with warnings`
          : `, with ${plural(summary.warnings, 'warning')}`;
    }
  }
  if (input.keptEmpty !== undefined && input.keptEmpty > 0) {
    const n = input.keptEmpty;
    const kept = summary.mode === 'plan' ? 'would be kept' : 'were kept';
    const text = `${plural(n, 'row')} ${n === 1 ? 'has' : 'have'} empty cells over values the API holds: those values ${kept} (--empty null clears them).`;
    paragraphs.push(`<p class="also" data-kept-empty>${escapeHtml(text)}</p>`);
  }
  const icon = verdict.tone === 'good' ? '✓' : '!';
  return (
    `<section class="verdict verdict-${verdict.tone}" aria-label="Verdict"><div class="verdict-icon" aria-hidden="true">${icon}</div>` +
    `<div class="verdict-text"><h2>${escapeHtml(verdict.title)}</h2>${paragraphs.join('')}${renderNext(input.next)}</div></section>`
  );
}

export function renderStopped(summary: RunSummary): string {
  const stopped = summary.stopped;
  if (stopped === undefined) return '';
  const hint = stopped.hint === undefined ? '' : `<p class="hint">${escapeHtml(stopped.hint)}</p>`;
  return `<section class="notice notice-bad" aria-label="The run stopped"><h2>The run stopped before the end</h2><p>${escapeHtml(stopped.message)}</p>${hint}</section>`;
}

export function renderOutcome(data: CollectedReport, summary: RunSummary): string {
  const total = data.rows;
  const statuses = orderedStatuses(data.counts);
  const stack = statuses
    .map(
      ({ status, count: n }) =>
        `<span class="seg ${statusClass(status)}" style="flex-grow:${n}" title="${escapeHtml(`${status}: ${num(n)}`)}"></span>`,
    )
    .join('');
  const rows = statuses
    .map(({ status, count: n }) => {
      const width = total === 0 ? 0 : Math.max((n / total) * 100, 0.6);
      const note = STATUS_NOTES[status] ?? 'a status this report does not know';
      return (
        `<tr data-status="${escapeHtml(status)}"><th scope="row"><span class="badge ${statusClass(status)}">${escapeHtml(status)}</span></th>` +
        `<td class="bar-cell"><span class="bar"><span class="fill ${statusClass(status)}" style="width:${width.toFixed(2)}%"></span></span></td>` +
        `<td class="num" data-status-count="${escapeHtml(status)}">${num(n)}</td><td class="pct">${percent(n, total)}</td><td class="note">${escapeHtml(note)}</td></tr>`
      );
    })
    .join('');
  const tally = summary.counts as Readonly<Record<string, number | undefined>>;
  const mismatched = REPORT_STATUSES.filter((s) => (tally[s] ?? 0) !== count(data, s));
  const mismatch =
    mismatched.length === 0
      ? ''
      : `<p class="fine warn-text">The run's own tally differs from the rows this report saw for ${escapeHtml(mismatched.join(', '))}; the results file is the record.</p>`;
  const body =
    total === 0
      ? '<p class="empty">No rows.</p>'
      : `<div class="stack" role="img" aria-label="${escapeHtml(statuses.map((s) => `${s.status} ${num(s.count)}`).join(', '))}">${stack}</div><table class="bars"><tbody>${rows}</tbody><tfoot><tr><th scope="row">total</th><td></td><td class="num" data-total-count>${num(total)}</td><td class="pct">100%</td><td></td></tr></tfoot></table>`;
  return `<section class="card" id="outcome"><div class="card-head"><h2>Outcome by status</h2><p class="sub">${plural(total, 'row')}</p></div>${body}${mismatch}</section>`;
}

function sortGroups(groups: ReadonlyMap<string, CodeGroup>): CodeGroup[] {
  return [...groups.values()].sort((a, b) => b.rows - a.rows || a.firstLine - b.firstLine);
}

/** Errors (kind 'c') or warnings (kind 'w') grouped by code, each with example rows; `row` numbers for a workbook. */
export function renderGroups(
  groups: ReadonlyMap<string, CodeGroup>,
  kind: 'c' | 'w',
  lineWord: 'line' | 'row' = 'line',
): string {
  const sorted = sortGroups(groups);
  if (sorted.length === 0) return '';
  const titles = kind === 'c' ? CODE_TITLES : WARNING_TITLES;
  const items = sorted
    .map((g) => {
      const examples = g.examples
        .map(
          (e) =>
            `<tr><td class="num">${num(e.line)}</td><td class="mono nowrap">${escapeHtml(e.systemId) || DASH}</td><td class="nowrap">${escapeHtml(e.column) || DASH}</td><td class="msg">${escapeHtml(e.message)}</td></tr>`,
        )
        .join('');
      const more =
        g.rows > g.examples.length
          ? `first ${num(g.examples.length)} of ${plural(g.rows, 'row')}`
          : plural(g.rows, 'row');
      return (
        `<details class="group group-${kind}" data-${kind === 'c' ? 'code' : 'warning'}="${escapeHtml(g.code)}"><summary><span class="chev" aria-hidden="true"></span><code class="code">${escapeHtml(g.code)}</code>` +
        `<span class="gtitle">${escapeHtml(titleOf(g.code, titles))}</span><span class="gline">first at ${lineWord} ${num(g.firstLine)}</span><span class="gcount"><b data-${kind === 'c' ? 'code' : 'warning'}-count="${escapeHtml(g.code)}">${num(g.rows)}</b><span class="unit">${g.rows === 1 ? 'row' : 'rows'}</span></span></summary>` +
        `<div class="gbody"><table class="mini"><thead><tr><th class="num">${lineWord === 'row' ? 'Row' : 'Line'}</th><th>System ID</th><th>Column</th><th>Message</th></tr></thead><tbody>${examples}</tbody></table>` +
        `<p class="gfoot"><span>${more}</span><button type="button" class="link" data-show-kind="${escapeHtml(`${kind}:${g.code}`)}">Show all in the table ↓</button></p></div></details>`
      );
    })
    .join('');
  const rows = sorted.reduce((n, g) => n + g.rows, 0);
  const [id, heading, note] =
    kind === 'c'
      ? ['errors', 'Errors by kind', '']
      : ['warnings', 'Warnings by kind', ' · these rows were sent all the same'];
  return `<section class="card" id="${id}"><div class="card-head"><h2>${heading}</h2><p class="sub">${plural(sorted.length, 'kind')} · ${plural(rows, 'row')}${note} · click a kind to see its rows</p></div><div class="groups">${items}</div></section>`;
}

function renderKindOptions(data: CollectedReport): string {
  const statuses = orderedStatuses(data.problemCounts);
  const option = (value: string, label: string, n: number): string =>
    `<option value="${escapeHtml(value)}">${escapeHtml(label)} (${num(n)})</option>`;
  const statusOptions = statuses.map((s) => option(`s:${s.status}`, s.status, s.count)).join('');
  const codeOptions = sortGroups(data.errorGroups)
    .map((g) => option(`c:${g.code}`, g.code, g.rows))
    .join('');
  const warningOptions = sortGroups(data.warningGroups)
    .map((g) => option(`w:${g.code}`, g.code, g.rows))
    .join('');
  return (
    `<option value="">All statuses, errors and warnings</option><optgroup label="Status">${statusOptions}</optgroup>` +
    (codeOptions === '' ? '' : `<optgroup label="Error code">${codeOptions}</optgroup>`) +
    (warningOptions === '' ? '' : `<optgroup label="Warning code">${warningOptions}</optgroup>`)
  );
}

const PROBLEM_WORDS = 'invalid, failed, would-fail, uncertain, skipped or superseded, or with a warning';

export function renderProblems(data: CollectedReport, resultsPath: string): string {
  if (data.totalProblems === 0) {
    return `<section class="card" id="problems"><div class="card-head"><h2>Problem rows</h2></div><p class="empty">No problem rows: no row is ${PROBLEM_WORDS}.</p></section>`;
  }
  const capped = data.problems.length < data.totalProblems;
  const cap = capped
    ? `<p class="cap" data-cap>Showing the first ${num(data.problems.length)} of ${num(data.totalProblems)} problem rows; the results CSV has them all: <code>${escapeHtml(resultsPath)}</code></p>`
    : '';
  return (
    `<section class="card" id="problems" data-table="problems"><div class="card-head"><h2>Problem rows</h2><p class="sub">${plural(data.totalProblems, 'row')} ${PROBLEM_WORDS}</p></div>${cap}` +
    `<div class="controls"><label class="search"><span class="visually-hidden">Filter problem rows</span><input type="search" data-role="filter" placeholder="Filter: system_id, column, message…" autocomplete="off" spellcheck="false"></label>` +
    `<label><span class="visually-hidden">Status, error or warning code</span><select data-role="kind">${renderKindOptions(data)}</select></label><span class="shown" data-role="shown" aria-live="polite"></span></div>` +
    `<div class="table-wrap"><table class="data"><thead></thead><tbody></tbody></table></div><div class="pager"><button type="button" class="more" data-role="more" hidden>Show more</button></div>` +
    `<noscript><p class="empty">The table needs JavaScript. The results CSV holds every row.</p></noscript></section>`
  );
}

export function renderChanges(data: CollectedReport, summary: RunSummary): string {
  if (summary.mode !== 'plan' && data.changedRows === 0) return '';
  if (data.changedRows === 0) {
    return `<section class="card" id="changes"><div class="card-head"><h2>Field changes</h2></div><p class="empty">No existing contact would change.</p></section>`;
  }
  const fields = [...data.fieldCounts].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  const chips = fields.map(([f, n]) => `<li><code>${escapeHtml(f)}</code> <span>${num(n)}</span></li>`).join('');
  const capped = data.embeddedChangedRows < data.changedRows;
  const cap = capped
    ? `<p class="cap">Showing the changes of the first ${num(data.embeddedChangedRows)} of ${num(data.changedRows)} would-update rows; the results CSV has them all.</p>`
    : '';
  const options = fields
    .map(([f, n]) => `<option value="${escapeHtml(`f:${f}`)}">${escapeHtml(f)} (${num(n)})</option>`)
    .join('');
  return (
    `<section class="card" id="changes" data-table="changes"><div class="card-head"><h2>Field changes</h2><p class="sub">${plural(data.changedRows, 'contact')} would be updated</p></div>` +
    `<ul class="chips" aria-label="Changes per field">${chips}</ul>${cap}` +
    `<div class="controls"><label class="search"><span class="visually-hidden">Filter field changes</span><input type="search" data-role="filter" placeholder="Filter: system_id, field, value…" autocomplete="off" spellcheck="false"></label>` +
    `<label><span class="visually-hidden">Field</span><select data-role="kind"><option value="">All fields</option>${options}</select></label><span class="shown" data-role="shown" aria-live="polite"></span></div>` +
    `<div class="table-wrap"><table class="data"><thead></thead><tbody></tbody></table></div><div class="pager"><button type="button" class="more" data-role="more" hidden>Show more</button></div></section>`
  );
}

export function renderMeta(input: RenderInput): string {
  const { summary, data, generatedAt } = input;
  const items: [string, string][] = [
    [
      'Generated',
      `<time datetime="${escapeHtml(generatedAt.toISOString())}">${escapeHtml(localTime(generatedAt))}</time>`,
    ],
    ['Rows', `<span data-total-rows>${num(data.rows)}</span>`],
    ['Elapsed', escapeHtml(duration(summary.elapsedMs))],
    ['Throughput', `${num(summary.rowsPerSecond)} rows/s`],
  ];
  if (summary.retries > 0) items.push(['Retries', num(summary.retries)]);
  if (summary.reused > 0) items.push(['From the earlier run', num(summary.reused)]);
  const meta = items.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join('');
  const files: [string, string][] = [
    ['Input', summary.input],
    ['Results', summary.resultsPath],
  ];
  if (badRows(data) > 0) files.push(['Errors', summary.errorsPath]);
  if (summary.journalPath !== undefined) files.push(['Journal', summary.journalPath]);
  const fileList = files.map(([k, v]) => `<div><dt>${k}</dt><dd><code>${escapeHtml(v)}</code></dd></div>`).join('');
  return `<dl class="meta">${meta}</dl><dl class="files">${fileList}</dl>`;
}

export function renderFootnotes(data: CollectedReport): string {
  const notes: string[] = [];
  if (data.problems.length < data.totalProblems) {
    notes.push(
      `The table holds the first ${num(data.problems.length)} of ${num(data.totalProblems)} problem rows, to keep this file small; the counts above cover every row.`,
    );
  }
  notes.push('Values from the input file are shown as plain text; nothing in them is run.');
  notes.push('This file is self-contained: it loads nothing from the network.');
  return `<footer class="foot"><div class="wrap"><ul>${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul><p>Generated by ciopulse-contacts.</p></div></footer>`;
}
