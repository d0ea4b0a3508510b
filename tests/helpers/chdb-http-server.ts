/**
 * A stand-in ClickHouse *server* for tests: the same embedded engine findata uses (chdb, ClickHouse 26.x)
 * served over the part of the ClickHouse HTTP interface that @clickhouse/client speaks. It runs in its own
 * process, so a test can point findata at it with CLICKHOUSE_URL (the remote code path of compose) and
 * SIGKILL / restart it to get a real network outage of the warehouse — there is no ClickHouse server binary
 * on these machines.
 *
 *   node --import tsx tests/helpers/chdb-http-server.ts <port> <data-dir>
 *
 * Protocol subset (what findata needs, not a general server): GET /ping; POST / with the SQL in the body, or (inserts) the statement in `query=` and
 * the data in the body (text, or any bytes for `… FROM input(structure) FORMAT <format>`, which chdb's connection
 * cannot take as values: they are read from a file instead); `param_*` query parameters; other URL parameters are settings; errors as status 500
 * with ClickHouse's `Code: N. DB::Exception: …` body and the X-ClickHouse-Exception-Code header.
 */
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { Readable } from 'node:stream';
import { createChdbConnection } from 'chdb/connection';

const [portArg, dataDir] = process.argv.slice(2);
if (!portArg || !dataDir) {
  console.error('usage: chdb-http-server.ts <port> <data-dir>');
  process.exit(2);
}
const conn = createChdbConnection({ path: dataDir }) as any;

/** Bodies of `input()` inserts spooled so far (their file names). */
let inputs = 0;
/** URL parameters that are request metadata rather than settings. */
const META = new Set(['query', 'query_id', 'database', 'session_id', 'role', 'user', 'password']);

/**
 * HTTP query parameters arrive in ClickHouse's escaped text form, and chdb's binder escapes strings once more:
 * undo one level. Enough for scalar parameters (findata binds only String and integers); nested literals
 * such as Array(String) would need the text passed through untouched, which the chdb binder does not offer.
 */
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '0': '\0' };
function unescapeText(v: string): string {
  return v.replace(/\\(.)/gs, (_, c: string) => ESCAPES[c] ?? c);
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks);
  return req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw) : raw;
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/ping') {
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('Ok.\n');
    return;
  }
  const body = await readBody(req);
  const queryParams: Record<string, string> = {};
  const settings: Record<string, string | number> = {};
  for (const [k, v] of url.searchParams) {
    if (k.startsWith('param_')) queryParams[k.slice('param_'.length)] = unescapeText(v);
    else if (!META.has(k)) settings[k] = /^-?\d+$/.test(v) ? Number(v) : v;
  }
  const inUrl = url.searchParams.get('query');
  let query = inUrl ?? body.toString('utf8');
  let values = inUrl !== null && body.length > 0 ? Readable.from([body]) : undefined;
  let spooled: string | null = null;
  const input = inUrl !== null ? /\binput\(('(?:[^'\\]|\\.)*')\)\s+FORMAT\s+(\w+)\s*$/s.exec(inUrl) : null;
  if (input) {
    spooled = path.join(path.resolve(dataDir), '..', `input-${process.pid}-${++inputs}.bin`);
    fs.writeFileSync(spooled, body);
    query = `${inUrl!.slice(0, input.index)}file('${spooled}', '${input[2]}', ${input[1]})`;
    values = undefined;
  }
  const gzip = settings.enable_http_compression === 1 && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  delete settings.enable_http_compression;
  try {
    const result = await conn.exec({ query, values, query_params: queryParams, clickhouse_settings: settings });
    const chunks: Buffer[] = [];
    for await (const c of result.stream) chunks.push(c as Buffer);
    const out = Buffer.concat(chunks);
    const headers: Record<string, string> = { 'Content-Type': 'text/plain; charset=UTF-8', 'X-ClickHouse-Query-Id': result.query_id };
    if (gzip) headers['Content-Encoding'] = 'gzip';
    res.writeHead(200, headers).end(gzip ? zlib.gzipSync(out) : out);
  } catch (err) {
    const e = err as { code?: string; type?: string; message?: string };
    const code = e.code ?? '1001';
    const text = `Code: ${code}. DB::Exception: ${e.message ?? String(err)}. (${e.type ?? 'STD_EXCEPTION'})\n`;
    res.writeHead(500, { 'Content-Type': 'text/plain; charset=UTF-8', 'X-ClickHouse-Exception-Code': code }).end(text);
  } finally {
    if (spooled) fs.rmSync(spooled, { force: true });
  }
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    if (!res.headersSent) res.writeHead(500).end(`Code: 1001. DB::Exception: ${String(err)}. (STD_EXCEPTION)\n`);
  });
});
server.listen(Number(portArg), '127.0.0.1', () => console.log(`chdb-http-server listening on 127.0.0.1:${portArg}`));
const stop = () => server.close(() => conn.close().finally(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
