/** One application error type with a closed set of stable codes, mapped to HTTP in one place (api/app.ts). */

export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  REQUEST_TIMEOUT: 408,
  HEADERS_TOO_LARGE: 431,
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  CSRF_FAILED: 403,
  NOT_FOUND: 404,
  UNKNOWN_LOAN_TYPE: 404,
  UNKNOWN_FILE_TYPE: 404,
  SYNC_ALREADY_RUNNING: 409,
  TENANT_EXISTS: 409,
  FILE_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  EMPTY_FILE: 422,
  INVALID_ENCODING: 422,
  MISSING_COLUMNS: 422,
  DUPLICATE_COLUMNS: 422,
  MALFORMED_CSV: 422,
  NO_PENDING_UPLOADS: 422,
  SYNC_CONFIG_DISABLED: 422,
  TENANT_INACTIVE: 403,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL: 500,
} as const;

export type ErrorCodeName = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  constructor(
    readonly code: ErrorCodeName,
    message: string,
    /** Extra machine-readable fields rendered inside `error` (e.g. offset, columns, limit_bytes). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
