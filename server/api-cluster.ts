/**
 * FINDATA_ROLE=api with API_PROCESSES > 1: the primary forks that many API processes (node:cluster), which share
 * PORT. One Node process tops out near 8,000 req/s for a bare Hono route on this kind of machine, and an
 * authenticated cached read costs about 0.27 ms of CPU, so a host with cores to spare serves more with more
 * processes. Everything an API process keeps is either in Redis/PostgreSQL or a near-cache copy that
 * invalidations drop in every process, so any process may answer any request.
 *
 * The primary serves no HTTP. It aggregates /metrics (prom-client AggregatorRegistry: counters and histograms
 * summed across the processes), restarts a process that dies, and stops them all on SIGTERM/SIGINT.
 */
import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Config } from '../lib/config.ts';
import type { Logger } from '../lib/logger.ts';

const METRICS_REQ = 'findata:clusterMetricsReq';
const METRICS_RES = 'findata:clusterMetricsRes';
const READY = 'findata:apiReady';
/** A process that dies sooner than this after its start is restarted after this long (no tight fork loop). */
const RESTART_BACKOFF_MS = 5_000;

type Message = { type?: string; id?: number; text?: string; error?: string; url?: string };

/** Runs the primary until it is stopped; `prepare` runs once before the fork (e.g. creating the local secrets). */
export function runApiPrimary(config: Config, log: Logger, prepare: () => void): void {
  prepare();
  const aggregator = new AggregatorRegistry();
  const started = new Map<number, number>(); // worker id → start time
  let ready = 0;
  let everReady = false;
  let stopping = false;
  let exitCode = 0;

  const fork = () => {
    const w = cluster.fork();
    started.set(w.id, Date.now());
  };
  const stop = (signal: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping the API processes', { signal });
    setTimeout(() => process.exit(1), 35_000).unref();
    if (started.size === 0) process.exit(code);
    exitCode = code;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
  };

  cluster.on('message', (w, msg: Message) => {
    if (msg?.type === READY) {
      ready++;
      if (!everReady && ready === config.apiProcesses) log.info('findata started', { role: 'api', processes: ready, url: msg.url });
      everReady ||= ready === config.apiProcesses;
      return;
    }
    if (msg?.type !== METRICS_REQ) return;
    aggregator.clusterMetrics().then(
      (text) => w.isConnected() && w.send({ type: METRICS_RES, id: msg.id, text }),
      (err: Error) => w.isConnected() && w.send({ type: METRICS_RES, id: msg.id, error: err.message }),
    );
  });
  cluster.on('exit', (w, code, signal) => {
    const uptime = Date.now() - (started.get(w.id) ?? 0);
    started.delete(w.id);
    if (stopping) {
      if (started.size === 0) process.exit(exitCode);
      return;
    }
    if (!everReady) {
      // Not all processes came up: a configuration or environment problem that another fork would repeat.
      log.error('an API process failed to start', { pid: w.process.pid, code, signal });
      stop('startup failure', 1);
      return;
    }
    ready = Math.max(0, ready - 1);
    log.error('an API process exited; starting another', { pid: w.process.pid, code, signal });
    setTimeout(() => !stopping && fork(), uptime < RESTART_BACKOFF_MS ? RESTART_BACKOFF_MS : 0);
  });

  for (let i = 0; i < config.apiProcesses; i++) fork();
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/**
 * In a cluster's API process: answers the primary's requests for this process's metrics, and returns what its
 * /metrics route serves (all processes' metrics, aggregated by the primary).
 */
export function joinApiCluster(registry: Registry): () => Promise<string> {
  new AggregatorRegistry(); // installs the listener that answers the primary
  AggregatorRegistry.setRegistries([registry]);
  let seq = 0;
  const waiting = new Map<number, { resolve: (t: string) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  process.on('message', (msg: Message) => {
    if (msg?.type !== METRICS_RES || msg.id === undefined) return;
    const w = waiting.get(msg.id);
    if (!w) return;
    waiting.delete(msg.id);
    clearTimeout(w.timer);
    if (msg.error !== undefined) w.reject(new Error(`cluster metrics: ${msg.error}`));
    else w.resolve(msg.text ?? '');
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = ++seq;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('cluster metrics: no answer from the primary within 10 s'));
      }, 10_000);
      waiting.set(id, { resolve, reject, timer });
      process.send!({ type: METRICS_REQ, id });
    });
}

/** Tells the primary this API process listens. */
export function announceReady(url: string | null): void {
  if (cluster.isWorker) process.send!({ type: READY, url });
}
