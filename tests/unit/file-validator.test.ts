/** The CPU side of the validate activity (domain/file-validator.ts), in-process: what it stages and reports. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FileValidator, ownsBuffer, type ValidateBatch } from '../../domain/file-validator.ts';
import { generateInMemory } from '../../domain/generator.ts';
import { stagedColumns } from '../../domain/staged-rows.ts';
import { stagedLines } from '../helpers/staged-rows.ts';
import { errorRow, errorRowPrefix } from '../../domain/error-rows.ts';

function run(body: Buffer, chunk: number, references: string | null = null) {
  const v = new FileValidator({ fileType: 'credit', loanType: 'RETAIL', references });
  const batches: ValidateBatch[] = [];
  for (let o = 0; o < body.length; o += chunk) batches.push(v.push(body.subarray(o, o + chunk)));
  batches.push(v.end());
  return { v, batches, lines: stagedLines('credit', batches.map((b) => b.staged)) };
}

test('file validator: every valid row becomes one staged row of the file\'s columns, then its source_row', async () => {
  const f = await generateInMemory({ loanType: 'RETAIL', credits: 300, errorRate: 0.05, seed: 7 });
  const { v, batches, lines } = run(Buffer.from(f.credit), 4096);
  const truth = f.summary.files.credit;
  assert.equal(v.result.rowsTotal, truth.rows);
  assert.equal(v.result.rowsInvalid, truth.invalid_rows);
  assert.equal(lines.length, truth.rows - truth.invalid_rows);
  const cols = stagedColumns('credit').map((c) => c.name);
  assert.equal(cols.at(-1), 'source_row');
  assert.ok(!cols.includes('sync_id') && !cols.includes('loaded_at') && !cols.includes('loan_type'), 'the insert adds the per-sync columns');
  const invalid = new Set(batches.flatMap((b) => b.failedLines.map((l) => JSON.parse(l).row as number)));
  const valid = Array.from({ length: truth.rows }, (_, i) => i + 1).filter((r) => !invalid.has(r));
  lines.forEach((line, i) => {
    const fields = line.split('\t');
    assert.equal(fields.length, cols.length, line);
    assert.equal(fields.at(-1), String(valid[i]), 'source_row is the row number in the file');
  });
  const last = batches.at(-1)!;
  assert.equal(last.rowsTotal, truth.rows, 'running totals reach the file totals');
  assert.equal(batches.reduce((n, b) => n + b.errors.length, 0), last.errorCount);
  assert.equal(batches.reduce((n, b) => n + b.failedLines.length, 0), truth.invalid_rows, 'one failed line per invalid row');
  assert.equal(batches.reduce((n, b) => n + b.stagedRows, 0), lines.length);
});

test('file validator: a backslash inside a value is staged as it is, a missing optional value is NULL', async () => {
  const f = await generateInMemory({ loanType: 'RETAIL', credits: 3, seed: 3 });
  const [header, first] = f.credit.split('\n');
  const names = header.split(',');
  const cells = first.split(',');
  const quoted = (s: string) => `"${s}"`;
  cells[names.indexOf('customer_id')] = quoted('A\\B\\nC');
  const optional = names.indexOf('last_payment_date');
  cells[optional] = '';
  const { v, lines } = run(Buffer.from(`${header}\n${cells.join(',')}\n`), 1 << 20);
  assert.equal(v.result.rowsInvalid, 0, JSON.stringify(v.result.errorsByCode));
  const fields = lines[0].split('\t');
  const cols = stagedColumns('credit').map((c) => c.name);
  assert.equal(fields[cols.indexOf('customer_id')], 'A\\\\B\\\\nC', 'the text A\\B\\nC (the helper escapes backslashes as TSV would)');
  assert.equal(fields[cols.indexOf('last_payment_date')], '\\N');
});

test('file validator: transferable batches own their memory; small pooled buffers are reported as not transferable', () => {
  assert.equal(ownsBuffer(new Uint8Array(16)), true);
  assert.equal(ownsBuffer(Buffer.from('small')), false, 'a small Buffer is a slice of the shared pool');
});

for (const [chunk, credits] of [[8192, 400], [Infinity, 1500]] as const) {
  test(`file validator: with store, errors come as the UTF-8 bytes of the COPY rows of their records and failed rows as the bytes of their lines, batch by batch (${chunk === Infinity ? 'one batch of more than 64 KiB' : `${chunk}-byte chunks`})`, async () => {
    const f = await generateInMemory({ loanType: 'RETAIL', credits, errorRate: 0.2, seed: 11 });
    // A value COPY must escape, with characters of more than one UTF-8 byte, in an error.
    const body = Buffer.from(f.credit.replace(/\n(R\d+),/, '\nR\t\\xİş,'));
    const syncId = '0b7c8f0e-5d3a-4e62-9a51-3c1f2a9d8e77';
    const pass = (store: boolean) => {
      const v = new FileValidator({ fileType: 'credit', loanType: 'RETAIL', references: null, store: store ? { syncId } : undefined });
      const out: ValidateBatch[] = [];
      for (let o = 0; o < body.length; o += Math.min(chunk, body.length)) out.push(v.push(body.subarray(o, o + chunk)));
      out.push(v.end());
      return out;
    };
    const records = pass(false);
    const stored = pass(true);
    assert.equal(stored.length, records.length);
    const prefix = errorRowPrefix(syncId, 'credit');
    let tricky = 0;
    const text = (u: Uint8Array | null) => (u === null ? null : Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('utf8'));
    stored.forEach((b, i) => {
      const r = records[i];
      assert.deepEqual(b.errors, [], 'no records with store');
      assert.equal(r.errorRows, null, 'no COPY rows without store');
      assert.equal(r.failedBytes, null, 'no failed bytes without store');
      assert.equal(text(b.errorRows), r.errors.length ? r.errors.map((e) => errorRow(prefix, e)).join('') : null);
      assert.deepEqual(b.failedLines, [], 'no failed lines as strings with store');
      assert.equal(text(b.failedBytes), r.failedLines.length ? r.failedLines.map((l) => `${l}\n`).join('') : null);
      assert.equal(b.errorCount, r.errorCount);
      if (text(b.errorRows)?.includes('R\\t\\\\xİş')) tricky++;
    });
    assert.ok(records.some((r) => r.errors.length > 1), 'batches of several errors');
    if (chunk === Infinity) assert.ok(stored.some((b) => (b.failedBytes?.byteLength ?? 0) > 64 << 10), 'a batch of more than 64 KiB of failed rows');
    assert.equal(tricky, 1, 'the escaped value is in the rows');
  });
}
