/**
 * The read side of the API against real syncs: sync logs (shape, order, filters, paging, bad input), validation
 * errors, the failed-records CSV (formula cells neutralized), warehouse data (pagination, columns, sorting, code
 * and date filters, exact decimals), profiling (exact sums, caching, invalidation, precomputed after a sync), the OpenAPI document, and
 * robustness (malformed JSON, unknown routes, no stack traces, never a 500 for bad input).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { apiClient, startTestPlatform, uniqueTenantId, waitForSync } from '../helpers/platform.ts';
import type { Platform } from '../../server/platform.ts';
import { computeProfile } from '../../lib/profiles.ts';
import { createProfileActivities } from '../../activities/profile.ts';
import type { ActivityDeps } from '../../activities/deps.ts';
import { profilesWorkflowId, syncWorkflowId } from '../../domain/sync-types.ts';

let p: Platform;
let tenantId: string;
let key: string;
let api: ReturnType<typeof apiClient>;

// ---- fixture: a RETAIL credit file of 8 valid and 4 invalid rows (formula payloads), a payment plan with one orphan ----
const CREDIT_COLS = [
  'loan_account_number',
  'customer_id',
  'customer_type',
  'branch_code',
  'product_code',
  'currency',
  'original_amount',
  'outstanding_principal',
  'accrued_interest',
  'interest_rate',
  'bsmv_rate',
  'disbursement_date',
  'maturity_date',
  'installment_count',
  'paid_installment_count',
  'installment_frequency',
  'loan_status',
  'days_past_due',
  'insurance_included',
  'collateral_type',
  '@note', // unknown column, named like a formula: ignored, but kept in the failed records
] as const;
type Row = Record<(typeof CREDIT_COLS)[number], string>;
const row = (v: string[]): Row => Object.fromEntries(CREDIT_COLS.map((c, i) => [c, v[i]])) as Row;
// prettier-ignore
const VALID: Row[] = [
  row(['V01', 'C1', 'I', '101', 'PRD', 'TRY', '1000.50', '500.25', '', '18.5', '', '20240115', '20250115', '12', '3', 'M', 'A', '0', 'E', 'N', '=1+1']),
  row(['V02', 'C2', 'I', '102', 'PRD', 'USD', '999999999999999.99', '123456789012345.67', '10.01', '0.185', '5', '20240201', '20300201', '72', '0', 'M', 'A', '0', 'H', 'M', '+cmd']),
  row(['V03', 'C3', 'I', '103', 'MORT', 'EUR', '250000', '250000', '0', '42.123456', '15', '20240229', '20290228', '60', '1', 'Q', 'K', '0', 'E', 'V', '']),
  row(['V04', 'C4', 'I', '104', 'PRD', 'TRY', '0.01', '0', '', '1', '', '20231231', '20241231', '1', '1', 'B', 'K', '0', 'H', '', '']),
  row(['V05', 'C5', 'I', '105', 'CARD', 'GBP', '75000.5', '1000', '3.3', '200', '100', '20240301', '20240301', '1', '0', 'B', 'T', '120', 'E', 'G', '']),
  row(['V06', 'C6', 'I', '106', 'PRD', 'try', '12345.67', '12345.67', '', '0', '0', '20240331', '20250331', '12', '0', 'M', 'Y', '30', 'H', 'C', '']),
  row(['V07', 'C7', 'I', '107', 'PRD', 'CHF', '5000', '2500', '1.5', '7.25', '', '19500101', '21001231', '600', '600', 'Y', 'A', '0', 'E', 'O', '']),
  row(['V08', 'C8', 'I', '108', 'PRD', 'JPY', '100', '50', '', '99.999999', '', '20240401', '20250401', '2', '1', 'S', 'A', '0', 'E', 'N', '']),
];
// prettier-ignore
const INVALID: Row[] = [
  row(['X01', '=HYPERLINK("http://x")', 'I', '101', 'PRD', 'TRY', '100', '50', '', 'abc', '', '20240115', '20250115', '12', '3', 'M', 'A', '0', 'E', '', '=1+1']),
  row(['X02', '+SUM(1,2)', 'I', '101', 'PRD', 'TRY', '-5', '0', '', '10', '', '20240115', '20250115', '12', '3', 'M', 'A', '0', 'E', '', '-2']),
  row(['X03', '@cmd', 'I', '101', 'PRD', 'XXX', '100', '50', '', '10', '', '20240115', '20250115', '12', '3', 'M', 'A', '0', 'E', '', '@x']),
  row(['X04', '-1+2', 'I', '101', 'PRD', 'TRY', '100', '50', '', '10', '', '20240115', '20200101', '12', '3', 'M', 'A', '0', 'E', '', '\t+y']),
];
const quote = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
const creditCsv = (rows: Row[]) => [CREDIT_COLS.join(','), ...rows.map((r) => CREDIT_COLS.map((c) => quote(r[c])).join(','))].join('\r\n') + '\r\n';
const PAY_HEADER = 'loan_account_number,installment_number,due_date,installment_amount,principal_amount,interest_amount,remaining_principal,payment_status';
const PAYMENTS = ['V01,1,20240215,100.00,90.00,10.00,910.00,B', 'V01,2,20240315,100.00,90.00,10.00,820.00,B', 'V02,1,20240301,55.55,50.00,5.55,100.00,G', 'X01,1,20240215,1,1,0,0,B'];

/** Exact decimal text → scaled BigInt (no floats anywhere). */
function scaled(text: string, scale: number): bigint {
  const neg = text.startsWith('-');
  const [i, f = ''] = (neg ? text.slice(1) : text).split('.');
  assert.ok(f.length <= scale, `${text} fits scale ${scale}`);
  const v = BigInt(i + f.padEnd(scale, '0'));
  return neg ? -v : v;
}
/** §5: a written percentage > 1 is divided by 100; 0..1 is a fraction already. Result at scale 8. */
const percentScaled8 = (text: string) => (scaled(text, 6) > 1_000_000n ? scaled(text, 6) : scaled(text, 6) * 100n);

let creditSha: string;
let sync1: any; // RETAIL: SUCCESS with invalid rows
let sync2: any; // COMMERCIAL: ABORTED, credit only

async function startSync(loanType: string): Promise<any> {
  const r = await api.send('POST', '/api/sync/', { loan_type: loanType });
  assert.equal(r.status, 202, await r.clone().text());
  const started = (await r.json()) as any;
  assert.deepEqual(Object.keys(started).sort(), ['run_id', 'sync_id', 'workflow_id']);
  return waitForSync(p.url!, key, started.sync_id);
}

