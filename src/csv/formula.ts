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

/** `export --excel-safe`: prefix a formula-like cell with `'` so a spreadsheet shows it as text. */
export function excelSafe(value: string): string {
  return isFormulaLike(value) ? `'${value}` : value;
}

/** `import` undoes `excelSafe`: a `'` that guards a formula-like value is dropped. */
export function stripExcelSafe(value: string): string {
  return value.charCodeAt(0) === 0x27 && isFormulaLike(value.slice(1)) ? value.slice(1) : value;
}
