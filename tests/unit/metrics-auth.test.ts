/**
 * GET /metrics on the API port: its labels name tenants, so with METRICS_TOKEN set only a request carrying the
 * token gets them (the compose stack publishes that port to the banks). No backing service involved.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createApp } from '../../api/app.ts';
import type { ApiServices } from '../../api/services.ts';
import { createMetrics } from '../../lib/metrics.ts';
import { silentLogger } from '../../lib/logger.ts';
import { parseConfig } from '../../lib/config.ts';

const TOKEN = 'a'.repeat(24) + 'metrics-token-0123456789';

function app(metricsToken: string | null) {
  const metrics = createMetrics();
  metrics.uploadBytes.inc({ tenant: 'bank_a', loan_type: 'RETAIL', file_type: 'credit' }, 10);
  return createApp({ config: { metricsToken }, metrics, log: silentLogger, webDist: null } as unknown as ApiServices);
}

test('with METRICS_TOKEN set, /metrics without the token or with another one is 401 and names no tenant', async () => {
  const a = app(TOKEN);
  for (const authorization of [undefined, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, TOKEN, `Basic ${TOKEN}`]) {
    const r = await a.request('/metrics', { headers: authorization ? { authorization } : {} });
    assert.equal(r.status, 401, `authorization: ${authorization}`);
    assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="findata metrics"');
    const body = await r.text();
    assert.equal(JSON.parse(body).error.code, 'UNAUTHORIZED');
    assert.doesNotMatch(body, /bank_a/);
  }
});

test('with METRICS_TOKEN set, /metrics with `Authorization: Bearer <token>` serves the metrics', async () => {
  const r = await app(TOKEN).request('/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(r.status, 200);
  assert.match(await r.text(), /data_upload_bytes_total\{tenant="bank_a",loan_type="RETAIL",file_type="credit"\} 10/);
});

test('without METRICS_TOKEN, /metrics is open (a private port, as in the local runs)', async () => {
  const r = await app(null).request('/metrics');
  assert.equal(r.status, 200);
  assert.match(await r.text(), /tenant="bank_a"/);
});

test('a METRICS_TOKEN too short is refused at startup without echoing it', () => {
  const token = 'short-metrics-token';
  assert.throws(
    () => parseConfig({ DATABASE_URL: 'postgres://x@127.0.0.1/db', REDIS_URL: 'redis://127.0.0.1:1', METRICS_TOKEN: token }),
    (e: Error) => /METRICS_TOKEN/.test(e.message) && !e.message.includes(token),
  );
});
