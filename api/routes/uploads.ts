/** Uploads: stream a CSV body into staging with file-level checks (loan-files.md §7), list and drop pending ones. */
import { Hono } from 'hono';
import type { AppEnv } from '../services.ts';
import { requireAuth } from '../middleware/auth.ts';
import { doc } from '../openapi.ts';
import { PendingUpload, UploadResult } from '../schemas.ts';
import * as v from 'valibot';
import { parseFileType, parseLoanType, type FileType, type LoanType } from '../../domain/columns.ts';
import { AppError } from '../../lib/errors.ts';
import { dropPending, listPending, stageUpload } from '../../lib/staging.ts';

export const uploads = new Hono<AppEnv>({ strict: false });
uploads.use('*', requireAuth());

const ACCEPTED_MEDIA = new Set(['text/csv', 'application/csv', 'text/plain', 'application/octet-stream']);
const pathParams = { loan_type: 'RETAIL or COMMERCIAL (case-insensitive)', file_type: 'credit or payment_plan' };

/** Spec §7 order: loan type, file type, media type, size. */
function target(lt: string, ft: string): { loanType: LoanType; fileType: FileType } {
  const loanType = parseLoanType(lt);
  if (!loanType) throw new AppError('UNKNOWN_LOAN_TYPE', `Unknown loan type "${lt}": use RETAIL or COMMERCIAL.`);
  const fileType = parseFileType(ft);
  if (!fileType) throw new AppError('UNKNOWN_FILE_TYPE', `Unknown file type "${ft}": use credit or payment_plan.`);
  return { loanType, fileType };
}

doc({
  method: 'put',
  path: '/api/uploads/{loan_type}/{file_type}',
  tag: 'uploads',
  summary: 'Upload a CSV file (raw body); replaces the pending upload of the same loan type and file type',
  auth: true,
  pathParams,
  body: { contentType: 'text/csv', description: 'The CSV file as sent by the bank (UTF-8, optional BOM). Optional header X-File-Name names it.' },
  responses: {
    201: { description: 'Staged', schema: UploadResult },
    404: { description: 'UNKNOWN_LOAN_TYPE / UNKNOWN_FILE_TYPE' },
    413: { description: 'FILE_TOO_LARGE (error.limit_bytes)' },
    415: { description: 'UNSUPPORTED_MEDIA_TYPE' },
    422: { description: 'EMPTY_FILE, INVALID_ENCODING (error.offset), MISSING_COLUMNS / DUPLICATE_COLUMNS (error.columns), MALFORMED_CSV (error.row)' },
  },
});
uploads.put('/:loan_type/:file_type', async (c) => {
  const s = c.get('services');
  const { loanType, fileType } = target(c.req.param('loan_type'), c.req.param('file_type'));
  const contentType = c.req.header('content-type');
  if (contentType !== undefined) {
    const media = contentType.split(';')[0].trim().toLowerCase();
    if (!ACCEPTED_MEDIA.has(media)) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', `Content-Type ${media || '(empty)'} is not accepted; send text/csv.`);
    }
  }
  const tooLarge = () =>
    new AppError('FILE_TOO_LARGE', `The file exceeds the upload limit of ${s.config.uploadMaxBytes} bytes.`, { limit_bytes: s.config.uploadMaxBytes });
  const declared = Number(c.req.header('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > s.config.uploadMaxBytes) {
    throw tooLarge();
  }
  const tenantId = c.get('auth').tenantId;
  const reader = c.req.raw.body?.getReader();
  let received = 0;
  let ended = !reader;
  async function* counted(): AsyncGenerator<Uint8Array> {
    for (;;) {
      const r = await reader!.read();
      if (r.done) return void (ended = true);
      received += r.value.byteLength;
      yield r.value;
    }
  }
  const labels = { tenant: tenantId, loan_type: loanType, file_type: fileType };
  let meta;
  try {
    meta = await stageUpload(s.redis.staging, {
      tenantId,
      loanType,
      fileType,
      originalName: fileName(c.req.header('x-file-name'), fileType),
      body: reader ? counted() : emptyBody(),
      maxBytes: s.config.uploadMaxBytes,
      ttlSeconds: s.config.stagingTtlSeconds,
      onBytes: (n) => s.metrics.uploadBytes.inc(labels, n),
    });
  } catch (err) {
    if (!reader || ended) throw err;
    let answer = err;
    // §7: size wins over any failure in the body. A streamed (chunked) body can fail early in the header; read on
    // (discarding) until its end or the limit, so the answer does not depend on whether a length was declared.
    if (err instanceof AppError && err.status === 422) {
      try {
        for (let r = await reader.read(); !r.done; r = await reader.read()) {
          received += r.value.byteLength;
          if (received > s.config.uploadMaxBytes) {
            answer = tooLarge();
            break;
          }
        }
      } catch {
        /* the client went away: the first answer stands */
      }
    }
    await drainRejected(reader);
    throw answer;
  }
  c.get('log').info('upload staged', { tenantId, loanType, fileType, rows: meta.rows, bytes: meta.bytes });
  return c.json(
    { tenant_id: tenantId, loan_type: loanType, file_type: fileType, rows: meta.rows, bytes: meta.bytes, sha256: meta.sha256, warnings: meta.warnings },
    201,
  );
});

