/**
 * Warehouse.insertStaged takes a batch in parts (a Native block per validated chunk) and must send them as one
 * batch, never as separate bodies: two blocks of one payment row each, the first cut in two inside a value, must
 * land as exactly those two rows, and a body in more parts than one vectored write takes must land whole.
 * Shared by the in-process engine's test and the warehouse process's.
 */
import assert from 'node:assert/strict';
import { qualified, type Warehouse } from '../../lib/warehouse.ts';
import { StagedRowEncoder, StagedSink, nativeBlock } from '../../domain/staged-rows.ts';

export async function assertInsertInParts(wh: Warehouse, tenantId: string): Promise<void> {
  const fixed = { loan_type: 'RETAIL' as const, sync_id: '7a1c2a4e-0b7d-4c1e-9a55-3f0e2d9b8c72', loaded_at: '2026-01-01 00:00:00.000' };
  const stg = qualified(tenantId, 'stg_payment');
  const enc = new StagedRowEncoder('payment_plan');
  const block = (values: (string | null)[], row: number) => {
    const sink = new StagedSink();
    enc.writeRow(sink, values, row);
    return nativeBlock('payment_plan', sink.take()!, 1);
  };
  // A block per validated chunk; the first cut in two inside its loan number's column.
  const first = block(['LP1', '1', '2024-01-31', '10.00', '9.00', '1.00', '0.00', '91.00', null, '0.00', 'PENDING', '0'], 1);
  const second = block(['LP1', '2', '2024-02-29', '10.00', '9.50', '0.50', '0.00', '81.50', '2024-02-29', '10.00', 'PAID', '0'], 2);
  const cut = first.indexOf(0x50); // 'P' of LP1
  assert.ok(cut > 0);
  await wh.insertStaged(stg, 'payment_plan', [first.subarray(0, cut), first.subarray(cut), second], fixed);
  const got = await wh.query<{ n: string; principal: string }>(`SELECT count() AS n, toString(sum(principal_amount)) AS principal FROM ${stg} WHERE sync_id = {s:UUID}`, {
    s: fixed.sync_id,
  });
  assert.deepEqual(got, [{ n: '2', principal: '18.5' }]);

  // More parts than one vectored write takes (IOV_MAX, 1024): 40 rows in one block, every byte a part of its own.
  const many = { ...fixed, sync_id: '0c9e5d1a-52a4-4f0e-8f3b-6d2a1c7e9b40' };
  const sink = new StagedSink();
  for (let i = 1; i <= 40; i++) enc.writeRow(sink, ['LP2', String(i), '2024-01-31', '10.00', '9.00', '1.00', '0.00', '91.00', null, '0.00', 'PENDING', '0'], i);
  const big = nativeBlock('payment_plan', sink.take()!, 40);
  assert.ok(big.length > 2048, `a block of ${big.length} bytes`);
  await wh.insertStaged(stg, 'payment_plan', Array.from({ length: big.length }, (_, i) => big.subarray(i, i + 1)), many);
  const landed = await wh.query<{ n: string; last: string }>(`SELECT count() AS n, toString(max(installment_number)) AS last FROM ${stg} WHERE sync_id = {s:UUID}`, {
    s: many.sync_id,
  });
  assert.deepEqual(landed, [{ n: '40', last: '40' }]);
}
