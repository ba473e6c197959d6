// A small RFC 4180 writer: enough for exports, without a dependency.

/**
 * Spreadsheets run a cell that starts with one of these as a formula (CSV injection); such a
 * cell gets a leading apostrophe, which spreadsheets show as text and do not run.
 */
const FORMULA_START = /^[=+\-@\t\r]/

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return ''
  let text =
    typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value)
  if (FORMULA_START.test(text)) text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** One record, CRLF-terminated as RFC 4180 asks. */
export function csvRow(values: unknown[]): string {
  return `${values.map(csvCell).join(',')}\r\n`
}
