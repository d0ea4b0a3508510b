import { Context } from '@temporalio/activity';
import { faultPoint, type ActivityDeps } from './deps.ts';
import { FACT_TABLE, STAGING_TABLE, type FileType, type LoanType } from '../domain/columns.ts';
import { BACKUP_TABLE, qualified } from '../lib/warehouse.ts';
import { keys } from '../lib/keys.ts';

interface CommitInput {
  tenantId: string;
  loanType: LoanType;
  syncId: string;
}

const snapshotKey = (i: CommitInput) => keys.commitSnapshot(i.tenantId, i.loanType, i.syncId);

export function createCommitActivities(deps: ActivityDeps) {
  const wh = deps.warehouse;
  const count = async (table: string, lt: LoanType) =>
    Number((await wh.query<{ n: string }>(`SELECT count() AS n FROM ${table} WHERE loan_type = {lt:String}`, { lt }))[0]?.n ?? 0);

  /**
   * REPLACE PARTITION from an empty source is refused by current ClickHouse (it would silently drop data);
   * replacing with nothing is exactly what we mean then, so that case is a DROP PARTITION (also atomic).
   */
  const replacePartition = async (dst: string, src: string, lt: LoanType) => {
    if ((await count(src, lt)) === 0) await wh.command(`ALTER TABLE ${dst} DROP PARTITION {lt:String}`, { lt });
    else await wh.command(`ALTER TABLE ${dst} REPLACE PARTITION {lt:String} FROM ${src}`, { lt });
  };

  return {
    /**
     * Spec §9.15 (credit file without payment plan): stage the loan type's current payments whose loan is in the
     * new credit partition, so the atomic replace drops the others. Idempotent: recomputed from the warehouse.
     */
    async carryOverPayments(input: CommitInput): Promise<{ kept: number; removed: number }> {
      const { tenantId, loanType } = input;
      const stgPay = qualified(tenantId, STAGING_TABLE.payment_plan);
      const fact = qualified(tenantId, FACT_TABLE.payment_plan);
      await wh.command(`ALTER TABLE ${stgPay} DROP PARTITION {lt:String}`, { lt: loanType });
      await wh.command(
        `INSERT INTO ${stgPay} SELECT * FROM ${fact} FINAL WHERE loan_type = {lt:String}
           AND loan_account_number IN (SELECT loan_account_number FROM ${qualified(tenantId, STAGING_TABLE.credit)} WHERE loan_type = {lt:String})`,
        { lt: loanType },
      );
      await faultPoint(deps, 'carry.afterStage');
      const before = Number((await wh.query<{ n: string }>(`SELECT count() AS n FROM ${fact} FINAL WHERE loan_type = {lt:String}`, { lt: loanType }))[0]?.n ?? 0);
      const kept = await count(stgPay, loanType);
      return { kept, removed: before - kept };
    },

    /**
     * Atomically replaces the loan type's partition of each fact table from staging (REPLACE PARTITION), after
     * snapshotting the current partitions so a commit that fails for good can be rolled back. Retry-safe:
     * staging keeps its data until clean-up, and the snapshot is taken once per sync.
     */
    async commitPartitions(input: CommitInput & { fileTypes: FileType[]; carryOver: boolean }): Promise<Partial<Record<FileType, number>>> {
      const { tenantId, loanType } = input;
      const tables: FileType[] = [...input.fileTypes];
      if (input.carryOver && !tables.includes('payment_plan')) tables.push('payment_plan');
      const marker = snapshotKey(input);
      if ((await deps.redis.staging.get(marker)) === null) {
        for (const ft of tables) {
          await replacePartition(qualified(tenantId, BACKUP_TABLE[ft]), qualified(tenantId, FACT_TABLE[ft]), loanType);
        }
        await deps.redis.staging.set(marker, JSON.stringify(tables), 'EX', 7 * 24 * 3600);
      }
      const written: Partial<Record<FileType, number>> = {};
      for (const ft of tables) {
        written[ft] = await count(qualified(tenantId, STAGING_TABLE[ft]), loanType);
      }
      // Credit first: between the two statements every payment still references an existing loan
      // (the new credit partition holds every loan the new payments reference).
      for (const [i, ft] of tables.entries()) {
        Context.current().heartbeat(ft);
        if (i > 0) await faultPoint(deps, 'commit.between', () => Context.current().heartbeat(ft));
        await replacePartition(qualified(tenantId, FACT_TABLE[ft]), qualified(tenantId, STAGING_TABLE[ft]), loanType);
      }
      if (input.carryOver) written.payment_plan = undefined;
      return Object.fromEntries(Object.entries(written).filter(([, n]) => n !== undefined)) as Partial<Record<FileType, number>>;
    },

    /** Restores the partitions snapshotted by this sync's commit (a commit that failed for good). */
    async rollbackPartitions(input: CommitInput): Promise<void> {
      const marker = snapshotKey(input);
      const raw = await deps.redis.staging.get(marker);
      if (raw === null) return;
      for (const [i, ft] of (JSON.parse(raw) as FileType[]).entries()) {
        if (i > 0) await faultPoint(deps, 'rollback.between');
        await replacePartition(qualified(input.tenantId, FACT_TABLE[ft]), qualified(input.tenantId, BACKUP_TABLE[ft]), input.loanType);
      }
      await deps.redis.staging.del(marker);
    },
  };
}
