/**
 * The mapping block: before a dry run, plan or import sends anything, it shows on stderr which
 * column feeds each field (with two sample values), which columns are not sent, and a `--map`
 * to paste for a column whose name is close to a field (README, "CSV rules").
 */
import type { MappingDescription } from '../csv/read.js';
import { commandLine } from '../shell.js';

/** Plain unknown columns listed by name before the rest are counted. */
const UNKNOWN_SHOWN = 8;
const SAMPLE_WIDTH = 24;

function sample(value: string): string {
  const oneLine = value.replace(/\s+/g, ' ');
  return oneLine.length > SAMPLE_WIDTH ? `${oneLine.slice(0, SAMPLE_WIDTH - 1)}…` : oneLine;
}

export function formatMapping(mapping: MappingDescription): string {
  const lines = ['Columns sent (field ← column: first values):'];
  const fieldWidth = Math.max(0, ...mapping.fields.map((f) => f.field.length));
  for (const f of mapping.fields) {
    const how = f.by === 'map' ? ' (--map)' : '';
    const values = f.samples.length === 0 ? '(empty in the first rows)' : f.samples.map(sample).join(' | ');
    lines.push(`  ${f.field.padEnd(fieldWidth)} ← ${f.label}${how}: ${values}`);
  }
  const plain: string[] = [];
  const notes: string[] = [];
  for (const u of mapping.unsent) {
    if (u.reason === 'shadowed' && u.shadowedBy !== undefined) {
      notes.push(`  ${u.label}: ${u.shadowedBy.field} comes from ${u.shadowedBy.label}, which names the field exactly`);
    } else if (u.reason === 'ignored') {
      notes.push(`  ${u.label}: ignored by --map`);
    } else if (u.suggestion !== undefined) {
      notes.push(
        `  ${u.label}: looks like ${u.suggestion.field}; to send it: ${commandLine(['--map', u.suggestion.map])}`,
      );
    } else plain.push(u.label);
  }
  if (notes.length > 0 || plain.length > 0) lines.push('Columns not sent (kept in the results file):');
  lines.push(...notes);
  if (plain.length > 0) {
    const more = plain.length > UNKNOWN_SHOWN ? ` and ${plain.length - UNKNOWN_SHOWN} more` : '';
    lines.push(`  ${plain.slice(0, UNKNOWN_SHOWN).join(', ')}${more}: no field by that name`);
  }
  return `${lines.join('\n')}\n`;
}
