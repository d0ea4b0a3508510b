/**
 * The tests' API client (tests/helpers/platform.ts) sends an idempotent request once more when its keep-alive socket
 * was closed under it, and never a POST: CI saw "other side closed" on a PUT upload on a loaded machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { apiClient } from '../helpers/platform.ts';

/** A loopback server that drops the first `drops` connections after reading a request, then answers 201. */
async function flakyServer(drops: number) {
  const seen: string[] = [];
  const server = net.createServer((socket) => {
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const m = /content-length: (\d+)/i.exec(buf.slice(0, end));
      if (buf.length < end + 4 + Number(m?.[1] ?? 0)) return;
      seen.push(buf.slice(0, buf.indexOf(' ')));
      if (seen.length <= drops) socket.destroy(); // closed under the request, nothing answered
      else socket.end('HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}');
      buf = '';
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

test('a PUT upload whose socket is closed under it is sent once more and succeeds', async () => {
  const s = await flakyServer(1);
  try {
    const r = await apiClient(s.url, 'k').upload('RETAIL', 'credit', 'a,b\n1,2\n');
    assert.equal(r.status, 201);
    assert.deepEqual(s.seen, ['PUT', 'PUT']);
  } finally {
    await s.close();
  }
});

test('a POST whose socket is closed under it is not sent again: the error reaches the test', async () => {
  const s = await flakyServer(1);
  try {
    await assert.rejects(apiClient(s.url, 'k').send('POST', '/api/sync/', { loan_type: 'RETAIL' }), /fetch failed/);
    assert.deepEqual(s.seen, ['POST']);
  } finally {
    await s.close();
  }
});

test('an idempotent request is retried once, not forever', async () => {
  const s = await flakyServer(2);
  try {
    await assert.rejects(apiClient(s.url, 'k').send('DELETE', '/api/uploads/RETAIL/credit'), /fetch failed/);
    assert.deepEqual(s.seen, ['DELETE', 'DELETE']);
  } finally {
    await s.close();
  }
});
