/** Syncs: start by hand, configurations, logs, live progress, validation errors, failed records. */
import { Hono } from 'hono';
import crypto from 'node:crypto';
import * as v from 'valibot';
import type { AppEnv, ApiServices } from '../services.ts';
import { requireAuth, tenantForBody } from '../middleware/auth.ts';
import { doc, parse } from '../openapi.ts';
import {
  ErrorsQuery,
  FailedRecordsQuery,
  StartSyncBody,
  SyncConfig,
  SyncLog,
  SyncLogList,
  SyncLogsQuery,
  SyncProgress,
  SyncStarted,
  UpdateSyncConfigBody,
  ValidationErrorList,
} from '../schemas.ts';
import { FILE_TYPES, type FileType, type LoanType } from '../../domain/columns.ts';
import { syncWorkflowId } from '../../domain/sync-types.ts';
import { AppError } from '../../lib/errors.ts';
import { withTenant } from '../../lib/db.ts';
import { CACHE_TTL, keys } from '../../lib/keys.ts';
import { pendingRows, readLines } from '../../lib/staging.ts';
import { createPendingLog, deleteLog, getLog, listLogs, listValidationErrors, type SyncLog as SyncLogRow } from '../../lib/sync-logs.ts';
import { readJsonBody } from '../body.ts';
import { csvLine } from '../csv.ts';

export const sync = new Hono<AppEnv>({ strict: false });
sync.use('*', requireAuth());

const logParam = { sync_id: 'The sync id (uuid) returned by POST /api/sync/' };

function temporalUrl(s: ApiServices, log: SyncLogRow): string | undefined {
  if (!log.workflow_id) return undefined;
  const ns = encodeURIComponent(s.config.temporal.namespace);
  const wf = encodeURIComponent(log.workflow_id);
  return log.run_id ? `${s.config.temporal.uiUrl}/namespaces/${ns}/workflows/${wf}/${encodeURIComponent(log.run_id)}/history` : `${s.config.temporal.uiUrl}/namespaces/${ns}/workflows/${wf}`;
}

async function mustGetLog(s: ApiServices, tenantId: string, syncId: string): Promise<SyncLogRow> {
  const log = await getLog(s.db, tenantId, syncId);
  if (!log) throw new AppError('NOT_FOUND', `Sync ${syncId} not found.`);
  return log;
}

doc({
  method: 'post',
  path: '/api/sync/',
  tag: 'sync',
  summary: 'Start a sync of a loan type now',
  auth: true,
  body: { contentType: 'application/json', schema: StartSyncBody },
  responses: {
    202: { description: 'Started', schema: SyncStarted },
    409: { description: 'A sync of that tenant/loan type is already running (SYNC_ALREADY_RUNNING)' },
    422: { description: 'Nothing pending for that loan type (NO_PENDING_UPLOADS)' },
  },
});
sync.post('/', async (c) => {
  const s = c.get('services');
  const raw = await readJsonBody(c);
  const tenantId = tenantForBody(c, raw);
  const body = parse(StartSyncBody, raw);
  const loanType = body.loan_type;
  if (await s.sync.busy(tenantId, loanType)) {
    throw new AppError('SYNC_ALREADY_RUNNING', `A sync of ${tenantId} ${loanType} is already running.`);
  }
  let pending = 0;
  for (const ft of FILE_TYPES) pending += await pendingRows(s.redis.staging, tenantId, loanType, ft);
  if (pending === 0) throw new AppError('NO_PENDING_UPLOADS', `No pending ${loanType} uploads to sync; upload a file first.`);
  const syncId = crypto.randomUUID();
  const workflowId = syncWorkflowId(tenantId, loanType);
  await createPendingLog(s.db, tenantId, syncId, loanType, 'MANUAL', workflowId);
  try {
    const started = await s.sync.startManualSync({ tenantId, loanType, syncId, trigger: 'MANUAL' });
    await s.cache.delPattern(`findata:${tenantId}:sync_logs:*`);
    return c.json({ sync_id: syncId, workflow_id: started.workflowId, run_id: started.runId }, 202);
  } catch (err) {
    await deleteLog(s.db, tenantId, syncId);
    throw err;
  }
});

