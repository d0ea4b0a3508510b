/**
 * Process entry (`npm start` runs it after starting the local services). FINDATA_ROLE decides what runs here:
 * all (default), api, or worker. With the embedded warehouse the all/worker process owns it and api processes
 * read through it (lib/warehouse-owner.ts).
 */
import { ConfigError, parseConfig } from '../lib/config.ts';
import { startPlatform } from './platform.ts';
import { provisionDemo } from './demo.ts';

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
  const platform = await startPlatform(config, { temporalMetrics: true });
  const { log } = platform;

  if (config.role === 'worker') {
    const { startWorkerMetricsServer } = await import('./worker-metrics.ts');
    await startWorkerMetricsServer(platform);
  }
  if (config.demoTenants && config.role !== 'worker') {
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
  } else {
    log.info('findata started', { role: config.role, url: platform.url });
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    await platform.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  process.stderr.write(`findata: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
