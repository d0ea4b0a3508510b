/**
 * Uploads through the API (loan-files.md §7, §8, §9.16–18): the 201 response, every file-level rejection with its
 * HTTP status and extra fields, their precedence, and the staging guarantees (a rejected or half-received upload
 * leaves the staged one untouched; an accepted one replaces it; DELETE drops it).
 *
 * The platform runs with UPLOAD_MAX_BYTES=1000. Bodies are sent byte-exact with node:http so that the test, not a
 * client library, decides the Content-Type, Content-Length and chunking.
 */
import { after, before, describe, test } from 'node:test';
import { readResponse, type RawResponse, loopbackAddress } from '../helpers/http.ts';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { startTestPlatform, uniqueTenantId, waitForSync } from '../helpers/platform.ts';
import type { Platform } from '../../server/platform.ts';

const LIMIT = 1000;
let p: Platform;

const RETAIL_CREDIT_COLUMNS = [
  'loan_account_number',
  'customer_id',
  'customer_type',
  'branch_code',
  'product_code',
  'currency',
  'original_amount',
  'outstanding_principal',
  'interest_rate',
  'disbursement_date',
  'maturity_date',
  'installment_count',
  'paid_installment_count',
  'installment_frequency',
  'loan_status',
  'days_past_due',
  'insurance_included',
];
const CREDIT_HEADER = RETAIL_CREDIT_COLUMNS.join(',');
const credit = (lan: string, rate = '18.5') => `${lan},C1,I,101,PRD,TRY,1000.50,500.25,${rate},20240115,20250115,12,3,M,A,0,E`;
const PAY_HEADER = 'loan_account_number,installment_number,due_date,installment_amount,principal_amount,interest_amount,remaining_principal,payment_status';
const payment = (lan: string, n: number) => `${lan},${n},20240210,100.00,90.00,10.00,910.00,B`;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const sha256 = (b: Buffer | string) => crypto.createHash('sha256').update(b).digest('hex');

type Res = RawResponse;

/**
 * One request, bytes as given. `contentType: null` sends no Content-Type; `chunked` sends no Content-Length
 * (Transfer-Encoding: chunked, the body in several writes).
 */
function request(
  method: string,
  path: string,
  o: { key?: string; body?: Buffer | string; contentType?: string | null; chunked?: boolean; headers?: Record<string, string> } = {},
): Promise<Res> {
  const u = new URL(p.url! + path);
  const body = o.body === undefined ? undefined : Buffer.isBuffer(o.body) ? o.body : Buffer.from(o.body);
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.key) headers.authorization = `Api-Key ${o.key}`;
  const ct = o.contentType === undefined ? 'text/csv' : o.contentType;
  if (ct !== null && body !== undefined) headers['content-type'] = ct;
  if (body !== undefined && !o.chunked) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers }, (res) => {
      readResponse(res).then(resolve, reject);
    });
    // The server may answer (413) before the whole body is sent and close: that is fine.
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
    if (body !== undefined) {
      if (o.chunked) for (let i = 0; i < body.length; i += 100) req.write(body.subarray(i, i + 100));
      else req.write(body);
    }
    req.end();
  });
}

let tenantId: string;
let key: string;
const upload = (lt: string, ft: string, body: Buffer | string, o: { contentType?: string | null; chunked?: boolean; key?: string } = {}) =>
  request('PUT', `/api/uploads/${lt}/${ft}`, { key: o.key ?? key, body, contentType: o.contentType, chunked: o.chunked });
const pendingList = async (k = key) => (await request('GET', '/api/uploads/', { key: k })).json as any[];
const pendingOf = async (lt: string, ft: string, k = key) => (await pendingList(k)).filter((u) => u.loan_type === lt && u.file_type === ft);

