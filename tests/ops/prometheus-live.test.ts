/**
 * A real Prometheus (Debian package) scrapes a running findata process (app metrics and the Temporal SDK's
 * exporter) after a real sync, and every PromQL expression of the dashboards and alert rules that reads
 * findata or Temporal SDK metrics runs and returns series. Exporter-backed expressions (PostgreSQL, Redis,
 * cAdvisor, ClickHouse server) need the compose stack and are covered by tests/ops/prometheus-rules.test.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { apiClient, testConfig, uniqueTenantId, waitForSync } from '../helpers/platform.ts';
import { freePort, startChild, type Child } from '../helpers/child.ts';
import { createDb } from '../../lib/db.ts';
import { migratePublic } from '../../lib/migrations.ts';
import { createTenantService } from '../../lib/tenants.ts';
import { generateFiles } from '../../domain/generator.ts';

const hasPrometheus = spawnSync('prometheus', ['--version']).status === 0;
const metricsDoc = JSON.parse(fs.readFileSync('deploy/metrics.json', 'utf8'));
const expressions = JSON.parse(fs.readFileSync('deploy/promql-expressions.json', 'utf8')).expressions as { id: string; kind: string; query: string; metrics: string[] }[];
const live = new Set([...Object.keys(metricsDoc.sources.findata.metrics), ...Object.keys(metricsDoc.sources['temporal-sdk'].metrics)]);
const ours = expressions.filter((e) => e.metrics.length > 0 && e.metrics.every((m) => live.has(m.replace(/_(bucket|sum|count)$/, ''))));

const METRICS_TOKEN = `prometheus-live-${'0123456789abcdef'.repeat(3)}`;
let child: Child | null = null;
let prom: ChildProcess | null = null;
let promUrl = '';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'findata-prom-'));

before(async () => {
  if (!hasPrometheus) return;
  const config = testConfig();
  const db = createDb(config.databaseUrl, 2);
  await migratePublic(db);
  const tenantId = uniqueTenantId('prom');
  const { apiKey } = await createTenantService(db).create(tenantId, 'Prometheus Bank');
  await db.query(`UPDATE "${tenantId}".sync_configs SET enabled = false`);
  await db.end();
  const appPort = await freePort();
  const sdkPort = await freePort();
  child = await startChild({
    DATA_DIR: config.dataDir,
    PORT: String(appPort),
    TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
    TEMPORAL_METRICS_PORT: String(sdkPort),
    METRICS_TOKEN,
  });
  const promPort = await freePort();
  promUrl = `http://127.0.0.1:${promPort}`;
  // Embedded mode: one process is both the app and the worker, so both jobs scrape it, with the token as compose's
  // Prometheus does (a file holding it).
  const tokenFile = path.join(tmp, 'metrics_token');
  fs.writeFileSync(tokenFile, METRICS_TOKEN);
  const auth = `authorization: { type: Bearer, credentials_file: "${tokenFile}" }`;
  fs.writeFileSync(
    path.join(tmp, 'prometheus.yml'),
    `global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - { job_name: findata-app, ${auth}, static_configs: [{ targets: ["127.0.0.1:${appPort}"] }] }
  - { job_name: findata-worker, ${auth}, static_configs: [{ targets: ["127.0.0.1:${appPort}"] }] }
  - { job_name: temporal-sdk, static_configs: [{ targets: ["127.0.0.1:${sdkPort}"] }] }
`,
  );
  prom = spawn('prometheus', [`--config.file=${path.join(tmp, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(tmp, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`], { stdio: 'ignore' });

  const api = apiClient(child.url, apiKey);
  const dir = path.join(tmp, 'files');
  await generateFiles({ loanType: 'RETAIL', credits: 200, outDir: dir, errorRate: 0.05, seed: 5 });
  for (const ft of ['credit', 'payment_plan']) assert.equal((await api.upload('RETAIL', ft, fs.readFileSync(path.join(dir, `${ft}.csv`)))).status, 201);
  assert.equal((await api.upload('RETAIL', 'nope', 'x')).status, 404);
  const r = await api.send('POST', '/api/sync/', { loan_type: 'RETAIL' });
  const log = await waitForSync(child.url, apiKey, ((await r.json()) as { sync_id: string }).sync_id);
  assert.equal(log.status, 'SUCCESS');
  for (let i = 0; i < 20; i++) await api.get('/api/sync/logs/');
  // Enough scrapes after the sync for rate() windows to hold two samples.
  await new Promise((res) => setTimeout(res, 6000));
});

after(async () => {
  prom?.kill('SIGTERM');
  await child?.kill('SIGTERM');
});

async function query(q: string): Promise<{ status: string; error?: string; data?: { result: unknown[] } }> {
  const r = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
  return (await r.json()) as never;
}

/** Alert expressions end in a threshold; what must return series is the measured side. */
const measured = (q: string) => q.replace(/\)\s*[<>]=?\s*[0-9.e+]+\s*$/s, ')').replace(/^\s*\((.*)\)\s*$/s, '$1');

