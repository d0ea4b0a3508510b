/** One prom-client registry per process with default process metrics and findata's application metrics. */
import client from 'prom-client';

export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const m = {
    registry,
    syncOperations: new client.Counter({
      name: 'sync_operations_total',
      help: 'Finished syncs by outcome',
      labelNames: ['tenant', 'loan_type', 'status', 'trigger'] as const,
      registers: [registry],
    }),
    syncDuration: new client.Histogram({
      name: 'sync_duration_seconds',
      help: 'Wall time of a sync from start to record',
      labelNames: ['tenant', 'loan_type', 'status'] as const,
      buckets: [1, 2, 5, 10, 30, 60, 120, 300, 600, 1200, 3600],
      registers: [registry],
    }),
    validationErrors: new client.Counter({
      name: 'validation_errors_total',
      help: 'Row-level validation errors found by syncs',
      labelNames: ['tenant', 'loan_type', 'file_type', 'code'] as const,
      registers: [registry],
    }),
    rowsInserted: new client.Counter({
      name: 'clickhouse_rows_inserted_total',
      help: 'Rows committed to warehouse tables',
      labelNames: ['tenant', 'loan_type', 'table'] as const,
      registers: [registry],
    }),
    uploadBytes: new client.Counter({
      name: 'data_upload_bytes_total',
      help: 'Bytes received by uploads (accepted or not)',
      labelNames: ['tenant', 'loan_type', 'file_type'] as const,
      registers: [registry],
    }),
    httpDuration: new client.Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    }),
    httpRequests: new client.Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by status code',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    apiKeyHashChecks: new client.Counter({
      name: 'api_key_hash_checks_total',
      help: 'API keys checked against their PBKDF2 hash (a cache miss: a new process, a rotated or unknown key)',
      registers: [registry],
    }),
  };
  /** What GET /metrics serves; a cluster's API process serves every process's metrics (server/api-cluster.ts). */
  let render = (): Promise<string> => registry.metrics();
  return {
    ...m,
    render: () => render(),
    setRender(fn: () => Promise<string>) {
      render = fn;
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
