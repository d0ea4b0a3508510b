/**
 * Tenant provisioning: registry row, PostgreSQL schema + migrations, sync configs, ClickHouse database,
 * Temporal schedule. Every step is idempotent so startup reconciliation can finish a half-done provisioning.
 */
import type { Db } from './db.ts';
import { withTransaction } from './db.ts';
import { migrateTenantSchema } from './migrations.ts';
import { generateApiKey, hashApiKey } from './apikeys.ts';
import { AppError } from './errors.ts';
import { LOAN_TYPES } from '../domain/columns.ts';
import { chDatabase, tenantIdProblem } from '../domain/tenant-id.ts';

export interface Tenant {
  id: string;
  name: string;
  pg_schema: string;
  ch_database: string;
  api_key_prefix: string;
  active: boolean;
  created_at: string;
  updated_at: string;
}

/** What provisioning needs beyond PostgreSQL; absent parts are reconciled later by the owning process. */
export interface ProvisionHooks {
  ensureWarehouse?(tenantId: string): Promise<void>;
  ensureSchedule?(tenantId: string, active: boolean): Promise<void>;
  /** Drops cached auth entries so a rotated/deactivated key stops working at once. */
  invalidateAuth?(tenantId: string, prefix: string): Promise<void>;
}

const TENANT_COLUMNS = 'id, name, pg_schema, ch_database, api_key_prefix, active, created_at, updated_at';

export function createTenantService(db: Db, hooks: ProvisionHooks = {}) {
  async function newKey(): Promise<{ key: string; prefix: string; hash: string }> {
    const { key, prefix } = generateApiKey();
    return { key, prefix, hash: await hashApiKey(key) };
  }

  return {
    async create(id: string, name: string): Promise<{ tenant: Tenant; apiKey: string }> {
      const problem = tenantIdProblem(id);
      if (problem) throw new AppError('VALIDATION_FAILED', problem, { field: 'tenant_id' });
      if (!name.trim() || name.length > 200) throw new AppError('VALIDATION_FAILED', 'name must be 1 to 200 characters', { field: 'name' });
      for (let attempt = 0; ; attempt++) {
        const { key, prefix, hash } = await newKey();
        try {
          const tenant = await withTransaction(db, async (c) => {
            const exists = await c.query('SELECT 1 FROM public.tenants WHERE id = $1', [id]);
            if (exists.rowCount) throw new AppError('TENANT_EXISTS', `tenant ${id} already exists`);
            const { rows } = await c.query<Tenant>(
              `INSERT INTO public.tenants (id, name, pg_schema, ch_database, api_key_prefix, api_key_hash)
               VALUES ($1, $2, $1, $3, $4, $5) RETURNING ${TENANT_COLUMNS}`,
              [id, name.trim(), chDatabase(id), prefix, hash],
            );
            await migrateTenantSchema(c, id);
            for (const lt of LOAN_TYPES) {
              await c.query(`INSERT INTO "${id}".sync_configs (loan_type) VALUES ($1) ON CONFLICT (loan_type) DO NOTHING`, [lt]);
            }
            return rows[0];
          });
          await hooks.ensureWarehouse?.(id);
          await hooks.ensureSchedule?.(id, true);
          return { tenant, apiKey: key };
        } catch (err) {
          // A prefix collision (2^-32 per pair) is retried with a fresh key.
          if ((err as { constraint?: string }).constraint === 'tenants_api_key_prefix_idx' && attempt < 3) continue;
          throw err;
        }
      }
    },

    async get(id: string): Promise<Tenant | null> {
      if (tenantIdProblem(id)) return null;
      const { rows } = await db.query<Tenant>(`SELECT ${TENANT_COLUMNS} FROM public.tenants WHERE id = $1`, [id]);
      return rows[0] ?? null;
    },

    async list(): Promise<Tenant[]> {
      const { rows } = await db.query<Tenant>(`SELECT ${TENANT_COLUMNS} FROM public.tenants ORDER BY id`);
      return rows;
    },

    /** Issues a new key; the old one stops working at once (hash replaced, auth cache dropped). */
    async rotateKey(id: string): Promise<{ tenant: Tenant; apiKey: string }> {
      const { key, prefix, hash } = await newKey();
      const { rows } = await db.query<Tenant & { old_prefix: string }>(
        `UPDATE public.tenants t SET api_key_prefix = $2, api_key_hash = $3, updated_at = now()
         FROM (SELECT id, api_key_prefix AS old_prefix FROM public.tenants WHERE id = $1 FOR UPDATE) o
         WHERE t.id = o.id RETURNING t.id, t.name, t.pg_schema, t.ch_database, t.api_key_prefix, t.active, t.created_at, t.updated_at, o.old_prefix`,
        [id, prefix, hash],
      );
      const row = rows[0];
      if (!row) throw new AppError('NOT_FOUND', `tenant ${id} not found`);
      await hooks.invalidateAuth?.(id, row.old_prefix);
      const { old_prefix: _, ...tenant } = row;
      return { tenant, apiKey: key };
    },

    async setActive(id: string, active: boolean): Promise<Tenant> {
      const { rows } = await db.query<Tenant>(
        `UPDATE public.tenants SET active = $2, updated_at = now() WHERE id = $1 RETURNING ${TENANT_COLUMNS}`,
        [id, active],
      );
      const tenant = rows[0];
      if (!tenant) throw new AppError('NOT_FOUND', `tenant ${id} not found`);
      await hooks.invalidateAuth?.(id, tenant.api_key_prefix);
      await hooks.ensureSchedule?.(id, active);
      return tenant;
    },
  };
}

export type TenantService = ReturnType<typeof createTenantService>;
