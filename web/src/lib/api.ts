/**
 * The one typed fetch layer of the web app.
 *
 * - Response types are inferred from the server's valibot schemas (api/schemas.ts, type-only import: nothing of
 *   valibot ends up in the bundle), so the UI cannot drift from the contract silently.
 * - Cookie session: the browser sends the HttpOnly cookie; state-changing requests add X-CSRF-Token, which is kept
 *   in memory only (never in storage).
 * - Every non-2xx response becomes an ApiError carrying the envelope's code, message, request id and extra fields.
 * - 401 on anything but the sign-in call signs the UI out (session expired or key rotated elsewhere).
 */
import type { InferOutput } from 'valibot';
import type * as S from '../../../api/schemas.ts';
import type { FileType, LoanType } from '../../../domain/columns.ts';

export type SessionInfo = InferOutput<typeof S.SessionInfo>;
export type TenantInfo = InferOutput<typeof S.TenantInfo>;
export type RotatedKey = InferOutput<typeof S.RotatedKey>;
export type UploadResult = InferOutput<typeof S.UploadResult>;
export type PendingUpload = InferOutput<typeof S.PendingUpload>;
export type SyncStarted = InferOutput<typeof S.SyncStarted>;
export type SyncConfig = InferOutput<typeof S.SyncConfig>;
export type SyncLog = InferOutput<typeof S.SyncLog>;
export type SyncLogList = InferOutput<typeof S.SyncLogList>;
export type SyncProgress = InferOutput<typeof S.SyncProgress>;
export type ValidationErrorList = InferOutput<typeof S.ValidationErrorList>;
export type ValidationErrorItem = ValidationErrorList['items'][number];
export type DataPage = InferOutput<typeof S.DataPage>;
export type Profile = InferOutput<typeof S.Profile>;
export type ColumnProfile = Profile['columns'][number];
export type SyncStatus = SyncLog['status'];

export const SYNC_STATUSES: readonly SyncStatus[] = ['PENDING', 'RUNNING', 'SUCCESS', 'ABORTED', 'FAILED'];
export const isActiveStatus = (s: string | undefined) => s === 'PENDING' || s === 'RUNNING';

export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly requestId: string | undefined;
  /** Extra fields of the error envelope: offset, columns, row, limit_bytes, retry_after, field… */
  readonly details: Record<string, unknown>;
  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}, requestId?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.requestId = requestId;
  }
}

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

/** Called by the session store: the CSRF token lives in this module's memory only. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

type Query = Record<string, string | number | boolean | null | undefined | readonly string[]>;

export function buildQuery(q: Query | undefined): string {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) {
      if (v.length) p.set(k, v.join(','));
    } else p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

async function toApiError(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    /* not JSON (proxy page, empty body) */
  }
  const err = (body as { error?: Record<string, unknown> } | null)?.error;
  if (err && typeof err.code === 'string') {
    const { code, message, requestId, ...details } = err;
    return new ApiError(res.status, code, String(message ?? code), details, typeof requestId === 'string' ? requestId : undefined);
  }
  return new ApiError(res.status, `HTTP_${res.status}`, res.statusText || `HTTP ${res.status}`);
}

interface RequestOptions {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
  /** Do not sign out on 401 (the sign-in and session probes handle it themselves). */
  allow401?: boolean;
}

