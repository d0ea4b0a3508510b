/**
 * Schemathesis fuzzes every operation of /api/openapi.json on a live server: zero 5xx and zero responses that
 * violate the documented schemas, status codes or content types. (Key rotation is left out: it would revoke
 * the key the fuzzer authenticates with.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { apiClient, startTestPlatform, uniqueTenantId, waitForSync } from '../helpers/platform.ts';
import type { Platform } from '../../server/platform.ts';

const run = promisify(execFile);
const hasSchemathesis = spawnSync('schemathesis', ['--version']).status === 0;
let p: Platform;
let key: string;

before(async () => {
  if (!hasSchemathesis) return;
  p = await startTestPlatform({ RATE_LIMIT_PER_MINUTE: '1000000' });
  const id = uniqueTenantId('fuzz');
  ({ apiKey: key } = await p.tenants.create(id, 'Fuzz Bank'));
  // Some data so that reads have something to return.
  const api = apiClient(p.url!, key);
  await api.upload('RETAIL', 'credit', 'loan_account_number,customer_id,customer_type,branch_code,product_code,currency,original_amount,outstanding_principal,interest_rate,disbursement_date,maturity_date,installment_count,paid_installment_count,installment_frequency,loan_status,days_past_due,insurance_included\nL1,C1,I,1,P,TRY,100,50,18.5,20240101,20250101,12,1,M,A,0,E\n');
  const r = await api.send('POST', '/api/sync/', { loan_type: 'RETAIL' });
  await waitForSync(p.url!, key, ((await r.json()) as { sync_id: string }).sync_id);
});
after(async () => {
  await p?.close();
});

test('schemathesis finds no server error and no schema violation on any operation', { skip: !hasSchemathesis && 'schemathesis is not installed (npm test installs it)', timeout: 600_000 }, async () => {
  const args = [
    'run',
    `${p.url}/api/openapi.json`,
    '-H',
    `Authorization: Api-Key ${key}`,
    '-n',
    '25',
    '--request-timeout',
    '30',
    '--exclude-path',
    '/api/tenant/rotate-key',
    '--generation-deterministic',
    '--checks',
    'not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance',
  ];
  const r = await run('schemathesis', args, { maxBuffer: 32 << 20, env: { ...process.env, NO_COLOR: '1' } }).catch((e) => e);
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  const summary = /(\d+) generated, (\d+) passed/.exec(out);
  assert.equal(r.code ?? 0, 0, out.slice(-6000));
  assert.ok(summary && Number(summary[1]) > 200, `schemathesis generated too few cases:\n${out.slice(-2000)}`);
});
