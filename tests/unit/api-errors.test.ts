/**
 * The HTTP layer's answers to failures that are not AppErrors: whose fault they are decides between a 400 the
 * client should not retry and a 503 it should. No backing service is involved.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp, unexpectedCause } from '../../api/app.ts';
import type { ApiServices } from '../../api/services.ts';
import { createMetrics } from '../../lib/metrics.ts';
import { silentLogger } from '../../lib/logger.ts';

test("PostgreSQL's 'Connection terminated' is a backing service down (503), not a client that hung up (400)", () => {
  assert.equal(unexpectedCause(new Error('Connection terminated unexpectedly'), false), 'dependency');
  assert.equal(unexpectedCause(new Error('Connection terminated due to connection timeout'), false), 'dependency');
  assert.equal(unexpectedCause(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), false), 'dependency');
  assert.equal(unexpectedCause(Object.assign(new Error('Reached the max retries per request limit'), { name: 'MaxRetriesPerRequestError' }), false), 'dependency');
});

test('a request body that fails under the handler, or an aborted request, is the client going away', () => {
  assert.equal(unexpectedCause(new TypeError('terminated'), false), 'client'); // a Request body stream cut off
  assert.equal(unexpectedCause(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }), false), 'client');
  assert.equal(unexpectedCause(new Error('Connection terminated unexpectedly'), true), 'client'); // the client left first
  assert.equal(unexpectedCause(new RangeError('Invalid array length'), false), 'internal');
});

test('a path with a malformed percent escape gets 404 NOT_FOUND from the web app fallback, never a 500', async () => {
  const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'findata-web-'));
  try {
    fs.writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>findata</title>');
    const app = createApp({ metrics: createMetrics(), log: silentLogger, webDist: dist } as unknown as ApiServices);
    const bad = await app.request('/%C3%28');
    assert.equal(bad.status, 404);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'NOT_FOUND');
    const page = await app.request('/syncs'); // a client-side route still gets the app
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>findata<\/title>/);
  } finally {
    fs.rmSync(dist, { recursive: true, force: true });
  }
});
