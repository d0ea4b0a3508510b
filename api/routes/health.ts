import { Hono } from 'hono';
import type { AppEnv } from '../services.ts';
import { doc } from '../openapi.ts';
import { Health } from '../schemas.ts';

export const health = new Hono<AppEnv>({ strict: false });

doc({ method: 'get', path: '/api/health', tag: 'health', summary: 'Liveness (no auth)', responses: { 200: { description: 'alive', schema: Health } } });
health.get('/', (c) => c.json({ status: 'ok' as const }));
