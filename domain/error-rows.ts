/**
 * Validation errors as PostgreSQL stores them: the `value` as kept for display (storedErrorValue) and each error
 * as a row of `COPY validation_errors (sync_id, file_type, row, field, code, message, value) FROM STDIN` text.
 * The validation threads write these rows themselves (FileValidatorInit.store), so a batch of errors crosses to
 * the activity as one string instead of thousands of objects (their copies and their garbage collection cost the
 * worker's main thread ≈ 8 µs per error), and lib/sync-logs.ts sends them as they are.
 */
import type { FileType } from './columns.ts';

/** Raw values are for display: capped (a 10 MB field must not become a 10 MB error row) and NUL-free for PostgreSQL. */
export const ERROR_VALUE_MAX = 1000;
export const storedErrorValue = (s: string | null) => {
  if (s === null) return null;
  const v = s.length > ERROR_VALUE_MAX ? `${s.slice(0, ERROR_VALUE_MAX)}… (${s.length} characters)` : s;
  return v.includes('\u0000') ? v.replace(/\u0000/g, '\\0') : v;
};

const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A value in COPY's text format: NULL as \N, backslash, tab and line breaks escaped. */
export function copyText(v: string | null): string {
  if (v === null) return '\\N';
  return COPY_SPECIAL.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]) : v;
}

/** The start of every row of one sync's file: `sync_id \t file_type \t`. */
export function errorRowPrefix(syncId: string, fileType: FileType): string {
  return `${copyText(syncId)}\t${fileType}\t`;
}

/** One error as a COPY row (with its line break), after `prefix` (errorRowPrefix). */
export function errorRow(prefix: string, e: { row: number; field: string; code: string; message: string; value: string | null }): string {
  return `${prefix}${e.row}\t${copyText(e.field)}\t${copyText(e.code)}\t${copyText(e.message)}\t${copyText(storedErrorValue(e.value))}\n`;
}