// ---- configs ----
interface ConfigRow {
  id: number;
  loan_type: LoanType;
  enabled: boolean;
  interval_seconds: number;
  created_at: Date;
  updated_at: Date;
}
async function configsOf(s: ApiServices, tenantId: string) {
  const rows = await s.cache.getOrLoad(keys.cache.syncConfigs(tenantId), CACHE_TTL.syncConfigs, async () => {
    const r = await withTenant(s.db, tenantId, (c) => c.query<ConfigRow>('SELECT * FROM sync_configs ORDER BY id'));
    return r.rows.map((x) => ({ ...x, created_at: x.created_at.toISOString(), updated_at: x.updated_at.toISOString() }));
  });
  return Promise.all(
    rows.map(async (r) => ({
      id: r.id,
      tenant_id: tenantId,
      loan_type: r.loan_type,
      enabled: r.enabled,
      interval_seconds: r.interval_seconds,
      pending: {
        credit: await pendingRows(s.redis.staging, tenantId, r.loan_type, 'credit'),
        payment_plan: await pendingRows(s.redis.staging, tenantId, r.loan_type, 'payment_plan'),
      },
      created_at: r.created_at,
      updated_at: r.updated_at,
    })),
  );
}
const configId = (raw: string) => {
  if (!/^[0-9]{1,9}$/.test(raw)) throw new AppError('NOT_FOUND', `Sync configuration ${raw} not found.`);
  return Number(raw);
};

doc({ method: 'get', path: '/api/sync/configs/', tag: 'sync', summary: 'The tenant’s sync configurations', auth: true, responses: { 200: { description: 'Configurations', schema: v.array(SyncConfig) } } });
sync.get('/configs', async (c) => c.json(await configsOf(c.get('services'), c.get('auth').tenantId)));

doc({
  method: 'get',
  path: '/api/sync/configs/{id}/',
  tag: 'sync',
  summary: 'One sync configuration',
  auth: true,
  pathParams: { id: 'Configuration id' },
  responses: { 200: { description: 'Configuration', schema: SyncConfig }, 404: { description: 'Unknown id' } },
});
sync.get('/configs/:id', async (c) => {
  const id = configId(c.req.param('id'));
  const found = (await configsOf(c.get('services'), c.get('auth').tenantId)).find((x) => x.id === id);
  if (!found) throw new AppError('NOT_FOUND', `Sync configuration ${id} not found.`);
  return c.json(found);
});

doc({
  method: 'patch',
  path: '/api/sync/configs/{id}/',
  tag: 'sync',
  summary: 'Enable/disable scheduled syncs of a loan type or change the interval (extension)',
  auth: true,
  pathParams: { id: 'Configuration id' },
  body: { contentType: 'application/json', schema: UpdateSyncConfigBody },
  responses: { 200: { description: 'Updated configuration', schema: SyncConfig }, 404: { description: 'Unknown id' } },
});
sync.patch('/configs/:id', async (c) => {
  const s = c.get('services');
  const id = configId(c.req.param('id'));
  const raw = await readJsonBody(c);
  const tenantId = tenantForBody(c, raw);
  const body = parse(UpdateSyncConfigBody, raw);
  const interval = await withTenant(s.db, tenantId, async (tx) => {
    const r = await tx.query(
      `UPDATE sync_configs SET enabled = COALESCE($2, enabled), interval_seconds = COALESCE($3, interval_seconds), updated_at = now() WHERE id = $1`,
      [id, body.enabled ?? null, body.interval_seconds ?? null],
    );
    if (!r.rowCount) throw new AppError('NOT_FOUND', `Sync configuration ${id} not found.`);
    const m = await tx.query<{ every: number | null }>('SELECT min(interval_seconds) AS every FROM sync_configs WHERE enabled');
    return m.rows[0].every ?? s.config.syncIntervalSeconds;
  });
  await s.cache.del(keys.cache.syncConfigs(tenantId));
  // The tenant's schedule runs at the shortest interval of its enabled configurations.
  await s.sync.ensureSchedule(tenantId, true, interval);
  const found = (await configsOf(s, tenantId)).find((x) => x.id === id)!;
  return c.json(found);
});

