/**
 * Plain words for the usage mistakes people make most, in place of yargs' own messages
 * (README, "Exit codes": every usage error is exit 2 with one line saying what to do).
 */
import { UsageError } from '../errors.js';

const KEY_FLAGS = new Set(['--api-key', '--apikey', '--key']);

/**
 * `--api-key` is refused by name, before yargs sees it, so the reply says why and what works
 * instead of "Unknown arguments: api-key, apiKey". The value is never echoed.
 */
export function refuseKeyFlag(argv: readonly string[]): void {
  for (const arg of argv) {
    if (arg === '--') return;
    const name = arg.split('=')[0]?.toLowerCase() ?? '';
    if (KEY_FLAGS.has(name)) {
      throw new UsageError(
        'the API key is never taken as a flag: it would sit in your shell history and show in `ps`',
        {
          hint: 'set CIOPULSE_API_KEY in the environment or in an --env-file, or pass --api-key-file <file> (a file only you can read: chmod 600)',
        },
      );
    }
  }
}

/** Edit distance, for "did you mean"; flags are short, so the quadratic table is fine. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The known flag closest to an unknown one, when it is close enough to be a typo. */
export function closestFlag(unknown: string, known: readonly string[]): string | undefined {
  const squash = (s: string): string => s.toLowerCase().replace(/[-_]/g, '');
  let best: { flag: string; cost: number } | undefined;
  for (const flag of known) {
    if (flag.length < 2) continue;
    const cost = squash(flag) === squash(unknown) ? 0 : distance(unknown.toLowerCase(), flag);
    if (best === undefined || cost < best.cost) best = { flag, cost };
  }
  return best !== undefined && best.cost <= Math.max(1, Math.floor(unknown.length / 4)) ? best.flag : undefined;
}

const NEEDS: Record<string, string> = {
  get: 'get needs the system_id of a contact: ciopulse-contacts get <system_id>',
  import: 'import needs the CSV file to read: ciopulse-contacts import <file.csv>',
  delete: 'delete needs a CSV file with a system_id column: ciopulse-contacts delete <file.csv>',
};

/** Turns a yargs failure message into one line that says what to do. */
export function explainUsage(message: string, argv: readonly string[], known: readonly string[]): UsageError {
  const more = 'run "ciopulse-contacts --help" for usage';
  const suggested = /^Did you mean (\S+)\?$/.exec(message);
  if (suggested !== null) {
    return new UsageError(`unknown command "${argv[0] ?? ''}" (did you mean ${suggested[1] ?? ''}?)`, { hint: more });
  }
  const unknown = /^Unknown arguments?: (.*)$/.exec(message);
  if (unknown !== null) {
    // yargs lists both spellings of a flag (dry-run, dryRun); name each once, with dashes.
    const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    const names = [...new Set((unknown[1] ?? '').split(', ').map(kebab))];
    const typed = (name: string): boolean =>
      argv.some((a) => a === `--${name}` || a.startsWith(`--${name}=`) || a === `-${name}`);
    const flags = names.filter(typed);
    const words = names.filter((name) => !typed(name) && argv.includes(name));
    if (flags.length === 0 && words.length > 0) {
      const what = argv[0] === words[0] ? 'unknown command' : 'unexpected argument';
      return new UsageError(`${what} "${words[0] ?? ''}"`, { hint: more });
    }
    const parts = (flags.length > 0 ? flags : names).map((name) => {
      const near = closestFlag(name, known);
      return `--${name}${near === undefined ? '' : ` (did you mean --${near}?)`}`;
    });
    const command = argv.find((a) => !a.startsWith('-'));
    return new UsageError(`unknown option${parts.length === 1 ? '' : 's'}: ${parts.join(', ')}`, {
      hint: `run "ciopulse-contacts ${command === undefined ? '' : `${command} `}--help" for the options`,
    });
  }
  if (/^Not enough non-option arguments/.test(message)) {
    const command = argv.find((a) => !a.startsWith('-')) ?? '';
    const need = NEEDS[command];
    if (need !== undefined)
      return new UsageError(need, { hint: `run "ciopulse-contacts ${command} --help" for the options` });
  }
  return new UsageError(message, { hint: more });
}

/** `completion --help`: yargs prints the script itself, so this text stands in for the help. */
export const COMPLETION_HELP = `ciopulse-contacts completion

Print a shell completion script (bash or zsh; zsh when $SHELL is zsh) on stdout.

  ciopulse-contacts completion >> ~/.bashrc     # or ~/.zshrc

The script completes commands and flags by running ciopulse-contacts, so the command must be on
your PATH (for example after \`npm link\` in a checkout).
`;

export function isCompletionHelp(argv: readonly string[]): boolean {
  return argv[0] === 'completion' && argv.some((a) => a === '--help' || a === '-h');
}
