/** Warehouse rows of the key's tenant: pagination, column selection, code filters, date ranges, sorting. */
import crypto from 'node:crypto';
import { Hono } from 'hono';
import type { AppEnv } from '../services.ts';
import { requireAuth, tenantFor } from '../middleware/auth.ts';
import { doc, parse } from '../openapi.ts';
import { DataPage, DataQuery } from '../schemas.ts';
import { COLUMNS, FACT_TABLE, asciiUpper, type FileType } from '../../domain/columns.ts';
import { AppError } from '../../lib/errors.ts';
import { CACHE_TTL, keys } from '../../lib/keys.ts';
import { qualified, warehouseColumns } from '../../lib/warehouse.ts';

export const data = new Hono<AppEnv>({ strict: false });
data.use('*', requireAuth());

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
/** A real calendar date: Date.parse accepts 2024-02-30 (and the warehouse would read it as 2024-03-01). */
const isCalendarDate = (s: string) => DATE_RE.test(s) && !Number.isNaN(Date.parse(s)) && new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s;

doc({
  method: 'get',
  path: '/api/data/',
  tag: 'data',
  summary:
    'Warehouse rows, normalized. Filters: <code column>=V1,V2 (e.g. currency=TRY,USD); <date column>_from / _to=YYYY-MM-DD. Money and rates are exact decimal strings.',
  auth: true,
  query: DataQuery,
  responses: { 200: { description: 'A page of rows', schema: DataPage } },
});
data.get('/', async (c) => {
  const s = c.get('services');
  const raw = c.req.query();
  const q = parse(DataQuery, raw);
  const tenantId = tenantFor(c, q.tenant_id);
  const ft = q.file_type as FileType;
  // A typo such as curency=TRY must not silently return unfiltered data.
  const known = new Set<string>(Object.keys(DataQuery.entries));
  for (const col of COLUMNS[ft]) {
    if (col.type === 'code') known.add(col.name);
    if (col.type === 'date') known.add(`${col.name}_from`).add(`${col.name}_to`);
  }
  for (const name of Object.keys(raw)) {
    if (!known.has(name)) throw new AppError('VALIDATION_FAILED', `unknown query parameter "${name}" (filters exist for code and date columns of ${ft})`, { field: name });
  }
  await s.warehouse.ensureTenant(tenantId);
  const all = warehouseColumns(ft);
  const byName = new Map(all.map((x) => [x.name, x]));
  const selected = q.columns ? q.columns.split(',').map((x) => x.trim()).filter(Boolean) : all.map((x) => x.name);
  if (selected.length === 0) throw new AppError('VALIDATION_FAILED', 'columns: name at least one column (or leave it out for all)', { field: 'columns' });
  for (const name of selected) if (!byName.has(name)) throw new AppError('VALIDATION_FAILED', `columns: unknown column "${name}"`, { field: 'columns' });
  let sortCol = 'loan_account_number';
  let sortDir = 'ASC';
  if (q.sort) {
    const desc = q.sort.startsWith('-');
    sortCol = desc ? q.sort.slice(1) : q.sort;
    sortDir = desc ? 'DESC' : 'ASC';
    if (!byName.has(sortCol)) throw new AppError('VALIDATION_FAILED', `sort: unknown column "${sortCol}"`, { field: 'sort' });
  }
  const where = ['loan_type = {lt:String}'];
  const params: Record<string, unknown> = { lt: q.loan_type, limit: q.limit, offset: q.offset };
  let n = 0;
  for (const col of COLUMNS[ft]) {
    if (col.type === 'code' && raw[col.name] !== undefined) {
      const values = raw[col.name].split(',').map((x) => x.trim()).filter(Boolean);
      if (values.length === 0) continue; // `currency=` (an empty form field) is no filter
      // Accept codes or labels: I or INDIVIDUAL.
      const labels = values.map((x) => String(col.codes?.[asciiUpper(x)] ?? asciiUpper(x)));
      params[`f${n}`] = labels;
      where.push(col.codeAsUInt8 ? `toString(\`${col.name}\`) IN {f${n}:Array(String)}` : `\`${col.name}\` IN {f${n}:Array(String)}`);
      n++;
    }
    if (col.type === 'date') {
      for (const [suffix, op] of [['_from', '>='], ['_to', '<=']] as const) {
        const val = raw[col.name + suffix];
        if (val === undefined) continue;
        if (!isCalendarDate(val)) throw new AppError('VALIDATION_FAILED', `${col.name}${suffix}: must be a date YYYY-MM-DD`, { field: col.name + suffix });
        params[`f${n}`] = val;
        where.push(`\`${col.name}\` ${op} {f${n}:Date32}`);
        n++;
      }
    }
  }
  // Pages are cached until the next sync (or 60 s): the embedded engine runs one query at a time, and the first
  // pages of a loan type are what screens and scripts ask for again and again.
  const normalized = JSON.stringify(Object.entries(raw).filter(([k]) => k !== 'tenant_id').sort(([a], [b]) => (a < b ? -1 : 1)));
  const pageKey = keys.cache.dataPage(tenantId, crypto.createHash('sha256').update(normalized).digest('base64url'));
  // Cached as the serialized body: a hit is one string, not a 100-row object graph parsed and serialized again.
  const body = await s.cache.getOrLoad(pageKey, CACHE_TTL.dataPage, async () => JSON.stringify(await loadPage()));
  return c.body(body, 200, { 'Content-Type': 'application/json' });

  async function loadPage() {
    const table = qualified(tenantId, FACT_TABLE[ft]);
    const w = where.join(' AND ');
    const countSql = `SELECT count() AS n FROM ${table} WHERE ${w}`;
    const countLoad = async () => Number((await s.warehouse.query<{ n: string }>(countSql, params))[0]?.n ?? 0);
    const total = n === 0 ? await s.cache.getOrLoad(keys.cache.chCount(tenantId, FACT_TABLE[ft], q.loan_type), CACHE_TTL.chCount, countLoad) : await countLoad();
    const cols = selected.map((x) => `\`${x}\``).join(', ');
    const tiebreak = ft === 'payment_plan' ? 'loan_account_number, installment_number' : 'loan_account_number';
    const items = await s.warehouse.query(
      `SELECT ${cols} FROM ${table} WHERE ${w} ORDER BY \`${sortCol}\` ${sortDir}, ${tiebreak} LIMIT {limit:UInt32} OFFSET {offset:UInt64}`,
      params,
    );
    return {
      tenant_id: tenantId,
      loan_type: q.loan_type,
      file_type: ft,
      total,
      limit: q.limit,
      offset: q.offset,
      columns: selected.map((x) => ({ name: x, type: byName.get(x)!.chType })),
      items,
    };
  }
});
