/**
 * The ClickHouse warehouse behind one narrow interface. Embedded chdb (default, on disk under DATA_DIR) and a
 * ClickHouse server (CLICKHOUSE_URL) share this code path and the same SQL; only the connection differs.
 * chdb allows one engine per process and one process per data folder, so in embedded mode the process that
 * creates this object owns the warehouse (see README "Process layout").
 */
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { Readable } from 'node:stream';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { COLUMNS, FACT_TABLE, FILE_TYPES, STAGING_TABLE, SYSTEM_COLUMNS, type FileType } from '../domain/columns.ts';
import { nativeColumns, storedChType } from '../domain/staged-rows.ts';
import { chDatabase } from '../domain/tenant-id.ts';

export interface WarehouseConfig {
  url: string | null;
  user: string;
  password: string;
  path: string;
}

/** Exact decimals as strings, big ints as strings: money must never pass through a float. */
const JSON_SETTINGS = {
  output_format_json_quote_decimals: 1,
  output_format_json_quote_64bit_integers: 1,
  output_format_decimal_trailing_zeros: 1,
} as const;

/**
 * Staged rows are unique by key (validation stages only a key's first row, spec §6), so ReplacingMergeTree's
 * de-duplication of each insert block would find nothing: skipping it saves a tenth of the engine's insert CPU.
 */
const INSERT_SETTINGS = { optimize_on_insert: 0 } as const;

/** Staged rows as Native blocks (domain/staged-rows.ts nativeBlock): one buffer, or parts to send in order. */
export type StagedBody = Uint8Array | readonly Uint8Array[];
export const stagedBytes = (b: StagedBody): number => (b instanceof Uint8Array ? b.byteLength : b.reduce((n, p) => n + p.byteLength, 0));
export const stagedParts = (b: StagedBody): readonly Uint8Array[] => (b instanceof Uint8Array ? [b] : b);

/** Writes the parts to a new file with as few system calls as the kernel allows (a body may arrive in 64 KiB reads). */
export async function writeParts(file: string, parts: readonly Uint8Array[]): Promise<void> {
  const fh = await fs.promises.open(file, 'w');
  try {
    for (let i = 0; i < parts.length; i += 1024) {
      const batch = parts.slice(i, i + 1024) as Uint8Array[]; // IOV_MAX buffers per call
      const want = stagedBytes(batch);
      const done = (await fh.writev(batch)).bytesWritten;
      // A short write (rare for a regular file): the rest of the batch, joined.
      if (done < want) {
        const rest = Buffer.concat(batch).subarray(done);
        for (let o = 0; o < rest.length; o += (await fh.write(rest, o)).bytesWritten);
      }
    }
  } finally {
    await fh.close();
  }
}

