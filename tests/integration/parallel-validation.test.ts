/**
 * Parallel validation through the real activity (worker threads, Redis staging, the warehouse, PostgreSQL): a
 * platform that cuts files into many small segments validated by two threads records exactly what validating
 * each file in order (domain FileValidator, in-process) gives — counts, warehouse rows and their source rows,
 * validation errors, failed records — for files with duplicates far apart, and for a file whose quoted line
 * breaks force the one-thread fallback.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiClient, startTestPlatform, uniqueTenantId, waitForSync } from '../helpers/platform.ts';
import type { Platform } from '../../server/platform.ts';
import { generateInMemory } from '../../domain/generator.ts';
import { CsvParser } from '../../domain/csv.ts';
import { FileValidator, type ValidateBatch } from '../../domain/file-validator.ts';
import { qualified } from '../../lib/warehouse.ts';
import { stagedColumns } from '../../domain/staged-rows.ts';
import { stagedLines } from '../helpers/staged-rows.ts';
import { storedErrorValue } from '../../domain/error-rows.ts';

let p: Platform;
let tenantId: string;
let key: string;
let api: ReturnType<typeof apiClient>;

before(async () => {
  // One chdb per process: one platform, with small segments so that test files span many of them.
  p = await startTestPlatform({ VALIDATE_THREADS: '2', VALIDATE_SEGMENT_KB: '16' });
  tenantId = uniqueTenantId('par');
  ({ apiKey: key } = await p.tenants.create(tenantId, 'Parallel Bank'));
  api = apiClient(p.url!, key);
});
after(async () => {
  await p?.close();
});

/** The one-thread, in-order truth for a file: what the warehouse, the error table and the counts must hold. */
function inOrder(fileType: 'credit' | 'payment_plan', body: string, references: string | null) {
  const v = new FileValidator({ fileType, loanType: 'RETAIL', references });
  const batches: ValidateBatch[] = [v.push(Buffer.from(body)), v.end()];
  const cols = stagedColumns(fileType).map((c) => c.name);
  const lines = stagedLines(fileType, batches.map((b) => b.staged)).map((l) => l.split('\t'));
  return {
    result: v.result,
    sourceRows: lines.map((f) => Number(f[cols.indexOf('source_row')])),
    loans: lines.map((f) => f[cols.indexOf('loan_account_number')]),
    errors: batches.flatMap((b) => b.errors).map((e) => ({ file_type: e.file_type, row: e.row, field: e.field, code: e.code, message: e.message, value: storedErrorValue(e.value) })),
    failedRows: batches.flatMap((b) => b.failedLines).length,
  };
}

async function syncAndCheck(files: { credit: string; payment_plan: string }) {
  const credit = inOrder('credit', files.credit, null);
  const payment = inOrder('payment_plan', files.payment_plan, credit.loans.join('\n') + '\n');
  for (const [ft, body] of Object.entries(files)) {
    const r = await api.upload('RETAIL', ft, body);
    assert.equal(r.status, 201, await r.clone().text());
  }
  const start = await api.send('POST', '/api/sync/', { loan_type: 'RETAIL' });
  assert.equal(start.status, 202);
  const { sync_id } = (await start.json()) as { sync_id: string };
  const log = await waitForSync(p.url!, key, sync_id);
  assert.equal(log.status, 'SUCCESS', log.message);
  for (const [ft, truth, table] of [
    ['credit', credit, 'fact_credit'],
    ['payment_plan', payment, 'fact_payment'],
  ] as const) {
    assert.equal(log.files[ft].rows_total, truth.result.rowsTotal, `${ft} rows`);
    assert.equal(log.files[ft].rows_invalid, truth.result.rowsInvalid, `${ft} invalid rows`);
    const rows = await p.warehouse.query<{ source_row: number }>(`SELECT source_row FROM ${qualified(tenantId, table)} ORDER BY source_row`);
    assert.deepEqual(
      rows.map((r) => Number(r.source_row)),
      truth.sourceRows,
      `${ft}: exactly the valid rows reach the warehouse, with their row numbers`,
    );
  }
  const errors = await p.db.query(`SELECT file_type, row, field, code, message, value FROM "${tenantId}".validation_errors WHERE sync_id = $1 ORDER BY file_type, row, id`, [sync_id]);
  assert.deepEqual(errors.rows, [...credit.errors, ...payment.errors], 'the same errors, in row and column order');
  const failed = new CsvParser({ onHeader() {}, onRow() {} });
  failed.push(Buffer.from(await (await api.get(`/api/sync/logs/${sync_id}/failed-records.csv`)).text()));
  assert.equal(failed.rows, credit.failedRows + payment.failedRows, 'one failed record per invalid row');
  return { log, credit, payment };
}

function withFarDuplicates(csv: string, copies: number): string {
  const lines = csv.trimEnd().split('\n');
  return [...lines, ...lines.slice(1, 1 + copies)].join('\n') + '\n';
}

test('two threads over many segments record exactly the in-order result: counts, warehouse rows, errors, failed records', async () => {
  const f = await generateInMemory({ loanType: 'RETAIL', credits: 1500, errorRate: 0.05, seed: 21 });
  const files = { credit: withFarDuplicates(f.credit, 20), payment_plan: withFarDuplicates(f.payment_plan, 60) };
  assert.ok(files.payment_plan.length > 20 * 16 * 1024, 'the payment file spans many 16 KiB segments');
  const { log } = await syncAndCheck(files);
  assert.ok((log.errors_by_code.DUPLICATE ?? 0) >= 80, 'the appended copies are duplicates of rows many segments back');
});

test('a quoted value with line breaks across a cut: the file is validated again in one thread, with the same result', async () => {
  const f = await generateInMemory({ loanType: 'RETAIL', credits: 600, errorRate: 0, seed: 22 });
  const lines = f.payment_plan.trimEnd().split('\n');
  // Longer than a segment, so some cut falls inside it; the row is invalid (control characters) but well-formed CSV.
  const long = Array.from({ length: 600 }, (_, k) => `part ${k} of a value with line breaks`).join('\n');
  const cells = lines[500].split(',');
  cells[0] = `"${long}"`;
  lines[500] = cells.join(',');
  const { log } = await syncAndCheck({ credit: f.credit, payment_plan: lines.join('\n') + '\n' });
  assert.equal(log.files.payment_plan.rows_invalid, 1);
});
