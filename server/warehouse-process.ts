/**
 * FINDATA_ROLE=warehouse: a process that runs nothing but the embedded engine and serves it to the worker and the
 * API processes of the same DATA_DIR (EMBEDDED_WAREHOUSE=separate). It is the local stand-in for a ClickHouse
 * server: the engine's memory and CPU are its own, the worker keeps only the sync's, and a worker that restarts
 * leaves the engine (and the API's reads) running. Health and process metrics on WAREHOUSE_METRICS_PORT.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import client from 'prom-client';
import type { Config } from '../lib/config.ts';
import type { Logger } from '../lib/logger.ts';
import { openWarehouse } from '../lib/warehouse.ts';
import { ownerSocket, serveWarehouse } from '../lib/warehouse-owner.ts';
import { ownerFile } from './platform.ts';

export interface WarehouseProcess {
  url: string;
  close(): Promise<void>;
}

export async function startWarehouseProcess(config: Config, log: Logger): Promise<WarehouseProcess> {
  // Throws chdb's "Cannot lock file" when another process already owns this data folder.
  const warehouse = await openWarehouse(config.clickhouse);
  fs.mkdirSync(path.dirname(ownerFile(config.dataDir)), { recursive: true });
  fs.writeFileSync(ownerFile(config.dataDir), String(process.pid));
  // Unlike the in-process owner, serving is this process's only job: a socket that cannot be served is fatal.
  const socket = await serveWarehouse(warehouse, ownerSocket(config.dataDir), log.child({ component: 'warehouse-owner' }), { writes: true });

  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const server = http.createServer(async (req, res) => {
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(await registry.metrics());
    } else if (req.url === '/healthz') {
      const ok = await warehouse.query('SELECT 1').then(
        () => true,
        () => false,
      );
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: ok ? 'ok' : 'unavailable' }));
    } else {
      res.writeHead(404).end();
    }
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.warehouseMetricsPort, config.host, () => resolve());
    });
  } catch (err) {
    // E.g. the port is taken: release the engine and the socket before the process exits with the error.
    await socket.close();
    await warehouse.close().catch(() => {});
    fs.rmSync(ownerFile(config.dataDir), { force: true });
    throw new Error(`WAREHOUSE_METRICS_PORT ${config.warehouseMetricsPort}: ${(err as Error).message}`);
  }
  const addr = server.address();
  const url = `http://${config.host}:${typeof addr === 'object' && addr ? addr.port : config.warehouseMetricsPort}`;
  return {
    url,
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
      await socket.close();
      await warehouse.close().catch(() => {});
      fs.rmSync(ownerFile(config.dataDir), { force: true });
    },
  };
}