before(async () => {
  // Not a rate-limit test (api-auth covers it): the 5 ms polling of the manual-sync test alone can pass 600/min.
  p = await startTestPlatform({ RATE_LIMIT_PER_MINUTE: '100000' });
  tenantId = uniqueTenantId('read');
  ({ apiKey: key } = await p.tenants.create(tenantId, 'Read Bank'));
  await p.sync!.ensureSchedule(tenantId, false, 60);
  api = apiClient(p.url!, key);
  const up = await api.upload('RETAIL', 'credit', creditCsv([...VALID.slice(0, 4), ...INVALID, ...VALID.slice(4)]));
  assert.equal(up.status, 201, await up.clone().text());
  creditSha = ((await up.json()) as any).sha256;
  assert.equal((await api.upload('RETAIL', 'payment_plan', [PAY_HEADER, ...PAYMENTS].join('\n'))).status, 201);
  sync1 = await startSync('RETAIL');
  assert.equal(sync1.status, 'SUCCESS', sync1.message);
  const com = 'loan_account_number,customer_id,customer_type,branch_code,product_code,currency,original_amount,outstanding_principal,interest_rate,disbursement_date,maturity_date,installment_count,paid_installment_count,installment_frequency,loan_status,days_past_due,sector_code,loan_product_type';
  const comRow = (lan: string, rate: string) => `${lan},K1,T,201,COM,EUR,5000,100,${rate},20240115,20250115,12,3,M,A,0,C10.1,SPOT`;
  assert.equal((await api.upload('COMMERCIAL', 'credit', [com, comRow('K1', '10'), comRow('K2', 'x'), comRow('K3', 'y')].join('\n'))).status, 201);
  sync2 = await startSync('COMMERCIAL');
  assert.equal(sync2.status, 'ABORTED', sync2.message);
});
after(async () => {
  await p?.close();
});

function assertEnvelope(status: number, body: any, expectStatus: number, code?: string, what = ''): void {
  assert.equal(status, expectStatus, `${what}: ${JSON.stringify(body)}`);
  assert.equal(typeof body?.error?.code, 'string', what);
  if (code) assert.equal(body.error.code, code, what);
  assert.equal(typeof body.error.message, 'string');
  assert.doesNotMatch(JSON.stringify(body), /\\n\s+at |\.ts:\d+/, `${what}: no stack trace`);
}

