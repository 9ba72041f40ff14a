/**
 * Commands the tool suggests, as text that runs when pasted into a POSIX shell (README, "Next
 * steps"): `Next:`, hints, the mapping block's `--map` advice, and the resume/restart lines. Every
 * one of them is built here, so a word is quoted the same way wherever it appears.
 */

/** Quotes a word for a POSIX shell, only when it needs it: `it's` → `'it'\''s'`, `Cell=mobile` stays bare. */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Words → one command line, each word quoted as it needs. */
export function commandLine(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}

/** `--map 'Mobile Phone=mobile'`: the flag that sends a column to a field (empty field: leave it unsent). */
export function mapFlag(header: string, field: string): string {
  return commandLine(['--map', `${header}=${field}`]);
}
