import { createMiddleware } from 'hono/factory';
import crypto from 'node:crypto';
import type { AppEnv } from '../services.ts';
import { requestHeader } from '../headers.ts';

const INCOMING = /^[A-Za-z0-9._-]{8,64}$/;

/** A request id on every response (X-Request-Id) and in every log line of the request. */
export const requestId = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const given = requestHeader(c, 'x-request-id');
    const id = given && INCOMING.test(given) ? given : crypto.randomUUID();
    c.set('requestId', id);
    c.set('log', c.get('services').log.child({ requestId: id }));
    c.header('X-Request-Id', id);
    await next();
  });
