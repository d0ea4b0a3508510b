// Container health check for every role of the findata image (plain Node, no curl in the slim image).
//   FINDATA_ROLE=worker      GET http://127.0.0.1:$WORKER_METRICS_PORT/healthz (falls back to /metrics
//                            while a worker build without /healthz answers 404 there)
//   FINDATA_ROLE=warehouse   GET http://127.0.0.1:$WAREHOUSE_METRICS_PORT/healthz (the embedded engine answers)
//   FINDATA_ROLE=api | all   GET http://127.0.0.1:$PORT/api/health, expects {"status":"ok"}
// Exit 0 = healthy, 1 = unhealthy; one line on stdout either way (shown by `docker inspect`).
const env = process.env;
const role = env.FINDATA_ROLE || 'all';
const timeoutMs = Number(env.HEALTHCHECK_TIMEOUT_MS || 4000);

async function get(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const body = await res.text();
  return { status: res.status, body };
}

async function check() {
  if (role === 'warehouse') {
    const url = `http://127.0.0.1:${env.WAREHOUSE_METRICS_PORT || 9466}/healthz`;
    const h = await get(url);
    if (h.status !== 200) throw new Error(`${url} answered ${h.status}: ${h.body.slice(0, 200)}`);
    return `warehouse ok (${url})`;
  }
  if (role === 'worker') {
    const base = `http://127.0.0.1:${env.WORKER_METRICS_PORT || 9465}`;
    const h = await get(`${base}/healthz`);
    if (h.status === 200) return `worker ok (${base}/healthz)`;
    if (h.status === 404) {
      const m = await get(`${base}/metrics`);
      if (m.status === 200) return `worker ok (${base}/metrics)`;
      throw new Error(`${base}/metrics answered ${m.status}`);
    }
    throw new Error(`${base}/healthz answered ${h.status}: ${h.body.slice(0, 200)}`);
  }
  const url = `http://127.0.0.1:${env.PORT || 8000}/api/health`;
  const h = await get(url);
  if (h.status !== 200) throw new Error(`${url} answered ${h.status}: ${h.body.slice(0, 200)}`);
  let status;
  try {
    status = JSON.parse(h.body).status;
  } catch {
    throw new Error(`${url} answered 200 but not JSON: ${h.body.slice(0, 200)}`);
  }
  if (status !== 'ok') throw new Error(`${url} status is ${JSON.stringify(status)}`);
  return `${role} ok (${url})`;
}

check().then(
  (msg) => {
    console.log(msg);
    process.exit(0);
  },
  (err) => {
    console.log(`unhealthy: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
