/**
 * FINDATA_ROLE=warehouse: a process that runs nothing but the embedded engine and serves it to the worker and the
 * API processes of the same DATA_DIR (EMBEDDED_WAREHOUSE=separate). It is the local stand-in for a ClickHouse
 * server: the engine's memory and CPU are its own, the worker keeps only the sync's, and a worker that restarts
 * leaves the engine (and the API's reads) running. Health and process metrics on WAREHOUSE_METRICS_PORT.
 */
import client from 'prom-client';
import type { Config } from '../lib/config.ts';
import type { Logger } from '../lib/logger.ts';
import { openWarehouse } from '../lib/warehouse.ts';
import { ownerSocket, serveWarehouse } from '../lib/warehouse-owner.ts';
import { markOwner } from './platform.ts';
import { serveProcessMetrics } from './process-metrics.ts';

export interface WarehouseProcess {
  url: string;
  close(): Promise<void>;
}

export async function startWarehouseProcess(config: Config, log: Logger): Promise<WarehouseProcess> {
  // Throws chdb's "Cannot lock file" when another process already owns this data folder.
  const warehouse = await openWarehouse(config.clickhouse);
  const unmarkOwner = markOwner(config.dataDir);
  // Unlike the in-process owner, serving is this process's only job: a socket that cannot be served is fatal.
  const socket = await serveWarehouse(warehouse, ownerSocket(config.dataDir), log.child({ component: 'warehouse-owner' }), { writes: true });
  const release = async () => {
    await socket.close();
    await warehouse.close().catch(() => {});
    unmarkOwner();
  };

  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const healthy = () => warehouse.query('SELECT 1').then(
    () => ({ ok: true }),
    () => ({ ok: false }),
  );
  const server = await serveProcessMetrics(registry, healthy, config.warehouseMetricsPort, config.host).catch(async (err: Error) => {
    // E.g. the port is taken: release the engine and the socket before the process exits with the error.
    await release();
    throw new Error(`WAREHOUSE_METRICS_PORT ${config.warehouseMetricsPort}: ${err.message}`);
  });
  const addr = server.address();
  const url = `http://${config.host}:${typeof addr === 'object' && addr ? addr.port : config.warehouseMetricsPort}`;
  return {
    url,
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
      await release();
    },
  };
}