// ---- logs ----
doc({
  method: 'get',
  path: '/api/sync/logs/',
  tag: 'sync',
  summary: 'Sync logs, newest first',
  auth: true,
  query: SyncLogsQuery,
  responses: { 200: { description: 'Sync logs', schema: SyncLogList } },
});
sync.get('/logs', async (c) => {
  const s = c.get('services');
  const tenantId = c.get('auth').tenantId;
  const q = parse(SyncLogsQuery, c.req.query());
  const load = async () => {
    const page = await listLogs(s.db, tenantId, { loanType: q.loan_type, status: q.status, limit: q.limit, offset: q.offset });
    return JSON.stringify({ total: page.total, limit: q.limit, offset: q.offset, items: page.items.map((l) => ({ ...l, temporal_url: temporalUrl(s, l) })) });
  };
  // The newest logs are what dashboards poll: cached as the serialized body until a sync changes them.
  const plain = !q.loan_type && !q.status && q.offset === 0;
  const body = plain ? await s.cache.getOrLoad(keys.cache.syncLogsRecent(tenantId, q.limit), CACHE_TTL.syncLogsRecent, load) : await load();
  return c.body(body, 200, { 'Content-Type': 'application/json' });
});

doc({
  method: 'get',
  path: '/api/sync/logs/{sync_id}/',
  tag: 'sync',
  summary: 'One sync log',
  auth: true,
  pathParams: logParam,
  responses: { 200: { description: 'Sync log', schema: SyncLog }, 404: { description: 'Unknown sync id (or another tenant’s)' } },
});
sync.get('/logs/:sync_id', async (c) => {
  const s = c.get('services');
  const log = await mustGetLog(s, c.get('auth').tenantId, c.req.param('sync_id'));
  return c.json({ ...log, temporal_url: temporalUrl(s, log) });
});

doc({
  method: 'get',
  path: '/api/sync/logs/{sync_id}/progress/',
  tag: 'sync',
  summary: 'Live progress of a sync from its workflow (phase, rows per file, errors so far) — extension',
  auth: true,
  pathParams: logParam,
  responses: { 200: { description: 'Progress', schema: SyncProgress }, 404: { description: 'Unknown sync id' } },
});
sync.get('/logs/:sync_id/progress', async (c) => {
  const s = c.get('services');
  const log = await mustGetLog(s, c.get('auth').tenantId, c.req.param('sync_id'));
  const live = log.workflow_id && log.run_id ? await s.sync.progress(log.workflow_id, log.run_id) : null;
  if (live && live.syncId === log.sync_id) {
    return c.json({ sync_id: log.sync_id, status: log.status === 'PENDING' || log.status === 'RUNNING' ? live.status : log.status, live: true, phase: live.phase, files: live.files, errors_so_far: live.errorsSoFar, steps: live.steps });
  }
  const files: Record<string, unknown> = {};
  for (const [ft, f] of Object.entries(log.files)) {
    if (f) files[ft] = { rowsTotal: f.rows_total, rowsProcessed: f.rows_total, rowsInvalid: f.rows_invalid, errors: 0 };
  }
  const errors = Object.values(log.errors_by_code).reduce((a, b) => a + b, 0);
  return c.json({ sync_id: log.sync_id, status: log.status, live: false, phase: log.finished_at ? 'done' : 'starting', files, errors_so_far: errors, steps: log.steps });
});