function assertRejected(r: Res, status: number, code: string, what = ''): any {
  assert.equal(r.status, status, `${what}: ${r.text}`);
  assert.equal(r.json?.error?.code, code, `${what}: ${r.text}`);
  assert.equal(typeof r.json.error.message, 'string');
  assert.ok(r.headers['x-request-id'], 'X-Request-Id on the rejection');
  assert.equal(r.json.error.requestId, r.headers['x-request-id']);
  assert.doesNotMatch(r.text, /\n\s+at /, 'no stack trace');
  return r.json.error;
}

async function newTenant(base: string): Promise<{ id: string; key: string }> {
  const id = uniqueTenantId(base);
  const { apiKey } = await p.tenants.create(id, `Uploads ${base}`);
  // No scheduled syncs: pending uploads stay pending for the whole test.
  await p.sync!.ensureSchedule(id, false, 60);
  return { id, key: apiKey };
}

before(async () => {
  p = await startTestPlatform({ UPLOAD_MAX_BYTES: String(LIMIT) });
  ({ id: tenantId, key } = await newTenant('upl'));
});
after(async () => {
  await p?.close();
});

describe('accepted uploads', () => {
  test('201 with exactly {tenant_id, loan_type, file_type, rows, bytes, sha256, warnings}: sha256 of the body as sent (BOM included), rows without blank lines, warnings naming unknown columns as sent', async () => {
    const text =
      '\r\n   \r\n' + // blank lines before the header are skipped
      `${CREDIT_HEADER}, Extra_Col ,NOTE\r\n` +
      `${credit('L1')},x,y\r\n` +
      '\r\n' +
      `${credit('L2', 'abc')},x,y\r\n` + // invalid rows are still rows (§9.16)
      ' \t \r\n' +
      'L3,only,three\r\n' + // ragged: still a row
      `${credit('L4')},x,y`; // no final line break
    const body = Buffer.concat([BOM, Buffer.from(text)]);
    assert.ok(body.length <= LIMIT);
    const r = await upload('retail', 'credit', body);
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(Object.keys(r.json).sort(), ['bytes', 'file_type', 'loan_type', 'rows', 'sha256', 'tenant_id', 'warnings']);
    assert.equal(r.json.tenant_id, tenantId);
    assert.equal(r.json.loan_type, 'RETAIL', 'the loan type is normalized');
    assert.equal(r.json.file_type, 'credit');
    assert.equal(r.json.rows, 4);
    assert.equal(r.json.bytes, body.length);
    assert.equal(r.json.sha256, sha256(body));
    assert.notEqual(r.json.sha256, sha256(text), 'the BOM is part of the hash');
    assert.equal(r.json.warnings.length, 2);
    assert.ok(r.json.warnings[0].includes('Extra_Col'), r.json.warnings[0]);
    assert.ok(!r.json.warnings[0].includes(' Extra_Col '), 'names are trimmed');
    assert.ok(!r.json.warnings.join().includes('extra_col'), 'names are spelled as sent, not case-folded');
    assert.ok(r.json.warnings[1].includes('NOTE'), r.json.warnings[1]);

    const listed = await pendingOf('RETAIL', 'credit');
    assert.equal(listed.length, 1);
    assert.equal(listed[0].sha256, r.json.sha256);
    assert.equal(listed[0].rows, 4);
    assert.equal(listed[0].bytes, body.length);
    assert.ok(!Number.isNaN(Date.parse(listed[0].uploaded_at)), 'uploaded_at is a timestamp');
  });

  test('accepted media types: text/csv with parameters, any case, application/csv, text/plain, application/octet-stream, or none', async () => {
    const body = [PAY_HEADER, payment('L1', 1)].join('\n');
    for (const ct of ['text/csv; charset=utf-8', 'TEXT/CSV', 'Text/Csv;Charset=UTF-8', 'application/csv', 'text/plain', 'text/plain;charset=utf-8', 'application/octet-stream', null]) {
      const r = await upload('COMMERCIAL', 'payment_plan', body, { contentType: ct });
      assert.equal(r.status, 201, `${ct}: ${r.text}`);
      assert.equal(r.json.rows, 1);
    }
  });

  test('a streamed (chunked) body is accepted like a sized one, and exactly the limit is accepted', async () => {
    const head = `${CREDIT_HEADER}\n${credit('L1')}\n`;
    const pad = `${credit('L2')},`; // one more field: ragged but a row
    const filler = 'x'.repeat(LIMIT - Buffer.byteLength(head) - Buffer.byteLength(pad));
    const exact = head + pad + filler;
    assert.equal(Buffer.byteLength(exact), LIMIT);
    const r1 = await upload('RETAIL', 'credit', exact);
    assert.equal(r1.status, 201, r1.text);
    assert.equal(r1.json.bytes, LIMIT);
    const r2 = await upload('RETAIL', 'credit', exact, { chunked: true });
    assert.equal(r2.status, 201, r2.text);
    assert.equal(r2.json.sha256, r1.json.sha256);
    assert.equal(r2.json.rows, 2);
  });
});

