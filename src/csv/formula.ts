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
