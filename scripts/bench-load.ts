/**
 * Authenticated API load from a separate process on loopback: bounded by request count and time.
 * usage: tsx scripts/bench-load.ts <base url> <api key> <path> <seconds> <concurrency> [warm-up seconds]   → one JSON line
 *
 * The warm-up (default 0) runs the same load first and is reported apart (`warmup`): the first seconds of a
 * process's first requests on an endpoint measure V8 compiling its code (p99 20–30 ms for GET sync logs, 5–10 ms
 * once compiled), which a server in service has long done.
 *
 * Each connection is a raw keep-alive socket with one request in flight and a minimal response parser
 * (status, Content-Length or chunked): Node's http client costs about a core at 5k req/s, which on a 2-core
 * machine would measure the load generator instead of the server (the way autocannon and wrk do it too).
 */
import net from 'node:net';

const [base, key, path, seconds, concurrency, warmupSeconds = '0'] = process.argv.slice(2);
const url = new URL(path, base);
if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) throw new Error('load runs only against loopback');
const request = Buffer.from(
  `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Api-Key ${key}\r\nAccept: application/json\r\nConnection: keep-alive\r\n\r\n`,
);
let latencies: number[] = [];
let errors = 0;
let deadline = 0;
const MAX_REQUESTS = 2_000_000;
const HEADER_END = Buffer.from('\r\n\r\n');
const CHUNKED_END = Buffer.from('\r\n0\r\n\r\n');

/** Length of the first complete response in buf, or -1 while it is incomplete; status via the callback. */
function responseLength(buf: Buffer): { length: number; status: number } | null {
  const he = buf.indexOf(HEADER_END);
  if (he < 0) return null;
  const head = buf.toString('latin1', 0, he);
  const status = Number(head.slice(9, 12));
  const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (cl) {
    const total = he + 4 + Number(cl[1]);
    return buf.length >= total ? { length: total, status } : null;
  }
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
    const end = buf.indexOf(CHUNKED_END, he);
    return end >= 0 ? { length: end + CHUNKED_END.length, status } : null;
  }
  return { length: he + 4, status };
}

function connection(): Promise<void> {
  return new Promise((resolve) => {
    const sock = net.connect(Number(url.port), url.hostname.replace(/^\[|\]$/g, ''));
    sock.setNoDelay(true);
    let buf = Buffer.alloc(0);
    let t = 0n;
    const send = () => {
      if (Date.now() >= deadline || latencies.length + errors >= MAX_REQUESTS) {
        sock.end();
        return resolve();
      }
      t = process.hrtime.bigint();
      sock.write(request);
    };
    sock.on('connect', send);
    sock.on('data', (d) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      const r = responseLength(buf);
      if (!r) return;
      latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
      if (r.status !== 200) errors++;
      buf = buf.subarray(r.length);
      send();
    });
    sock.on('error', () => {
      errors++;
      resolve();
    });
    sock.on('close', () => resolve());
  });
}

/** Runs the load for `secs` and summarizes it. */
async function phase(secs: number) {
  latencies = [];
  errors = 0;
  const start = Date.now();
  deadline = start + secs * 1000;
  await Promise.all(Array.from({ length: Number(concurrency) }, connection));
  const elapsed = (Date.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { requests: latencies.length, errors, rps: latencies.length / elapsed, p50_ms: q(0.5), p99_ms: q(0.99), max_ms: q(1) };
}

const warmup = Number(warmupSeconds) > 0 ? await phase(Number(warmupSeconds)) : null;
process.stdout.write(JSON.stringify({ path, ...(await phase(Number(seconds))), warmup }) + '\n');
