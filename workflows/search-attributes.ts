import { SearchAttributeType, TypedSearchAttributes, defineSearchAttributeKey } from '@temporalio/common';
import type { LoanType } from '../domain/columns.ts';

export const TENANT_ID = defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD);
export const LOAN_TYPE = defineSearchAttributeKey('LoanType', SearchAttributeType.KEYWORD);

export function syncSearchAttributes(tenantId: string, loanType?: LoanType): TypedSearchAttributes {
  const pairs: ConstructorParameters<typeof TypedSearchAttributes>[0] = [{ key: TENANT_ID, value: tenantId }];
  if (loanType) pairs.push({ key: LOAN_TYPE, value: loanType });
  return new TypedSearchAttributes(pairs);
}
