/**
 * File-level rejections found while reading an uploaded body (spec loan-files.md §7). The API maps them to a 422
 * with the extra fields of `details`; FILE_TOO_LARGE, UNKNOWN_* and media-type errors are decided by the API
 * before any byte reaches the parser, so they are not part of this set.
 */
export type FileErrorCode = 'EMPTY_FILE' | 'INVALID_ENCODING' | 'MISSING_COLUMNS' | 'DUPLICATE_COLUMNS' | 'MALFORMED_CSV';

export interface FileErrorDetails {
  /** INVALID_ENCODING: 0-based offset of the first byte of the first ill-formed sequence, in the body as sent (BOM included). */
  offset?: number;
  /** MISSING_COLUMNS: missing names as in §4; DUPLICATE_COLUMNS: repeated names, trimmed and ASCII lower-cased, each once. */
  columns?: string[];
  /** MALFORMED_CSV: the data row whose quoted value is still open at the end (0 = the header). */
  row?: number;
}

export class FileLevelError extends Error {
  constructor(
    readonly code: FileErrorCode,
    message: string,
    readonly details: FileErrorDetails = {},
  ) {
    super(message);
    this.name = 'FileLevelError';
  }
}
