/**
 * The engine's CPU for staged rows in three inputs: RowBinary (what the validation thread writes), Native
 * (columnar; the same rows converted by the engine) and NativeBlocks (what findata sends: domain/staged-rows.ts
 * nativeBlock, a block per validated chunk, LowCardinality columns as their plain type). The payment file of a
 * cached benchmark dataset (up to `maxMB`) is validated into batches of 400k rows, written as spool files in each
 * of the three, then read into a Null table (the parse alone) and inserted into a fresh staging table (merges
 * stopped), twice each. The engine runs in this process, so its CPU is the process's. Informative, never asserted.
 * Usage: `node --import tsx scripts/bench-insert-formats.ts [dataset=S-err] [maxMB=400]`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileValidator } from '../domain/file-validator.ts';
import { STAGING_TABLE } from '../domain/columns.ts';
import { openWarehouse, qualified } from '../lib/warehouse.ts';
import { nativeBlock, nativeColumns, stagedColumns } from '../domain/staged-rows.ts';

const [dataset = 'S-err', maxMB = '400'] = process.argv.slice(2);
const file = path.join('.bench/data', dataset, 'payment_plan.csv');
if (!fs.existsSync(file)) throw new Error(`${file} not found: run \`npm run bench\` once to generate the datasets`);
const body = fs.readFileSync(file).subarray(0, Number(maxMB) << 20);
const v = new FileValidator({ fileType: 'payment_plan', loanType: 'RETAIL', references: null });
// Each batch as RowBinary rows and as findata's Native blocks (one per validated chunk, as the activity sends them).
const batches: { rowBinary: Buffer; blocks: Buffer }[] = [];
let acc: Uint8Array[] = [];
let blocks: Uint8Array[] = [];
let rows = 0;
const cut = () => {
  batches.push({ rowBinary: Buffer.concat(acc), blocks: Buffer.concat(blocks) });
  acc = [];
  blocks = [];
  rows = 0;
};
for (let o = 0; o + (1 << 20) <= body.length; o += 1 << 20) {
  const b = v.push(body.subarray(o, o + (1 << 20)));
  if (b.staged) {
    acc.push(b.staged);
    blocks.push(nativeBlock('payment_plan', b.staged, b.stagedRows));
  }
  rows += b.stagedRows;
  if (rows >= 400_000) cut();
}
if (acc.length) cut();

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'findata-insert-formats-'));
const wh = await openWarehouse({ url: null, user: 'default', password: '', path: path.join(dir, 'clickhouse') });
try {
  const structure = stagedColumns('payment_plan').map((c) => `\`${c.name}\` ${c.chType}`).join(', ');
  const names = [...stagedColumns('payment_plan').map((c) => c.name), 'loan_type', 'sync_id', 'loaded_at'].map((n) => `\`${n}\``).join(', ');
  const tenant = 'bench_formats';
  await wh.ensureTenant(tenant);
  const stg = qualified(tenant, STAGING_TABLE.payment_plan);
  await wh.command(`SYSTEM STOP MERGES ${stg}`);
  await wh.command(`CREATE TABLE default.sink (${structure}) ENGINE = Null`);
  // findata's blocks: LowCardinality columns as their plain type (the engine builds the dictionaries on insert).
  const plain = nativeColumns('payment_plan').map((c) => `\`${c.name}\` ${c.chType}`).join(', ');
  const files = { RowBinary: [] as string[], Native: [] as string[], NativeBlocks: [] as string[] };
  for (const [i, b] of batches.entries()) {
    const bin = path.join(dir, `b${i}.bin`);
    fs.writeFileSync(bin, b.rowBinary);
    files.RowBinary.push(bin);
    const nat = path.join(dir, `b${i}.native`);
    await wh.command(`INSERT INTO FUNCTION file('${nat}', 'Native', '${structure}') SELECT * FROM file('${bin}', 'RowBinary', '${structure}')`);
    files.Native.push(nat);
    const blk = path.join(dir, `b${i}.blocks`);
    fs.writeFileSync(blk, b.blocks);
    files.NativeBlocks.push(blk);
  }
  const mb = (list: string[]) => (list.reduce((n, f) => n + fs.statSync(f).size, 0) / 1e6).toFixed(0);
  console.log(`${dataset}/payment_plan: ${batches.length} batches; RowBinary ${mb(files.RowBinary)} MB, Native ${mb(files.Native)} MB, NativeBlocks ${mb(files.NativeBlocks)} MB`);
  const step = async (what: string, list: string[], sql: (f: string) => string) => {
    await wh.command(`TRUNCATE TABLE ${stg}`);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (const f of list) await wh.command(sql(f));
    const c = process.cpuUsage(c0);
    console.log(`${what}: ${((performance.now() - t0) / 1000).toFixed(2)} s wall, ${((c.user + c.system) / 1e6).toFixed(2)} s CPU`);
  };
  for (let rep = 0; rep < 2; rep++) {
    for (const variant of ['RowBinary', 'Native', 'NativeBlocks'] as const) {
      const format = variant === 'NativeBlocks' ? 'Native' : variant;
      const source = (f: string) => `file('${f}', '${format}', '${variant === 'NativeBlocks' ? plain : structure}')`;
      await step(`${variant} → Null table (parse)`, files[variant], (f) => `INSERT INTO default.sink SELECT * FROM ${source(f)}`);
      await step(
        `${variant} → staging table`,
        files[variant],
        (f) =>
          `INSERT INTO ${stg} (${names}) SELECT *, 'RETAIL', '6f1c2a4e-0b7d-4c1e-9a55-3f0e2d9b8c71', '2026-01-01 00:00:00.000' FROM ${source(f)} SETTINGS optimize_on_insert = 0`,
      );
    }
  }
} finally {
  await wh.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