/** X-File-Name may be percent-encoded (header values are Latin-1; Turkish file names are not). */
function fileName(header: string | undefined, fileType: FileType): string {
  if (!header) return `${fileType}.csv`;
  let name = header;
  try {
    name = decodeURIComponent(header);
  } catch {
    /* not percent-encoded: keep as sent */
  }
  // Control characters have no place in a display name.
  return name.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').slice(0, 255) || `${fileType}.csv`;
}

/**
 * Reads and discards what the client is still sending before a rejection is answered. Node closes the socket as soon
 * as the answer is written (always for `Connection: close`, after 500 ms otherwise), and bytes arriving at a closed
 * socket make the kernel reset the connection: a client still writing then sees EPIPE or ECONNRESET instead of the
 * 413/422. Bounded, so a client that never stops gets its answer (and the reset) after DRAIN_MAX_BYTES or DRAIN_MAX_MS.
 * The reader is never cancelled: that would destroy the socket before the answer is written.
 */
async function drainRejected(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'late'>((resolve) => (timer = setTimeout(resolve, DRAIN_MAX_MS, 'late')));
  try {
    for (let bytes = 0; bytes <= DRAIN_MAX_BYTES; ) {
      const r = await Promise.race([reader.read(), deadline]);
      if (r === 'late' || r.done) return;
      bytes += r.value.byteLength;
    }
  } catch {
    /* the client went away: nothing left to answer */
  } finally {
    clearTimeout(timer);
  }
}
const DRAIN_MAX_BYTES = 64 * 1024 * 1024;
const DRAIN_MAX_MS = 5_000;

async function* emptyBody(): AsyncGenerator<Uint8Array> {}

doc({
  method: 'get',
  path: '/api/uploads/',
  tag: 'uploads',
  summary: 'Pending uploads of the key’s tenant',
  auth: true,
  responses: { 200: { description: 'Pending uploads', schema: v.array(PendingUpload) } },
});
uploads.get('/', async (c) => {
  const s = c.get('services');
  return c.json(await listPending(s.redis.staging, c.get('auth').tenantId));
});

doc({
  method: 'delete',
  path: '/api/uploads/{loan_type}/{file_type}',
  tag: 'uploads',
  summary: 'Drop a pending upload',
  auth: true,
  pathParams,
  responses: { 204: { description: 'Dropped' }, 404: { description: 'Nothing pending (NOT_FOUND), or unknown loan/file type' } },
});
uploads.delete('/:loan_type/:file_type', async (c) => {
  const s = c.get('services');
  const { loanType, fileType } = target(c.req.param('loan_type'), c.req.param('file_type'));
  const dropped = await dropPending(s.redis.staging, c.get('auth').tenantId, loanType, fileType);
  if (!dropped) throw new AppError('NOT_FOUND', `No pending ${loanType} ${fileType} upload.`);
  return c.body(null, 204);
});
