/**
 * Plain words for the usage mistakes people make most, in place of yargs' own messages
 * (README, "Exit codes": every usage error is exit 2 with one line saying what to do).
 */
import { UsageError } from '../errors.js';
import { CLI_HINTS, USAGE_ERRORS } from './words.js';

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
      throw new UsageError(USAGE_ERRORS.apiKeyFlag(), { hint: CLI_HINTS.apiKeyWays() });
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

const NEEDS: Record<string, () => string> = USAGE_ERRORS.needs;

/** Turns a yargs failure message into one line that says what to do. */
export function explainUsage(message: string, argv: readonly string[], known: readonly string[]): UsageError {
  const more = CLI_HINTS.usage();
  const suggested = /^Did you mean (\S+)\?$/.exec(message);
  if (suggested !== null) {
    return new UsageError(USAGE_ERRORS.unknownCommand(argv[0] ?? '', suggested[1] ?? ''), { hint: more });
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
      const word = words[0] ?? '';
      const said = argv[0] === words[0] ? USAGE_ERRORS.unknownCommand(word) : USAGE_ERRORS.unexpectedArgument(word);
      return new UsageError(said, { hint: more });
    }
    const parts = (flags.length > 0 ? flags : names).map((name) =>
      USAGE_ERRORS.unknownFlag(name, closestFlag(name, known)),
    );
    const command = argv.find((a) => !a.startsWith('-'));
    return new UsageError(USAGE_ERRORS.unknownOptions(parts), { hint: CLI_HINTS.options(command) });
  }
  if (/^Not enough non-option arguments/.test(message)) {
    const command = argv.find((a) => !a.startsWith('-')) ?? '';
    const need = NEEDS[command];
    if (need !== undefined) return new UsageError(need(), { hint: CLI_HINTS.options(command) });
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
