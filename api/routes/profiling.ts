/**
 * Column profiles computed inside ClickHouse in one pass per table (a single SELECT of aggregates for every
 * column), cached 10 minutes and invalidated after each sync. Sums of money and rates are exact decimals.
 */
import { Hono } from 'hono';
import type { AppEnv, ApiServices } from '../services.ts';
import { requireAuth, tenantFor } from '../middleware/auth.ts';
import { doc, parse } from '../openapi.ts';
import { Profile, ProfilingQuery } from '../schemas.ts';
import { COLUMNS, FACT_TABLE, type ColumnDef, type FileType, type LoanType } from '../../domain/columns.ts';
import { CACHE_TTL, keys } from '../../lib/keys.ts';
import { qualified } from '../../lib/warehouse.ts';

export const profiling = new Hono<AppEnv>({ strict: false });
profiling.use('*', requireAuth());

const NUMERIC = new Set(['int', 'money', 'percent']);
/** Strings with few distinct values get a top list too. */
const TOP_STRINGS = new Set(['product_code', 'branch_code', 'sector_code', 'customer_type']);

function expressions(col: ColumnDef, i: number): string[] {
  const c = `\`${col.name}\``;
  const out = [`countIf(isNull(${c})) AS n${i}`, `uniq(${c}) AS d${i}`, `toString(min(${c})) AS lo${i}`, `toString(max(${c})) AS hi${i}`];
  if (NUMERIC.has(col.type)) {
    out.push(`toString(sum(${c})) AS s${i}`, `toString(avg(${c})) AS m${i}`, `histogram(10)(toFloat64(${c})) AS h${i}`);
  } else if (col.type === 'date') {
    out.push(`histogram(10)(toFloat64(toInt32(${c}))) AS h${i}`);
  }
  if (col.type === 'code' || TOP_STRINGS.has(col.name)) out.push(`topK(10, 3, 'counts')(toString(${c})) AS t${i}`);
  return out;
}

export async function computeProfile(s: ApiServices, tenantId: string, loanType: LoanType, ft: FileType) {
  const cols = COLUMNS[ft];
  const sql = `SELECT count() AS rows, ${cols.flatMap(expressions).join(', ')} FROM ${qualified(tenantId, FACT_TABLE[ft])} WHERE loan_type = {lt:String}`;
  const [r] = await s.warehouse.query<Record<string, unknown>>(sql, { lt: loanType });
  const rowCount = Number(r.rows);
  const DAY = 86_400_000;
  return {
    tenant_id: tenantId,
    loan_type: loanType,
    file_type: ft,
    row_count: rowCount,
    profiled_at: new Date().toISOString(),
    columns: cols.map((col, i) => {
      const empty = rowCount === 0 || Number(r[`n${i}`]) === rowCount;
      const hist = r[`h${i}`] as [number, number, number][] | undefined;
      const top = r[`t${i}`] as { item: string; count: string | number }[] | undefined;
      return {
        name: col.name,
        type: col.type,
        nulls: Number(r[`n${i}`]),
        distinct: Number(r[`d${i}`]),
        min: empty ? null : (r[`lo${i}`] as string),
        max: empty ? null : (r[`hi${i}`] as string),
        ...(NUMERIC.has(col.type) ? { sum: empty ? null : (r[`s${i}`] as string), mean: empty ? null : (r[`m${i}`] as string) } : {}),
        ...(hist
          ? {
              histogram: hist.map(([from, to, count]) =>
                col.type === 'date' ? { from: from * DAY, to: to * DAY, count: Math.round(count) } : { from, to, count: Math.round(count) },
              ),
            }
          : {}),
        ...(top ? { top: top.filter((t) => t.item !== '').map((t) => ({ value: t.item, count: Number(t.count) })) } : {}),
      };
    }),
  };
}

doc({
  method: 'get',
  path: '/api/profiling/',
  tag: 'profiling',
  summary: 'Profile of the warehouse data (per-column nulls, distinct, min/max, exact sums, means, histograms, top values). Date histograms are in epoch milliseconds.',
  auth: true,
  query: ProfilingQuery,
  responses: { 200: { description: 'Profile', schema: Profile } },
});
profiling.get('/', async (c) => {
  const s = c.get('services');
  const q = parse(ProfilingQuery, c.req.query());
  const tenantId = tenantFor(c, q.tenant_id);
  const ft = q.file_type as FileType;
  await s.warehouse.ensureTenant(tenantId);
  const profile = await s.cache.getOrLoad(keys.cache.profile(tenantId, q.loan_type, ft), CACHE_TTL.profile, () => computeProfile(s, tenantId, q.loan_type, ft));
  return c.json(profile);
});
