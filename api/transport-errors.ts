/**
 * Errors raised before a request reaches the Hono app, rendered with api.md's envelope like every other non-2xx
 * answer: Node's HTTP parser refusing a request (headers over the size limit, a malformed request line or header)
 * and @hono/node-server refusing to build a Request (a missing or invalid Host, a backslash in the path). Without
 * these, Node answers with an empty body, which a bank's script cannot read.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { AppError, type ErrorCodeName } from '../lib/errors.ts';

function envelope(code: ErrorCodeName, message: string): { status: number; body: string } {
  const e = new AppError(code, message);
  return { status: e.status, body: JSON.stringify({ error: { code: e.code, message: e.message } }) };
}

/** The server's 'clientError' listener: answers the parser's refusal with the envelope, then closes. */
export function onClientError(err: Error & { code?: string }, socket: Duplex): void {
  // A reset connection has nobody to answer. A socket with a response in progress (a pipelined request before
  // this one) cannot take ours: the client would read it as the answer to that earlier request.
  if (err.code === 'ECONNRESET' || !socket.writable || (socket as { _httpMessage?: unknown })._httpMessage) {
    socket.destroy();
    return;
  }
  const { status, body } =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? envelope('HEADERS_TOO_LARGE', 'The request headers are larger than the server accepts (16 KiB).')
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? envelope('REQUEST_TIMEOUT', 'The request headers did not arrive in time.')
        : envelope('BAD_REQUEST', 'The request is not valid HTTP.');
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=UTF-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** @hono/node-server's errorHandler: a request it cannot turn into a Request is the client's fault. */
export function onRequestError(err: unknown): Response {
  const { status, body } = envelope('BAD_REQUEST', `The request cannot be read: ${err instanceof Error ? err.message : String(err)}.`);
  return new Response(body, { status, headers: { 'content-type': 'application/json; charset=UTF-8' } });
}