test('with METRICS_TOKEN set, /metrics refuses a request without it (401) and Prometheus, holding it, scrapes the app', { skip: !hasPrometheus && 'prometheus is not installed (CI installs it)' }, async () => {
  assert.equal((await fetch(`${child!.url}/metrics`)).status, 401);
  const res = await query('up{job="findata-app"}');
  assert.deepEqual((res.data?.result as { value: [number, string] }[]).map((r) => r.value[1]), ['1'], 'the findata-app target is up');
});

test('Prometheus scrapes every findata and Temporal SDK metric the dashboards and alerts use', { skip: !hasPrometheus && 'prometheus is not installed (CI installs it)' }, async () => {
  const names = new Set(ours.flatMap((e) => e.metrics));
  const missing: string[] = [];
  for (const name of names) {
    const res = await query(`count({__name__=~"${name}(_bucket|_count|_sum)?"})`);
    if (!res.data?.result.length) missing.push(name);
  }
  // Failure counters are created by the SDK on the first failure only.
  assert.deepEqual(missing.filter((m) => !/_failed$|failure/.test(m)), [], 'metrics with no series after a sync');
  assert.ok(names.size - missing.length >= 15, `${names.size - missing.length} metrics present`);
});

test('every dashboard and alert expression over findata and SDK metrics runs and returns series after a sync', { skip: !hasPrometheus && 'prometheus is not installed (CI installs it)' }, async () => {
  assert.ok(ours.length >= 30, `expected the dashboards and alerts to use findata metrics (${ours.length})`);
  let empty: string[] = [];
  let pending = ours;
  // A rate needs two scrapes of a series inside its window: on a loaded machine a scrape can come late, so an
  // empty expression is asked again for a while before it counts as empty.
  for (let attempt = 0; attempt < 15 && pending.length > 0; attempt++) {
    if (attempt > 0) await new Promise((res) => setTimeout(res, 1000));
    empty = [];
    const stillEmpty: typeof ours = [];
    for (const e of pending) {
      const q = e.kind === 'alert' ? measured(e.query) : e.query;
      const res = await query(q);
      assert.equal(res.status, 'success', `${e.id}: ${res.error}`);
      if (!res.data!.result.length) {
        empty.push(`${e.id}: ${q}`);
        stillEmpty.push(e);
      }
    }
    // Expressions about failures stay empty after a clean run: no need to wait for them.
    pending = stillEmpty.filter((e) => !/FAILED|ABORTED|5\.\.|_failed|failure/.test(`${e.id}: ${e.kind === 'alert' ? measured(e.query) : e.query}`));
  }
  // Only expressions about failures may be empty after a clean run (no FAILED sync, no 5xx, no failed tasks).
  const unexplained = empty.filter((x) => !/FAILED|ABORTED|5\.\.|_failed|failure/.test(x));
  assert.deepEqual(unexplained, [], `expressions with no series:\n${empty.join('\n')}`);
});
