/**
 * All activities, built from injected dependencies. Workflows import this module for types only
 * (`import type * as activities`): the exported functions below give proxyActivities its signatures.
 */
import { Context } from '@temporalio/activity';
import type { ActivityDeps } from './deps.ts';
import { createBeginActivities } from './begin.ts';
import { createClaimActivities } from './claim.ts';
import { createValidateActivities } from './validate.ts';
import { createCommitActivities } from './commit.ts';
import { createCleanupActivities } from './cleanup.ts';
import { createRecordActivities } from './record.ts';
import { createPendingActivities } from './pending.ts';
import { createProfileActivities } from './profile.ts';

export function createActivities(deps: ActivityDeps) {
  return {
    ...keepAlive(createBeginActivities(deps)),
    ...keepAlive(createClaimActivities(deps)),
    ...keepAlive(createValidateActivities(deps)),
    ...keepAlive(createCommitActivities(deps)),
    ...keepAlive(createCleanupActivities(deps)),
    ...keepAlive(createRecordActivities(deps)),
    ...keepAlive(createPendingActivities(deps)),
    ...keepAlive(createProfileActivities(deps)),
  };
}

/** Heartbeat interval of every activity; the workflow's heartbeat timeouts are 10 s (short ones) and 20 s. */
export const KEEP_ALIVE_MS = 2_000;

/**
 * Every activity heartbeats on a timer while it runs, so a worker that dies in one is noticed within the
 * heartbeat timeout instead of the start-to-close timeout, while a slow but live one (PostgreSQL restarting, a
 * long INSERT … SELECT of a carry-over, a big insert the validation waits for) is never cut off. Heartbeat details
 * are informational only: no activity resumes from them, a retry starts over.
 */
function keepAlive<T extends Record<string, (...args: any[]) => Promise<any>>>(acts: T): T {
  const wrapped: Record<string, (...args: any[]) => Promise<any>> = {};
  for (const [name, fn] of Object.entries(acts)) {
    wrapped[name] = async (...args) => {
      let ctx: Context | undefined;
      try {
        ctx = Context.current();
      } catch {
        return fn(...args); // called outside a worker (unit use): nothing to keep alive
      }
      const timer = setInterval(() => ctx!.heartbeat(), KEEP_ALIVE_MS);
      try {
        return await fn(...args);
      } finally {
        clearInterval(timer);
      }
    };
  }
  return wrapped as T;
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
export declare const precomputeProfiles: Acts['precomputeProfiles'];
