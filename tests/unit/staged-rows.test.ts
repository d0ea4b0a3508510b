/** Native blocks of staged rows (domain/staged-rows.ts nativeBlock) as bytes; the engine reads them in tests/integration/staged-rows.test.ts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StagedRowEncoder, StagedSink, nativeBlock, nativeColumns } from '../../domain/staged-rows.ts';

const ROW = ['LP1', '1', '2024-01-31', '10.00', '9.00', '1.00', '0.00', '91.00', null, '0.00', 'PENDING', '0'];

function rowBinary(rows: number): Uint8Array {
  const enc = new StagedRowEncoder('payment_plan');
  const sink = new StagedSink();
  for (let i = 1; i <= rows; i++) enc.writeRow(sink, ROW, i);
  return sink.take()!;
}

test('nativeBlock: the header counts every staged column and the rows, and names each column with its plain type', () => {
  const block = nativeBlock('payment_plan', rowBinary(3), 3);
  const cols = nativeColumns('payment_plan');
  assert.equal(block[0], cols.length);
  assert.equal(block[1], 3);
  const name = cols[0].name;
  assert.equal(Buffer.from(block.subarray(3, 3 + name.length)).toString(), name);
  assert.ok(cols.every((c) => !c.chType.includes('LowCardinality')), 'LowCardinality columns travel as their plain type');
  assert.ok(cols.some((c) => c.chType === 'Nullable(String)' || c.chType === 'String'));
});

test('nativeBlock: bytes that do not hold the rows it is told are refused, never sent half-read', () => {
  const two = rowBinary(2);
  assert.throws(() => nativeBlock('payment_plan', two, 1), /do not hold 1 rows of payment_plan/);
  assert.throws(() => nativeBlock('payment_plan', two.subarray(0, two.length - 1), 2), /do not hold 2 rows/);
});
