/**
 * `ciopulse-contacts/report`: what the CLI prints and writes about a run, for callers that want
 * the same (docs/LIBRARY.md, "The HTML report"): the summary text, its JSON, the next command to
 * run, and the HTML report.
 */
export { formatSummary, nextCommand, summaryToJson } from './summary.js';
export type { NextStep } from './summary.js';
export type { Rerun } from '../shell.js';
export { writeHtmlReport } from './html.js';
export type { HtmlReportOptions, HtmlReportResult } from './html.js';
export { createReportCollector } from './collect.js';
export type { ReportCollector, ReportCollectorOptions, ReportRow, CollectedReport } from './collect.js';
