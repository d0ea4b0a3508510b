/** Native blocks of staged rows (domain/staged-rows.ts nativeBlock) as bytes; the engine reads them in tests/integration/staged-rows.test.ts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StagedRowEncoder, StagedSink, nativeBlock, nativeColumns, sinkOwned } from '../../domain/staged-rows.ts';
import { ownsBuffer } from '../../domain/file-validator.ts';

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

test('StagedSink: a buffer given back carries the next rows, and take() hands the written one out without a copy', () => {
  const enc = new StagedRowEncoder('payment_plan');
  const sink = new StagedSink();
  enc.writeRow(sink, ROW, 1);
  const first = sink.take()!;
  assert.ok(sinkOwned(first), 'transferable: its rows start a buffer of its own');
  assert.equal(first.byteLength, first.buffer.byteLength, 'nothing given back yet: a copy of its size');
  sink.recycle(first.buffer as ArrayBuffer);
  const written = sink.buf.buffer;
  enc.writeRow(sink, ROW, 2);
  const second = sink.take()!;
  assert.equal(second.buffer, written, 'handed out where it was written');
  assert.equal(sink.buf.buffer, first.buffer, 'the next rows go to the buffer given back');
  enc.writeRow(sink, ROW, 3);
  const third = sink.take()!;
  const fresh = new StagedSink();
  enc.writeRow(fresh, ROW, 3);
  assert.deepEqual([...third], [...fresh.take()!], 'rows written in a reused buffer are whole');
  assert.equal(sinkOwned(Buffer.from('pooled')), false, 'a Node Buffer may be a slice of the shared pool');
});

test('nativeBlock: a block goes into the arena while it has room, into a buffer of its own when not, and is the same bytes', () => {
  const rb = rowBinary(2);
  const alone = nativeBlock('payment_plan', rb, 2);
  const arena = { buf: new Uint8Array(alone.length * 2 + 10), pos: 0 };
  const a = nativeBlock('payment_plan', rb, 2, arena);
  const b = nativeBlock('payment_plan', rb, 2, arena);
  assert.equal(a.buffer, arena.buf.buffer);
  assert.equal(b.buffer, arena.buf.buffer);
  assert.equal(b.byteOffset, a.length, 'blocks one after the other');
  assert.equal(arena.pos, 2 * alone.length);
  const c = nativeBlock('payment_plan', rb, 2, arena);
  assert.notEqual(c.buffer, arena.buf.buffer, 'no room left: a buffer of its own');
  assert.equal(arena.pos, 2 * alone.length);
  for (const x of [a, b, c]) assert.deepEqual([...x], [...alone]);
});

test('StagedSink.writeText: strings of several-byte characters past its first buffer come out whole, and each take starts afresh', () => {
  const b = new StagedSink();
  const parts = ['row 1\tİstanbul\n', 'ş'.repeat(40_000), '€'.repeat(30_000), 'plain\n'];
  for (const p of parts) b.writeText(p);
  assert.equal(Buffer.from(b.take()!).toString('utf8'), parts.join(''));
  assert.equal(b.take(), null, 'nothing written since the last take');
  b.writeText('again');
  const out = b.take()!;
  assert.equal(Buffer.from(out).toString('utf8'), 'again');
  assert.ok(ownsBuffer(out), 'a buffer of its own, to be transferred');
});
