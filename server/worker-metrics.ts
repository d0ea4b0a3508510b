/** In worker-only processes: application metrics and a health check on WORKER_METRICS_PORT. */
import http from 'node:http';
import type { Platform } from './platform.ts';

export async function startWorkerMetricsServer(p: Platform): Promise<http.Server> {
  const server = http.createServer(async (req, res) => {
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': p.metrics.registry.contentType });
      res.end(await p.metrics.registry.metrics());
    } else if (req.url === '/healthz') {
      const ok = p.worker?.getState() === 'RUNNING';
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: ok ? 'ok' : 'unavailable', worker: p.worker?.getState() }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(p.config.workerMetricsPort, p.config.host, () => r()));
  return server;
}
