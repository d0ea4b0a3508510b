/**
 * npm run bench [-- --size S|M|SM] — findata side by side with raw ClickHouse ingest (the anchor), same machine,
 * same run, same engine. Prints a table and writes docs/BENCHMARKS.md. Figures only: nothing here asserts.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { generateFiles } from '../domain/generator.ts';
import { parseConfig } from '../lib/config.ts';
import { createDb } from '../lib/db.ts';
import { migratePublic } from '../lib/migrations.ts';
import { createTenantService } from '../lib/tenants.ts';
import { connectTemporal, createSyncControl } from '../lib/temporal.ts';
import { childPids, freePort, startChild } from '../tests/helpers/child.ts';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const BENCH = path.join(ROOT, '.bench');
const sizeArg = process.argv.includes('--size') ? process.argv[process.argv.indexOf('--size') + 1] : 'S';
const SIZES: Record<string, number> = { S: 100_000, M: 1_000_000 };
const sizes = sizeArg === 'SM' ? ['S', 'M'] : [sizeArg];
/** API processes of the API role (API_PROCESSES): one per core by default, as a deployment would run them. */
const API_PROCESSES = Number(process.env.BENCH_API_PROCESSES ?? Math.min(4, os.availableParallelism()));
/**
 * Seconds of the same load before each endpoint's measured 10 s, reported apart: V8 compiles a process's code for
 * an endpoint during its first seconds of requests (GET sync logs: p99 20–30 ms then, 5–10 ms after), which a
 * server in service has long done. BENCH_LOAD_WARMUP=0 measures from the first request (the runs before 2026-12-02).
 */
const LOAD_WARMUP_S = Number(process.env.BENCH_LOAD_WARMUP ?? 3);
/** The datasets of each size: clean and with 5 % errors; BENCH_ERROR_RATES=0.05 measures only the latter (API load included). */
const ERROR_RATES = (process.env.BENCH_ERROR_RATES ?? '0,0.05').split(',').map(Number);
/** Where the embedded engine runs: its own warehouse process (default, like a ClickHouse server) or in the worker. */
const SEPARATE_ENGINE = (process.env.BENCH_WAREHOUSE ?? 'separate') === 'separate';

interface Result {
  dataset: string;
  rows: number;
  anchor_s: number;
  upload_s: number;
  claim_s: number;
  validate_s: number;
  commit_s: number;
  record_s: number;
  sync_s: number;
  end_to_end_s: number;
  rows_per_s: number;
  worker_peak_rss_mb: number;
  /** Full (mark-compact) collections of the worker's main thread during the sync, from its /metrics. */
  worker_major_gcs: number | null;
  api_peak_rss_mb: number;
  /** The warehouse process (the embedded engine) when it runs apart from the worker; null when it is in the worker. */
  engine_peak_rss_mb: number | null;
  anchor_peak_rss_mb: number;
  status: string;
  /** GET /api/profiling/ of payment_plan right after the sync (its profiles run done). */
  profile_payment_first_call_s: number;
  /** The sync's profiles run (both tables), from its log line; null when none was seen. */
  profiles_precompute_s: number | null;
}

const log = (m: string) => process.stderr.write(`bench: ${m}\n`);

async function dataset(size: string, errorRate: number) {
  const dir = path.join(BENCH, 'data', `${size}-${errorRate ? 'err' : 'clean'}`);
  if (!fs.existsSync(path.join(dir, 'summary.json'))) {
    log(`generating ${dir}`);
    await generateFiles({ loanType: 'RETAIL', credits: SIZES[size], outDir: dir, errorRate, seed: 2026 });
  }
  return { dir, summary: JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) };
}

type Gcs = { count: number; s: number };

/**
 * The full collections of a process's main thread so far, from prom-client's default metrics on its /metrics
 * (`nodejs_gc_duration_seconds`, kind major); null when the endpoint does not answer.
 */
