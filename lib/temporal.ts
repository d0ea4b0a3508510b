/** Temporal client side: connection, per-tenant schedules, manual sync starts, progress queries. */
import { Client, Connection, ScheduleNotFoundError, ScheduleOverlapPolicy, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { LoanType } from '../domain/columns.ts';
import type { SyncInput, SyncProgress } from '../domain/sync-types.ts';
import { PROGRESS_QUERY, syncWorkflowId, tenantScheduleId, tenantSyncWorkflowId } from '../domain/sync-types.ts';
import { syncSearchAttributes } from '../workflows/search-attributes.ts';
import { AppError } from './errors.ts';

export interface TemporalSettings {
  address: string;
  namespace: string;
  taskQueue: string;
}

export async function connectTemporal(s: TemporalSettings): Promise<Client> {
  const connection = await Connection.connect({ address: s.address });
  return new Client({ connection, namespace: s.namespace });
}

export function createSyncControl(client: Client, s: TemporalSettings) {
  /**
   * A sync whose log already shows its result is only closing its workflow: a client that waited for the log
   * and starts the next sync must not get a 409 for that moment. True when it ended within 5 s.
   */
  async function finishing(workflowId: string): Promise<boolean> {
    const handle = client.workflow.getHandle(workflowId);
    try {
      const p = await handle.query<SyncProgress>(PROGRESS_QUERY);
      if (p.phase !== 'recording' && p.phase !== 'done') return false;
      let timer: NodeJS.Timeout | undefined;
      const ended = await Promise.race([
        handle.result().then(
          () => true,
          () => true,
        ),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 5000))),
      ]);
      clearTimeout(timer);
      return ended;
    } catch {
      return false;
    }
  }
  return {
    client,
    /** Creates or updates the tenant's schedule; paused when the tenant is inactive. Idempotent. */
    async ensureSchedule(tenantId: string, active: boolean, everySeconds: number): Promise<void> {
      const scheduleId = tenantScheduleId(tenantId);
      const spec = { intervals: [{ every: `${everySeconds}s` }] };
      const handle = client.schedule.getHandle(scheduleId);
      try {
        const desc = await handle.describe();
        const every = desc.spec.intervals?.[0]?.every;
        if (Number(every) !== everySeconds * 1000) await handle.update((prev) => ({ ...prev, spec }));
        if (desc.state.paused === active) await (active ? handle.unpause('tenant active') : handle.pause('tenant deactivated'));
        return;
      } catch (err) {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      }
      try {
        await client.schedule.create({
          scheduleId,
          spec,
          action: {
            type: 'startWorkflow',
            workflowType: 'tenantSyncWorkflow',
            workflowId: tenantSyncWorkflowId(tenantId),
            taskQueue: s.taskQueue,
            args: [{ tenantId }],
            typedSearchAttributes: syncSearchAttributes(tenantId),
            staticSummary: `Scheduled pending-upload check of ${tenantId}`,
          },
          policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
          state: { paused: !active, note: active ? undefined : 'tenant deactivated' },
        });
      } catch (err) {
        // Created concurrently by another process: fine.
        if ((err as Error).name !== 'ScheduleAlreadyRunning') throw err;
      }
    },

    async deleteSchedule(tenantId: string): Promise<void> {
      await client.schedule.getHandle(tenantScheduleId(tenantId)).delete().catch(() => {});
    },

    /** Starts a manual sync; at most one per tenant + loan type runs (workflow id uniqueness). */
    async startManualSync(input: SyncInput): Promise<{ workflowId: string; runId: string }> {
      const workflowId = syncWorkflowId(input.tenantId, input.loanType);
      for (let attempt = 0; ; attempt++) {
      try {
        const handle = await client.workflow.start('syncWorkflow', {
          workflowId,
          taskQueue: s.taskQueue,
          args: [input],
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
          typedSearchAttributes: syncSearchAttributes(input.tenantId, input.loanType),
          staticSummary: `Manual sync of ${input.tenantId} ${input.loanType} (sync ${input.syncId})`,
        });
        return { workflowId, runId: handle.firstExecutionRunId };
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        // A sync that has already recorded its result is finishing: wait for it instead of refusing.
        if (attempt === 0 && (await finishing(workflowId))) continue;
        throw new AppError('SYNC_ALREADY_RUNNING', `A sync of ${input.tenantId} ${input.loanType} is already running.`);
      }
      }
    },

    /** Live progress of a running (or finished) sync, or null when the workflow cannot answer. */
    async progress(workflowId: string, runId: string | null): Promise<SyncProgress | null> {
      try {
        return await client.workflow.getHandle(workflowId, runId ?? undefined).query<SyncProgress>(PROGRESS_QUERY);
      } catch {
        return null;
      }
    },

    /** Is a sync of this tenant + loan type running (and not just closing)? */
    async busy(tenantId: string, loanType: LoanType): Promise<boolean> {
      return (await this.isRunning(tenantId, loanType)) && !(await finishing(syncWorkflowId(tenantId, loanType)));
    },

    async isRunning(tenantId: string, loanType: LoanType): Promise<boolean> {
      try {
        const d = await client.workflow.getHandle(syncWorkflowId(tenantId, loanType)).describe();
        return d.status.name === 'RUNNING';
      } catch {
        return false;
      }
    },
  };
}

export type SyncControl = ReturnType<typeof createSyncControl>;