describe('rejections (§7)', () => {
  test('UNKNOWN_LOAN_TYPE and UNKNOWN_FILE_TYPE are 404, for PUT and DELETE', async () => {
    const body = `${CREDIT_HEADER}\n${credit('L1')}\n`;
    assertRejected(await upload('MORTGAGE', 'credit', body), 404, 'UNKNOWN_LOAN_TYPE');
    assertRejected(await upload('RETAI', 'credit', body), 404, 'UNKNOWN_LOAN_TYPE');
    assertRejected(await upload('RETAIL', 'credits', body), 404, 'UNKNOWN_FILE_TYPE');
    assertRejected(await upload('RETAIL', 'payment-plan', body), 404, 'UNKNOWN_FILE_TYPE');
    assertRejected(await request('DELETE', '/api/uploads/MORTGAGE/credit', { key }), 404, 'UNKNOWN_LOAN_TYPE');
    assertRejected(await request('DELETE', '/api/uploads/RETAIL/ledger', { key }), 404, 'UNKNOWN_FILE_TYPE');
  });

  test('UNSUPPORTED_MEDIA_TYPE is 415 for anything but the four CSV-ish types', async () => {
    const body = `${CREDIT_HEADER}\n${credit('L1')}\n`;
    for (const ct of ['application/json', 'multipart/form-data; boundary=xyz', 'application/x-www-form-urlencoded', 'text/html', 'text/csvx', 'image/png']) {
      assertRejected(await upload('RETAIL', 'credit', body, { contentType: ct }), 415, 'UNSUPPORTED_MEDIA_TYPE', ct);
    }
  });

  test('FILE_TOO_LARGE is 413 with limit_bytes, whether the size is declared or only found while streaming', async () => {
    const big = `${CREDIT_HEADER}\n` + Array.from({ length: 20 }, (_, i) => credit(`L${i}`)).join('\n');
    assert.ok(Buffer.byteLength(big) > LIMIT);
    const declared = assertRejected(await upload('RETAIL', 'credit', big), 413, 'FILE_TOO_LARGE', 'declared');
    assert.equal(declared.limit_bytes, LIMIT);
    const streamed = assertRejected(await upload('RETAIL', 'credit', big, { chunked: true }), 413, 'FILE_TOO_LARGE', 'streamed');
    assert.equal(streamed.limit_bytes, LIMIT);
    const oneOver = Buffer.concat([Buffer.from(`${CREDIT_HEADER}\n${credit('L1')}\n`), Buffer.alloc(LIMIT, 0x41)]).subarray(0, LIMIT + 1);
    assertRejected(await upload('RETAIL', 'credit', oneOver, { chunked: true }), 413, 'FILE_TOO_LARGE', 'one byte over');
  });

  test('EMPTY_FILE (422): no bytes, only a BOM, only blank lines, a header without data rows', async () => {
    const cases: [string, Buffer | string][] = [
      ['no bytes', Buffer.alloc(0)],
      ['BOM only', BOM],
      ['blank lines only', '\n\r\n   \n'],
      ['header only', `${CREDIT_HEADER}\n`],
      ['header without line break', CREDIT_HEADER],
      ['BOM + header + blank lines', Buffer.concat([BOM, Buffer.from(`${CREDIT_HEADER}\r\n\r\n  \r\n`)])],
    ];
    for (const [what, body] of cases) {
      assertRejected(await upload('RETAIL', 'credit', body), 422, 'EMPTY_FILE', what);
      assertRejected(await upload('RETAIL', 'credit', body, { chunked: true }), 422, 'EMPTY_FILE', `${what} (chunked)`);
    }
  });

  test('INVALID_ENCODING (422) gives the offset of the first byte of the first ill-formed sequence, BOM counted', async () => {
    const head = Buffer.from(`${CREDIT_HEADER}\nL1,C`);
    const tail = Buffer.from(`,I,101,PRD,TRY,1000.50,500.25,18.5,20240115,20250115,12,3,M,A,0,E\n${credit('L2')}\n`);
    const cases: [string, Buffer, Buffer, number][] = [
      // [what, prefix, bad bytes, offset of the bad sequence within bad bytes]
      ['C3 28 without BOM', head, Buffer.from([0xc3, 0x28]), 0],
      ['C3 28 after a BOM', Buffer.concat([BOM, head]), Buffer.from([0xc3, 0x28]), 0],
      ['valid ü then a lone continuation byte', head, Buffer.from([0xc3, 0xbc, 0x80]), 2],
      ['overlong encoding', head, Buffer.from([0xc0, 0xaf]), 0],
      ['UTF-16 surrogate', head, Buffer.from([0xed, 0xa0, 0x80]), 0],
      ['beyond U+10FFFF', head, Buffer.from([0xf4, 0x90, 0x80, 0x80]), 0],
      ['Latin-1 ş (a Windows-1254 file)', head, Buffer.from([0xfe]), 0],
    ];
    for (const [what, prefix, bad, at] of cases) {
      const body = Buffer.concat([prefix, bad, tail]);
      for (const chunked of [false, true]) {
        const e = assertRejected(await upload('RETAIL', 'credit', body, { chunked }), 422, 'INVALID_ENCODING', what);
        assert.equal(e.offset, prefix.length + at, `${what}${chunked ? ' (chunked)' : ''}: offset`);
      }
    }
    // A sequence cut off by the end of the file: the offset of its first byte.
    const cut = Buffer.concat([Buffer.from(`${CREDIT_HEADER}\n${credit('L1')},`), Buffer.from([0xe2, 0x82])]);
    assert.equal(assertRejected(await upload('RETAIL', 'credit', cut), 422, 'INVALID_ENCODING', 'truncated').offset, cut.length - 2);
  });

  test('MISSING_COLUMNS (422) lists the missing names as in §4, per loan type', async () => {
    const without = (drop: string[]) => RETAIL_CREDIT_COLUMNS.filter((c) => !drop.includes(c));
    const rowFor = (cols: string[]) => cols.map(() => '1').join(',');
    const retail = without(['interest_rate', 'insurance_included']);
    let e = assertRejected(await upload('RETAIL', 'credit', `${retail.join(',')}\n${rowFor(retail)}\n`), 422, 'MISSING_COLUMNS', 'RETAIL');
    assert.deepEqual(e.columns, ['interest_rate', 'insurance_included']);
    // The RETAIL header is complete for RETAIL, but COMMERCIAL needs sector_code and loan_product_type (§4, §9.1).
    e = assertRejected(await upload('COMMERCIAL', 'credit', `${CREDIT_HEADER}\n${credit('L1')}\n`), 422, 'MISSING_COLUMNS', 'COMMERCIAL');
    assert.deepEqual(e.columns, ['sector_code', 'loan_product_type']);
    // Header names match case-insensitively after trimming: upper-case, padded names are not "missing".
    const shouting = RETAIL_CREDIT_COLUMNS.map((c) => ` ${c.toUpperCase()} `).join(',');
    assert.equal((await upload('RETAIL', 'credit', `${shouting}\n${credit('L1')}\n`)).status, 201);
    e = assertRejected(await upload('RETAIL', 'payment_plan', 'loan_account_number;installment_number;payment_status\nL1;1;B\n'), 422, 'MISSING_COLUMNS', 'payment plan');
    assert.deepEqual(e.columns, ['due_date', 'installment_amount', 'principal_amount', 'interest_amount', 'remaining_principal']);
  });

  test('DUPLICATE_COLUMNS (422) lists the repeated names trimmed and lower-cased, each once', async () => {
    const header = `${CREDIT_HEADER}, Currency ,CURRENCY,Interest_Rate,extra,EXTRA `;
    const e = assertRejected(await upload('RETAIL', 'credit', `${header}\n${credit('L1')},TRY,TRY,1,a,b\n`), 422, 'DUPLICATE_COLUMNS');
    assert.deepEqual([...e.columns].sort(), ['currency', 'extra', 'interest_rate']);
    assert.equal(new Set(e.columns).size, e.columns.length, 'each name once');
  });

  test('MALFORMED_CSV (422) when a quoted value is still open at the end, with its row', async () => {
    let e = assertRejected(await upload('RETAIL', 'credit', `${CREDIT_HEADER}\n${credit('L1')}\n${credit('L2')}\nL3,"open value\nmore\n`), 422, 'MALFORMED_CSV');
    assert.equal(e.row, 3);
    e = assertRejected(await upload('RETAIL', 'credit', `${CREDIT_HEADER}\n"L1,C1`), 422, 'MALFORMED_CSV', 'open in the first row');
    assert.equal(e.row, 1);
    // A stray quote inside an unquoted value is a row error at sync time, not a file rejection (§9.6).
    const stray = await upload('RETAIL', 'credit', `${CREDIT_HEADER}\nL1,C"1,I,101,PRD,TRY,1000.50,500.25,18.5,20240115,20250115,12,3,M,A,0,E\n`);
    assert.equal(stray.status, 201, stray.text);
  });
});