async function majorGcs(url: string): Promise<Gcs | null> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    // No line for a kind until the process has run one; none at all when it does not export the metric.
    if (!text.includes('nodejs_gc_duration_seconds')) return null;
    const read = (k: string) => Number(new RegExp(`^nodejs_gc_duration_seconds_${k}\\{[^}]*kind="major"[^}]*\\} (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
    const count = read('count');
    return Number.isFinite(count) ? { count, s: read('sum') } : { count: 0, s: 0 };
  } catch {
    return null;
  }
}

const gcDelta = (a: Gcs | null, b: Gcs | null): Gcs | null => (a && b ? { count: b.count - a.count, s: b.s - a.s } : null);
const gcText = (d: Gcs | null) => (d ? `${d.count} full collections, ${d.s.toFixed(2)} s of pauses` : 'full collections not readable (no /metrics answer)');

function peakRss(pid: number): number {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0; // exited meanwhile
  }
}
/**
 * A process's or thread's `/proc/<path>/stat`: its name, CPU seconds (utime + stime, all threads of a process), the
 * CPU seconds of its children that it has reaped (cutime + cstime) and start time (seconds since boot); null once it
 * has exited.
 */
function procStat(procPath: string): { name: string; cpu: number; reaped: number; born: number } | null {
  try {
    const st = fs.readFileSync(`/proc/${procPath}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    // clock ticks (USER_HZ = 100)
    return {
      name: st.slice(st.indexOf('(') + 1, st.lastIndexOf(')')),
      cpu: (Number(f[11]) + Number(f[12])) / 100,
      reaped: (Number(f[13]) + Number(f[14])) / 100,
      born: Number(f[19]) / 100,
    };
  } catch {
    return null;
  }
}
/** CPU seconds (user + system, all threads) a process has used so far. */
const cpuSeconds = (pid: number | undefined): number => procStat(String(pid))?.cpu ?? 0;
/**
 * CPU seconds per thread of a process while a sync runs (threads with at least 0.5 s), sampled: a thread that ends
 * (a file's validation thread) keeps its last sample. The main thread's id is the process id.
 */
function threadSampler(pid: number | undefined) {
  const last = new Map<string, NonNullable<ReturnType<typeof procStat>>>();
  const sample = () => {
    let tids: string[] = [];
    try {
      tids = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      return; // exited
    }
    for (const tid of tids) {
      const t = procStat(`${pid}/task/${tid}`);
      if (t) last.set(tid, t); // one that ended meanwhile keeps its last sample
    }
  };
  sample();
  // Threads that start later count from 0.
  const start = new Map([...last].map(([tid, t]) => [tid, t.cpu]));
  const born0 = last.get(String(pid))?.born ?? 0;
  const timer = setInterval(sample, 250);
  return {
    /** "main thread 6.2 s; validate-plan (+51.0 s) 36.7 s, …, node (+0.1 s) 1.4 s, …": name, start after the process, CPU. */
    stop(): string {
      clearInterval(timer);
      sample();
      const used = [...last].map(([tid, t]) => ({ tid, ...t, s: t.cpu - (start.get(tid) ?? 0) })).filter((t) => t.s >= 0.5);
      const main = used.find((t) => t.tid === String(pid))?.s ?? 0;
      const others = used.filter((t) => t.tid !== String(pid)).sort((a, b) => b.s - a.s);
      return `main thread ${main.toFixed(1)} s; ${others.map((t) => `${t.name} (+${(t.born - born0).toFixed(1)} s) ${t.s.toFixed(1)} s`).join(', ')}`;
    },
  };
}
/**
 * CPU seconds used so far by the services' processes (all PostgreSQL backends, Redis, Temporal), by name, with the
 * children each has reaped: PostgreSQL backends that ended, and Redis's AOF rewrites (a forked child that copies
 * the whole dataset) count too. A child still running is counted under its own name when it has one of these.
 */
function serviceCpu(): Record<string, number> {
  const out: Record<string, number> = { postgres: 0, 'redis-server': 0, temporal: 0 };
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const p = procStat(pid);
    if (p && p.name in out) out[p.name] += p.cpu + p.reaped;
  }
  return out;
}
const serviceCpuText = (from: Record<string, number>, to: Record<string, number>) =>
  `${Object.keys(to).map((k) => `${k} ${(to[k] - from[k]).toFixed(1)} s`).join(', ')} (with the children they reaped: ended PostgreSQL backends, Redis AOF rewrites)`;
