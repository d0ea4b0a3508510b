import { createMiddleware } from 'hono/factory';
import { routePath } from 'hono/route';
import type { AppEnv } from '../services.ts';
import type { Metrics } from '../../lib/metrics.ts';

interface Series {
  duration: { observe(v: number): void };
  requests: { inc(): void };
}
// The labelled children, looked up once per (method, route, status): prom-client hashes the label object on
// every observe otherwise, a visible share of a cached read.
const seriesCache = new WeakMap<Metrics, Map<string, Series>>();
function seriesOf(m: Metrics, method: string, route: string, status: number): Series {
  let byKey = seriesCache.get(m);
  if (!byKey) seriesCache.set(m, (byKey = new Map()));
  const key = `${method} ${status} ${route}`;
  let s = byKey.get(key);
  if (!s) {
    const labels = { method, route, status: String(status) };
    s = { duration: m.httpDuration.labels(labels), requests: m.httpRequests.labels(labels) };
    byKey.set(key, s);
  }
  return s;
}

/** HTTP latency histogram and status counts, labelled by route pattern (bounded cardinality). */
export const httpMetrics = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const start = process.hrtime.bigint();
    await next();
    const route = c.req.path.startsWith('/api') || c.req.path === '/metrics' ? routePath(c) : 'web';
    const m = c.get('services').metrics;
    const series = seriesOf(m, c.req.method, route, c.res.status);
    series.duration.observe(Number(process.hrtime.bigint() - start) / 1e9);
    series.requests.inc();
    const log = c.get('log');
    const failed = c.res.status >= 500;
    if (!failed && !log.enabled('debug')) return;
    // A key pasted into a URL by mistake must not reach the logs.
    const path = c.req.path.replace(/sk_live_[^/]*/gi, '[redacted]');
    if (failed) log.error('request failed', { method: c.req.method, path, status: c.res.status });
    else log.debug('request', { method: c.req.method, path, status: c.res.status });
  });
