/**
 * Authenticated API load from a separate process on loopback: bounded by request count and time.
 * usage: tsx scripts/bench-load.ts <base url> <api key> <path> <seconds> <concurrency>   → one JSON line
 */
import http from 'node:http';

const [base, key, path, seconds, concurrency] = process.argv.slice(2);
const url = new URL(path, base);
if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) throw new Error('load runs only against loopback');
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(concurrency) });
const latencies: number[] = [];
let errors = 0;
const deadline = Date.now() + Number(seconds) * 1000;
const MAX_REQUESTS = 2_000_000;

function once(): Promise<void> {
  return new Promise((resolve) => {
    const t = process.hrtime.bigint();
    const req = http.get(url, { agent, headers: { authorization: `Api-Key ${key}` } }, (res) => {
      res.resume();
      res.on('end', () => {
        latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
        if (res.statusCode !== 200) errors++;
        resolve();
      });
    });
    req.on('error', () => {
      errors++;
      resolve();
    });
  });
}

async function loop() {
  while (Date.now() < deadline && latencies.length + errors < MAX_REQUESTS) await once();
}

const start = Date.now();
await Promise.all(Array.from({ length: Number(concurrency) }, loop));
const elapsed = (Date.now() - start) / 1000;
latencies.sort((a, b) => a - b);
const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
process.stdout.write(JSON.stringify({ path, requests: latencies.length, errors, rps: latencies.length / elapsed, p50_ms: q(0.5), p99_ms: q(0.99) }) + '\n');
agent.destroy();
