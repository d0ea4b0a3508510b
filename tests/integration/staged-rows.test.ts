/**
 * Staged rows (domain/staged-rows.ts) as the real engine reads them: rows encoded by StagedRowEncoder, turned into
 * a Native block (nativeBlock) and inserted through Warehouse.insertStaged hold exactly the values ClickHouse
 * itself parses from the same text, for every column of both file types, at the edges of each type (decimals
 * beyond 2^53, dates before 1970, the widest UInts, NULLs, strings with bytes TabSeparated would have had to
 * escape). Embedded engine in this process.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FILE_TYPES, STAGING_TABLE, type FileType } from '../../domain/columns.ts';
import { L_DATE32, L_DECIMAL, L_STRING, StagedRowEncoder, StagedSink, columnLayout, nativeBlock, stagedColumns, type ColumnLayout } from '../../domain/staged-rows.ts';
import { openWarehouse, qualified, type Warehouse } from '../../lib/warehouse.ts';

let dir: string;
let wh: Warehouse;
const tenant = 'staged_rows_t';

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'findata-staged-rows-'));
  wh = await openWarehouse({ url: null, user: 'default', password: '', path: path.join(dir, 'clickhouse') });
  await wh.ensureTenant(tenant);
});
after(async () => {
  await wh?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Values of one row for a column of this layout: 0 = the largest, 1 = the smallest, 2 = NULL where allowed. */
function edge(l: ColumnLayout, variant: number): string | null {
  if (variant === 2 && l.nullable) return null;
  const big = variant !== 1;
  switch (l.kind) {
    case L_STRING:
      // Long enough for a two-byte length prefix (and the block's bulk copy of long values).
      return big ? `A\\b\tc\nd é ı ${'x'.repeat(150)}` : '';
    case L_DATE32:
      return big ? '2100-12-31' : variant === 1 ? '1950-01-01' : '1969-12-31';
    case L_DECIMAL:
      if (l.scale === 2) return big ? '9999999999999999.99' : '0.01';
      return big ? '9999.99999999' : '0.00000001';
    default:
      return big ? String(2 ** (8 * l.width) - 1) : '0';
  }
}

for (const ft of FILE_TYPES) {
  test(`staged rows of ${ft}: every column lands as the value ClickHouse parses from the same text`, async () => {
    const cols = stagedColumns(ft).slice(0, -1);
    const layouts = cols.map((c) => columnLayout(c.chType));
    const enc = new StagedRowEncoder(ft as FileType);
    const sink = new StagedSink();
    // NULLs first: a NULL must hold its place in every column after it (a Native block stores a default there).
    const rows = [2, 0, 1].map((variant) => layouts.map((l) => edge(l, variant)));
    rows.forEach((values, i) => enc.writeRow(sink, values, i + 1));
    const fixed = { loan_type: 'RETAIL', sync_id: `0b6f9d2e-3c4a-4b1e-8f7d-${String(ft.length).padStart(12, '0')}`, loaded_at: '2026-01-01 00:00:00.000' };
    const stg = qualified(tenant, STAGING_TABLE[ft]);
    await wh.insertStaged(stg, ft, nativeBlock(ft, sink.take()!, rows.length), fixed);

    for (const [i, values] of rows.entries()) {
      // Each column compared as text with the engine's own parse of the expected text.
      const checks = cols.map((c, k) => {
        const v = values[k];
        if (v === null) return `isNull(\`${c.name}\`)`;
        const base = c.chType.replace(/^LowCardinality\((.*)\)$/, '$1').replace(/^Nullable\((.*)\)$/, '$1');
        return `toString(\`${c.name}\`) = toString(CAST({v${k}:String}, '${base}'))`;
      });
      const params = Object.fromEntries(values.flatMap((v, k) => (v === null ? [] : [[`v${k}`, v]])));
      const got = await wh.query<Record<string, number>>(
        `SELECT ${checks.map((x, k) => `${x} AS c${k}`).join(', ')}, loan_type, toString(sync_id) AS sid FROM ${stg} WHERE source_row = ${i + 1}`,
        params,
      );
      assert.equal(got.length, 1, `row ${i + 1} staged once`);
      const wrong = cols.filter((_, k) => Number(got[0][`c${k}`]) !== 1).map((c) => c.name);
      assert.deepEqual(wrong, [], `row ${i + 1}: columns that differ`);
      assert.equal(got[0].loan_type, 'RETAIL');
      assert.equal(got[0].sid, fixed.sync_id);
    }
  });
}

test('staged rows: a value its column cannot hold is refused by the encoder, not truncated', () => {
  const enc = new StagedRowEncoder('payment_plan');
  const cols = stagedColumns('payment_plan').map((c) => c.name);
  const ok = ['LP1', '1', '2024-01-31', '10.00', '9.00', '1.00', '0.00', '91.00', null, '0.00', 'PENDING', '0'];
  const bad = (k: string, v: string | null) => ok.map((x, i) => (cols[i] === k ? v : x));
  assert.throws(() => enc.writeRow(new StagedSink(), bad('installment_number', '65536'), 1), /installment_number = 65536 does not fit UInt16/);
  assert.throws(() => enc.writeRow(new StagedSink(), bad('principal_amount', '1.005'), 1), /principal_amount = 1.005 does not fit Decimal scale 2/);
  assert.throws(() => enc.writeRow(new StagedSink(), bad('due_date', '20240131'), 1), /due_date = 20240131 is not a YYYY-MM-DD date/);
  assert.throws(() => enc.writeRow(new StagedSink(), bad('due_date', null), 1), /due_date has no value but is not Nullable/);
});
