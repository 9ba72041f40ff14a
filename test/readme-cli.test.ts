/**
 * The README's command sections (README, "Commands") keep up with the CLI: every flag a
 * command's `--help` lists is named in that command's section, or, for the connection flags, in
 * README, "Connection settings". A flag added without its line in the guide fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from './helpers.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The text under a heading, up to the next heading of the same or a higher level. */
function section(heading: string): string {
  const lines = README.split('\n');
  const start = lines.findIndex((line) => /^#+ /.test(line) && line.replace(/^#+ /, '') === heading);
  expect(start, `README has no heading "${heading}"`).toBeGreaterThanOrEqual(0);
  const level = /^#+/.exec(lines[start] ?? '')?.[0].length ?? 1;
  const end = lines.findIndex(
    (line, i) => i > start && /^#+ /.test(line) && (/^#+/.exec(line)?.[0].length ?? 0) <= level,
  );
  return lines.slice(start, end === -1 ? undefined : end).join('\n');
}

/** The flags of a `--help` page: the option lines before its examples, without --help and --version. */
function helpFlags(help: string): string[] {
  const options = help.split(/\nExamples:\n/)[0] ?? '';
  const flags = [...options.matchAll(/^\s+(?:-\w, )?(--[a-z][a-z-]*)/gm)].map((match) => match[1] ?? '');
  return [...new Set(flags)].filter((flag) => flag !== '--help' && flag !== '--version');
}

const COMMANDS = ['import', 'export', 'get', 'delete', 'sync', 'check', 'emulator', 'demo', 'completion'];

describe('README flags against --help', () => {
  it.each(COMMANDS)('every flag of `%s --help` is in its README section', async (command) => {
    const run = await runCli([command, '--help']);
    expect(run.code).toBe(0);
    const flags = helpFlags(run.stdout);
    if (command !== 'completion') expect(flags.length).toBeGreaterThan(0);
    const documented = section(command) + section('Connection settings');
    const missing = flags.filter((flag) => !new RegExp(`${flag}(?![a-z-])`).test(documented));
    expect(missing).toEqual([]);
  });
});
