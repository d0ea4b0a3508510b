/**
 * The Hono app: request id → metrics → routes, one error handler that renders api.md's envelope, the OpenAPI
 * document, Prometheus metrics and the built web app (SPA fallback).
 */
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import fs from 'node:fs';
import { createHash, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import type { AppEnv, ApiServices } from './services.ts';
import { requestId } from './middleware/request-id.ts';
import { requestHeader } from './headers.ts';
import { httpMetrics } from './middleware/metrics.ts';
import { buildOpenApi, doc } from './openapi.ts';
import { AppError } from '../lib/errors.ts';
import { health } from './routes/health.ts';
import { uploads } from './routes/uploads.ts';
import { sync } from './routes/sync.ts';
import { data } from './routes/data.ts';
import { profiling } from './routes/profiling.ts';
import { session, tenant } from './routes/session.ts';

// The metrics name tenants (labels), so on a port the banks reach they need METRICS_TOKEN (compose sets it).
doc({
  method: 'get',
  path: '/metrics',
  tag: 'operations',
  // Either: open when METRICS_TOKEN is unset, the bearer token when it is set.
  security: [{}, { MetricsToken: [] }],
  summary:
    'Prometheus metrics (text format). With METRICS_TOKEN set (as in docker-compose.yml) it requires `Authorization: Bearer <METRICS_TOKEN>`; without it, it is open: keep the port private (docs/OPERATIONS.md).',
  responses: {
    200: { description: 'Prometheus text exposition format', contentType: 'text/plain' },
    401: { description: 'METRICS_TOKEN is set and the request does not carry it (UNAUTHORIZED)' },
  },
});

export function createApp(services: ApiServices) {
  const app = new Hono<AppEnv>({ strict: false });
  app.use('*', async (c, next) => {
    c.set('services', services);
    await next();
  });
  app.use('*', requestId());
  app.use('*', httpMetrics());
  app.use('*', secureHeaders({ contentSecurityPolicy: { defaultSrc: ["'self'"], imgSrc: ["'self'", 'data:'], styleSrc: ["'self'", "'unsafe-inline'"] } }));

  app.onError((err, c) => {
    const rid = c.get('requestId');
    let e: AppError;
    const cause = unexpectedCause(err, c.req.raw.signal.aborted);
    if (err instanceof AppError) e = err;
    else if (err instanceof HTTPException && err.status < 500) e = new AppError(err.status === 413 ? 'FILE_TOO_LARGE' : 'BAD_REQUEST', err.message || 'Bad request');
    else if (cause === 'client') {
      // The client hung up mid-request (e.g. a cancelled upload): its fault, nothing to alert on.
      (c.get('log') ?? services.log).info('client closed the request', { path: c.req.path, method: c.req.method });
      e = new AppError('BAD_REQUEST', 'The request was interrupted by the client before it was complete.');
    } else if (cause === 'dependency') {
      // Staging Redis, PostgreSQL or the warehouse unreachable: tell the client to retry, and alert on it.
      (c.get('log') ?? services.log).error('dependency unavailable', { err: String(err), path: c.req.path, method: c.req.method });
      e = new AppError('SERVICE_UNAVAILABLE', 'A backing service is temporarily unavailable; retry shortly.', { retry_after: 5 });
      c.header('Retry-After', '5');
    } else {
      (c.get('log') ?? services.log).error('unhandled error', { err, path: c.req.path, method: c.req.method });
      e = new AppError('INTERNAL', 'Internal error; quote the request id when reporting it.');
    }
    if (e.status >= 500 && err instanceof AppError) services.log.error('request failed', { code: e.code, message: e.message, requestId: rid });
    // Every 429 tells the client when to come back (the failed-auth guard throws without a context).
    if (e.code === 'RATE_LIMITED' && typeof e.details.retry_after === 'number') c.header('Retry-After', String(e.details.retry_after));
    return c.json({ error: { code: e.code, message: e.message, requestId: rid, ...e.details } }, e.status as 400);
  });
  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `No route for ${c.req.method} ${c.req.path}`, requestId: c.get('requestId') } }, 404));

  app.route('/api/health', health);
  app.route('/api/session', session);
  app.route('/api/tenant', tenant);
  app.route('/api/uploads', uploads);
  app.route('/api/sync', sync);
  app.route('/api/data', data);
  app.route('/api/profiling', profiling);
  let openapi: Record<string, unknown> | null = null;
  app.get('/api/openapi.json', (c) => c.json((openapi ??= buildOpenApi())));
  app.get('/metrics', async (c) => {
    const token = services.config.metricsToken;
    if (token !== null && !bearerMatches(requestHeader(c, 'authorization'), token)) {
      c.header('WWW-Authenticate', 'Bearer realm="findata metrics"');
      throw new AppError('UNAUTHORIZED', 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>.');
    }
    return c.text(await services.metrics.render(), 200, { 'content-type': services.metrics.registry.contentType });
  });
  app.all('/api/*', (c) => c.json({ error: { code: 'NOT_FOUND', message: `No route for ${c.req.method} ${c.req.path}`, requestId: c.get('requestId') } }, 404));

  if (services.webDist) mountWeb(app, services.webDist);
  return app;
}

/** Constant-time comparison of a Bearer credential with the expected token. */
function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  const a = createHash('sha256').update(m[1]).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

/**
 * Who an error that is not an AppError is about: the client that hung up, a backing service that is down, or
 * neither (a bug). A service's failure is checked before the client's words: PostgreSQL's "Connection terminated
 * unexpectedly" must not read as the client's "terminated" body stream (a 400 a bank's script would not retry).
 */
export function unexpectedCause(err: unknown, clientAborted: boolean): 'client' | 'dependency' | 'internal' {
  if (clientAborted) return 'client';
  if (dependencyDown(err)) return 'dependency';
  if (clientGone(err)) return 'client';
  return 'internal';
}

function dependencyDown(err: unknown): boolean {
  const e = err as { name?: string; code?: string; message?: string };
  return (
    e?.name === 'MaxRetriesPerRequestError' ||
    e?.code === 'ECONNREFUSED' ||
    /Connection is closed|Stream isn't writeable|connect ECONNREFUSED|Connection terminated/i.test(String(e?.message ?? ''))
  );
}

/** The request body's stream failing under us: the client went away mid-request. */
function clientGone(err: unknown): boolean {
  const code = (err as { code?: string; cause?: { code?: string } })?.code ?? (err as { cause?: { code?: string } })?.cause?.code;
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || /aborted|terminated/i.test(String((err as Error)?.message ?? ''));
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

function mountWeb(app: Hono<AppEnv>, root: string) {
  const index = path.join(root, 'index.html');
  app.get('*', async (c) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(c.req.path);
    } catch {
      return c.notFound(); // a malformed escape (`/%C3%28`) names no file: bad input, never a 500
    }
    const rel = path.normalize(decoded).replace(/^(\.\.[/\\])+/, '');
    const file = path.join(root, rel);
    if (file.startsWith(root) && rel !== '/' && fs.existsSync(file) && fs.statSync(file).isFile()) {
      const cache = rel.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
      return c.body(fs.readFileSync(file), 200, { 'content-type': MIME[path.extname(file)] ?? 'application/octet-stream', 'cache-control': cache });
    }
    if (!fs.existsSync(index)) return c.text('web app not built: run npm run build:web', 404);
    return c.html(fs.readFileSync(index, 'utf8'), 200, { 'cache-control': 'no-cache' });
  });
}

export type AppType = ReturnType<typeof createApp>;
