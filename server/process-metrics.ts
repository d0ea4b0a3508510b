/**
 * The health check and metrics endpoint of a process without the HTTP API: the worker (WORKER_METRICS_PORT) and
 * the warehouse process (WAREHOUSE_METRICS_PORT).
 */
import http from 'node:http';
import type { Registry } from 'prom-client';
import type { Platform } from './platform.ts';

export interface Health {
  ok: boolean;
  /** More fields of the /healthz body besides `status`. */
  detail?: Record<string, unknown>;
}

/** GET /metrics and GET /healthz on host:port; rejects when the port cannot be bound. */
export async function serveProcessMetrics(registry: Registry, health: () => Promise<Health> | Health, port: number, host: string): Promise<http.Server> {
  const server = http.createServer(async (req, res) => {
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(await registry.metrics());
    } else if (req.url === '/healthz') {
      const h = await health();
      res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: h.ok ? 'ok' : 'unavailable', ...h.detail }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

/** In worker-only processes: application metrics, healthy while the Temporal worker runs. */
export function startWorkerMetricsServer(p: Platform): Promise<http.Server> {
  return serveProcessMetrics(
    p.metrics.registry,
    () => ({ ok: p.worker?.getState() === 'RUNNING', detail: { worker: p.worker?.getState() } }),
    p.config.workerMetricsPort,
    p.config.host,
  );
}