/** RFC 4180 reader for the downloaded CSV (quoted cells may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let cell = '';
  let cells: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else if (ch === '\n' || (ch === '\r' && text[i + 1] === '\n')) {
      if (ch === '\r') i++;
      cells.push(cell);
      rows.push(cells);
      cells = [];
      cell = '';
    } else cell += ch;
  }
  if (cell !== '' || cells.length) rows.push([...cells, cell]);
  return rows;
}

describe('sync logs', () => {
  const DOCUMENTED = ['sync_id', 'tenant_id', 'loan_type', 'status', 'trigger', 'workflow_id', 'run_id', 'started_at', 'finished_at', 'files', 'error_rate', 'errors_by_code', 'errors_by_field', 'rows_written', 'rows_removed', 'message'];
  const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

  test('GET /api/sync/logs/{id}/ has every key of api.md with the documented types and values', async () => {
    const { status, body: log } = await api.json(`/api/sync/logs/${sync1.sync_id}/`);
    assert.equal(status, 200);
    for (const k of DOCUMENTED) assert.ok(k in log, `key ${k}`);
    assert.equal(log.tenant_id, tenantId);
    assert.equal(log.loan_type, 'RETAIL');
    assert.equal(log.status, 'SUCCESS');
    assert.equal(log.trigger, 'MANUAL');
    assert.equal(typeof log.workflow_id, 'string');
    assert.equal(typeof log.run_id, 'string');
    assert.match(log.started_at, ISO);
    assert.match(log.finished_at, ISO);
    assert.ok(log.finished_at >= log.started_at);
    assert.deepEqual(Object.keys(log.files).sort(), ['credit', 'payment_plan']);
    for (const f of Object.values(log.files) as any[]) assert.deepEqual(Object.keys(f).sort(), ['rows_invalid', 'rows_total', 'rows_valid', 'sha256']);
    assert.deepEqual(log.files.credit, { rows_total: 12, rows_valid: 8, rows_invalid: 4, sha256: creditSha });
    assert.deepEqual({ ...log.files.payment_plan, sha256: undefined }, { rows_total: 4, rows_valid: 3, rows_invalid: 1, sha256: undefined });
    assert.equal(log.error_rate, 5 / 16);
    // Every code, as api.md's example shows (`"REQUIRED": 0`).
    assert.deepEqual(log.errors_by_code, { REQUIRED: 0, TYPE: 1, FORMAT: 0, RANGE: 2, VALUE: 1, DUPLICATE: 0, CROSS_REFERENCE: 1 });
    assert.deepEqual(log.errors_by_field, {
      'credit.interest_rate': 1,
      'credit.original_amount': 1,
      'credit.currency': 1,
      'credit.maturity_date': 1,
      'payment_plan.loan_account_number': 1,
    });
    assert.deepEqual(log.rows_written, { credit: 8, payment_plan: 3 });
    assert.deepEqual(log.rows_removed, { payment_plan: 0 });
    assert.equal(typeof log.message, 'string');
    assert.ok(log.message.length > 0);
  });

  test('a file that was not part of the sync is absent from files (aborted credit-only sync)', async () => {
    const { body: log } = await api.json(`/api/sync/logs/${sync2.sync_id}/`);
    for (const k of DOCUMENTED) assert.ok(k in log, `key ${k}`);
    assert.deepEqual(Object.keys(log.files), ['credit']);
    assert.equal(log.status, 'ABORTED');
    assert.deepEqual(log.rows_written, { credit: 0, payment_plan: 0 });
    assert.deepEqual(log.rows_removed, { payment_plan: 0 });
    assert.match(log.message, /abort/i);
  });

  test('the list is newest first with {total, limit, offset, items}; loan_type/status filters and paging', async () => {
    const all = await api.json('/api/sync/logs/');
    assert.equal(all.status, 200);
    assert.equal(all.body.total, 2);
    assert.equal(all.body.limit, 50);
    assert.equal(all.body.offset, 0);
    assert.deepEqual(all.body.items.map((l: any) => l.sync_id), [sync2.sync_id, sync1.sync_id]);
    for (const l of all.body.items) for (const k of DOCUMENTED) assert.ok(k in l, `list item key ${k}`);
    const one = await api.json(`/api/sync/logs/${sync1.sync_id}/`);
    assert.deepEqual(all.body.items[1], one.body, 'a list item is the same object as the single log');

    const byType = await api.json('/api/sync/logs/?loan_type=commercial');
    assert.deepEqual([byType.body.total, byType.body.items.map((l: any) => l.sync_id)], [1, [sync2.sync_id]]);
    const byStatus = await api.json('/api/sync/logs/?status=success');
    assert.deepEqual([byStatus.body.total, byStatus.body.items.map((l: any) => l.sync_id)], [1, [sync1.sync_id]]);
    const none = await api.json('/api/sync/logs/?status=FAILED&loan_type=RETAIL');
    assert.deepEqual([none.body.total, none.body.items], [0, []]);
    const page2 = await api.json('/api/sync/logs/?limit=1&offset=1');
    assert.deepEqual([page2.body.total, page2.body.limit, page2.body.offset], [2, 1, 1]);
    assert.deepEqual(page2.body.items.map((l: any) => l.sync_id), [sync1.sync_id]);
    const past = await api.json('/api/sync/logs/?offset=5');
    assert.deepEqual([past.body.total, past.body.items], [2, []]);
  });

  test('bad query values are 400 VALIDATION_FAILED, never 500', async () => {
    for (const q of ['limit=-1', 'limit=abc', 'limit=0', 'limit=1001', 'limit=1.5', 'limit=', 'offset=-1', 'offset=x', 'status=nope', 'status=', 'loan_type=xx', 'loan_type=', 'limit=99999999999999999999']) {
      const { status, body } = await api.json(`/api/sync/logs/?${q}`);
      assertEnvelope(status, body, 400, 'VALIDATION_FAILED', q);
    }
  });

  test('unknown or malformed sync ids are 404', async () => {
    for (const id of [crypto.randomUUID(), 'not-a-uuid', '1', "x' OR '1'='1", '%00']) {
      const { status, body } = await api.json(`/api/sync/logs/${id}/`);
      assertEnvelope(status, body, 404, 'NOT_FOUND', id);
    }
  });
});

describe('sync configurations', () => {
  test('one configuration per loan type with pending counts; one by id; unknown ids 404; PATCH validates', async () => {
    const { status, body } = await api.json('/api/sync/configs/');
    assert.equal(status, 200);
    assert.deepEqual(body.map((c: any) => c.loan_type).sort(), ['COMMERCIAL', 'RETAIL']);
    for (const c of body) {
      for (const k of ['id', 'tenant_id', 'loan_type', 'enabled', 'interval_seconds', 'pending']) assert.ok(k in c, k);
      assert.equal(c.tenant_id, tenantId);
      assert.deepEqual(c.pending, { credit: 0, payment_plan: 0 }, 'the syncs consumed the uploads');
    }
    const one = await api.json(`/api/sync/configs/${body[0].id}/`);
    assert.deepEqual(one.body, body[0]);
    for (const id of ['0', '424242', 'abc', '-1', '1.5']) assertEnvelope((await api.json(`/api/sync/configs/${id}/`)).status, (await api.json(`/api/sync/configs/${id}/`)).body, 404, 'NOT_FOUND', id);
    const patched = await api.send('PATCH', `/api/sync/configs/${body[0].id}/`, { interval_seconds: 3600 });
    assert.equal(patched.status, 200);
    assert.equal(((await patched.json()) as any).interval_seconds, 3600);
    assert.equal((await api.json(`/api/sync/configs/${body[0].id}/`)).body.interval_seconds, 3600, 'the cached list was refreshed');
    const restored = await api.send('PATCH', `/api/sync/configs/${body[0].id}/`, { interval_seconds: body[0].interval_seconds });
    assert.equal(restored.status, 200);
    await p.sync!.ensureSchedule(tenantId, false, 60);
  });
});

describe('validation errors', () => {
  test('{total, limit, offset, items:[{file_type,row,field,code,message,value}]} with the raw values', async () => {
    const { status, body } = await api.json(`/api/sync/logs/${sync1.sync_id}/errors/`);
    assert.equal(status, 200);
    assert.equal(body.total, 5);
    assert.equal(body.items.length, 5);
    for (const e of body.items) {
      for (const k of ['file_type', 'row', 'field', 'code', 'message', 'value']) assert.ok(k in e, `key ${k}`);
      assert.equal(typeof e.message, 'string');
    }
    const brief = body.items.map((e: any) => [e.file_type, e.row, e.field, e.code, e.value]);
    assert.deepEqual(brief, [
      ['credit', 5, 'interest_rate', 'TYPE', 'abc'],
      ['credit', 6, 'original_amount', 'RANGE', '-5'],
      ['credit', 7, 'currency', 'VALUE', 'XXX'],
      ['credit', 8, 'maturity_date', 'RANGE', '20200101'],
      ['payment_plan', 4, 'loan_account_number', 'CROSS_REFERENCE', 'X01'],
    ]);
  });

  test('filters by file_type, code (any case) and field; paging is stable and disjoint', async () => {
    const q = async (s: string) => (await api.json(`/api/sync/logs/${sync1.sync_id}/errors/?${s}`)).body;
    assert.equal((await q('file_type=payment_plan')).total, 1);
    assert.equal((await q('file_type=credit')).total, 4);
    assert.deepEqual((await q('code=range')).items.map((e: any) => e.field), ['original_amount', 'maturity_date']);
    assert.deepEqual((await q('field=currency')).items.map((e: any) => e.value), ['XXX']);
    assert.equal((await q('file_type=payment_plan&code=RANGE')).total, 0);
    const pages = [await q('limit=2'), await q('limit=2&offset=2'), await q('limit=2&offset=4')];
    assert.deepEqual(pages.map((pg) => [pg.total, pg.limit, pg.offset, pg.items.length]), [[5, 2, 0, 2], [5, 2, 2, 2], [5, 2, 4, 1]]);
    const all = (await q('')).items;
    assert.deepEqual(pages.flatMap((pg) => pg.items), all);
  });

  test('bad filters are 400 (a NUL or another control character in field too, never a 500); an unknown sync is 404', async () => {
    for (const s of ['code=NOPE', 'file_type=xx', 'limit=0', 'limit=-1', 'offset=abc', `field=${'f'.repeat(65)}`, 'field=%00', 'field=currency%00', 'field=%0A', 'field=%C2%85']) {
      const { status, body } = await api.json(`/api/sync/logs/${sync1.sync_id}/errors/?${s}`);
      assertEnvelope(status, body, 400, 'VALIDATION_FAILED', s);
    }
    const { status, body } = await api.json(`/api/sync/logs/${crypto.randomUUID()}/errors/`);
    assertEnvelope(status, body, 404, 'NOT_FOUND');
  });
});

describe('failed-records.csv', () => {
  test('text/csv attachment: a header row, one line per failed row with its errors, formula cells neutralized', async () => {
    const r = await api.get(`/api/sync/logs/${sync1.sync_id}/failed-records.csv`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(r.headers.get('content-disposition') ?? '', /attachment/);
    assert.ok(r.headers.get('x-request-id'));
    const rows = parseCsv(await r.text());
    const [header, ...lines] = rows;
    assert.deepEqual(header.slice(0, 3), ['file_type', 'row', 'errors']);
    for (const c of CREDIT_COLS.filter((x) => x !== '@note')) assert.ok(header.includes(c), `header has ${c}`);
    assert.ok(header.includes("'@note"), 'the unknown column keeps its name, neutralized');
    assert.equal(lines.length, 5, 'four credit rows and one payment row');
    for (const l of lines) assert.equal(l.length, header.length, 'every line has the header’s width');
    const byLan = new Map(lines.map((l) => [`${l[0]}:${l[header.indexOf('loan_account_number')]}`, l]));
    const cell = (ft: string, lan: string, col: string) => byLan.get(`${ft}:${lan}`)![header.indexOf(col)];
    assert.equal(cell('credit', 'X01', 'row'), '5');
    assert.match(cell('credit', 'X01', 'errors'), /interest_rate/);
    assert.match(cell('credit', 'X01', 'errors'), /TYPE/);
    assert.equal(cell('credit', 'X01', 'customer_id'), `'=HYPERLINK("http://x")`);
    assert.equal(cell('credit', 'X02', 'customer_id'), `'+SUM(1,2)`);
    assert.equal(cell('credit', 'X02', 'original_amount'), `'-5`);
    assert.equal(cell('credit', 'X03', 'customer_id'), `'@cmd`);
    assert.equal(cell('credit', 'X04', 'customer_id'), `'-1+2`);
    assert.equal(cell('credit', 'X01', "'@note"), `'=1+1`, 'unknown columns are neutralized too');
    assert.equal(cell('credit', 'X03', "'@note"), `'@x`);
    assert.equal(cell('credit', 'X04', "'@note"), `'\t+y`);
    assert.equal(cell('payment_plan', 'X01', 'row'), '4');
    assert.match(cell('payment_plan', 'X01', 'errors'), /CROSS_REFERENCE/);
    for (const l of rows) for (const c of l) assert.doesNotMatch(c, /^[=+\-@\t\r]/, `cell ${JSON.stringify(c)} cannot start a formula`);
  });

  test('?file_type= narrows to one file; a sync without failed rows gives the header only; unknown sync 404', async () => {
    const pay = parseCsv(await (await api.get(`/api/sync/logs/${sync1.sync_id}/failed-records.csv?file_type=payment_plan`)).text());
    assert.equal(pay.length, 2);
    assert.equal(pay[1][0], 'payment_plan');
    const bad = await api.json(`/api/sync/logs/${sync1.sync_id}/failed-records.csv?file_type=xx`);
    assertEnvelope(bad.status, bad.body, 400, 'VALIDATION_FAILED');
    const aborted = parseCsv(await (await api.get(`/api/sync/logs/${sync2.sync_id}/failed-records.csv`)).text());
    assert.equal(aborted.length, 3, 'an aborted sync keeps its failed rows too');
    const missing = await api.json(`/api/sync/logs/${crypto.randomUUID()}/failed-records.csv`);
    assertEnvelope(missing.status, missing.body, 404, 'NOT_FOUND');
  });
});

describe('data', () => {
  const data = async (q: string) => api.json(`/api/data/?loan_type=RETAIL&${q}`);

  test('a page is {tenant_id, loan_type, file_type, total, limit, offset, columns, items}; all 35 credit columns by default', async () => {
    const { status, body } = await data('');
    assert.equal(status, 200);
    assert.deepEqual([body.tenant_id, body.loan_type, body.file_type, body.total, body.limit, body.offset], [tenantId, 'RETAIL', 'credit', 8, 50, 0]);
    assert.equal(body.columns.length, 35);
    for (const c of body.columns) assert.deepEqual(Object.keys(c).sort(), ['name', 'type']);
    assert.equal(body.items.length, 8);
    for (const it of body.items) assert.deepEqual(Object.keys(it), body.columns.map((c: any) => c.name));
    assert.deepEqual(body.items.map((r: any) => r.loan_account_number), VALID.map((r) => r.loan_account_number), 'default order: loan_account_number');
    const pay = await data('file_type=payment_plan');
    assert.deepEqual([pay.body.file_type, pay.body.total, pay.body.columns.length], ['payment_plan', 3, 16]);
  });

  test('money and rates are exact decimal strings; missing optional values are 0 or null as specified', async () => {
    const { body } = await data('limit=1000');
    const by = new Map(body.items.map((r: any) => [r.loan_account_number, r]));
    const v = (lan: string) => by.get(lan) as any;
    assert.equal(v('V01').original_amount, '1000.50');
    assert.equal(v('V01').outstanding_principal, '500.25');
    assert.equal(v('V01').interest_rate, '0.18500000');
    assert.equal(v('V01').accrued_interest, '0.00', 'missing → 0');
    assert.equal(v('V01').bsmv_rate, null, 'missing optional rate → null');
    assert.equal(v('V02').original_amount, '999999999999999.99', 'no float rounding');
    assert.equal(v('V02').outstanding_principal, '123456789012345.67');
    assert.equal(v('V02').interest_rate, '0.18500000', '0.185 is already a fraction');
    assert.equal(v('V02').bsmv_rate, '0.05000000');
    assert.equal(v('V03').interest_rate, '0.42123456');
    assert.equal(v('V04').interest_rate, '1.00000000', '1 is a fraction (0..1 inclusive)');
    assert.equal(v('V04').original_amount, '0.01');
    assert.equal(v('V05').interest_rate, '2.00000000');
    assert.equal(v('V05').bsmv_rate, '1.00000000');
    assert.equal(v('V05').original_amount, '75000.50');
    assert.equal(v('V08').interest_rate, '0.99999999');
    assert.equal(v('V03').disbursement_date, '2024-02-29');
    assert.equal(v('V07').maturity_date, '2100-12-31');
    assert.equal(v('V06').currency, 'TRY');
    assert.equal(v('V01').customer_type, 'INDIVIDUAL');
    assert.equal(v('V03').loan_status, 'CLOSED');
    for (const r of body.items) {
      for (const c of ['original_amount', 'outstanding_principal', 'accrued_interest']) assert.match(r[c], /^\d+\.\d{2}$/, `${r.loan_account_number}.${c}`);
      assert.match(r.interest_rate, /^\d+\.\d{8}$/);
    }
  });

  test('pagination: limit/offset pages are disjoint, cover all rows once, and keep total', async () => {
    const seen: string[] = [];
    for (let offset = 0; offset < 10; offset += 3) {
      const { body } = await data(`limit=3&offset=${offset}`);
      assert.deepEqual([body.total, body.limit, body.offset], [8, 3, offset]);
      seen.push(...body.items.map((r: any) => r.loan_account_number));
    }
    assert.deepEqual(seen, VALID.map((r) => r.loan_account_number));
  });

  test('column selection returns exactly the chosen columns, in the order asked', async () => {
    const { status, body } = await data('columns=original_amount, loan_account_number,currency');
    assert.equal(status, 200);
    assert.deepEqual(body.columns.map((c: any) => c.name), ['original_amount', 'loan_account_number', 'currency']);
    for (const it of body.items) assert.deepEqual(Object.keys(it), ['original_amount', 'loan_account_number', 'currency']);
  });

  test('sorting on every column, ascending and descending, is really ordered by that column', async () => {
    const { body: meta } = await data('limit=1');
    const cmp = (a: unknown, b: unknown): number => {
      if (typeof a === 'number' && typeof b === 'number') return a - b;
      const sa = String(a);
      const sb = String(b);
      if (/^-?\d+(\.\d+)?$/.test(sa) && /^-?\d+(\.\d+)?$/.test(sb)) {
        const x = scaled(sa, 8);
        const y = scaled(sb, 8);
        return x < y ? -1 : x > y ? 1 : 0;
      }
      return sa < sb ? -1 : sa > sb ? 1 : 0;
    };
    for (const { name } of meta.columns as { name: string }[]) {
      for (const dir of ['', '-']) {
        const { status, body } = await data(`sort=${dir}${name}&limit=1000&columns=${name},loan_account_number`);
        assert.equal(status, 200, `sort=${dir}${name}: ${JSON.stringify(body)}`);
        const values = body.items.map((r: any) => r[name]).filter((x: unknown) => x !== null);
        for (let i = 1; i < values.length; i++) {
          const c = cmp(values[i - 1], values[i]);
          assert.ok(dir === '-' ? c >= 0 : c <= 0, `sort=${dir}${name}: ${values[i - 1]} before ${values[i]}`);
        }
      }
    }
    const desc = await data('sort=-original_amount&columns=loan_account_number');
    assert.deepEqual(desc.body.items.slice(0, 3).map((r: any) => r.loan_account_number), ['V02', 'V03', 'V05'], 'numeric, not text, order');
    const asc = await data('sort=interest_rate&columns=loan_account_number');
    assert.deepEqual(asc.body.items.map((r: any) => r.loan_account_number), ['V06', 'V07', 'V01', 'V02', 'V03', 'V08', 'V04', 'V05'], 'ties broken by loan_account_number');
  });

  test('code filters take codes or labels, any case, comma-separated; total follows the filter', async () => {
    const lans = async (q: string) => {
      const { status, body } = await data(`${q}&columns=loan_account_number&limit=1000`);
      assert.equal(status, 200, `${q}: ${JSON.stringify(body)}`);
      assert.equal(body.total, body.items.length, `${q}: total is the filtered count`);
      return body.items.map((r: any) => r.loan_account_number);
    };
    assert.deepEqual(await lans('currency=TRY,USD'), ['V01', 'V02', 'V04', 'V06']);
    assert.deepEqual(await lans('currency=try, usd'), ['V01', 'V02', 'V04', 'V06']);
    assert.deepEqual(await lans('currency=JPY'), ['V08']);
    assert.deepEqual(await lans('loan_status=A'), ['V01', 'V02', 'V07', 'V08']);
    assert.deepEqual(await lans('loan_status=ACTIVE'), ['V01', 'V02', 'V07', 'V08']);
    assert.deepEqual(await lans('loan_status=K,non_performing'), ['V03', 'V04', 'V05']);
    assert.deepEqual(await lans('customer_type=T'), []);
    assert.deepEqual(await lans('customer_type=I'), VALID.map((r) => r.loan_account_number));
    assert.deepEqual(await lans('insurance_included=H'), ['V02', 'V04', 'V06']);
    assert.deepEqual(await lans('collateral_type=MORTGAGE,V'), ['V02', 'V03']);
    assert.deepEqual(await lans('currency=TRY&loan_status=K'), ['V04']);
    assert.deepEqual(await lans('currency=XXX'), []);
    assert.equal((await lans('currency=')).length, 8, 'an empty filter (a blank form field) filters nothing');
    assert.equal((await lans('currency=%20,')).length, 8);
  });

  test('date ranges (_from/_to, inclusive) filter every date column', async () => {
    const lans = async (q: string) => (await data(`${q}&columns=loan_account_number&limit=1000`)).body.items.map((r: any) => r.loan_account_number);
    assert.deepEqual(await lans('disbursement_date_from=2024-02-01&disbursement_date_to=2024-03-31'), ['V02', 'V03', 'V05', 'V06']);
    assert.deepEqual(await lans('disbursement_date_to=2023-12-31'), ['V04', 'V07']);
    assert.deepEqual(await lans('maturity_date_from=2100-12-31'), ['V07']);
    assert.deepEqual(await lans('disbursement_date_from=2024-03-01&currency=GBP,TRY'), ['V05', 'V06']);
    const pay = await api.json('/api/data/?loan_type=RETAIL&file_type=payment_plan&due_date_from=2024-03-01&columns=loan_account_number,installment_number');
    assert.deepEqual(pay.body.items.map((r: any) => `${r.loan_account_number}/${r.installment_number}`), ['V01/2', 'V02/1']);
  });

  test('bad data queries are 400 (unknown column in columns or sort, bad dates, bad paging, bad types), never 500', async () => {
    for (const q of [
      'columns=nope',
      'columns=,',
      'columns=%20',
      'disbursement_date_from=',
      'columns=loan_account_number,nope',
      'columns=loan_account_number`,1',
      'sort=nope',
      'sort=-nope',
      'sort=-',
      'sort=original_amount;DROP',
      'disbursement_date_from=2024-13-01',
      'disbursement_date_from=2024-02-30',
      'disbursement_date_to=20240101',
      'disbursement_date_to=yesterday',
      'limit=-1',
      'limit=abc',
      'limit=0',
      'limit=1001',
      'offset=-3',
      'file_type=xx',
    ]) {
      const { status, body } = await data(q);
      assertEnvelope(status, body, 400, 'VALIDATION_FAILED', q);
    }
    for (const q of ['', 'loan_type=xx', 'loan_type=']) {
      const { status, body } = await api.json(`/api/data/?${q}`);
      assertEnvelope(status, body, 400, 'VALIDATION_FAILED', `data ?${q}`);
    }
  });
});

describe('profiling', () => {
  const profileKey = () => `findata:${tenantId}:profile:RETAIL:credit`;
  const col = (prof: any, name: string) => prof.columns.find((c: any) => c.name === name);

  test('shape: {tenant_id, loan_type, file_type, row_count, profiled_at, columns[]} with sums/means/histograms for numbers and top values for codes', async () => {
    await p.cache.del(profileKey());
    const { status, body } = await api.json('/api/profiling/?loan_type=RETAIL');
    assert.equal(status, 200);
    for (const k of ['tenant_id', 'loan_type', 'file_type', 'row_count', 'profiled_at', 'columns']) assert.ok(k in body, k);
    assert.deepEqual([body.tenant_id, body.loan_type, body.file_type, body.row_count], [tenantId, 'RETAIL', 'credit', 8]);
    assert.ok(!Number.isNaN(Date.parse(body.profiled_at)));
    assert.equal(body.columns.length, 31, 'every file column');
    for (const c of body.columns) for (const k of ['name', 'type', 'nulls', 'distinct', 'min', 'max']) assert.ok(k in c, `${c.name}.${k}`);
    for (const name of ['original_amount', 'interest_rate', 'installment_count', 'days_past_due']) {
      const c = col(body, name);
      for (const k of ['sum', 'mean', 'histogram']) assert.ok(k in c, `${name}.${k}`);
      assert.equal(c.histogram.reduce((n: number, h: any) => n + h.count, 0), 8 - c.nulls, `${name} histogram counts every non-null value`);
    }
    const cur = col(body, 'currency');
    assert.deepEqual(Object.fromEntries(cur.top.map((t: any) => [t.value, t.count])), { TRY: 3, USD: 1, EUR: 1, GBP: 1, CHF: 1, JPY: 1 });
    assert.deepEqual(
      cur.top.map((t: any) => t.value),
      ['TRY', 'CHF', 'EUR', 'GBP', 'JPY', 'USD'],
      'top values: largest count first, ties by value',
    );
    assert.equal(cur.distinct, 6);
    assert.equal(col(body, 'bsmv_rate').nulls, 4);
    assert.equal(col(body, 'original_amount').min, '0.01');
    assert.equal(col(body, 'original_amount').max, '999999999999999.99');
    assert.equal(col(body, 'disbursement_date').min, '1950-01-01');
  });

  test('sums of money and percent columns are exact decimals (checked with BigInt against the file)', async () => {
    const { body } = await api.json('/api/profiling/?loan_type=RETAIL');
    const money = (c: string) => VALID.reduce((s, r) => s + scaled(r[c as keyof Row] || '0', 2), 0n);
    for (const c of ['original_amount', 'outstanding_principal', 'accrued_interest']) {
      const got = col(body, c).sum;
      assert.equal(typeof got, 'string', `${c}.sum is a decimal string`);
      assert.equal(scaled(got, 2), money(c), `${c}: ${got}`);
    }
    assert.equal(scaled(col(body, 'original_amount').sum, 2), 100000000034344667n, 'beyond float precision: 1000000000343446.67');
    const rates = VALID.reduce((s, r) => s + percentScaled8(r.interest_rate), 0n);
    assert.equal(scaled(col(body, 'interest_rate').sum, 8), rates);
    const bsmv = VALID.filter((r) => r.bsmv_rate !== '').reduce((s, r) => s + percentScaled8(r.bsmv_rate), 0n);
    assert.equal(scaled(col(body, 'bsmv_rate').sum, 8), bsmv);
    assert.equal(Number(col(body, 'installment_count').sum), VALID.reduce((s, r) => s + Number(r.installment_count), 0));
  });

  test('histograms: 10 equal-width bins from min to max, counts exact (checked against the file)', async () => {
    await p.cache.del(profileKey());
    const { body } = await api.json('/api/profiling/?loan_type=RETAIL');
    const h = col(body, 'installment_count').histogram as { from: number; to: number; count: number }[];
    const values = VALID.map((r) => Number(r.installment_count));
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    assert.equal(h.length, 10);
    assert.equal(h[0].from, lo);
    assert.equal(h[9].to, hi);
    const w = (hi - lo) / 10;
    h.forEach((b, k) => assert.ok(Math.abs(b.to - b.from - w) < 1e-6 * Math.max(1, w), `bin ${k} has the common width`));
    const expected = h.map((_, k) => values.filter((v) => Math.min(9, Math.floor((v - lo) / w)) === k).length);
    assert.deepEqual(
      h.map((b) => b.count),
      expected,
    );
    const d = col(body, 'disbursement_date').histogram as { from: number; to: number }[];
    assert.equal(d[0].from, Date.parse(`${col(body, 'disbursement_date').min}T00:00:00Z`), 'date bins in epoch milliseconds from the earliest date');
  });

  test('a loan type without warehouse data profiles as row_count 0 with null figures (the aborted sync wrote nothing)', async () => {
    const { status, body } = await api.json('/api/profiling/?loan_type=COMMERCIAL');
    assert.equal(status, 200);
    assert.equal(body.row_count, 0);
    const amount = col(body, 'original_amount');
    assert.deepEqual([amount.min, amount.max, amount.sum, amount.mean], [null, null, null, null]);
    const d = await api.json('/api/data/?loan_type=COMMERCIAL&file_type=payment_plan');
    assert.deepEqual([d.status, d.body.total, d.body.items], [200, 0, []]);
  });

  test('bad profiling queries are 400; another tenant_id is 403', async () => {
    for (const q of ['', 'loan_type=xx', 'loan_type=RETAIL&file_type=nope']) {
      const { status, body } = await api.json(`/api/profiling/?${q}`);
      assertEnvelope(status, body, 400, 'VALIDATION_FAILED', q);
    }
    const { status, body } = await api.json('/api/profiling/?loan_type=RETAIL&tenant_id=other_bank');
    assertEnvelope(status, body, 403, 'FORBIDDEN');
  });
});

describe('OpenAPI', () => {
  const API_MD: [string, string][] = [
    ['get', '/api/health'],
    ['put', '/api/uploads/{loan_type}/{file_type}'],
    ['get', '/api/uploads/'],
    ['delete', '/api/uploads/{loan_type}/{file_type}'],
    ['post', '/api/sync/'],
    ['get', '/api/sync/configs/'],
    ['get', '/api/sync/configs/{id}/'],
    ['get', '/api/sync/logs/'],
    ['get', '/api/sync/logs/{sync_id}/'],
    ['get', '/api/sync/logs/{sync_id}/errors/'],
    ['get', '/api/sync/logs/{sync_id}/failed-records.csv'],
    ['get', '/api/data/'],
    ['get', '/api/profiling/'],
    ['get', '/metrics'],
  ];
  let doc: any;

  test('/api/openapi.json is an OpenAPI 3.1 JSON document, served without a key', async () => {
    const r = await fetch(`${p.url}/api/openapi.json`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    doc = await r.json();
    assert.match(doc.openapi, /^3\.1\.\d+$/);
    assert.equal(typeof doc.info?.title, 'string');
    assert.equal(typeof doc.info?.version, 'string');
    assert.equal(typeof doc.paths, 'object');
    const schemes = Object.keys(doc.components?.securitySchemes ?? {});
    const opIds = new Set<string>();
    const refs: string[] = [];
    JSON.stringify(doc, (k, v) => (k === '$ref' && typeof v === 'string' ? (refs.push(v), v) : v));
    for (const ref of refs) {
      assert.match(ref, /^#\//, `local $ref ${ref}`);
      const target = ref
        .slice(2)
        .split('/')
        .reduce((o: any, part) => o?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
      assert.ok(target !== undefined, `$ref ${ref} resolves`);
    }
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      assert.match(path, /^\//);
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries<any>(item)) {
        assert.ok(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'].includes(method), `${path}: ${method}`);
        const where = `${method.toUpperCase()} ${path}`;
        assert.ok(op.operationId && !opIds.has(op.operationId), `${where}: unique operationId`);
        opIds.add(op.operationId);
        const inPath = (op.parameters ?? []).filter((x: any) => x.in === 'path');
        assert.deepEqual(inPath.map((x: any) => x.name).sort(), [...templated].sort(), `${where}: every path template is a declared path parameter`);
        for (const x of inPath) assert.equal(x.required, true, `${where}: path parameter ${x.name} is required`);
        for (const x of op.parameters ?? []) {
          assert.ok(['path', 'query', 'header', 'cookie'].includes(x.in), `${where}: parameter ${x.name} in`);
          assert.equal(typeof x.schema, 'object', `${where}: parameter ${x.name} has a schema`);
        }
        assert.ok(op.responses && Object.keys(op.responses).length > 0, `${where}: responses`);
        assert.ok(Object.keys(op.responses).some((s) => /^2\d\d$/.test(s)), `${where}: a success response`);
        for (const [code, resp] of Object.entries<any>(op.responses)) {
          assert.match(code, /^([1-5]\d\d|[1-5]XX|default)$/, `${where}: status ${code}`);
          assert.equal(typeof resp.description, 'string', `${where} ${code}: description`);
          for (const media of Object.values<any>(resp.content ?? {})) assert.equal(typeof media.schema, 'object', `${where} ${code}: schema`);
        }
        for (const req of op.security ?? []) for (const name of Object.keys(req)) assert.ok(schemes.includes(name), `${where}: security scheme ${name} exists`);
      }
    }
  });

  test('every endpoint of api.md is listed (method + path) with its responses; authenticated ones document 401', async () => {
    doc ??= await (await fetch(`${p.url}/api/openapi.json`)).json();
    const missing = API_MD.filter(([m, path]) => !doc.paths[path]?.[m]);
    assert.deepEqual(missing, [], 'endpoints of api.md missing from the document');
    for (const [m, path] of API_MD) {
      const op = doc.paths[path][m];
      if (path === '/api/health' || path === '/metrics') continue;
      assert.ok(op.responses['401'], `${m} ${path}: 401 documented`);
      assert.ok((op.security ?? []).length > 0, `${m} ${path}: security required`);
    }
    assert.ok(doc.paths['/api/uploads/{loan_type}/{file_type}'].put.responses['413']);
    assert.ok(doc.paths['/api/uploads/{loan_type}/{file_type}'].put.responses['415']);
    assert.ok(doc.paths['/api/sync/'].post.responses['409']);
    assert.ok(doc.paths['/api/sync/logs/{sync_id}/failed-records.csv'].get.responses['200'].content['text/csv']);
  });

  test('every documented operation is really routed (no "No route" 404 for any of them)', async () => {
    doc ??= await (await fetch(`${p.url}/api/openapi.json`)).json();
    const fill = (path: string) =>
      path.replace('{loan_type}', 'RETAIL').replace('{file_type}', 'payment_plan').replace('{sync_id}', sync1.sync_id).replace('{id}', '1');
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const method of Object.keys(item)) {
        if (path.endsWith('/rotate-key')) continue; // would replace this file's key
        const r = await api.send(method.toUpperCase(), fill(path), method === 'get' || method === 'delete' ? undefined : {});
        const text = await r.text();
        assert.ok(r.status < 500, `${method} ${path}: ${r.status} ${text.slice(0, 200)}`);
        assert.doesNotMatch(text, /No route for/, `${method} ${path} is routed`);
      }
    }
  });
});

describe('robustness', () => {
  test('malformed or non-object JSON bodies are 400 with the envelope, never 500', async () => {
    const bodies = ['{', '{"loan_type": "RETAIL"', 'nope', '[1,2', '"\\u12"', '{"loan_type": RETAIL}'];
    const configId = (await api.json('/api/sync/configs/')).body[0].id;
    for (const [method, path, ...wrong] of [
      ['POST', '/api/sync/', '{}', '{"loan_type": 5}', '{"loan_type": "MORTGAGE"}', '{"loan_type": null}'],
      ['PATCH', `/api/sync/configs/${configId}/`, '{"enabled": "yes"}', '{"interval_seconds": 1}', '{"interval_seconds": 5.5}', '{"interval_seconds": "60"}'],
      ['POST', '/api/session', '{}', '{"api_key": ["x"]}', '{"api_key": null}'],
    ]) {
      for (const b of bodies) {
        const r = await fetch(p.url + path, { method, headers: { authorization: `Api-Key ${key}`, 'content-type': 'application/json' }, body: b });
        assertEnvelope(r.status, await r.json(), 400, 'BAD_REQUEST', `${method} ${path} ${b}`);
      }
      // Well-formed JSON that is not an object, or has wrong types: 400 as well.
      for (const b of ['null', '[]', '[{"loan_type": "RETAIL"}]', '"RETAIL"', '42', 'true', ...wrong]) {
        const r = await fetch(p.url + path, { method, headers: { authorization: `Api-Key ${key}`, 'content-type': 'application/json' }, body: b });
        const body = await r.json();
        assertEnvelope(r.status, body, 400, undefined, `${method} ${path} ${b}`);
      }
    }
    const huge = await fetch(`${p.url}/api/sync/`, { method: 'POST', headers: { authorization: `Api-Key ${key}`, 'content-type': 'application/json' }, body: `{"loan_type":"${'R'.repeat(100_000)}"}` });
    assertEnvelope(huge.status, await huge.json(), 400, undefined, 'oversized JSON');
  });

  test('an oversized JSON body is refused as soon as it passes the limit, without being buffered (also unauthenticated sign-in)', async () => {
    const u = new URL(`${p.url}/api/session`);
    // Declared: 3 GB announced, a few bytes sent. The answer must not wait for the rest.
    const declared = await new Promise<{ status: number; body: any } | 'timeout'>((resolve) => {
      const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '3000000000' } }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
      });
      req.on('error', () => {});
      req.write('{"api_key":"');
      setTimeout(() => {
        resolve('timeout');
        req.destroy();
      }, 5000);
    });
    assert.notEqual(declared, 'timeout', 'answered without waiting for 3 GB');
    if (declared !== 'timeout') assertEnvelope(declared.status, declared.body, 400, 'BAD_REQUEST', 'declared 3 GB');
    // Streamed: chunks keep coming; the answer arrives once the limit is passed, long before the client is done.
    const streamed = await new Promise<{ status: number; sentAtAnswer: number }>((resolve, reject) => {
      let sent = 0;
      let answered = false;
      const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        answered = true;
        resolve({ status: res.statusCode!, sentAtAnswer: sent });
        res.resume();
        req.destroy();
      });
      req.on('error', (err) => (answered ? undefined : reject(err)));
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        if (answered || sent >= 32 * 1024 * 1024) return void (answered || req.end());
        sent += chunk.length;
        req.write(chunk, () => setTimeout(pump, 2));
      };
      req.write('{"api_key":"', pump);
    });
    assert.equal(streamed.status, 400);
    assert.ok(streamed.sentAtAnswer < 4 * 1024 * 1024, `answered after ${streamed.sentAtAnswer} bytes of 32 MiB`);
    assert.equal((await fetch(`${p.url}/api/health`)).status, 200, 'the server is fine');
  });

  test('requests refused before the app (headers over 16 KiB, not HTTP, a backslash path) get the envelope, not an empty body', async () => {
    const u = new URL(p.url!);
    const raw = (text: string) =>
      new Promise<{ status: number; body: any }>((resolve, reject) => {
        const chunks: Buffer[] = [];
        const socket = net.connect(Number(u.port), u.hostname, () => socket.write(text));
        socket.on('data', (d) => chunks.push(d));
        socket.on('error', reject);
        socket.on('close', () => {
          const res = Buffer.concat(chunks).toString('utf8');
          const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(res)?.[1]);
          const body = res.slice(res.indexOf('\r\n\r\n') + 4);
          try {
            resolve({ status, body: JSON.parse(body) });
          } catch {
            reject(new Error(`not a JSON body: ${JSON.stringify(res.slice(0, 300))}`));
          }
        });
      });
    const big = await raw(`GET /api/health HTTP/1.1\r\nHost: x\r\nX-Filler: ${'a'.repeat(17 * 1024)}\r\n\r\n`);
    assertEnvelope(big.status, big.body, 431, 'HEADERS_TOO_LARGE', 'headers over the limit');
    const garbage = await raw('NOT HTTP AT ALL\r\n\r\n');
    assertEnvelope(garbage.status, garbage.body, 400, 'BAD_REQUEST', 'not HTTP');
    const backslash = await raw('GET /api\\health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assertEnvelope(backslash.status, backslash.body, 400, 'BAD_REQUEST', 'a backslash in the path');
    assert.equal((await fetch(`${p.url}/api/health`)).status, 200, 'the server is fine');
  });

  test('unknown routes and ids are 404 with the envelope; no response body carries a stack trace', async () => {
    for (const [method, path] of [
      ['GET', '/api/nope'],
      ['GET', '/api/data/extra/segments'],
      ['POST', '/api/data/'],
      ['DELETE', '/api/sync/logs/'],
      ['GET', '/api/sync/configs/abc/'],
      ['GET', '/api/sync/configs/999999/'],
      ['GET', '/api/sync/configs/99999999999999/'],
      ['PATCH', '/api/sync/configs/999999/'],
      ['GET', '/api/uploads/RETAIL/credit'],
    ]) {
      const r = await api.send(method, path, method === 'PATCH' ? { enabled: true } : undefined);
      const body = await r.json();
      assertEnvelope(r.status, body, 404, undefined, `${method} ${path}`);
      assert.ok(['NOT_FOUND'].includes(body.error.code), `${method} ${path}: ${body.error.code}`);
      assert.equal(body.error.requestId, r.headers.get('x-request-id'));
    }
    const noKey = await fetch(`${p.url}/api/nope`);
    assertEnvelope(noKey.status, await noKey.json(), 404, 'NOT_FOUND', 'unknown route without a key');
  });

  test('a manual sync started the moment the previous log turns final is accepted, not 409 (the previous one is only closing)', async () => {
    const snapshot = await api.json('/api/profiling/?loan_type=RETAIL');
    assert.equal(snapshot.body.row_count, 8);
    let syncId: string | null = null;
    for (let round = 0; round < 3; round++) {
      assert.equal((await api.upload('RETAIL', 'payment_plan', [PAY_HEADER, PAYMENTS[0]].join('\n'))).status, 201);
      const r = await api.send('POST', '/api/sync/', { loan_type: 'RETAIL' });
      assert.equal(r.status, 202, `round ${round}: ${await r.clone().text()}`);
      if (syncId) assert.equal((await waitForSync(p.url!, key, syncId)).status, 'SUCCESS');
      syncId = ((await r.json()) as any).sync_id as string;
      // Poll closely (5 ms), so the next start lands right when this log turns final.
      for (let log: any = {}; !['SUCCESS', 'ABORTED', 'FAILED'].includes(log.status); await new Promise((res) => setTimeout(res, 5))) {
        log = (await api.json(`/api/sync/logs/${syncId}/`)).body;
      }
    }
    assert.equal((await waitForSync(p.url!, key, syncId!)).status, 'SUCCESS');
  });
});

describe('profiling cache', () => {
  /**
   * A sync's log turns final before its workflow starts the profiles run (a workflow of its own), which may then
   * still be storing: wait for the sync's workflow to end, then for its profiles run.
   */
  const profilesSettled = async (syncId: string) => {
    await p.sync!.client.workflow.getHandle(syncWorkflowId(tenantId, 'RETAIL')).result();
    return p.sync!.client.workflow.getHandle(profilesWorkflowId(tenantId, 'RETAIL', syncId)).result();
  };
  const latestRetailSync = async () => {
    const r = await api.json('/api/sync/logs/?loan_type=RETAIL&limit=1');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.items[0].sync_id as string;
  };

  test('a profile is cached under findata:{t}:profile:{lt}:{ft} and served from there; a new sync replaces it with the new data’s profiles, precomputed before any read', async () => {
    await profilesSettled(await latestRetailSync());
    const cacheKey = `findata:${tenantId}:profile:RETAIL:credit`;
    await p.cache.del(cacheKey);
    const first = (await api.json('/api/profiling/?loan_type=RETAIL')).body;
    let cached: string | null = null;
    for (let i = 0; i < 20 && !cached; i++) {
      cached = await p.redis.cache.get(cacheKey);
      if (!cached) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(cached, `${cacheKey} exists after the first call`);
    assert.equal(JSON.parse(cached).profiled_at, first.profiled_at);
    await new Promise((r) => setTimeout(r, 10));
    const second = (await api.json('/api/profiling/?loan_type=RETAIL')).body;
    assert.equal(second.profiled_at, first.profiled_at, 'the second call is the cached profile');
    assert.deepEqual(second, first);
    // Another loan type's profile: a RETAIL sync leaves it alone.
    const commercialKey = `findata:${tenantId}:profile:COMMERCIAL:credit`;
    await api.json('/api/profiling/?loan_type=COMMERCIAL');
    for (let i = 0; i < 20 && !(await p.redis.cache.exists(commercialKey)); i++) await new Promise((r) => setTimeout(r, 50));
    const commercialBefore = await p.redis.cache.get(commercialKey);
    assert.ok(commercialBefore, 'the COMMERCIAL profile is cached');

    const total0 = (await api.json('/api/data/?loan_type=RETAIL&limit=1')).body.total;
    assert.equal(total0, 8);
    const fresh = [VALID[1], VALID[6]];
    assert.equal((await api.upload('RETAIL', 'credit', creditCsv(fresh))).status, 201);
    const log = await startSync('RETAIL');
    assert.equal(log.status, 'SUCCESS', log.message);
    assert.equal((await profilesSettled(log.sync_id)).stored, true, 'the profiles run stored its profiles');
    // Before any read: both tables' profiles of the new data are in the cache.
    const stored = JSON.parse((await p.redis.cache.get(cacheKey))!);
    assert.equal(stored.row_count, 2, 'the precomputed credit profile is of the new data');
    assert.ok(Date.parse(stored.profiled_at) >= Date.parse(log.finished_at), 'computed after the sync was recorded');
    const storedPayments = JSON.parse((await p.redis.cache.get(`findata:${tenantId}:profile:RETAIL:payment_plan`))!);
    assert.equal(storedPayments.file_type, 'payment_plan');
    assert.equal(await p.redis.cache.get(commercialKey), commercialBefore, 'the COMMERCIAL profile is untouched');

    const after = (await api.json('/api/profiling/?loan_type=RETAIL')).body;
    assert.equal(after.profiled_at, stored.profiled_at, 'the first read after the sync is the precomputed profile');
    assert.equal(after.row_count, 2);
    const sum = fresh.reduce((s, r) => s + scaled(r.original_amount, 2), 0n);
    assert.equal(scaled(col(after, 'original_amount').sum, 2), sum);
    assert.deepEqual({ ...after, profiled_at: null }, { ...(await computeProfile(p.warehouse, tenantId, 'RETAIL', 'credit')), profiled_at: null }, 'equal to a profile computed now');
    assert.equal((await api.json('/api/data/?loan_type=RETAIL&limit=1')).body.total, 2, 'the cached row count was invalidated too');
  });

  test('a profiles run of an older sync stores nothing once a newer sync has recorded (the old data’s profile cannot come back)', async () => {
    const current = await latestRetailSync();
    await profilesSettled(current);
    const cacheKey = `findata:${tenantId}:profile:RETAIL:credit`;
    const { precomputeProfiles } = createProfileActivities({ warehouse: p.warehouse, cache: p.cache, log: p.log } as ActivityDeps);
    await p.cache.del(cacheKey);
    const stale = await precomputeProfiles({ tenantId, loanType: 'RETAIL', syncId: crypto.randomUUID() });
    assert.equal(stale.stored, false);
    assert.equal(await p.redis.cache.exists(cacheKey), 0, 'nothing stored for a sync that is not the latest recorded one');
    const fresh = await precomputeProfiles({ tenantId, loanType: 'RETAIL', syncId: current });
    assert.equal(fresh.stored, true, 'the latest recorded sync may store');
    assert.equal(JSON.parse((await p.redis.cache.get(cacheKey))!).row_count, 2);
  });
  const col = (prof: any, name: string) => prof.columns.find((c: any) => c.name === name);
});
