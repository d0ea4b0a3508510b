/**
 * GET /api/profiling/: the column profile of one table of a loan type (lib/profiles.ts). Usually precomputed by
 * the last sync (cached until the loan type's next sync); on a miss computed here and cached 10 minutes.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../services.ts';
import { requireAuth, tenantFor } from '../middleware/auth.ts';
import { doc, parse } from '../openapi.ts';
import { cachedJson } from '../json-body.ts';
import { Profile, ProfilingQuery } from '../schemas.ts';
import type { FileType } from '../../domain/columns.ts';
import { CACHE_TTL, keys } from '../../lib/keys.ts';
import { computeProfile } from '../../lib/profiles.ts';

export const profiling = new Hono<AppEnv>({ strict: false });
profiling.use('*', requireAuth());

doc({
  method: 'get',
  path: '/api/profiling/',
  tag: 'profiling',
  summary: 'Profile of the warehouse data (per-column nulls, distinct, min/max, exact sums, means, histograms of 10 equal-width bins from min to max with exact counts, top values). Date histograms are in epoch milliseconds.',
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
  const profile = await s.cache.getOrLoad(keys.cache.profile(tenantId, q.loan_type, ft), CACHE_TTL.profile, () => computeProfile(s.warehouse, tenantId, q.loan_type, ft));
  return cachedJson(c, profile);
});