export interface Warehouse {
  readonly client: ClickHouseClient;
  readonly embedded: boolean;
  command(sql: string, params?: Record<string, unknown>): Promise<void>;
  query<T = Record<string, unknown>>(sql: string, params?: Record<string, unknown>): Promise<T[]>;
  /** A result as TabSeparated text: for long single-column lists, which JSON would make several times larger. */
  queryText(sql: string, params?: Record<string, unknown>): Promise<string>;
  /**
   * Inserts staged rows (Native blocks of the file's columns and source_row, domain/staged-rows.ts nativeBlock;
   * one batch) into a staging or fact table of `fileType` (`table` is a qualified() name); loan_type, sync_id and
   * loaded_at come from `fixed`. The batch may come in parts (a block per validated chunk): they are sent one after
   * the other, never joined into one buffer.
   */
  insertStaged(table: string, fileType: FileType, staged: StagedBody, fixed: FixedColumns): Promise<void>;
  /** The embedded engine's insert folder; absent for a ClickHouse server and for processes that do not own the engine. */
  readonly spool?: Spool;
  ensureTenant(tenantId: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Embedded inserts go through files in one folder, which the engine reads with its own reader. A process on the
 * same host that does not own the engine (the worker of the separate layout) writes its batches there itself and
 * names the file: the bytes then cross no socket (lib/warehouse-owner.ts).
 */
export interface Spool {
  readonly dir: string;
  /** Random, written into `dir` as SPOOL_OWNER_FILE when the engine opens: a client sees whether its `dir` is this one. */
  readonly token: string;
  /** Inserts the staged rows of the file `name` in `dir` (written whole before the call); removes it, inserted or not. */
  insertFile(table: string, fileType: FileType, name: string, fixed: FixedColumns): Promise<void>;
}

export const SPOOL_OWNER_FILE = '.owner';

/**
 * Whether `dir`, as this process sees it, is the spool folder holding `token` (not a folder of the same path on
 * another host or mount) and this process may write there.
 */
export function isOwnersSpool(dir: string, token: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return fs.readFileSync(path.join(dir, SPOOL_OWNER_FILE), 'utf8') === token;
  } catch {
    return false;
  }
}

/** The system columns one insert shares (spec §4): the sync's loan type, id and load time. */
export interface FixedColumns {
  loan_type: string;
  sync_id: string;
  /** `YYYY-MM-DD hh:mm:ss.sss`, UTC */
  loaded_at: string;
}

/** `INSERT INTO table (…) SELECT <staged columns>, <fixed columns> FROM <source>` for staged blocks of `ft`. */
function insertSelect(table: string, ft: FileType, source: (structure: string) => string): string {
  const cols = nativeColumns(ft);
  const structure = sqlString(cols.map((c) => `\`${c.name}\` ${c.chType}`).join(', '));
  const names = [...cols.map((c) => c.name), 'loan_type', 'sync_id', 'loaded_at'].map((n) => `\`${n}\``).join(', ');
  return `INSERT INTO ${table} (${names}) SELECT *, {lt:String}, {sid:UUID}, {at:DateTime64(3, 'UTC')} FROM ${source(structure)}`;
}
const sqlString = (s: string) => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

export async function openWarehouse(cfg: WarehouseConfig): Promise<Warehouse> {
  let client: ClickHouseClient;
  const embedded = cfg.url === null;
  // Embedded: batches go through a file the engine reads with its parallel parser, about 3× faster than handing
  // it the bytes (chdb's buffer insert), which in turn beats the client's insert (body → JS string → engine).
  let spool: Spool | undefined;
  let spooled = 0;
  if (embedded) {
    fs.mkdirSync(cfg.path, { recursive: true });
    const { createChdbConnection } = await import('chdb/connection');
    // Opening takes the folder's lock (a second process fails here), so the spool below is ours alone.
    client = createClient({ connection: createChdbConnection({ path: cfg.path }) as never });
    const dir = path.join(cfg.path, '..', 'insert-spool');
    fs.rmSync(dir, { recursive: true, force: true }); // files left by a killed process
    fs.mkdirSync(dir, { recursive: true });
    const token = crypto.randomBytes(16).toString('hex');
    fs.writeFileSync(path.join(dir, SPOOL_OWNER_FILE), token);
    spool = {
      dir,
      token,
      async insertFile(table, fileType, name, fixed) {
        const file = path.join(dir, name);
        try {
          // The path is ours, but DATA_DIR is free text: quoted as a SQL string literal, like the structure.
          await client.command({
            query: insertSelect(table, fileType, (structure) => `file(${sqlString(file)}, 'Native', ${structure})`),
            query_params: { lt: fixed.loan_type, sid: fixed.sync_id, at: fixed.loaded_at },
            clickhouse_settings: INSERT_SETTINGS,
          });
        } finally {
          await fs.promises.rm(file, { force: true });
        }
      },
    };
  } else {
    client = createClient({
      url: cfg.url!,
      username: cfg.user,
      password: cfg.password,
      request_timeout: 600_000,
      max_open_connections: 16,
      // Failures reach our own structured log through the callers; the client's console dump would duplicate them.
      log: { level: ClickHouseLogLevel.OFF },
      // Progress headers keep a long REPLACE PARTITION or INSERT … SELECT from being cut by an idle proxy.
      clickhouse_settings: { wait_end_of_query: 1, send_progress_in_http_headers: 1, http_headers_progress_interval_ms: '110000' },
    });
  }
  const ensured = new Set<string>();
  const wh: Warehouse = {
    client,
    embedded,
    async command(sql, params) {
      await client.command({ query: sql, query_params: params });
    },
    async query<T>(sql: string, params?: Record<string, unknown>) {
      const rs = await client.query({ query: sql, query_params: params, format: 'JSONEachRow', clickhouse_settings: JSON_SETTINGS });
      return (await rs.json()) as T[];
    },
    async queryText(sql, params) {
      return (await client.query({ query: sql, query_params: params, format: 'TabSeparated' })).text();
    },
    spool,
    async insertStaged(table, fileType, staged, fixed) {
      if (stagedBytes(staged) === 0) return;
      const params = { lt: fixed.loan_type, sid: fixed.sync_id, at: fixed.loaded_at };
      if (spool) {
        const name = `${process.pid}-${++spooled}.native`;
        try {
          await writeParts(path.join(spool.dir, name), stagedParts(staged));
        } catch (err) {
          await fs.promises.rm(path.join(spool.dir, name), { force: true });
          throw err;
        }
        return spool.insertFile(table, fileType, name, fixed);
      }
      // A server reads the body through input(): the same statement, the blocks streamed as the request body.
      const rs = await client.exec({
        query: `${insertSelect(table, fileType, (structure) => `input(${structure})`)} FORMAT Native`,
        query_params: params,
        values: Readable.from(stagedParts(staged), { objectMode: false }),
        clickhouse_settings: INSERT_SETTINGS,
      });
      rs.stream.destroy();
    },
    async ensureTenant(tenantId) {
      if (ensured.has(tenantId)) return;
      for (const sql of tenantDDL(tenantId)) await client.command({ query: sql });
      ensured.add(tenantId);
    },
    async close() {
      await client.close();
    },
  };
  // Fail fast (and surface chdb's "Cannot lock file" when another process owns the folder).
  await wh.query('SELECT 1');
  return wh;
}

/** Column list of a warehouse table in storage order: the file's columns, then the system columns (spec §4). */
export function warehouseColumns(ft: FileType): { name: string; chType: string }[] {
  return [
    ...COLUMNS[ft].map((c) => ({ name: c.name, chType: storedChType(c) })),
    ...SYSTEM_COLUMNS.map((c) => ({ name: c.name, chType: c.chType })),
  ];
}

/** Snapshot of the fact partitions taken by a commit, so a commit that fails half-way can be rolled back. */
export const BACKUP_TABLE: Record<FileType, string> = { credit: 'bak_credit', payment_plan: 'bak_payment' };


const ORDER_BY: Record<FileType, string> = {
  credit: '(loan_account_number)',
  payment_plan: '(loan_account_number, installment_number)',
};

/**
 * Staging parts are written Compact (all columns in one data file) rather than Wide (two files per column): a
 * batch's part is then a dozen files, not 40–80, and creating files was most of the engine's system time for an
 * insert (ext4 inode allocation: the M payment file's inserts 2.9 k files → 0.8 k, ≈ 2 s of CPU less). Parts keep
 * their format through REPLACE PARTITION; the fact table's merges write Wide parts as usual.
 */
const STAGING_SETTINGS = 'min_bytes_for_wide_part = 1073741824';

/** DDL generated from the column definitions: fact tables and identically shaped staging tables. */
export function tenantDDL(tenantId: string): string[] {
  const db = chDatabase(tenantId);
  const out = [`CREATE DATABASE IF NOT EXISTS \`${db}\``];
  for (const ft of FILE_TYPES) {
    const cols = warehouseColumns(ft)
      .map((c) => `  \`${c.name}\` ${c.chType}`)
      .join(',\n');
    const body = `(\n${cols}\n) ENGINE = ReplacingMergeTree(loaded_at) PARTITION BY loan_type ORDER BY ${ORDER_BY[ft]}`;
    // REPLACE PARTITION needs the staging table to match structure, partition key and order exactly.
    out.push(`CREATE TABLE IF NOT EXISTS \`${db}\`.\`${FACT_TABLE[ft]}\` ${body}`);
    out.push(`CREATE TABLE IF NOT EXISTS \`${db}\`.\`${STAGING_TABLE[ft]}\` ${body} SETTINGS ${STAGING_SETTINGS}`);
    // Staging tables created before the setting get it too.
    out.push(`ALTER TABLE \`${db}\`.\`${STAGING_TABLE[ft]}\` MODIFY SETTING ${STAGING_SETTINGS}`);
    out.push(`CREATE TABLE IF NOT EXISTS \`${db}\`.\`${BACKUP_TABLE[ft]}\` ${body}`);
  }
  return out;
}

export const qualified = (tenantId: string, table: string) => `\`${chDatabase(tenantId)}\`.\`${table}\``;
