import type { Config } from '../lib/config.ts';
import type { Db } from '../lib/db.ts';
import type { Redises } from '../lib/redis.ts';
import type { Cache } from '../lib/cache.ts';
import type { Warehouse } from '../lib/warehouse.ts';
import type { SyncControl } from '../lib/temporal.ts';
import type { TenantService } from '../lib/tenants.ts';
import type { Metrics } from '../lib/metrics.ts';
import type { Logger } from '../lib/logger.ts';

/** Everything the HTTP layer uses, built once by server/main.ts (or by a test) and passed in. */
export interface ApiServices {
  config: Config;
  db: Db;
  redis: Redises;
  cache: Cache;
  warehouse: Warehouse;
  sync: SyncControl;
  tenants: TenantService;
  metrics: Metrics;
  log: Logger;
  /** HMAC key for the auth cache (a cache hit still proves the presented key without PBKDF2). */
  authSecret: Buffer;
  /** HMAC key for session cookies. */
  sessionSecret: Buffer;
  /** Directory of the built web app (index.html + assets), or null when not built. */
  webDist: string | null;
}

export interface AuthContext {
  tenantId: string;
  prefix: string;
  via: 'api-key' | 'session';
}

export type AppEnv = {
  Variables: {
    requestId: string;
    services: ApiServices;
    auth: AuthContext;
    log: Logger;
  };
};
