/**
 * Parallel validation (domain/file-validator.ts SegmentCutter/SegmentCounter/SegmentValidator/SegmentMerger, as the validate
 * activity drives them) gives exactly what validating the file in order gives: the same staged rows, errors,
 * failed rows and counts — row numbers and DUPLICATE included — whatever the segment size and arrival order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COLUMNS, type FileType } from '../../domain/columns.ts';
import { KEY_SEP, KeyRegistry } from '../../domain/duplicate-keys.ts';
import {
  FileValidator,
  SegmentCutError,
  SegmentCutter,
  SegmentCounter,
  SegmentMerger,
  SegmentValidator,
  type FileValidatorInit,
  type ValidateBatch,
} from '../../domain/file-validator.ts';
import { generateInMemory } from '../../domain/generator.ts';

const init = (fileType: FileType, references: string | null = null): FileValidatorInit => ({
  fileType,
  loanType: 'RETAIL',
  references,
});

interface Outcome {
  /** The staged bytes, base64. */
  staged: string;
  errors: ValidateBatch['errors'];
  failed: string[];
  result: unknown;
}

function collect(batches: ValidateBatch[], result: unknown): Outcome {
  return {
    staged: Buffer.concat(batches.flatMap((b) => (b.staged ? [b.staged] : []))).toString('base64'),
    errors: batches.flatMap((b) => b.errors),
    failed: batches.flatMap((b) => b.failedLines),
    result,
  };
}

function inOrder(i: FileValidatorInit, body: Buffer): Outcome {
  const v = new FileValidator(i);
  const batches: ValidateBatch[] = [];
  for (let o = 0; o < body.length; o += 65_536) batches.push(v.push(body.subarray(o, o + 65_536)));
  batches.push(v.end());
  return collect(batches, v.result);
}

/** What the activity does with threads, in-process: `threads` validators, replies handled out of arrival order. */
function parallel(i: FileValidatorInit, body: Buffer, segmentBytes: number, threads = 2, chunk = 50_000): Outcome & { segments: number } {
  const cutter = new SegmentCutter(segmentBytes);
  const segs = [];
  for (let o = 0; o < body.length; o += chunk) segs.push(...cutter.push(body.subarray(o, o + chunk)));
  segs.push(cutter.end());
  const counter = new SegmentCounter();
  const places = segs.map((s) => ({ first: s.first, last: s.last, byteOffset: s.byteOffset, rowOffset: counter.add(s) }));
  const validators = Array.from({ length: threads }, () => new SegmentValidator(i, counter.header!));
  const on = (seq: number) => validators[seq % threads];
  // Later segments first: merges must still follow file order.
  const first = segs.map((s) => on(s.seq).validate(s.seq, s.buf, places[s.seq])).reverse();
  const merger = new SegmentMerger<(typeof first)[number]>();
  const finals = first.flatMap((r) => merger.add(r));
  assert.deepEqual(
    finals.map((f) => f.segment.seq),
    segs.map((s) => s.seq),
  );
  const batches: ValidateBatch[] = [];
  let result = { rowsTotal: 0, rowsValid: 0, rowsInvalid: 0, errorsByCode: {} as Record<string, number>, errorsByField: {} as Record<string, number> };
  for (const { segment, conflicts } of finals) {
    const { batch, result: r } = conflicts.length ? on(segment.seq).revalidate(segment.seq, conflicts) : segment;
    on(segment.seq).release(segment.seq);
    batches.push(batch);
    result = {
      rowsTotal: result.rowsTotal + r.rowsTotal,
      rowsValid: result.rowsValid + r.rowsValid,
      rowsInvalid: result.rowsInvalid + r.rowsInvalid,
      errorsByCode: sumInto(result.errorsByCode, r.errorsByCode as Record<string, number>),
      errorsByField: sumInto(result.errorsByField, r.errorsByField),
    };
  }
  return { ...collect(batches, result), segments: segs.length };
}

function sumInto(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, n] of Object.entries(b)) out[k] = (out[k] ?? 0) + n;
  return out;
}

function assertSame(p: Outcome, s: Outcome, what: string) {
  assert.deepEqual(p.result, s.result, `${what}: counts`);
  assert.deepEqual(p.errors, s.errors, `${what}: errors, in order, with file row numbers`);
  assert.deepEqual(p.failed, s.failed, `${what}: failed rows`);
  assert.equal(p.staged, s.staged, `${what}: staged rows`);
}

/** A payment file whose tail repeats early rows: duplicates far from their first occurrence, in other segments. */
async function paymentsWithFarDuplicates() {
  const f = await generateInMemory({ loanType: 'RETAIL', credits: 400, errorRate: 0.05, seed: 11 });
  const lines = f.payment_plan.trimEnd().split('\n');
  const header = lines[0];
  const early = lines.slice(1, 40);
  // Copies of early rows; one also breaks another field, so an invalid row claims a key an earlier segment holds.
  const copies = early.map((l, k) => (k === 5 ? l.replace(/,[A-Z]+,(\d+)$/, ',??,$1') : l));
  const body = [header, ...lines.slice(1), '', '   ', ...copies].join('\r\n') + '\r\n';
  const refs = f.credit
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((l) => l.split(',')[0])
    .join('\n');
  return { body: Buffer.from(body), refs: refs + '\n' };
}

