/** Tenant ids become PostgreSQL schema and ClickHouse database names, so they are strictly validated. */
export const TENANT_ID_PATTERN = /^[a-z][a-z0-9_]{2,31}$/;
const RESERVED = new Set(['public', 'information_schema', 'default', 'system', 'findata', 'temporal', 'postgres']);

export function tenantIdProblem(id: unknown): string | null {
  if (typeof id !== 'string' || !TENANT_ID_PATTERN.test(id)) {
    return 'tenant id must match ^[a-z][a-z0-9_]{2,31}$ (lower-case letter first, then lower-case letters, digits or _; 3 to 32 characters)';
  }
  if (RESERVED.has(id) || id.startsWith('pg_')) return `tenant id "${id}" is reserved`;
  return null;
}

export function isTenantId(id: unknown): id is string {
  return tenantIdProblem(id) === null;
}

export function assertTenantId(id: unknown): asserts id is string {
  const problem = tenantIdProblem(id);
  if (problem) throw new Error(problem);
}

export const chDatabase = (tenantId: string): string => {
  assertTenantId(tenantId);
  return `${tenantId}_dw`;
};
