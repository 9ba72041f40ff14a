/**
 * The HTML report (`--report report.html`): one self-contained file for the person who signs off
 * a migration, who is often not the person who ran it. Inline CSS and JS, no network, no external
 * assets; it opens from disk in any browser.
 *
 * The data comes from a collector fed by the run's `onRow` (collect.ts); the sections are
 * rendered in render.ts; the page's own CSS and script are page.css and page.js, inlined at build
 * time. Every value from the input is untrusted. Server-rendered text is HTML-escaped; the rows
 * travel as JSON in a `<script type="application/json">` with `<`, `>`, `&`, U+2028 and U+2029
 * written as `\uXXXX`, so a cell holding `</script>` cannot end the element; the page script
 * renders them with `textContent` only. A Content-Security-Policy allows only the page's own
 * script (by hash) and no network access at all, as a second line of defence.
 */
import { lineWord } from '../csv/source.js';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, renameSync, rmSync, type WriteStream } from 'node:fs';
import { isSpecialFile, renameTarget } from '../csv/targets.js';
import { temporaryPathFor } from '../csv/write.js';
import { basename } from 'node:path';
import type { RunSummary } from '../run/run-types.js';
import { PAGE_CSS, PAGE_SCRIPT } from './assets.generated.js';
import type { CollectedReport, ReportCollector } from './collect.js';
import { escapeHtml } from './html-text.js';
import {
  renderChanges,
  renderFootnotes,
  renderGroups,
  renderMeta,
  renderOutcome,
  renderProblems,
  renderStopped,
  renderVerdict,
  type RenderInput,
} from './render.js';
import { nextCommand, type NextStep } from './summary.js';
import { MODE_TITLES, REPORT_STATUSES } from './words.js';

export { escapeHtml } from './html-text.js';

export interface HtmlReportOptions {
  summary: RunSummary;
  /** What a collector gathered from the run's rows: `createReportCollector()`, fed by `onRow`. */
  collected: ReportCollector | CollectedReport;
  /** Where to write the .html. */
  outPath: string;
  /** The "Next step", as the CLI's summary shows it. Default: `nextCommand(summary)`. */
  next?: NextStep | undefined;
  generatedAt?: Date;
}

export interface HtmlReportResult {
  path: string;
  /** Problem rows embedded in the report's table. */
  embeddedRows: number;
  /** Problem rows in the run. */
  totalProblemRows: number;
}

const PAGE_SIZE = 200;

/**
 * JSON that is safe inside `<script type="application/json">`: `<`, `>` and `&` cannot start a
 * tag, an end tag or a comment, and U+2028/U+2029 are escaped for old parsers.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

async function writeChunk(file: WriteStream, chunk: string): Promise<void> {
  if (!file.write(chunk)) await once(file, 'drain');
}

/** Writes rows as a JSON array in slices, so a large table never becomes one giant string. */
async function writeJsonArray(file: WriteStream, rows: readonly unknown[]): Promise<void> {
  await writeChunk(file, '[');
  const slice = 500;
  for (let i = 0; i < rows.length; i += slice) {
    const part = rows
      .slice(i, i + slice)
      .map(jsonForScript)
      .join(',');
    await writeChunk(file, i === 0 ? part : `,${part}`);
  }
  await writeChunk(file, ']');
}

function renderHead(input: RenderInput): string {
  const { summary } = input;
  const mode = MODE_TITLES[summary.mode] ?? summary.mode;
  const inputName = basename(summary.input);
  const scriptHash = createHash('sha256').update(PAGE_SCRIPT).digest('base64');
  const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${scriptHash}'; img-src data:; base-uri 'none'; form-action 'none'`;
  return (
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<meta http-equiv="Content-Security-Policy" content="${csp}"><meta name="referrer" content="no-referrer"><meta name="generator" content="ciopulse-contacts">` +
    `<title>${escapeHtml(`${mode} report · ${inputName}`)}</title><link rel="icon" href="data:,"><style>${PAGE_CSS}</style></head>` +
    `<body class="mode-${escapeHtml(summary.mode)}"><header class="masthead"><div class="wrap"><p class="eyebrow"><span class="brand">CIOPulse Contacts</span><span class="mode-pill">${escapeHtml(mode)}</span></p>` +
    `<h1>${escapeHtml(inputName)}</h1>${renderMeta(input)}</div></header>`
  );
}

function renderBody(input: RenderInput): string {
  const { summary, data } = input;
  return (
    `<main class="wrap">` +
    renderVerdict(input) +
    renderStopped(summary) +
    renderOutcome(data, summary) +
    renderGroups(data.errorGroups, 'c', lineWord(summary.format)) +
    renderGroups(data.warningGroups, 'w', lineWord(summary.format)) +
    renderChanges(data, summary) +
    renderProblems(data, summary.resultsPath) +
    `</main>${renderFootnotes(data)}`
  );
}

async function writeDocument(file: WriteStream, input: RenderInput): Promise<void> {
  const { data } = input;
  const config = {
    page: PAGE_SIZE,
    statuses: REPORT_STATUSES,
    idColumn: data.idLabel,
    lineLabel: lineWord(input.summary.format) === 'row' ? 'Row' : 'Line',
  };
  await writeChunk(file, renderHead(input) + renderBody(input));
  await writeChunk(
    file,
    `<script type="application/json" id="report-data">{"config":${jsonForScript(config)},"problems":`,
  );
  await writeJsonArray(file, data.problems);
  await writeChunk(file, ',"changes":');
  await writeJsonArray(file, data.changes);
  await writeChunk(file, `}</script><script type="module">${PAGE_SCRIPT}</script></body></html>\n`);
  file.end();
  await once(file, 'finish');
}

/** Writes the report; resolves once the file is complete (written whole, then renamed into place). */
export async function writeHtmlReport(options: HtmlReportOptions): Promise<HtmlReportResult> {
  const { summary, collected } = options;
  const data = 'result' in collected ? collected.result() : collected;
  const input: RenderInput = {
    summary,
    data,
    next: 'next' in options ? options.next : nextCommand(summary),
    keptEmpty: summary.keptEmptyRows,
    generatedAt: options.generatedAt ?? new Date(),
  };
  // A FIFO or a device is written straight; a file goes through a temporary renamed into place (targets.ts).
  const straight = isSpecialFile(options.outPath);
  const final = straight ? options.outPath : renameTarget(options.outPath);
  const temporary = straight ? final : temporaryPathFor(final);
  const file = createWriteStream(temporary);
  const failed = new Promise<never>((_, reject) => file.once('error', reject));
  failed.catch(() => undefined);
  try {
    await Promise.race([writeDocument(file, input), failed]);
    if (!straight) renameSync(temporary, final);
  } catch (error) {
    file.destroy();
    if (!straight) rmSync(temporary, { force: true });
    throw error;
  }
  return { path: options.outPath, embeddedRows: data.problems.length, totalProblemRows: data.totalProblems };
}