describe('precedence (§7)', () => {
  const oversizedJunk = Buffer.concat([Buffer.from('a,a\n'), Buffer.from([0xc3, 0x28]), Buffer.alloc(LIMIT * 2, 0x22)]);

  test('authentication, then loan type, file type, media type, size: the first that applies wins', async () => {
    const send = (lt: string, ft: string, ct: string, k: string | undefined = key) =>
      request('PUT', `/api/uploads/${lt}/${ft}`, { key: k, body: oversizedJunk, contentType: ct });
    assertRejected(await send('NOPE', 'nope', 'application/json', ''), 401, 'UNAUTHORIZED', 'no key');
    assertRejected(await send('NOPE', 'nope', 'application/json'), 404, 'UNKNOWN_LOAN_TYPE', 'loan type first');
    assertRejected(await send('RETAIL', 'nope', 'application/json'), 404, 'UNKNOWN_FILE_TYPE', 'then file type');
    assertRejected(await send('RETAIL', 'credit', 'application/json'), 415, 'UNSUPPORTED_MEDIA_TYPE', 'then media type');
    assertRejected(await send('RETAIL', 'credit', 'text/csv'), 413, 'FILE_TOO_LARGE', 'then size');
    const streamed = await request('PUT', '/api/uploads/RETAIL/credit', { key, body: oversizedJunk, chunked: true });
    assertRejected(streamed, 413, 'FILE_TOO_LARGE', 'size while streaming beats the duplicate header and the bad byte before the limit');
  });

  test('in the body the first failure in file order wins; EMPTY_FILE and MALFORMED_CSV only at the end', async () => {
    const cases: [string, Buffer, string, Record<string, unknown>][] = [
      ['a bad header before a bad byte further down', Buffer.concat([Buffer.from('loan_account_number,customer_id\nL1,'), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]), 'MISSING_COLUMNS', {}],
      [
        'a duplicate header before a bad byte further down',
        Buffer.concat([Buffer.from(`${CREDIT_HEADER},currency\n${credit('L1')},`), Buffer.from([0xff]), Buffer.from('\n')]),
        'DUPLICATE_COLUMNS',
        { columns: ['currency'] },
      ],
      ['a bad byte inside the header line before the header is judged', Buffer.concat([Buffer.from('loan_account_number,cust'), Buffer.from([0xc3, 0x28]), Buffer.from('\nL1,x\n')]), 'INVALID_ENCODING', { offset: 24 }],
      ['a bad byte before an open quote at the end', Buffer.concat([Buffer.from(`${CREDIT_HEADER}\nL1,`), Buffer.from([0x80]), Buffer.from(',x\nL2,"open')]), 'INVALID_ENCODING', { offset: CREDIT_HEADER.length + 4 }],
      ['an open quote beats "no data rows"', Buffer.from(`${CREDIT_HEADER}\n"L1`), 'MALFORMED_CSV', { row: 1 }],
      ['a header without rows but with a bad byte in a trailing blank line', Buffer.concat([Buffer.from(`${CREDIT_HEADER}\n `), Buffer.from([0xc3, 0x28])]), 'INVALID_ENCODING', { offset: CREDIT_HEADER.length + 2 }],
    ];
    for (const [what, body, code, extra] of cases) {
      for (const chunked of [false, true]) {
        const e = assertRejected(await upload('RETAIL', 'credit', body, { chunked }), 422, code, what);
        for (const [k, v] of Object.entries(extra)) assert.deepEqual(e[k], v, `${what}: ${k}`);
      }
    }
  });
});