/** Runs of the anchor per dataset (`BENCH_ANCHOR_RUNS`, default 2; before 2026-12-02 10:00 one). */
const ANCHOR_RUNS = Math.max(1, Number(process.env.BENCH_ANCHOR_RUNS ?? 2));
const secs = (a: string | null | undefined, b: string | null | undefined) => (a && b ? (Date.parse(b) - Date.parse(a)) / 1000 : 0);

/**
 * PUT of a file, streamed as a bank's client would send it. node:http piping the file, not fetch: fetch's web
 * streams cost this process 6.5 s of CPU for an M upload pair (2026-12-03), on the cores the API needs, which a
 * client on another machine would not take from it.
 */
function putFile(url: string, headers: Record<string, string>, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'PUT', headers: { ...headers, 'content-type': 'text/csv', 'content-length': fs.statSync(file).size } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`upload ${path.basename(file)}: ${res.statusCode} ${body}`))));
    });
    req.on('error', reject);
    fs.createReadStream(file, { highWaterMark: 1 << 20 }).on('error', reject).pipe(req);
  });
}

async function measure(name: string, dir: string, withLoad: boolean): Promise<{ r: Result; load: any[] }> {
  // The floor is the anchor's best run: single runs gave 3.95–5.76 s for M on one machine within an hour.
  const anchors: any[] = [];
  for (let i = 0; i < ANCHOR_RUNS; i++) {
    anchors.push(JSON.parse((await run('node', ['--import', 'tsx', 'scripts/bench-anchor.ts', dir, 'RETAIL', path.join(BENCH, 'anchor-db')], { cwd: ROOT, maxBuffer: 1 << 20 })).stdout));
  }
  const anchor = anchors.reduce((a, b) => (b.total < a.total ? b : a));
  log(`${name}: anchor ${anchors.map((a) => a.total.toFixed(2)).join(' s, ')} s (the best counts)`);
  const dataDir = path.join(BENCH, 'runs', name);
  fs.rmSync(dataDir, { recursive: true, force: true });
  const config = parseConfig({ ...process.env, DATA_DIR: dataDir });
  const db = createDb(config.databaseUrl, 2);
  await migratePublic(db);
  const tenantId = `bench_${Date.now().toString(36)}`;
  const { apiKey } = await createTenantService(db).create(tenantId, 'Benchmark Bank');
  // Only the manual sync below may run: the schedule would sync the first file while the second uploads.
  await db.query(`UPDATE "${tenantId}".sync_configs SET enabled = false`);
  await db.end();
  // The split layout of the embedded warehouse: a warehouse process owns the engine (as a ClickHouse server would),
  // a worker process runs the sync through it, and API processes (no engine, no worker) take the uploads and the
  // API load. BENCH_WAREHOUSE=in-process puts the engine in the worker, the layout before 2026-12-01 09:00.
  const common = { DATA_DIR: dataDir, TEMPORAL_TASK_QUEUE: `bench-${tenantId}`, LOG_LEVEL: 'info', EMBEDDED_WAREHOUSE: SEPARATE_ENGINE ? 'separate' : 'in-process' };
  const engine = SEPARATE_ENGINE ? await startChild({ ...common, FINDATA_ROLE: 'warehouse', WAREHOUSE_METRICS_PORT: String(await freePort()) }) : null;
  const worker = await startChild({ ...common, FINDATA_ROLE: 'worker', WORKER_METRICS_PORT: String(await freePort()), TEMPORAL_METRICS_PORT: String(await freePort()) }).catch(async (err) => {
    await engine?.kill('SIGTERM');
    throw err;
  });
  const child = await startChild({ ...common, FINDATA_ROLE: 'api', API_PROCESSES: String(API_PROCESSES), PORT: String(await freePort()), RATE_LIMIT_PER_MINUTE: '1000000' }).catch(async (err) => {
    await worker.kill('SIGTERM');
    await engine?.kill('SIGTERM');
    throw err;
  });
  try {
    const h = { authorization: `Api-Key ${apiKey}` };
    const apiGc0 = await majorGcs(child.url);
    const uploadServices0 = serviceCpu();
    // The API processes (the primary and its children) and this process, which reads the files and sends them.
    const apiCpu = () => [child.proc.pid!, ...childPids(child.proc.pid!)].reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const uploadCpu0 = { api: apiCpu(), client: process.cpuUsage() };
    const t0 = performance.now();
    for (const ft of ['credit', 'payment_plan']) await putFile(`${child.url}/api/uploads/RETAIL/${ft}`, h, path.join(dir, `${ft}.csv`));
    const upload = (performance.now() - t0) / 1000;
    const clientCpu = process.cpuUsage(uploadCpu0.client);
    log(`${name}: CPU during the uploads: API processes ${(apiCpu() - uploadCpu0.api).toFixed(1)} s, the bench's client ${((clientCpu.user + clientCpu.system) / 1e6).toFixed(1)} s`);
    const apiGc1 = await majorGcs(child.url);
    log(`${name}: API processes (all): ${gcText(gcDelta(apiGc0, apiGc1))} during the uploads`);
    log(`${name}: services' CPU during the uploads: ${serviceCpuText(uploadServices0, serviceCpu())}`);
    const cpu0 = { worker: cpuSeconds(worker.proc.pid), engine: cpuSeconds(engine?.proc.pid) };
    const gc0 = await majorGcs(worker.url);
    const engineGc0 = engine ? await majorGcs(engine.url) : null;
    const threads = { worker: threadSampler(worker.proc.pid), engine: engine ? threadSampler(engine.proc.pid) : null };
    const services0 = serviceCpu();
    const start = await fetch(`${child.url}/api/sync/`, { method: 'POST', headers: { ...h, 'content-type': 'application/json' }, body: JSON.stringify({ loan_type: 'RETAIL' }) });
    if (start.status !== 202) throw new Error(`sync start: ${start.status} ${await start.text()}`);
    const { sync_id } = (await start.json()) as { sync_id: string };
    let progress: any;
    let logRow: any;
    for (;;) {
      progress = await (await fetch(`${child.url}/api/sync/logs/${sync_id}/progress/`, { headers: h })).json();
      logRow = await (await fetch(`${child.url}/api/sync/logs/${sync_id}/`, { headers: h })).json();
      if (['SUCCESS', 'ABORTED', 'FAILED'].includes(logRow.status)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const total = (performance.now() - t0) / 1000;
    const gc1 = await majorGcs(worker.url);
    const workerMajorGcs = gcDelta(gc0, gc1);
    log(`${name}: worker main thread: ${gcText(workerMajorGcs)}`);
    const engineGc1 = engine ? await majorGcs(engine.url) : null;
    if (engine) log(`${name}: engine process main thread: ${gcText(gcDelta(engineGc0, engineGc1))}`);
    const cpu = { worker: cpuSeconds(worker.proc.pid) - cpu0.worker, engine: engine ? cpuSeconds(engine.proc.pid) - cpu0.engine : null };
    log(`${name}: CPU during the sync: worker ${cpu.worker.toFixed(1)} s, engine ${cpu.engine === null ? '(in the worker)' : `${cpu.engine.toFixed(1)} s`}`);
    const services = serviceCpu();
    log(`${name}: CPU during the sync: ${serviceCpuText(services0, services)}`);
    log(`${name}: worker CPU by thread: ${threads.worker.stop()}`);
    if (threads.engine) log(`${name}: engine CPU by thread: ${threads.engine.stop()}`);
    const steps: Record<string, number> = {};
    for (const s of progress.steps ?? []) {
      const key = s.name.startsWith('validate') ? 'validate' : s.name.startsWith('commit') || s.name.startsWith('carry') ? 'commit' : s.name;
      steps[key] = (steps[key] ?? 0) + secs(s.startedAt, s.finishedAt);
    }
    const rows = anchor.rows as number;
    // The validate activity's own breakdown of each file (wall time and what it waited for).
    for (const line of worker.output().split('\n')) if (line.includes('"file validated"')) log(`${name}: ${line}`);
    // e.g. with FINDATA_CHILD_NODE_ARGS=--trace-gc: each worker's whole output, to read its collector's work.
    if (process.env.BENCH_WORKER_LOG_DIR) {
      fs.writeFileSync(path.join(process.env.BENCH_WORKER_LOG_DIR, `worker-${name}.log`), worker.output());
      if (engine) fs.writeFileSync(path.join(process.env.BENCH_WORKER_LOG_DIR, `engine-${name}.log`), engine.output());
    }
    // The sync's profiles run (a workflow of its own) computes both tables' profiles after the log is final: wait
    // for it, so the API load does not share the engine with it, and report how long it took.
    let profileLine: any = null;
    for (const deadline = Date.now() + 600_000; !profileLine && logRow.status !== 'FAILED' && Date.now() < deadline; ) {
      const line = worker.output().split('\n').find((l) => l.includes('"profiles ') && l.includes(sync_id));
      if (line) profileLine = JSON.parse(line.slice(line.indexOf('{')));
      else await new Promise((r) => setTimeout(r, 100));
    }
    if (profileLine) log(`${name}: ${JSON.stringify(profileLine)}`);
    const load: any[] = [];
    if (withLoad) {
      for (const p of ['/api/sync/logs/', '/api/data/?loan_type=RETAIL&limit=100', '/api/profiling/?loan_type=RETAIL']) {
        load.push(JSON.parse((await run('node', ['--import', 'tsx', 'scripts/bench-load.ts', child.url, apiKey, p, '10', '16', String(LOAD_WARMUP_S)], { cwd: ROOT })).stdout));
      }
    }
    const pt = performance.now();
    await fetch(`${child.url}/api/profiling/?loan_type=RETAIL&file_type=payment_plan`, { headers: h });
    const profileCold = (performance.now() - pt) / 1000;
    const r: Result = {
      dataset: name,
      rows,
      anchor_s: anchor.total,
      upload_s: upload,
      claim_s: steps.claim ?? 0,
      validate_s: steps.validate ?? 0,
      commit_s: steps.commit ?? 0,
      record_s: steps.record ?? 0,
      sync_s: secs(logRow.started_at, logRow.finished_at),
      end_to_end_s: total,
      rows_per_s: rows / Math.max(0.001, (steps.validate ?? 0) + (steps.commit ?? 0)),
      worker_peak_rss_mb: peakRss(worker.proc.pid!),
      worker_major_gcs: workerMajorGcs?.count ?? null,
      // The largest API process (with API_PROCESSES > 1: the largest of the primary's children).
      api_peak_rss_mb: Math.max(peakRss(child.proc.pid!), ...childPids(child.proc.pid!).map(peakRss)),
      engine_peak_rss_mb: engine ? peakRss(engine.proc.pid!) : null,
      anchor_peak_rss_mb: anchor.peak_rss_mb,
      status: logRow.status,
      profile_payment_first_call_s: profileCold,
      profiles_precompute_s: profileLine ? profileLine.ms / 1000 : null,
    };
    return { r, load };
  } finally {
    await child.kill('SIGTERM');
    await worker.kill('SIGTERM');
    await engine?.kill('SIGTERM');
    // Never masks the measurement's own error.
    await retire(config, tenantId).catch((err) => log(`${name}: could not deactivate ${tenantId}: ${err}`));
  }
}

/**
 * A measured tenant's schedule would go on firing every minute (into a task queue no worker serves any more) and
 * load Temporal during the next measurements: the tenant is deactivated, which pauses it.
 */
async function retire(config: ReturnType<typeof parseConfig>, tenantId: string): Promise<void> {
  const db = createDb(config.databaseUrl, 1);
  const client = await connectTemporal(config.temporal);
  try {
    const sync = createSyncControl(client, config.temporal);
    await createTenantService(db, { ensureSchedule: (id, active) => sync.ensureSchedule(id, active, 60) }).setActive(tenantId, false);
  } finally {
    await client.connection.close();
    await db.end();
  }
}

async function main() {
  const results: Result[] = [];
  let load: any[] = [];
  for (const size of sizes) {
    for (const errorRate of ERROR_RATES) {
      const { dir } = await dataset(size, errorRate);
      const name = `${size}-${errorRate ? '5%err' : 'clean'}`;
      const m = await measure(name, dir, size === sizes[0] && errorRate === 0.05);
      results.push(m.r);
      if (m.load.length) load = m.load;
    }
  }
  const lines = [
    '| dataset | rows | anchor s | upload s | validate+stage s | commit s | sync s | end-to-end s | (validate+commit)/anchor | end-to-end/anchor | rows/s | worker peak RSS MB | worker full GCs | API peak RSS MB | engine peak RSS MB | anchor peak RSS MB | status |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.dataset} | ${r.rows} | ${r.anchor_s.toFixed(2)} | ${r.upload_s.toFixed(2)} | ${r.validate_s.toFixed(2)} | ${r.commit_s.toFixed(2)} | ${r.sync_s.toFixed(2)} | ${r.end_to_end_s.toFixed(2)} | ${((r.validate_s + r.commit_s) / r.anchor_s).toFixed(2)}× | ${(r.end_to_end_s / r.anchor_s).toFixed(2)}× | ${Math.round(r.rows_per_s)} | ${r.worker_peak_rss_mb.toFixed(0)} | ${r.worker_major_gcs ?? '–'} | ${r.api_peak_rss_mb.toFixed(0)} | ${r.engine_peak_rss_mb === null ? 'in worker' : r.engine_peak_rss_mb.toFixed(0)} | ${r.anchor_peak_rss_mb.toFixed(0)} | ${r.status} |`,
    ),
  ];
  const loadLines = [
    `| endpoint | requests | errors | req/s | p50 ms | p99 ms | warm-up (first ${LOAD_WARMUP_S} s, not counted): req/s, p99 ms, max ms |`,
    '|---|---|---|---|---|---|---|',
    ...load.map(
      (l) =>
        `| \`${l.path}\` | ${l.requests} | ${l.errors} | ${Math.round(l.rps)} | ${l.p50_ms.toFixed(2)} | ${l.p99_ms.toFixed(2)} | ${l.warmup ? `${Math.round(l.warmup.rps)}, ${l.warmup.p99_ms.toFixed(1)}, ${l.warmup.max_ms.toFixed(1)}` : 'none'} |`,
    ),
  ];
  const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}`;
  const table = [...lines, '', ...loadLines].join('\n');
  const profiling = `Profiling after a sync: both tables precomputed by the sync's profiles run in ${results.map((r) => `${r.dataset} ${r.profiles_precompute_s === null ? 'n/a' : `${r.profiles_precompute_s.toFixed(3)} s`}`).join(', ')}; first read of payment_plan ${results.map((r) => `${r.dataset} ${r.profile_payment_first_call_s.toFixed(3)} s`).join(', ')}.`;
  process.stdout.write(`\n${table}\n\n${profiling}\n`);
  const doc = fs.readFileSync(path.join(ROOT, 'docs/BENCHMARKS.md'), 'utf8');
  const marker = '<!-- results -->';
  const head = doc.includes(marker) ? doc.slice(0, doc.indexOf(marker) + marker.length) : doc + `\n${marker}`;
  fs.writeFileSync(
    path.join(ROOT, 'docs/BENCHMARKS.md'),
    `${head}\n\nLatest run: ${new Date().toISOString()} — \`npm run bench -- --size ${sizeArg}\` on ${machine}; API role: ${API_PROCESSES} process${API_PROCESSES > 1 ? 'es' : ''} (\`API_PROCESSES\`), API peak RSS is the largest of them; engine: ${SEPARATE_ENGINE ? 'a warehouse process of its own (`EMBEDDED_WAREHOUSE=separate`)' : 'in the worker'}.\n\n${table}\n\n${profiling}\n`,
  );
}

main().catch((e) => {
  process.stderr.write(`${e?.stack ?? e}\n`);
  process.exit(1);
});
void spawn;
