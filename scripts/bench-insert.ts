/**
 * The engine's side of a sync, alone: a cached benchmark file validated in-process into staged batches, then
 * turned into Native blocks and inserted into a fresh embedded warehouse's staging table batch by batch as the
 * validate activity does, then moved into the fact table (REPLACE PARTITION). Prints wall and CPU time per step
 * (the engine runs in this process, so its CPU is this process's). Informative, never asserted.
 * Usage: `node --import tsx scripts/bench-insert.ts [dataset=S-clean] [file=payment_plan] [rowsPerInsert=400000]`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileValidator } from '../domain/file-validator.ts';
import { FACT_TABLE, STAGING_TABLE, type FileType } from '../domain/columns.ts';
import { openWarehouse, qualified } from '../lib/warehouse.ts';
import { nativeBlock } from '../domain/staged-rows.ts';

const [dataset = 'S-clean', fileType = 'payment_plan', rowsArg = '400000'] = process.argv.slice(2);
const file = path.join('.bench/data', dataset, `${fileType}.csv`);
if (!fs.existsSync(file)) throw new Error(`${file} not found: run \`npm run bench\` once to generate the datasets`);
const body = fs.readFileSync(file);
const ft = fileType as FileType;
const fixed = { loan_type: 'RETAIL' as const, sync_id: '6f1c2a4e-0b7d-4c1e-9a55-3f0e2d9b8c71', loaded_at: '2026-01-01 00:00:00.000' };
const v = new FileValidator({ fileType: ft, loanType: 'RETAIL', references: null });

// Batches as the activity flushes them: about rowsPerInsert rows each.
const batches: Buffer[] = [];
let acc: Uint8Array[] = [];
let rows = 0;
const add = (staged: Uint8Array | null, n: number) => {
  // A Native block per validated chunk, as the validate activity makes them.
  if (staged) acc.push(nativeBlock(ft, staged, n));
  rows += n;
  if (rows >= Number(rowsArg)) {
    batches.push(Buffer.concat(acc));
    acc = [];
    rows = 0;
  }
};
for (let o = 0; o < body.length; o += 1 << 20) {
  const b = v.push(body.subarray(o, o + (1 << 20)));
  add(b.staged, b.stagedRows);
}
const last = v.end();
add(last.staged, last.stagedRows);
if (acc.length) batches.push(Buffer.concat(acc));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'findata-bench-insert-'));
const wh = await openWarehouse({ url: null, user: 'default', password: '', path: path.join(dir, 'clickhouse') });
try {
  const tenant = 'bench_insert';
  await wh.ensureTenant(tenant);
  const stg = qualified(tenant, STAGING_TABLE[ft]);
  const fact = qualified(tenant, FACT_TABLE[ft]);
  await wh.command(`SYSTEM STOP MERGES ${stg}`);
  const step = async (what: string, f: () => Promise<void>) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await f();
    const c = process.cpuUsage(c0);
    console.log(`${what}: ${((performance.now() - t0) / 1000).toFixed(2)} s wall, ${((c.user + c.system) / 1e6).toFixed(2)} s CPU`);
  };
  const mb = (batches.reduce((n, b) => n + b.length, 0) / 1e6).toFixed(0);
  await step(`${dataset}/${fileType}: ${batches.length} inserts, ${mb} MB of staged rows`, async () => {
    for (const b of batches) await wh.insertStaged(stg, ft, b, fixed);
  });
  await step('REPLACE PARTITION', () => wh.command(`ALTER TABLE ${fact} REPLACE PARTITION 'RETAIL' FROM ${stg}`));
  await step('the next 10 s (background merges of the fact table)', () => new Promise((r) => setTimeout(r, 10_000)));
} finally {
  await wh.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
