/** Raw HTTP for tests that control bytes, headers and source addresses exactly (fetch cannot). */
import crypto from 'node:crypto';
import type http from 'node:http';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON, or null when it is not JSON. */
  json: any;
}

/** Reads a whole response body. */
export function readResponse(res: http.IncomingMessage): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    res.on('data', (c: Buffer) => parts.push(c));
    res.on('error', reject);
    res.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8');
      let json: any = null;
      try {
        json = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      resolve({ status: res.statusCode!, headers: res.headers, text, json });
    });
  });
}

/** A random loopback source address: the failed-auth limiter counts per address, so tests stay independent. */
export function loopbackAddress(): string {
  const octet = () => 2 + crypto.randomInt(250);
  return `127.${octet()}.${octet()}.${octet()}`;
}

/** Sends a body (bytes or a stream of chunks, with backpressure), stopping early when the server already answered. */
export async function writeBody(req: http.ClientRequest, body: Buffer | AsyncIterable<Buffer> | undefined, stopped: () => boolean): Promise<void> {
  try {
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else {
      for await (const chunk of body) {
        if (req.destroyed || stopped()) break;
        if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
      }
      if (!req.destroyed) req.end();
    }
  } catch {
    /* the server answered and closed (or reset) first */
  }
}
