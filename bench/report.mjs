/**
 * The results of a bench run: one row per measurement, printed as a table and written as Markdown.
 *
 * A row: { section, name, value, unit, reference, ratio, target, pass, note }.
 * `pass` is true, false, or undefined when the row has no target (reported only).
 */
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os';

export const SECTIONS = {
  dry: '1. Dry run vs. the parser',
  latency: '2. Import vs. the ideal under latency',
  overhead: '3. Client overhead at zero latency',
  export: '4. Export',
  scaling: '5. Scaling of the dry run',
  startup: '6. Start-up',
  changed: '7. Round trip with --changed-only',
  xlsx: '8. .xlsx workbooks vs. CSV',
  sync: '9. Sync with the helpdesk',
};

export function machineInfo() {
  const list = cpus();
  return {
    date: new Date().toISOString(),
    cpu: list[0]?.model?.trim() ?? 'unknown',
    cores: list.length,
    memoryGb: totalmem() / 2 ** 30,
    os: `${osType()} ${release()}`,
    node: process.version,
    loadStart: loadavg(),
  };
}

export function fmt(value, digits = 0) {
  if (value === undefined || value === null || Number.isNaN(value)) return '—';
  if (typeof value !== 'number') return String(value);
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function verdict(pass) {
  return pass === undefined ? '' : pass ? 'PASS' : 'MISS';
}

function cellsOf(row) {
  return [
    row.name,
    `${row.value}${row.unit ? ` ${row.unit}` : ''}`,
    row.reference ?? '',
    row.ratio ?? '',
    row.target ?? '',
    verdict(row.pass),
  ];
}

const HEAD = ['measurement', 'value', 'compared with', 'ratio', 'target', 'result'];

/** A plain-text table for the terminal, grouped by section. */
export function formatTable(rows) {
  const all = [HEAD, ...rows.map(cellsOf)];
  const widths = HEAD.map((_, i) => Math.min(60, Math.max(...all.map((r) => String(r[i]).length))));
  const line = (cells) =>
    cells
      .map((c, i) => String(c).padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const out = [];
  for (const [key, title] of Object.entries(SECTIONS)) {
    const mine = rows.filter((r) => r.section === key);
    if (mine.length === 0) continue;
    out.push('', `## ${title}`, line(HEAD), widths.map((w) => '-'.repeat(w)).join('  '));
    for (const row of mine) out.push(line(cellsOf(row)));
  }
  return `${out.join('\n')}\n`;
}

const escapeMd = (text) => String(text).replace(/\|/g, '\\|');

/** The same table in Markdown, one table per section. */
export function markdownTables(rows) {
  const out = [];
  for (const [key, title] of Object.entries(SECTIONS)) {
    const mine = rows.filter((r) => r.section === key);
    if (mine.length === 0) continue;
    out.push(`### ${title}`, '', `| ${HEAD.join(' | ')} |`, `|${HEAD.map(() => '---').join('|')}|`);
    for (const row of mine) out.push(`| ${cellsOf(row).map(escapeMd).join(' | ')} |`);
    const notes = mine.filter((r) => r.note);
    if (notes.length > 0) {
      out.push('');
      for (const row of notes) out.push(`- *${escapeMd(row.name)}*: ${row.note}`);
    }
    out.push('');
  }
  return out.join('\n');
}