test('parallel validation: a payment plan with far duplicates, CRLF and blank lines gives exactly the in-order result at any segment size', async () => {
  const { body, refs } = await paymentsWithFarDuplicates();
  const s = inOrder(init('payment_plan', refs), body);
  assert.ok((s.result as { errorsByCode: Record<string, number> }).errorsByCode.DUPLICATE! >= 39, 'the copies are duplicates');
  for (const segmentBytes of [1_000, 7_777, 64_000, 10_000_000]) {
    for (const threads of [1, 2, 3]) {
      const p = parallel(init('payment_plan', refs), body, segmentBytes, threads);
      if (segmentBytes < body.length) assert.ok(p.segments > 2, 'several segments');
      assertSame(p, s, `segments of ${segmentBytes} B, ${threads} threads`);
    }
  }
});

test('parallel validation: a credit file (string keys) with errors and duplicates gives exactly the in-order result', async () => {
  const f = await generateInMemory({ loanType: 'RETAIL', credits: 600, errorRate: 0.05, seed: 5 });
  const lines = f.credit.trimEnd().split('\n');
  const body = Buffer.from([...lines, lines[3], lines[200], lines[3]].join('\n')); // no final line break
  const s = inOrder(init('credit'), body);
  for (const segmentBytes of [2_048, 30_000]) assertSame(parallel(init('credit'), body, segmentBytes), s, `segments of ${segmentBytes} B`);
});

test('parallel validation: a quoted value holding a line break across a cut is detected, so the file is validated in order', () => {
  const header = 'loan_account_number,installment_number,due_date,installment_amount,principal_amount,interest_amount,tax_amount,remaining_principal,payment_date,paid_amount,payment_status,days_late';
  const row = (n: number) => `LN1,${n},20250113,10.00,5.00,5.00,0.00,0.00,,,B,0`;
  const rows = Array.from({ length: 200 }, (_, k) => row(k + 1));
  rows[100] = `"LN\n1",101,20250113,10.00,5.00,5.00,0.00,0.00,,,B,0`; // invalid (FORMAT) but well-formed CSV
  const body = Buffer.from([header, ...rows].join('\n') + '\n');
  const cutAt = body.indexOf('"LN\n') + 3; // the cut lands right after the quoted line break
  assert.throws(() => {
    const cutter = new SegmentCutter(cutAt);
    const counter = new SegmentCounter();
    for (const seg of [...cutter.push(body), cutter.end()]) counter.add(seg);
  }, SegmentCutError);
  // The same file with cuts elsewhere is fine and equal to the in-order result.
  assertSame(parallel(init('payment_plan'), body, 500), inOrder(init('payment_plan'), body), 'cuts elsewhere');
});

test('segment cutter: every segment but the last ends with a line break, at or after the size, and together they are the file', () => {
  const body = Buffer.from(Array.from({ length: 500 }, (_, k) => `line ${k} ${'x'.repeat(k % 37)}`).join('\n'));
  const cutter = new SegmentCutter(300);
  const segs = [];
  for (let o = 0; o < body.length; o += 123) segs.push(...cutter.push(body.subarray(o, o + 123)));
  segs.push(cutter.end());
  assert.deepEqual(Buffer.concat(segs.map((s) => s.buf)), body);
  let offset = 0;
  for (const s of segs) {
    assert.equal(s.byteOffset, offset);
    offset += s.buf.length;
    if (!s.last) {
      assert.equal(s.buf.at(-1), 0x0a);
      assert.equal(s.buf.indexOf(0x0a, 299), s.buf.length - 1, 'cut at the first line break from the size on');
    }
  }
  assert.deepEqual(
    segs.map((s) => [s.first, s.last]),
    segs.map((_, k) => [k === 0, k === segs.length - 1]),
  );
});

test('key registry: merging names exactly the keys already held, for (loan, small int) keys including bit 31 and for string keys', () => {
  const a = new KeyRegistry(600);
  const b = new KeyRegistry(600);
  for (const n of [1, 31, 32, 63, 600]) assert.equal(a.claimSmall('LN1', n), true);
  assert.equal(a.claimSmall('LN1', 31), false);
  for (const n of [2, 31, 600]) b.claimSmall('LN1', n);
  b.claimSmall('LN2', 31);
  const file = new KeyRegistry(600);
  assert.deepEqual(file.merge(a.summary()), []);
  assert.deepEqual(file.merge(b.summary()).sort(), [`LN1${KEY_SEP}31`, `LN1${KEY_SEP}600`]);
  assert.equal(file.claim(`LN2${KEY_SEP}31`), false, 'merged keys are held');
  assert.equal(file.claim(`LN2${KEY_SEP}32`), true);

  const s = new KeyRegistry(null);
  const t = new KeyRegistry(null);
  s.claimKey('A');
  s.claimKey('B');
  t.claimKey('B');
  t.claimKey('C');
  const f2 = new KeyRegistry(null);
  f2.merge(s.summary());
  assert.deepEqual(f2.merge(t.summary()), ['B']);
});

test('segment counter: a header followed only by blank lines over many segments is left to the one-thread pass (EMPTY_FILE)', () => {
  const header = COLUMNS.payment_plan.map((c) => c.name).join(',');
  const body = Buffer.from(`${header}\n` + '   \n'.repeat(5_000));
  const cutter = new SegmentCutter(1_024);
  const segs = [...cutter.push(body), cutter.end()];
  assert.ok(segs.length > 10);
  const counter = new SegmentCounter();
  assert.throws(() => {
    for (const s of segs) counter.add(s);
  }, SegmentCutError);
  assert.throws(() => inOrder(init('payment_plan'), body), /no data rows/);
});
