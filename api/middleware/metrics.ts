import { createMiddleware } from 'hono/factory';
import { routePath } from 'hono/route';
import type { AppEnv } from '../services.ts';

/** HTTP latency histogram and status counts, labelled by route pattern (bounded cardinality). */
export const httpMetrics = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const start = process.hrtime.bigint();
    await next();
    const route = c.req.path.startsWith('/api') || c.req.path === '/metrics' ? routePath(c) : 'web';
    const labels = { method: c.req.method, route, status: String(c.res.status) };
    const m = c.get('services').metrics;
    m.httpDuration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
    m.httpRequests.inc(labels);
    const log = c.get('log');
    // A key pasted into a URL by mistake must not reach the logs.
    const path = c.req.path.replace(/sk_live_[^/]*/gi, '[redacted]');
    if (c.res.status >= 500) log.error('request failed', { method: c.req.method, path, status: c.res.status });
    else log.debug('request', { method: c.req.method, path, status: c.res.status });
  });
