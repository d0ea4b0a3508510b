/**
 * SyncWorkflow: one sync of one tenant's loan type. Steps are activities (visible in the history); data stays
 * in Redis/ClickHouse/PostgreSQL and only keys, ids and counts cross this boundary. Deterministic code only.
 */
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  defineQuery,
  isCancellation,
  defineSignal,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type * as activities from '../activities/index.ts';
import type { FileType } from '../domain/columns.ts';
import type { FileProgress, FileValidation, SyncInput, SyncOutcome, SyncPhase, SyncProgress } from '../domain/sync-types.ts';
import { PROGRESS_QUERY, PROGRESS_SIGNAL, profilesWorkflowId } from '../domain/sync-types.ts';
import { profilesWorkflow } from './profiles.ts';
import { syncSearchAttributes } from './search-attributes.ts';

export const progressQuery = defineQuery<SyncProgress>(PROGRESS_QUERY);
export const fileProgressSignal = defineSignal<[{ fileType: FileType; progress: FileProgress }]>(PROGRESS_SIGNAL);

/** Bad data and business rules are not retried; infrastructure faults are. */
const NON_RETRYABLE = ['BadData', 'TenantNotFound'];

const SHORT: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  // These activities heartbeat on a timer (activities/index.ts keepAlive): a dead worker is noticed in 10 s.
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE },
};
const LONG: ActivityOptions = {
  startToCloseTimeout: '4 hours',
  // Short enough that a killed worker's activity is retried promptly; validate heartbeats every 2 s.
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8, nonRetryableErrorTypes: NON_RETRYABLE },
};
// A cancel request (Temporal UI, `temporal workflow cancel`) waits for the running activity to stop: a claim or a
// validation still writing must not race the clean-up that puts the uploads back. (Runs started before this
// existed replay with the default, through `cancelCleanly` below.)
const WAIT = { cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED };
const shortActs = { old: proxyActivities<typeof activities>(SHORT), waiting: proxyActivities<typeof activities>({ ...SHORT, ...WAIT }) };
const longActs = { old: proxyActivities<typeof activities>(LONG), waiting: proxyActivities<typeof activities>({ ...LONG, ...WAIT }) };
// The final log, the metrics and the cache: retried until the database is back (the workflow stays open and visible
// in Temporal UI meanwhile), so no sync is left RUNNING in its log because PostgreSQL was down for a few minutes.
const recordActs = proxyActivities<typeof activities>({
  startToCloseTimeout: '1 minute',
  // Not forever: an error that no retry can fix must not hold the sync's workflow id (409 for every new sync) for
  // good; after a day the run fails and shows in Temporal UI (docs/OPERATIONS.md).
  scheduleToCloseTimeout: '24 hours',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: NON_RETRYABLE },
});
const commitActs = proxyActivities<typeof activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 15, nonRetryableErrorTypes: NON_RETRYABLE },
});

/** Spec §6: abort when invalid rows / all rows, over both files, is greater than 0.50 (exactly 0.50 proceeds). */
export function shouldAbort(invalid: number, total: number): boolean {
  return total > 0 && invalid * 2 > total;
}