describe('staging (§7, §8)', () => {
  test('every kind of rejection leaves the staged upload untouched (metadata and bytes), and leaves no partial keys', async () => {
    const t = await newTenant('keep');
    const good = `${CREDIT_HEADER}\n${credit('K1')}\n${credit('K2')}\n`;
    const first = await upload('RETAIL', 'credit', good, { key: t.key });
    assert.equal(first.status, 201);
    const before = await pendingOf('RETAIL', 'credit', t.key);
    const rejects: [string, Buffer | string, { contentType?: string; chunked?: boolean }, number][] = [
      ['empty', '', {}, 422],
      ['header only', `${CREDIT_HEADER}\n`, {}, 422],
      ['bad bytes late in the file', Buffer.concat([Buffer.from(`${CREDIT_HEADER}\n${credit('X1')}\n${credit('X2')}\nX3,`), Buffer.from([0xc3, 0x28])]), { chunked: true }, 422],
      ['missing columns', 'loan_account_number\nX1\n', {}, 422],
      ['duplicate columns', `${CREDIT_HEADER},currency\n${credit('X1')},TRY\n`, {}, 422],
      ['open quote', `${CREDIT_HEADER}\n${credit('X1')}\n"X2`, { chunked: true }, 422],
      ['too large, streamed', `${CREDIT_HEADER}\n${Array.from({ length: 20 }, (_, i) => credit(`X${i}`)).join('\n')}`, { chunked: true }, 413],
      ['wrong media type', good, { contentType: 'application/json' }, 415],
    ];
    for (const [what, body, o, status] of rejects) {
      const r = await upload('RETAIL', 'credit', body, { ...o, key: t.key });
      assert.equal(r.status, status, `${what}: ${r.text}`);
      assert.deepEqual(await pendingOf('RETAIL', 'credit', t.key), before, `${what}: the staged upload is untouched`);
    }
    const leftovers = await p.redis.staging.keys(`extbank:${t.id}:*:incoming:*`);
    assert.deepEqual(leftovers, [], 'no half-written incoming keys remain');

    // The bytes too: a sync of the staged file sees the first upload, not a rejected one.
    const s = await request('POST', '/api/sync/', { key: t.key, body: JSON.stringify({ loan_type: 'RETAIL' }), contentType: 'application/json' });
    assert.equal(s.status, 202, s.text);
    const log = await waitForSync(p.url!, t.key, s.json.sync_id);
    assert.equal(log.status, 'SUCCESS', log.message);
    assert.equal(log.files.credit.sha256, first.json.sha256);
    assert.equal(log.files.credit.rows_total, 2);
  });

  test('a half-received upload (client gone mid-body) is never staged and leaves the previous one', async () => {
    const t = await newTenant('half');
    const first = await upload('RETAIL', 'credit', `${CREDIT_HEADER}\n${credit('H1')}\n`, { key: t.key });
    assert.equal(first.status, 201);
    const u = new URL(`${p.url}/api/uploads/RETAIL/credit`);
    await new Promise<void>((resolve) => {
      const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'PUT', headers: { authorization: `Api-Key ${t.key}`, 'content-type': 'text/csv', 'content-length': '900' } });
      req.on('error', () => resolve());
      req.on('response', () => resolve());
      req.write(`${CREDIT_HEADER}\n${credit('H2')}\n${credit('H3')}\n`, () => setTimeout(() => req.destroy(), 200));
    });
    let leftovers: string[] = [];
    for (let i = 0; i < 20; i++) {
      leftovers = await p.redis.staging.keys(`extbank:${t.id}:*:incoming:*`);
      if (leftovers.length === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(leftovers, [], 'the partial upload was discarded');
    const pending = await pendingOf('RETAIL', 'credit', t.key);
    assert.deepEqual(pending.map((x) => x.sha256), [first.json.sha256]);
  });

  test('an accepted upload replaces the staged one; DELETE drops it, then 404; other loan/file types are separate', async () => {
    const t = await newTenant('replace');
    const a = await upload('RETAIL', 'credit', `${CREDIT_HEADER}\n${credit('R1')}\n`, { key: t.key });
    const pay = await upload('RETAIL', 'payment_plan', `${PAY_HEADER}\n${payment('R1', 1)}\n`, { key: t.key });
    const com = await upload('COMMERCIAL', 'payment_plan', `${PAY_HEADER}\n${payment('R1', 1)}\n${payment('R1', 2)}\n`, { key: t.key });
    assert.deepEqual([a.status, pay.status, com.status], [201, 201, 201]);
    const b = await upload('Retail', 'credit', `${CREDIT_HEADER}\n${credit('R1')}\n${credit('R2')}\n${credit('R3')}\n`, { key: t.key });
    assert.equal(b.status, 201);
    assert.notEqual(b.json.sha256, a.json.sha256);
    const list = await pendingList(t.key);
    assert.deepEqual(
      list.map((u) => [u.loan_type, u.file_type, u.rows, u.sha256]).sort(),
      [
        ['COMMERCIAL', 'payment_plan', 2, com.json.sha256],
        ['RETAIL', 'credit', 3, b.json.sha256],
        ['RETAIL', 'payment_plan', 1, pay.json.sha256],
      ].sort(),
    );
    const del = await request('DELETE', '/api/uploads/retail/credit', { key: t.key });
    assert.equal(del.status, 204);
    assert.equal(del.text, '');
    assertRejected(await request('DELETE', '/api/uploads/RETAIL/credit', { key: t.key }), 404, 'NOT_FOUND', 'second delete');
    assert.deepEqual(
      (await pendingList(t.key)).map((u) => [u.loan_type, u.file_type]).sort(),
      [
        ['COMMERCIAL', 'payment_plan'],
        ['RETAIL', 'payment_plan'],
      ],
    );
    const configs = (await request('GET', '/api/sync/configs/', { key: t.key })).json as any[];
    assert.deepEqual(configs.find((c) => c.loan_type === 'RETAIL').pending, { credit: 0, payment_plan: 1 });
  });
});
