/** The client's address behind TRUST_PROXY hops of reverse proxies (api/middleware/auth.ts forwardedClient). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forwardedClient, forwardedHttps } from '../../api/middleware/auth.ts';

test('with no trusted proxy the socket peer is the client, whatever X-Forwarded-For says', () => {
  assert.equal(forwardedClient('10.0.0.1', '203.0.113.7', 0), '10.0.0.1');
});

test('each trusted hop moves one entry to the left from the right end; the client-written entries further left are ignored', () => {
  assert.equal(forwardedClient('10.0.0.1', '203.0.113.7', 1), '203.0.113.7');
  assert.equal(forwardedClient('10.0.0.1', 'forged, 203.0.113.7', 1), '203.0.113.7');
  assert.equal(forwardedClient('10.0.0.2', 'forged, 203.0.113.7, 10.0.0.1', 2), '203.0.113.7');
  assert.equal(forwardedClient('10.0.0.1', ' 203.0.113.7 ,', 1), '203.0.113.7');
});

test('fewer entries than trusted hops: the leftmost there is; no header: the peer', () => {
  assert.equal(forwardedClient('10.0.0.2', '203.0.113.7', 3), '203.0.113.7');
  assert.equal(forwardedClient('10.0.0.1', undefined, 1), '10.0.0.1');
  assert.equal(forwardedClient('10.0.0.1', '', 1), '10.0.0.1');
});

test('X-Forwarded-Proto counts as https only in the entry of the outermost trusted proxy', () => {
  assert.equal(forwardedHttps('https', 1), true);
  assert.equal(forwardedHttps('http', 1), false);
  assert.equal(forwardedHttps('https, http', 2), true); // the outer proxy took TLS, the inner hop was plain HTTP
  assert.equal(forwardedHttps('https, http', 1), false); // only the nearest proxy is trusted: it saw http
  assert.equal(forwardedHttps('HTTPS', 3), true); // fewer entries than hops: the leftmost
  assert.equal(forwardedHttps(undefined, 1), false);
});
