import type { Context } from 'hono';

/**
 * A request header, read from Node's already parsed IncomingMessage when the app runs on @hono/node-server:
 * `c.req.header()` there first builds a WHATWG Headers object from the raw headers, which cost more than the
 * rest of a cached read. Falls back to Hono's accessor elsewhere (app.request() in tests, other runtimes).
 */
export function requestHeader(c: Context, name: string): string | undefined {
  const incoming = (c.env as { incoming?: { headers?: Record<string, string | string[] | undefined> } } | undefined)?.incoming;
  if (!incoming?.headers) return c.req.header(name);
  const v = incoming.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}
