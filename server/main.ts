/**
 * Process entry (`npm start` runs it after starting the local services). FINDATA_ROLE decides what runs here:
 * all (default), api, worker, or warehouse. With the embedded warehouse the all/worker process owns it, or with
 * EMBEDDED_WAREHOUSE=separate the warehouse process does; the others go through the owner (lib/warehouse-owner.ts).
 */
import cluster from 'node:cluster';
import { ConfigError, parseConfig } from '../lib/config.ts';
import { createLogger, type Logger } from '../lib/logger.ts';
import { localSecret, startPlatform } from './platform.ts';
import { provisionDemo } from './demo.ts';
import { announceReady, runApiPrimary } from './api-cluster.ts';
import { tuneHeapForBufferTraffic } from '../lib/heap.ts';

async function main() {
  let config;
  try {
    config = parseConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  // Every role streams files through a small heap: uploads (API), staged rows (worker), insert bodies (warehouse).
  tuneHeapForBufferTraffic();
  if (config.apiProcesses > 1 && cluster.isPrimary) {
    // The API processes are forked from here; each runs this file again and takes the path below.
    runApiPrimary(config, createLogger(config.logLevel, { role: 'api', component: 'cluster' }), () => {
      localSecret(config.dataDir, 'AUTH_CACHE_SECRET', config.authCacheSecret);
      localSecret(config.dataDir, 'SESSION_SECRET', config.sessionSecret);
    });
    return;
  }
  if (config.role === 'warehouse') {
    const log = createLogger(config.logLevel, { role: 'warehouse' });
    const { startWarehouseProcess } = await import('./warehouse-process.ts');
    const wh = await startWarehouseProcess(config, log);
    log.info('findata warehouse started', { metrics: wh.url, dataDir: config.dataDir });
    onStop(log, () => wh.close());
    return;
  }
  const platform = await startPlatform(config, { temporalMetrics: true });
  const { log } = platform;

  if (config.role === 'worker') {
    const { startWorkerMetricsServer } = await import('./process-metrics.ts');
    await startWorkerMetricsServer(platform);
  }
  // In a cluster the first API process provisions the demo tenants and prints the banner.
  if (config.demoTenants && config.role !== 'worker' && (cluster.worker?.id ?? 1) === 1) {
    const keys = await provisionDemo(platform);
    const lines = [
      '',
      `  findata is running`,
      `  Web app + API   ${platform.url}`,
      `  API docs        ${platform.url}/api/openapi.json`,
      `  Temporal UI     ${config.temporal.uiUrl}`,
      `  Metrics         ${platform.url}/metrics`,
      '',
      '  Demo tenants (API keys — sign in to the web app with one):',
      ...keys.map((k) => `    ${k.tenantId.padEnd(8)} ${k.apiKey}`),
      '',
      '  Ctrl-C stops everything.',
      '',
    ];
    process.stderr.write(lines.join('\n') + '\n');
  } else if (!cluster.isWorker) {
    log.info('findata started', { role: config.role, url: platform.url });
  }
  announceReady(platform.url);

  onStop(log, () => platform.close());
}

function onStop(log: Logger, close: () => Promise<void>): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    await close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  process.stderr.write(`findata: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