doc({
  method: 'get',
  path: '/api/sync/logs/{sync_id}/errors/',
  tag: 'sync',
  summary: 'Validation errors of a sync',
  auth: true,
  pathParams: logParam,
  query: ErrorsQuery,
  responses: { 200: { description: 'Errors', schema: ValidationErrorList }, 404: { description: 'Unknown sync id' } },
});
sync.get('/logs/:sync_id/errors', async (c) => {
  const s = c.get('services');
  const tenantId = c.get('auth').tenantId;
  const q = parse(ErrorsQuery, c.req.query());
  const log = await mustGetLog(s, tenantId, c.req.param('sync_id'));
  const load = () => listValidationErrors(s.db, tenantId, log.sync_id, { fileType: q.file_type, code: q.code, field: q.field, limit: q.limit, offset: q.offset });
  const plain = !q.file_type && !q.code && !q.field && q.offset === 0 && q.limit === 50 && log.finished_at !== null;
  const page = plain ? await s.cache.getOrLoad(keys.cache.valErrors(tenantId, log.sync_id), CACHE_TTL.valErrors, load) : await load();
  return c.json({ total: page.total, limit: q.limit, offset: q.offset, items: page.items });
});

doc({
  method: 'get',
  path: '/api/sync/logs/{sync_id}/failed-records.csv',
  tag: 'sync',
  summary: 'Failed rows of a sync with their errors, as CSV (kept 72 h; cells neutralized against formula injection)',
  auth: true,
  pathParams: logParam,
  query: FailedRecordsQuery,
  responses: { 200: { description: 'CSV', contentType: 'text/csv' }, 404: { description: 'Unknown sync id, or failed records expired' } },
});
sync.get('/logs/:sync_id/failed-records.csv', async (c) => {
  const s = c.get('services');
  const tenantId = c.get('auth').tenantId;
  const q = parse(FailedRecordsQuery, c.req.query());
  const log = await mustGetLog(s, tenantId, c.req.param('sync_id'));
  const fileTypes = (q.file_type ? [q.file_type] : FILE_TYPES).filter((ft) => log.files[ft]);
  const r = s.redis.staging;
  const headers: Partial<Record<FileType, string[]>> = {};
  for (const ft of fileTypes) {
    const h = await r.get(`${keys.failed(tenantId, log.loan_type, ft, log.sync_id)}:header`);
    if (h) headers[ft] = JSON.parse(h) as string[];
  }
  const present = fileTypes.filter((ft) => headers[ft]);
  const anyInvalid = fileTypes.some((ft) => (log.files[ft]?.rows_invalid ?? 0) > 0);
  if (present.length === 0 && anyInvalid) throw new AppError('NOT_FOUND', 'The failed records of this sync have expired (kept 72 hours).');
  // One header for all files: the union of the files' columns, in file order.
  const union: string[] = [];
  for (const ft of present) for (const n of headers[ft]!) if (!union.includes(n)) union.push(n);
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      try {
        controller.enqueue(encoder.encode(csvLine(['file_type', 'row', 'errors', ...union, 'extra_fields'])));
        for (const ft of present) {
          const idx = union.map((n) => headers[ft]!.indexOf(n));
          const width = headers[ft]!.length;
          let buf = '';
          for await (const line of readLines(r, keys.failed(tenantId, log.loan_type, ft, log.sync_id))) {
            const rec = JSON.parse(line) as { row: number; fields: string[]; errors: { field: string; code: string; message: string }[] };
            const errs = rec.errors.map((e) => `${e.field}:${e.code}: ${e.message}`).join(' | ');
            const cells = idx.map((i) => (i >= 0 && i < rec.fields.length ? rec.fields[i] : ''));
            const extra = rec.fields.length > width ? rec.fields.slice(width).join('|') : '';
            buf += csvLine([ft, String(rec.row), errs, ...cells, extra]);
            if (buf.length > 64 * 1024) {
              controller.enqueue(encoder.encode(buf));
              buf = '';
            }
          }
          if (buf) controller.enqueue(encoder.encode(buf));
        }
        controller.close();
      } catch (err) {
        controller.error(err);
      }
    },
  });
  return new Response(stream, {
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="failed-records-${log.sync_id}.csv"`,
      'x-request-id': c.get('requestId'),
    },
  });
});
