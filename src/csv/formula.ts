/**
 * Spreadsheet formula injection. A cell that starts with one of these characters is
 * run as a formula by Excel, Sheets and LibreOffice. Full-width look-alikes count, because
 * some spreadsheets normalise them (OWASP "CSV Injection").
 */
const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

/** True when a spreadsheet would treat this cell as a formula. */
export function isFormulaLike(value: string): boolean {
  return FORMULA_START.test(value);
}

/**
 * True when `import` reads this cell as an excel-safe guard: a `'` before formula-like text, or
 * before another guard (so a value that itself starts with `'=` survives a round trip).
 */
export function isGuarded(value: string): boolean {
  let i = 0;
  while (value.charCodeAt(i) === 0x27) {
    i++;
    if (isFormulaLike(value.slice(i))) return true;
  }
  return false;
}

/** `export --excel-safe`: prefix a formula-like (or already guarded-looking) cell with `'`. */
export function excelSafe(value: string): string {
  return isFormulaLike(value) || isGuarded(value) ? `'${value}` : value;
}

/** `import` undoes `excelSafe`: one `'` that guards a formula-like value is dropped. */
export function stripExcelSafe(value: string): string {
  return isGuarded(value) ? value.slice(1) : value;
}

// eslint-disable-next-line no-control-regex -- the test is "anything outside ASCII"
const NON_ASCII = /[^\u0000-\u007f]/;

/**
 * A cell's text as every rule sees it: trimmed, the excel-safe guard removed, and in Unicode NFC.
 * Apple Numbers writes decomposed letters (`e` + U+0308 for `ë`), which would otherwise compare
 * unequal to what the API holds and travel as a different spelling (README, "CSV rules"). Plain
 * ASCII, most cells, is returned as it is without the cost of normalising.
 */
export function cellText(raw: string): string {
  const value = stripExcelSafe(raw.trim());
  return hasNonAscii(value) ? value.normalize('NFC') : value;
}

/** True when the text holds any character outside ASCII: the cheap test before costlier Unicode work. */
export function hasNonAscii(value: string): boolean {
  return NON_ASCII.test(value);
}
