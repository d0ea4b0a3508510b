/**
 * Soak: for SOAK_SECONDS (default 120), several tenants upload and sync in a loop while a reader hammers the
 * API, all on loopback against one embedded findata process. Proves that nothing errors and every sync ends
 * SUCCESS with the expected counts; memory and sync latency are sampled and written to
 * test-artifacts/soak.json (figures, not assertions: targets belong to benchmarks).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { apiClient, testConfig, uniqueTenantId } from '../helpers/platform.ts';
import { freePort, startChild, type Child } from '../helpers/child.ts';
import { createDb } from '../../lib/db.ts';
import { migratePublic } from '../../lib/migrations.ts';
import { createTenantService } from '../../lib/tenants.ts';
import { generateInMemory } from '../../domain/generator.ts';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 120);
const TENANTS = 3;
let child: Child | null = null;
after(async () => {
  await child?.kill('SIGTERM');
});

const rss = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

test(`soak: ${TENANTS} tenants upload and sync in a loop for ${SECONDS} s while the API is read: no errors, every sync exact`, { timeout: (SECONDS + 240) * 1000 }, async () => {
  const config = testConfig();
  const db = createDb(config.databaseUrl, 2);
  await migratePublic(db);
  const tenants: { id: string; key: string }[] = [];
  for (let i = 0; i < TENANTS; i++) {
    const id = uniqueTenantId('soak');
    const { apiKey } = await createTenantService(db).create(id, `Soak ${i}`);
    await db.query(`UPDATE "${id}".sync_configs SET enabled = false`);
    tenants.push({ id, key: apiKey });
  }
  await db.end();
  child = await startChild({
    DATA_DIR: config.dataDir,
    PORT: String(await freePort()),
    TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
    TEMPORAL_METRICS_PORT: String(await freePort()),
    RATE_LIMIT_PER_MINUTE: '1000000',
  });
  const url = child.url;
  const files = await Promise.all(
    (['RETAIL', 'COMMERCIAL'] as const).map(async (lt) => ({ lt, ...(await generateInMemory({ loanType: lt, credits: 300, errorRate: 0.05, seed: 3 })) })),
  );
  const deadline = Date.now() + SECONDS * 1000;
  const failures: string[] = [];
  const syncs: { ms: number; at: number }[] = [];
  const memory: { t: number; rss_mb: number }[] = [];
  let reads = 0;
  const t0 = Date.now();
  const sampler = setInterval(() => memory.push({ t: Math.round((Date.now() - t0) / 1000), rss_mb: Math.round(rss(child!.proc.pid!)) }), 5000);

  const writer = async (t: { id: string; key: string }, i: number) => {
    const api = apiClient(url, t.key);
    for (let round = 0; Date.now() < deadline && round < 500; round++) {
      const f = files[(round + i) % files.length];
      for (const ft of ['credit', 'payment_plan'] as const) {
        const r = await api.upload(f.lt, ft, f[ft]);
        if (r.status !== 201) failures.push(`upload ${r.status} ${await r.text()}`);
      }
      const started = Date.now();
      const r = await api.send('POST', '/api/sync/', { loan_type: f.lt });
      if (r.status !== 202) {
        failures.push(`sync start ${r.status} ${await r.text()}`);
        continue;
      }
      const { sync_id } = (await r.json()) as { sync_id: string };
      for (;;) {
        const { status, body } = await api.json(`/api/sync/logs/${sync_id}/`);
        if (status !== 200) failures.push(`log ${status}`);
        if (['SUCCESS', 'ABORTED', 'FAILED'].includes(body.status)) {
          if (body.status !== 'SUCCESS') failures.push(`sync ${body.status}: ${body.message}`);
          const truth = f.summary.files;
          for (const ft of ['credit', 'payment_plan'] as const) {
            if (body.files[ft]?.rows_invalid !== truth[ft].invalid_rows) failures.push(`sync ${sync_id} ${ft} invalid ${body.files[ft]?.rows_invalid} != ${truth[ft].invalid_rows}`);
          }
          break;
        }
        await new Promise((res) => setTimeout(res, 200));
      }
      syncs.push({ ms: Date.now() - started, at: Math.round((started - t0) / 1000) });
    }
  };
  const reader = async () => {
    const paths = ['/api/sync/logs/', '/api/data/?loan_type=RETAIL&limit=100', '/api/profiling/?loan_type=RETAIL', '/api/uploads/', '/api/sync/configs/'];
    for (let n = 0; Date.now() < deadline && n < 100_000; n++) {
      const t = tenants[n % tenants.length];
      const r = await apiClient(url, t.key).get(paths[n % paths.length]);
      await r.arrayBuffer();
      reads++;
      if (r.status !== 200) failures.push(`read ${paths[n % paths.length]} ${r.status}`);
    }
  };
  await Promise.all([...tenants.map(writer), reader(), reader()]);
  clearInterval(sampler);

  const half = syncs.length >> 1;
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1] ?? 0;
  const report = {
    seconds: SECONDS,
    machine: `${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`,
    syncs: syncs.length,
    reads,
    failures: failures.length,
    sync_ms_median_first_half: median(syncs.slice(0, half).map((s) => s.ms)),
    sync_ms_median_second_half: median(syncs.slice(half).map((s) => s.ms)),
    rss_mb_first: memory[1]?.rss_mb ?? memory[0]?.rss_mb,
    rss_mb_last: memory.at(-1)?.rss_mb,
    rss_mb_max: Math.max(...memory.map((m) => m.rss_mb)),
    memory,
  };
  fs.mkdirSync('test-artifacts', { recursive: true });
  fs.writeFileSync(path.join('test-artifacts', 'soak.json'), JSON.stringify(report, null, 2));
  process.stderr.write(`soak: ${JSON.stringify({ ...report, memory: undefined })}\n`);
  assert.deepEqual(failures.slice(0, 20), []);
  assert.ok(syncs.length >= TENANTS, `only ${syncs.length} syncs completed`);
  assert.ok(reads > 100, `only ${reads} reads`);
});