export async function syncWorkflow(input: SyncInput): Promise<SyncOutcome> {
  const { tenantId, loanType, syncId } = input;
  const progress: SyncProgress = {
    syncId,
    tenantId,
    loanType,
    phase: 'starting',
    status: 'RUNNING',
    files: {},
    errorsSoFar: 0,
    steps: [],
    message: '',
  };
  setHandler(progressQuery, () => progress);
  setHandler(fileProgressSignal, ({ fileType, progress: p }) => {
    const prev = progress.files[fileType];
    // Signals can arrive after a retry restarted the count; keep the newest figures of the file.
    progress.files[fileType] = { ...p, rowsTotal: prev?.rowsTotal ?? p.rowsTotal };
    progress.errorsSoFar = Object.values(progress.files).reduce((n, f) => n + (f?.errors ?? 0), 0);
  });

  const step = async <T>(phase: SyncPhase, name: string, fn: () => Promise<T>): Promise<T> => {
    progress.phase = phase;
    const entry = { name, startedAt: new Date().toISOString(), finishedAt: null as string | null };
    progress.steps.push(entry);
    const result = await fn();
    entry.finishedAt = new Date().toISOString();
    return result;
  };

  const info = workflowInfo();
  // Cancellation as designed below (activities waited for, clean-up and record shielded). patched: runs cancelled
  // before it existed replay as they were recorded.
  const cancelCleanly = patched('cancel-cleanly');
  const short = cancelCleanly ? shortActs.waiting : shortActs.old;
  const long = cancelCleanly ? longActs.waiting : longActs.old;
  const shielded = <T>(fn: () => Promise<T>): Promise<T> => (cancelCleanly ? CancellationScope.nonCancellable(fn) : fn());
  const cancelRequested = () => cancelCleanly && CancellationScope.current().consideredCancelled;
  const cancelledBeforeCommit = () => new CancelledFailure('Cancelled before the commit');
  // A begin that fails for good (the warehouse or the database down longer than its retries) ends the sync FAILED
  // and recorded like any other failure, not with its log left RUNNING. patched: older histories failed here.
  let beginFailure: unknown = null;
  try {
    await step('starting', 'begin', () => short.beginSync({ ...input, workflowId: info.workflowId, runId: info.runId }));
  } catch (err) {
    if (!patched('record-failed-begin')) throw err;
    beginFailure = err;
  }

  const outcome: SyncOutcome = { status: 'SUCCESS', files: {}, errorRate: 0, rowsWritten: {}, rowsRemoved: { payment_plan: 0 }, message: '' };
  let claimed: Awaited<ReturnType<typeof activities.claimUploads>> = {};
  let committed = false;
  let commitStarted = false;
  /** A cancel request that stopped the sync before its commit: rethrown once the sync is recorded. */
  let cancellation: unknown = null;
  try {
    if (beginFailure !== null) throw beginFailure;
    claimed = await step('claiming', 'claim', () => short.claimUploads({ tenantId, loanType, syncId }));
    const fileTypes = (['credit', 'payment_plan'] as const).filter((ft) => claimed[ft]);
    for (const ft of fileTypes) {
      progress.files[ft] = { rowsTotal: claimed[ft]!.rows, rowsProcessed: 0, rowsInvalid: 0, errors: 0 };
    }
    if (fileTypes.length === 0) {
      outcome.message = 'Nothing to sync: no pending uploads for this loan type.';
    } else {
      const results: Partial<Record<FileType, FileValidation>> = {};
      for (const ft of fileTypes) {
        results[ft] = await step('validating', `validate ${ft}`, () =>
          long.validateFile({
            tenantId,
            loanType,
            syncId,
            fileType: ft,
            // Spec §6: payments reference the credit file of this sync when there is one, else the warehouse.
            references: ft === 'payment_plan' ? (claimed.credit ? 'staging' : 'warehouse') : 'none',
          }),
        );
        const r = results[ft]!;
        progress.files[ft] = { rowsTotal: r.rowsTotal, rowsProcessed: r.rowsTotal, rowsInvalid: r.rowsInvalid, errors: sumValues(r.errorsByCode) };
        outcome.files[ft] = { ...claimed[ft]!, ...r };
      }
      progress.errorsSoFar = Object.values(results).reduce((n, r) => n + sumValues(r!.errorsByCode), 0);

      progress.phase = 'deciding';
      const total = sumOf(results, 'rowsTotal');
      const invalid = sumOf(results, 'rowsInvalid');
      outcome.errorRate = total === 0 ? 0 : invalid / total;
      if (shouldAbort(invalid, total)) {
        outcome.status = 'ABORTED';
        outcome.message = `Aborted: ${invalid} of ${total} rows are invalid (${pct(outcome.errorRate)} > 50%). The warehouse keeps its previous data; fix the files and upload them again.`;
      } else {
        // A cancel that reached the workflow after the last validation had ended (it is delivered at a heartbeat):
        // still before the commit, so honoured. Once the commit starts it no longer interrupts it.
        if (cancelRequested()) throw cancelledBeforeCommit();
        const written = await shielded(async () => {
          if (claimed.credit && !claimed.payment_plan) {
            // Spec §9.15: keep only payments whose loan is still in the new credit partition.
            const carry = await step('committing', 'carry over payments', () => commitActs.carryOverPayments({ tenantId, loanType, syncId }));
            outcome.rowsRemoved.payment_plan = carry.removed;
          }
          commitStarted = true;
          return step('committing', 'commit', () =>
            commitActs.commitPartitions({ tenantId, loanType, syncId, fileTypes, carryOver: Boolean(claimed.credit && !claimed.payment_plan) }),
          );
        });
        committed = true;
        outcome.rowsWritten = written;
        outcome.message = `Synced ${fileTypes.map((ft) => `${ft}: ${written[ft] ?? 0} rows`).join(', ')}` +
          (invalid ? `; ${invalid} invalid rows kept as failed records.` : '.') +
          (outcome.rowsRemoved.payment_plan ? ` Removed ${outcome.rowsRemoved.payment_plan} payment rows of loans no longer in the credit file.` : '');
      }
    }
    await shielded(() =>
      step('cleaning_up', 'clean up', () => short.cleanupSync({ tenantId, loanType, syncId, outcome: outcome.status === 'ABORTED' ? 'ABORTED' : 'SUCCESS' })),
    );
  } catch (err) {
    if (committed || (outcome.status === 'ABORTED' && patched('keep-aborted-when-cleanup-fails'))) {
      // The new data is in the warehouse, or the abort is decided (its uploads were dropped before the staging
      // clean-up, activities/cleanup.ts): only housekeeping failed, and the outcome stands.
      outcome.message += ` Clean-up failed: ${errorMessage(err)}`;
    } else {
      outcome.status = 'FAILED';
      // Also a failure that a cancel request caused (no retry once it is requested): the operator cancelled it.
      cancellation = isCancellation(err) ? err : cancelRequested() ? cancelledBeforeCommit() : null;
      outcome.message = cancellation
        ? 'Cancelled before the commit; the warehouse keeps its previous data and the uploads are pending again.'
        : `Failed: ${errorMessage(err)}`;
      // The clean-up runs even when the sync was cancelled: that is what puts the uploads back.
      await shielded(async () => {
        try {
          if (commitStarted) {
            // A commit that failed for good may have replaced one table: restore both from the snapshot.
            await step('cleaning_up', 'roll back', () => commitActs.rollbackPartitions({ tenantId, loanType, syncId }));
          }
          // Spec §9.15: no commit, or one rolled back, removed no payment row (a failed rollback leaves the count).
          outcome.rowsRemoved.payment_plan = 0;
          // Put the uploads back to pending (unless newer ones arrived); the warehouse keeps its old data.
          await step('cleaning_up', 'clean up', () => short.cleanupSync({ tenantId, loanType, syncId, outcome: 'FAILED' }));
        } catch (cleanupErr) {
          outcome.message += ` Clean-up failed too: ${errorMessage(cleanupErr)}`;
        }
      });
    }
  }
  progress.status = outcome.status;
  progress.message = outcome.message;
  // The timeline outlives the workflow in the sync log (the record step itself is not in it).
  const steps = progress.steps.map((x) => ({ ...x }));
  await shielded(() =>
    step('recording', 'record', () => recordActs.recordSync({ tenantId, loanType, syncId, trigger: input.trigger, outcome, steps })),
  );
  // The record step dropped the loan type's cached profiles; computed now, the first read after a sync is a cache
  // hit. In a workflow of its own, so that this one ends with its log and the next sync is never kept waiting.
  // patched: histories of syncs that ended before this step existed replay without it.
  if (outcome.status !== 'FAILED' && patched('precompute-profiles')) {
    try {
      await shielded(() => startChild(profilesWorkflow, {
        workflowId: profilesWorkflowId(tenantId, loanType, syncId),
        args: [{ tenantId, loanType, syncId }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: syncSearchAttributes(tenantId, loanType),
        staticSummary: `Profiles of ${tenantId} ${loanType} after sync ${syncId}`,
      }));
    } catch (err) {
      log.warn('profiles not precomputed; the first read computes them', { tenantId, loanType, syncId, error: errorMessage(err) });
    }
  }
  progress.phase = 'done';
  // Cancelled, recorded and cleaned up: the execution ends Canceled in Temporal UI.
  if (cancellation !== null) throw cancellation;
  if (outcome.status === 'FAILED') {
    // The sync is recorded; fail the execution too so operators see it in Temporal UI.
    throw ApplicationFailure.nonRetryable(outcome.message, 'SyncFailed');
  }
  return outcome;
}

function sumValues(o: Partial<Record<string, number>>): number {
  let n = 0;
  for (const v of Object.values(o)) n += v ?? 0;
  return n;
}
function sumOf(r: Partial<Record<FileType, FileValidation>>, k: 'rowsTotal' | 'rowsInvalid'): number {
  return (r.credit?.[k] ?? 0) + (r.payment_plan?.[k] ?? 0);
}
function pct(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}
function errorMessage(err: unknown): string {
  let e = err as { message?: string; cause?: unknown };
  // ActivityFailure wraps the real cause.
  while (e?.cause) e = e.cause as typeof e;
  return e?.message ?? String(err);
}
