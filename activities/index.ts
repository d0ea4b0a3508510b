/**
 * All activities, built from injected dependencies. Workflows import this module for types only
 * (`import type * as activities`): the exported functions below give proxyActivities its signatures.
 */
import type { ActivityDeps } from './deps.ts';
import { createBeginActivities } from './begin.ts';
import { createClaimActivities } from './claim.ts';
import { createValidateActivities } from './validate.ts';
import { createCommitActivities } from './commit.ts';
import { createCleanupActivities } from './cleanup.ts';
import { createRecordActivities } from './record.ts';
import { createPendingActivities } from './pending.ts';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createBeginActivities(deps),
    ...createClaimActivities(deps),
    ...createValidateActivities(deps),
    ...createCommitActivities(deps),
    ...createCleanupActivities(deps),
    ...createRecordActivities(deps),
    ...createPendingActivities(deps),
  };
}

type Acts = ReturnType<typeof createActivities>;
// Type-level exports for `proxyActivities<typeof activities>` in workflow code.
export declare const beginSync: Acts['beginSync'];
export declare const claimUploads: Acts['claimUploads'];
export declare const validateFile: Acts['validateFile'];
export declare const carryOverPayments: Acts['carryOverPayments'];
export declare const commitPartitions: Acts['commitPartitions'];
export declare const rollbackPartitions: Acts['rollbackPartitions'];
export declare const cleanupSync: Acts['cleanupSync'];
export declare const recordSync: Acts['recordSync'];
export declare const findPendingLoanTypes: Acts['findPendingLoanTypes'];
