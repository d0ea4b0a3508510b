/**
 * CSV output for downloads. Cells that a spreadsheet would run as a formula (starting with = + - @ TAB CR)
 * are prefixed with an apostrophe (OWASP CSV injection guidance), and every cell is quoted.
 */
const FORMULA_START = /^(?:[\t\r]|\s*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20])/;

export function safeCell(value: string): string {
  const v = FORMULA_START.test(value) ? `'${value}` : value;
  return `"${v.replace(/"/g, '""')}"`;
}

export function csvLine(cells: string[]): string {
  return cells.map(safeCell).join(',') + '\r\n';
}
