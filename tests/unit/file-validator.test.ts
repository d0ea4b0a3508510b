/** The CPU side of the validate activity (domain/file-validator.ts), in-process: what it stages and reports. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FileValidator, ownsBuffer, type ValidateBatch } from '../../domain/file-validator.ts';
import { generateInMemory } from '../../domain/generator.ts';
import { compactColumns, warehouseColumns } from '../../lib/warehouse.ts';

const SYNC = '6f1c2a4e-0b7d-4c1e-9a55-3f0e2d9b8c71';
const LOADED = '2026-11-30 12:00:00.000';

function run(body: Buffer, chunk: number, references: string | null = null) {
  const v = new FileValidator({ fileType: 'credit', loanType: 'RETAIL', syncId: SYNC, loadedAt: LOADED, references });
  const batches: ValidateBatch[] = [];
  for (let o = 0; o < body.length; o += chunk) batches.push(v.push(body.subarray(o, o + chunk)));
  batches.push(v.end());
  const tsv = Buffer.concat(batches.flatMap((b) => (b.tsv ? [b.tsv] : []))).toString('utf8');
  return { v, batches, lines: tsv === '' ? [] : tsv.slice(0, -1).split('\n') };
}

test('file validator: every valid row becomes one TabSeparated line of all warehouse columns, system columns last', async () => {
  const f = await generateInMemory({ loanType: 'RETAIL', credits: 300, errorRate: 0.05, seed: 7 });
  const { v, batches, lines } = run(Buffer.from(f.credit), 4096);
  const truth = f.summary.files.credit;
  assert.equal(v.result.rowsTotal, truth.rows);
  assert.equal(v.result.rowsInvalid, truth.invalid_rows);
  assert.equal(lines.length, truth.rows - truth.invalid_rows);
  const cols = warehouseColumns('credit').map((c) => c.name);
  for (const line of lines) {
    const fields = line.split('\t');
    assert.equal(fields.length, cols.length, line);
    assert.deepEqual(fields.slice(-4, -2), ['RETAIL', SYNC]);
    assert.match(fields.at(-2)!, /^\d+$/);
    assert.equal(fields.at(-1), LOADED);
  }
  const last = batches.at(-1)!;
  assert.equal(last.rowsTotal, truth.rows, 'running totals reach the file totals');
  assert.equal(batches.reduce((n, b) => n + b.errors.length, 0), last.errorCount);
  assert.equal(batches.reduce((n, b) => n + b.failedLines.length, 0), truth.invalid_rows, 'one failed line per invalid row');
  assert.equal(batches.reduce((n, b) => n + b.tsvRows, 0), lines.length);
});

test('file validator: a backslash inside a value is escaped (tabs cannot pass §9.13), a missing optional value is \\N', async () => {
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
  const cols = warehouseColumns('credit').map((c) => c.name);
  assert.equal(fields[cols.indexOf('customer_id')], 'A\\\\B\\\\nC', 'each backslash doubled, so ClickHouse reads the text back exactly');
  assert.equal(fields[cols.indexOf('last_payment_date')], '\\N');
});

test('file validator: transferable batches own their memory; small pooled buffers are reported as not transferable', () => {
  assert.equal(ownsBuffer(new Uint8Array(16)), true);
  assert.equal(ownsBuffer(Buffer.from('small')), false, 'a small Buffer is a slice of the shared pool');
});

test('file validator: compact rows (embedded warehouse) end with source_row; loan type, sync id and load time are left to the insert', async () => {
  const f = await generateInMemory({ loanType: 'RETAIL', credits: 20, seed: 9 });
  const v = new FileValidator({ fileType: 'credit', loanType: 'RETAIL', syncId: SYNC, loadedAt: LOADED, references: null, compactRows: true });
  const b = v.push(Buffer.from(f.credit));
  v.end();
  const lines = Buffer.from(b.tsv!).toString('utf8').trimEnd().split('\n');
  const cols = compactColumns('credit').map((c) => c.name);
  assert.equal(cols.at(-1), 'source_row');
  assert.ok(!cols.includes('sync_id') && !cols.includes('loaded_at') && !cols.includes('loan_type'));
  lines.forEach((line, k) => {
    const fields = line.split('\t');
    assert.equal(fields.length, cols.length);
    assert.equal(fields.at(-1), String(k + 1));
  });
});
