import type { ActivityDeps } from './deps.ts';
import { FILE_TYPES, type LoanType } from '../domain/columns.ts';
import { withTenant } from '../lib/db.ts';
import { pendingRows } from '../lib/staging.ts';

export function createPendingActivities(deps: ActivityDeps) {
  return {
    /** Loan types whose sync config is enabled and that have pending uploads (O(1) count per file). */
    async findPendingLoanTypes(input: { tenantId: string }): Promise<LoanType[]> {
      const { rows } = await withTenant(deps.db, input.tenantId, (c) =>
        c.query<{ loan_type: LoanType }>(`SELECT loan_type FROM sync_configs WHERE enabled ORDER BY loan_type DESC`),
      );
      const out: LoanType[] = [];
      for (const { loan_type } of rows) {
        for (const ft of FILE_TYPES) {
          if ((await pendingRows(deps.redis.staging, input.tenantId, loan_type, ft)) > 0) {
            out.push(loan_type);
            break;
          }
        }
      }
      return out;
    },
  };
}
