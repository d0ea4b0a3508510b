/**
 * Warehouse.insertTsv takes a batch in parts (the rows of several validated chunks) and must send them as one
 * batch, never as separate bodies: two payment rows cut in three parts, one cut inside a value, must land as
 * exactly those two rows. Shared by the in-process engine's test and the warehouse process's.
 */
import assert from 'node:assert/strict';
import { qualified, type Warehouse } from '../../lib/warehouse.ts';

export async function assertInsertInParts(wh: Warehouse, tenantId: string): Promise<void> {
  const fixed = { loan_type: 'RETAIL' as const, sync_id: '7a1c2a4e-0b7d-4c1e-9a55-3f0e2d9b8c72', loaded_at: '2026-01-01 00:00:00.000' };
  const stg = qualified(tenantId, 'stg_payment');
  // A remote server takes whole rows; the embedded engine compact ones (Warehouse.compactRows).
  const row = (values: string, n: number) => `${values}\t${wh.compactRows ? n : `RETAIL\t${fixed.sync_id}\t${n}\t${fixed.loaded_at}`}\n`;
  const rows = [
    row('LP1\t1\t2024-01-31\t10.00\t9.00\t1.00\t0.00\t91.00\t\\N\t0.00\tPENDING\t0', 1),
    row('LP1\t2\t2024-02-29\t10.00\t9.50\t0.50\t0.00\t81.50\t2024-02-29\t10.00\tPAID\t0', 2),
  ];
  const bytes = Buffer.from(rows.join(''));
  const parts = [bytes.subarray(0, 7), bytes.subarray(7, rows[0].length + 3), bytes.subarray(rows[0].length + 3)];
  await wh.insertTsv(stg, 'payment_plan', parts, fixed);
  const got = await wh.query<{ n: string; principal: string }>(`SELECT count() AS n, toString(sum(principal_amount)) AS principal FROM ${stg} WHERE sync_id = {s:UUID}`, {
    s: fixed.sync_id,
  });
  assert.deepEqual(got, [{ n: '2', principal: '18.5' }]);
}
