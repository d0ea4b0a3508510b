/** Runs a whole findata process (server/main.ts) as a child, so a test can SIGKILL and restart it. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/**
 * PIDs of a process's children whose command line contains `match` (the API processes of a cluster primary run
 * server/main.ts; tsx may also run an esbuild service as a child), from /proc.
 */
export function childPids(parent: number, match = 'server/main.ts'): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      // Fields after the command name (which may hold spaces): state, ppid, …
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== parent) continue;
      if (fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(match)) out.push(Number(d));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

export interface Child {
  proc: ChildProcess;
  url: string;
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function startChild(env: Record<string, string>, timeoutMs = 60_000): Promise<Child> {
  const port = env.PORT;
  // e.g. FINDATA_CHILD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the benchmark's server.
  const extra = (process.env.FINDATA_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = spawn(process.execPath, [...extra, '--import', 'tsx', 'server/main.ts'], {
    env: { ...process.env, DEMO_TENANTS: 'false', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  // Worker- and warehouse-role processes have no API: they are ready when their metrics server says so.
  const worker = env.FINDATA_ROLE === 'worker' || env.FINDATA_ROLE === 'warehouse';
  const metricsPort = env.FINDATA_ROLE === 'warehouse' ? env.WAREHOUSE_METRICS_PORT : env.WORKER_METRICS_PORT;
  const url = worker ? `http://127.0.0.1:${metricsPort}` : `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`child exited ${proc.exitCode}: ${out}`);
    try {
      const r = await fetch(worker ? `${url}/healthz` : `${url}/api/health`);
      if (r.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`child did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    proc,
    url,
    output: () => out,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const done = new Promise((r) => proc.once('exit', r));
      proc.kill(signal);
      await done;
    },
  };
}
