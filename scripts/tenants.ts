/**
 * Tenant CLI: npm run tenants -- create <id> --name "<name>" [--json] | list [--json] | rotate-key <id> [--json]
 *                                | deactivate <id> | activate <id>
 * Works while the platform runs. Without DATABASE_URL it uses (and if needed starts) the local services of
 * DATA_DIR. The embedded warehouse belongs to the running server: when its folder is locked, the CLI asks the
 * server (PostgreSQL NOTIFY) to create the tenant's warehouse database instead of opening it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { ConfigError, parseConfig, type Config } from '../lib/config.ts';
import { createDb } from '../lib/db.ts';
import { migrateAllTenants, migratePublic } from '../lib/migrations.ts';
import { createRedis } from '../lib/redis.ts';
import { createCache } from '../lib/cache.ts';
import { silentLogger } from '../lib/logger.ts';
import { openWarehouse, type Warehouse } from '../lib/warehouse.ts';
import { connectTemporal, createSyncControl } from '../lib/temporal.ts';
import { createTenantService } from '../lib/tenants.ts';
import { isAppError } from '../lib/errors.ts';
import { invalidateAuth } from '../api/middleware/auth.ts';
import { TENANT_CHANNEL, ownerFile } from '../server/platform.ts';

const USAGE = `usage: npm run tenants -- <command>
  create <id> --name "<name>" [--json]   provision a tenant; prints its API key once
  list [--json]                          list tenants
  rotate-key <id> [--json]               issue a new key; the old one stops working at once
  deactivate <id>                        refuse its key and pause its schedule
  activate <id>                          undo deactivate`;

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function fail(msg: string, code = 2): never {
  process.stderr.write(`${msg}\n`);
  process.exit(code);
}

function localEnv(): Record<string, string | undefined> {
  const env = { ...process.env };
  if (env.DATABASE_URL) return env;
  // No servers named: use the local ones of DATA_DIR (started if they are not running).
  const out = execFileSync('bash', [path.join(REPO, 'scripts/services.sh'), 'up'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  for (const line of out.split('\n')) {
    const m = /^export ([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2].replace(/^['"]|['"]$/g, '');
  }
  return env;
}

/** Is a live server process holding the embedded warehouse of this data folder? */
function warehouseOwnerAlive(config: Config): boolean {
  try {
    const pid = Number(fs.readFileSync(ownerFile(config.dataDir), 'utf8'));
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function warehouseHook(config: Config, db: pg.Pool): { ensure(id: string): Promise<void>; close(): Promise<void> } {
  let wh: Warehouse | null = null;
  // The running server provisions on our behalf (it LISTENs), and reconciles every tenant at startup anyway.
  const notify = async (id: string) => void (await db.query('SELECT pg_notify($1, $2)', [TENANT_CHANNEL, id]));
  return {
    async ensure(id) {
      if (config.clickhouse.url === null && warehouseOwnerAlive(config)) return notify(id);
      try {
        wh ??= await openWarehouse(config.clickhouse);
      } catch (err) {
        if (config.clickhouse.url !== null) throw err;
        return notify(id);
      }
      await wh.ensureTenant(id);
    },
    close: async () => void (await wh?.close()),
  };
}

async function main() {
  const [cmd, ...rest] = process.argv.slice(2);
  if (!cmd || cmd === '--help' || cmd === 'help') fail(USAGE, cmd ? 0 : 2);
  const json = rest.includes('--json');
  const args = rest.filter((a) => a !== '--json');
  let config: Config;
  try {
    config = parseConfig({ DEMO_TENANTS: 'false', ...localEnv() });
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, 1);
    throw err;
  }
  const db = createDb(config.databaseUrl, 2);
  await migratePublic(db);
  await migrateAllTenants(db);
  const redis = createRedis(config.redisCacheUrl, 'findata-cli');
  const cache = createCache(redis, silentLogger);
  const needsTemporal = cmd !== 'list';
  const temporal = needsTemporal ? await connectTemporal(config.temporal) : null;
  const sync = temporal ? createSyncControl(temporal, config.temporal) : null;
  const wh = cmd === 'create' ? warehouseHook(config, db) : null;
  const tenants = createTenantService(db, {
    ensureWarehouse: wh ? (id) => wh.ensure(id) : undefined,
    ensureSchedule: sync ? (id, active) => sync.ensureSchedule(id, active, config.syncIntervalSeconds) : undefined,
    invalidateAuth: (id, prefix) => invalidateAuth({ cache }, id, prefix),
  });
  try {
    switch (cmd) {
      case 'create': {
        const id = args[0];
        const nameIdx = args.indexOf('--name');
        const name = nameIdx >= 0 ? args[nameIdx + 1] : undefined;
        if (!id || id.startsWith('--') || !name) fail(`create needs <id> and --name "<name>"\n${USAGE}`);
        const { tenant, apiKey } = await tenants.create(id, name);
        if (json) process.stdout.write(JSON.stringify({ tenant_id: tenant.id, api_key: apiKey }) + '\n');
        else {
          process.stdout.write(`Created tenant ${tenant.id} (${tenant.name}): PostgreSQL schema "${tenant.pg_schema}", ClickHouse database ${tenant.ch_database}.\n`);
          process.stdout.write(`API key (shown once, store it safely):\n${apiKey}\n`);
        }
        break;
      }
      case 'list': {
        const all = await tenants.list();
        if (json) process.stdout.write(JSON.stringify(all.map((t) => ({ tenant_id: t.id, name: t.name, active: t.active, api_key_prefix: t.api_key_prefix, created_at: t.created_at }))) + '\n');
        else for (const t of all) process.stdout.write(`${t.id.padEnd(32)} ${t.active ? 'active  ' : 'inactive'} ${t.api_key_prefix}…  ${t.name}\n`);
        break;
      }
      case 'rotate-key': {
        if (!args[0]) fail(`rotate-key needs <id>\n${USAGE}`);
        const { tenant, apiKey } = await tenants.rotateKey(args[0]);
        if (json) process.stdout.write(JSON.stringify({ tenant_id: tenant.id, api_key: apiKey }) + '\n');
        else process.stdout.write(`New API key for ${tenant.id} (shown once; the old key no longer works):\n${apiKey}\n`);
        break;
      }
      case 'deactivate':
      case 'activate': {
        if (!args[0]) fail(`${cmd} needs <id>\n${USAGE}`);
        const t = await tenants.setActive(args[0], cmd === 'activate');
        process.stdout.write(`Tenant ${t.id} is now ${t.active ? 'active' : 'inactive (key refused, schedule paused)'}.\n`);
        break;
      }
      default:
        fail(`unknown command "${cmd}"\n${USAGE}`);
    }
  } catch (err) {
    if (isAppError(err)) fail(`error: ${err.message}`, 1);
    throw err;
  } finally {
    await wh?.close();
    await temporal?.connection.close();
    redis.disconnect();
    await db.end();
  }
}

main().then(
  () => process.exit(0),
  (err) => fail(`error: ${err instanceof Error ? err.message : String(err)}`, 1),
);
