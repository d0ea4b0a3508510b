/**
 * Memory of a large upload: streams a generated CSV of UPLOAD_MB megabytes (default 1024) through the HTTP API
 * into staging and samples the server's RSS. Prints one JSON line. Uses the services of the environment.
 * usage: node --import tsx scripts/bench-upload-memory.ts [megabytes]
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parseConfig } from '../lib/config.ts';
import { createDb } from '../lib/db.ts';
import { migratePublic } from '../lib/migrations.ts';
import { createTenantService } from '../lib/tenants.ts';
import { freePort, startChild } from '../tests/helpers/child.ts';

const MB = Number(process.argv[2] ?? 1024);
const dataDir = path.resolve('.bench/upload-memory');
fs.rmSync(dataDir, { recursive: true, force: true });
const config = parseConfig({ ...process.env, DATA_DIR: dataDir });
const db = createDb(config.databaseUrl, 2);
await migratePublic(db);
const tenantId = `upmem_${Date.now().toString(36)}`;
const { apiKey } = await createTenantService(db).create(tenantId, 'Upload memory');
await db.query(`UPDATE "${tenantId}".sync_configs SET enabled = false`);
await db.end();
const child = await startChild({ DATA_DIR: dataDir, PORT: String(await freePort()), TEMPORAL_TASK_QUEUE: `upmem-${tenantId}`, TEMPORAL_METRICS_PORT: String(await freePort()), UPLOAD_MAX_BYTES: String(4 * 2 ** 30) });
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${child.proc.pid}/status`, 'utf8'))![1]) / 1024;
await new Promise((r) => setTimeout(r, 3000));
const before = rss();
let peak = before;
const sampler = setInterval(() => (peak = Math.max(peak, rss())), 200);

const header = 'loan_account_number,installment_number,due_date,installment_amount,principal_amount,interest_amount,remaining_principal,payment_status,payment_date\n';
const target = MB * 2 ** 20;
async function* body() {
  yield Buffer.from(header);
  let sent = header.length;
  let i = 0;
  while (sent < target) {
    let block = '';
    for (let k = 0; k < 5000; k++, i++) block += `R${String(i).padStart(11, '0')},${(i % 12) + 1},20250115,1000.00,900.00,100.00,5000.00,B,\n`;
    sent += block.length;
    yield Buffer.from(block);
  }
}
const t0 = performance.now();
const r = await fetch(`${child.url}/api/uploads/RETAIL/payment_plan`, {
  method: 'PUT',
  headers: { authorization: `Api-Key ${apiKey}`, 'content-type': 'text/csv' },
  body: Readable.from(body()) as never,
  duplex: 'half',
} as RequestInit);
const res = (await r.json()) as { rows: number; bytes: number };
const seconds = (performance.now() - t0) / 1000;
clearInterval(sampler);
await child.kill('SIGTERM');
process.stdout.write(JSON.stringify({ status: r.status, bytes: res.bytes, rows: res.rows, seconds: Number(seconds.toFixed(1)), mb_per_s: Number((res.bytes / 2 ** 20 / seconds).toFixed(1)), rss_mb_before: Math.round(before), rss_mb_peak: Math.round(peak), rss_mb_growth: Math.round(peak - before) }) + '\n');
