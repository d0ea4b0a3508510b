/**
 * The sync pipeline end to end against the real services: upload through the API, Temporal workflow,
 * validation, atomic partition replace in the warehouse, sync log and errors in PostgreSQL.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { apiClient, startTestPlatform, uniqueTenantId, waitForSync } from '../helpers/platform.ts';
import type { Platform } from '../../server/platform.ts';
import { generateFiles } from '../../domain/generator.ts';
import { ERROR_CODES } from '../../domain/columns.ts';
import { qualified } from '../../lib/warehouse.ts';

let p: Platform;
let tenantId: string;
let key: string;
let api: ReturnType<typeof apiClient>;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'findata-pipeline-'));

const CREDIT_HEADER =
  'loan_account_number,customer_id,customer_type,branch_code,product_code,currency,original_amount,outstanding_principal,interest_rate,disbursement_date,maturity_date,installment_count,paid_installment_count,installment_frequency,loan_status,days_past_due,insurance_included';
const credit = (lan: string, extra: Partial<Record<'outstanding' | 'rate', string>> = {}) =>
  `${lan},C1,I,101,PRD,TRY,1000.50,${extra.outstanding ?? '500.25'},${extra.rate ?? '18.5'},20240115,20250115,12,3,M,A,0,E`;
const PAY_HEADER = 'loan_account_number,installment_number,due_date,installment_amount,principal_amount,interest_amount,remaining_principal,payment_status,payment_date';
const payment = (lan: string, n: number, status = 'B') => `${lan},${n},202402${String(n).padStart(2, '0')},100.00,90.00,10.00,${1000 - n * 90}.00,${status},${status === 'O' ? '20240210' : ''}`;

async function count(table: string, lt = 'RETAIL'): Promise<number> {
  const r = await p.warehouse.query<{ n: string }>(`SELECT count() AS n FROM ${qualified(tenantId, table)} WHERE loan_type = {lt:String}`, { lt });
  return Number(r[0].n);
}

async function syncNow(loanType = 'RETAIL'): Promise<any> {
  const r = await api.send('POST', '/api/sync/', { loan_type: loanType });
  assert.equal(r.status, 202, await r.clone().text());
  const { sync_id } = (await r.json()) as { sync_id: string };
  return waitForSync(p.url!, key, sync_id);
}

before(async () => {
  p = await startTestPlatform();
  tenantId = uniqueTenantId('pipe');
  ({ apiKey: key } = await p.tenants.create(tenantId, 'Pipeline Bank'));
  api = apiClient(p.url!, key);
});
after(async () => {
  await p?.close();
});

describe('sync pipeline', () => {
  test('a clean sync writes every row and records SUCCESS with counts', async () => {
    const up1 = await api.upload('RETAIL', 'credit', [CREDIT_HEADER, credit('L1'), credit('L2')].join('\n') + '\n');
    assert.equal(up1.status, 201, await up1.clone().text());
    const up2 = await api.upload('retail', 'payment_plan', [PAY_HEADER, payment('L1', 1, 'O'), payment('L1', 2), payment('L2', 1)].join('\r\n'));
    assert.equal(up2.status, 201);
    const log = await syncNow();
    assert.equal(log.status, 'SUCCESS', log.message);
    assert.deepEqual(log.files.credit.rows_total, 2);
    assert.deepEqual(log.rows_written, { credit: 2, payment_plan: 3 });
    assert.equal(await count('fact_credit'), 2);
    assert.equal(await count('fact_payment'), 3);
    const rows = await p.warehouse.query<any>(`SELECT interest_rate, original_amount, disbursement_date, customer_type FROM ${qualified(tenantId, 'fact_credit')} ORDER BY loan_account_number`);
    assert.deepEqual(rows[0], { interest_rate: '0.18500000', original_amount: '1000.50', disbursement_date: '2024-01-15', customer_type: 'INDIVIDUAL' });
    const pending = await api.json('/api/uploads/');
    assert.deepEqual(pending.body, [], 'a successful sync consumes the pending uploads');
  });

  test('payments of invalid credits are CROSS_REFERENCE and never reach the warehouse', async () => {
    await api.upload('RETAIL', 'credit', [CREDIT_HEADER, credit('A1'), credit('A2'), credit('A3', { outstanding: '5000' })].join('\n'));
    await api.upload('RETAIL', 'payment_plan', [PAY_HEADER, payment('A1', 1), payment('A3', 1), payment('ZZ', 1)].join('\n'));
    const log = await syncNow();
    assert.equal(log.status, 'SUCCESS', log.message);
    assert.equal(log.files.credit.rows_invalid, 1);
    assert.equal(log.errors_by_field['credit.outstanding_principal'], 1);
    assert.equal(log.errors_by_code.CROSS_REFERENCE, 2);
    assert.equal(await count('fact_credit'), 2);
    assert.equal(await count('fact_payment'), 1);
    const errs = await api.json(`/api/sync/logs/${log.sync_id}/errors/?code=CROSS_REFERENCE`);
    assert.equal(errs.body.total, 2);
    assert.deepEqual(errs.body.items.map((e: any) => e.value).sort(), ['A3', 'ZZ']);
  });

  test('more than half invalid aborts and keeps the previous warehouse data', async () => {
    const before = await count('fact_credit');
    await api.upload('RETAIL', 'credit', [CREDIT_HEADER, credit('B1'), credit('B2', { rate: 'abc' }), credit('B3', { rate: '999' })].join('\n'));
    const log = await syncNow();
    assert.equal(log.status, 'ABORTED');
    assert.match(log.message, /Aborted/);
    assert.equal(await count('fact_credit'), before);
    assert.deepEqual((await api.json('/api/uploads/')).body, [], 'an aborted upload is moved out of pending');
  });

  test('exactly half invalid proceeds', async () => {
    await api.upload('RETAIL', 'credit', [CREDIT_HEADER, credit('H1'), credit('H2', { rate: 'x' })].join('\n'));
    const log = await syncNow();
    assert.equal(log.status, 'SUCCESS', log.message);
    assert.equal(await count('fact_credit'), 1);
  });

  test('a credit-only sync removes payments of loans that left the credit file (spec §9.15)', async () => {
    await api.upload('RETAIL', 'credit', [CREDIT_HEADER, credit('K1'), credit('K2')].join('\n'));
    await api.upload('RETAIL', 'payment_plan', [PAY_HEADER, payment('K1', 1), payment('K1', 2), payment('K2', 1)].join('\n'));
    assert.equal((await syncNow()).status, 'SUCCESS');
    await api.upload('RETAIL', 'credit', [CREDIT_HEADER, credit('K1'), credit('K3')].join('\n'));
    const log = await syncNow();
    assert.equal(log.status, 'SUCCESS', log.message);
    assert.deepEqual(log.rows_removed, { payment_plan: 1 });
    assert.equal(await count('fact_payment'), 2);
  });

  test('a payments-only sync checks references against the warehouse', async () => {
    await api.upload('RETAIL', 'payment_plan', [PAY_HEADER, payment('K1', 1), payment('K3', 1), payment('K2', 1)].join('\n'));
    const log = await syncNow();
    assert.equal(log.status, 'SUCCESS', log.message);
    assert.equal(log.errors_by_code.CROSS_REFERENCE, 1);
    assert.equal(await count('fact_payment'), 2);
  });

  test('generated files: error counts equal the generator’s injected truth for every code and field', async () => {
    const dir = path.join(tmp, 'gen');
    const summary: any = await generateFiles({ loanType: 'COMMERCIAL', credits: 300, outDir: dir, errorRate: 0.05, seed: 7 });
    for (const ft of ['credit', 'payment_plan']) {
      const r = await api.upload('COMMERCIAL', ft, fs.readFileSync(path.join(dir, `${ft}.csv`)));
      assert.equal(r.status, 201, await r.clone().text());
    }
    const log = await syncNow('COMMERCIAL');
    assert.equal(log.status, 'SUCCESS', log.message);
    for (const ft of ['credit', 'payment_plan'] as const) {
      const truth = summary.files[ft];
      assert.equal(log.files[ft].rows_total, truth.rows, `${ft} rows`);
      assert.equal(log.files[ft].rows_invalid, truth.invalid_rows, `${ft} invalid rows`);
    }
    const byCode: Record<string, number> = Object.fromEntries(ERROR_CODES.map((c) => [c, 0])); // every code, as api.md shows
    const byField: Record<string, number> = {};
    for (const ft of ['credit', 'payment_plan'] as const) {
      for (const [k, n] of Object.entries(summary.files[ft].errors_by_code as Record<string, number>)) if (n) byCode[k] = (byCode[k] ?? 0) + n;
      for (const [k, n] of Object.entries(summary.files[ft].errors_by_field as Record<string, number>)) if (n) byField[k] = (byField[k] ?? 0) + n;
    }
    assert.deepEqual(log.errors_by_code, byCode);
    assert.deepEqual(log.errors_by_field, byField);
    // Invariant: every payment references a credit of the same loan type.
    const orphans = await p.warehouse.query<{ n: string }>(
      `SELECT count() AS n FROM ${qualified(tenantId, 'fact_payment')} WHERE loan_type = 'COMMERCIAL'
         AND loan_account_number NOT IN (SELECT loan_account_number FROM ${qualified(tenantId, 'fact_credit')} WHERE loan_type = 'COMMERCIAL')`,
    );
    assert.equal(Number(orphans[0].n), 0);
  });
});
