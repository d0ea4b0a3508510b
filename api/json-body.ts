import type { Context } from 'hono';

// Serialized bodies of values shared through the in-process cache (lib/cache.ts `near`): the same object is
// returned to every request for a moment, so it is stringified once. Cached values are read-only by contract.
const bodies = new WeakMap<object, string>();

/** A JSON response of a cached, read-only value. */
export function cachedJson(c: Context, value: object): Response {
  let body = bodies.get(value);
  if (body === undefined) {
    body = JSON.stringify(value);
    bodies.set(value, body);
  }
  return c.body(body, 200, { 'Content-Type': 'application/json' });
}