async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path + buildQuery(opts.query), {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      credentials: 'same-origin',
      signal: opts.signal,
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'NETWORK', (e as Error).message || 'Network error');
  }
  if (!res.ok) {
    const err = await toApiError(res);
    if (res.status === 401 && !opts.allow401) onUnauthorized?.();
    throw err;
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export interface UploadHandle {
  promise: Promise<UploadResult>;
  abort(): void;
}

/**
 * PUT a CSV file with XMLHttpRequest (fetch has no upload progress). onProgress gets bytes sent and total;
 * the promise settles with the server's verdict (201 UploadResult or an ApiError with the rejection code).
 */
export function uploadFile(loanType: LoanType, fileType: FileType, file: File, onProgress: (sent: number, total: number) => void): UploadHandle {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<UploadResult>((resolve, reject) => {
    xhr.open('PUT', `/api/uploads/${loanType}/${fileType}`);
    xhr.setRequestHeader('content-type', 'text/csv');
    // Header values must be Latin-1; Turkish file names (ş, ğ, İ…) are percent-encoded and decoded for display.
    xhr.setRequestHeader('x-file-name', /^[\x20-\x7e]*$/.test(file.name) ? file.name : encodeURIComponent(file.name));
    if (csrfToken) xhr.setRequestHeader('x-csrf-token', csrfToken);
    xhr.responseType = 'text';
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        /* ignore */
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(file.size, file.size);
        resolve(body as UploadResult);
        return;
      }
      const err = (body as { error?: Record<string, unknown> } | null)?.error;
      if (xhr.status === 401) onUnauthorized?.();
      if (err && typeof err.code === 'string') {
        const { code, message, requestId, ...details } = err;
        reject(new ApiError(xhr.status, code, String(message ?? code), details, typeof requestId === 'string' ? requestId : undefined));
      } else reject(new ApiError(xhr.status, `HTTP_${xhr.status}`, xhr.statusText || `HTTP ${xhr.status}`));
    };
    xhr.onerror = () => reject(new ApiError(0, 'NETWORK', 'Network error during upload'));
    xhr.onabort = () => reject(new ApiError(0, 'ABORTED_BY_USER', 'Upload cancelled'));
    xhr.send(file);
  });
  return { promise, abort: () => xhr.abort() };
}

export const api = {
  // session
  signIn: (apiKey: string) => request<SessionInfo>('POST', '/api/session', { body: { api_key: apiKey }, allow401: true }),
  session: () => request<SessionInfo>('GET', '/api/session', { allow401: true }),
  signOut: () => request<void>('DELETE', '/api/session', { allow401: true }),
  tenant: () => request<TenantInfo>('GET', '/api/tenant'),
  rotateKey: () => request<RotatedKey>('POST', '/api/tenant/rotate-key'),

  // uploads
  pendingUploads: () => request<PendingUpload[]>('GET', '/api/uploads/'),
  dropUpload: (lt: LoanType, ft: FileType) => request<void>('DELETE', `/api/uploads/${lt}/${ft}`),

  // syncs
  startSync: (loanType: LoanType) => request<SyncStarted>('POST', '/api/sync/', { body: { loan_type: loanType } }),
  syncConfigs: () => request<SyncConfig[]>('GET', '/api/sync/configs/'),
  updateSyncConfig: (id: number, patch: { enabled?: boolean; interval_seconds?: number }) =>
    request<SyncConfig>('PATCH', `/api/sync/configs/${id}/`, { body: patch }),
  syncLogs: (q: { loan_type?: LoanType | ''; status?: SyncStatus | ''; limit?: number; offset?: number }, signal?: AbortSignal) =>
    request<SyncLogList>('GET', '/api/sync/logs/', { query: q, signal }),
  syncLog: (id: string) => request<SyncLog>('GET', `/api/sync/logs/${encodeURIComponent(id)}/`),
  syncProgress: (id: string, signal?: AbortSignal) => request<SyncProgress>('GET', `/api/sync/logs/${encodeURIComponent(id)}/progress/`, { signal }),
  syncErrors: (id: string, q: { file_type?: FileType | ''; code?: string; field?: string; limit?: number; offset?: number }) =>
    request<ValidationErrorList>('GET', `/api/sync/logs/${encodeURIComponent(id)}/errors/`, { query: q }),
  failedRecordsUrl: (id: string, fileType?: FileType | '') => `/api/sync/logs/${encodeURIComponent(id)}/failed-records.csv${buildQuery({ file_type: fileType })}`,

  // warehouse
  data: (q: Record<string, string | number | readonly string[] | undefined>, signal?: AbortSignal) => request<DataPage>('GET', '/api/data/', { query: q, signal }),
  rowCount: async (lt: LoanType, ft: FileType) =>
    (await request<DataPage>('GET', '/api/data/', { query: { loan_type: lt, file_type: ft, limit: 1, columns: 'loan_account_number' } })).total,
  profile: (lt: LoanType, ft: FileType) => request<Profile>('GET', '/api/profiling/', { query: { loan_type: lt, file_type: ft } }),
};
