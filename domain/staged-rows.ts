/**
 * Staged rows: how valid rows travel from validation to the warehouse's staging table. They are ClickHouse
 * RowBinary (https://clickhouse.com/docs/interfaces/formats/RowBinary) of the file's columns in columns.ts order,
 * then source_row; the warehouse adds loan_type, sync_id and loaded_at in the INSERT (they are the same for every
 * row of a sync). RowBinary because the engine reads it at a third of the CPU typed TabSeparated costs it
 * (`scripts/bench-insert.ts`), and the engine shares the machine with validation.
 *
 * The layout of each column comes from its ClickHouse type, which comes from columns.ts: one source of truth for
 * the DDL, the validator and these bytes. StagedRowEncoder writes the full validator's normalized values; the fast
 * path (domain/fast-row.ts) writes the same bytes itself and reads each column's layout from here.
 */
import { COLUMNS, SYSTEM_COLUMNS, isNullable, type ColumnDef, type FileType } from './columns.ts';

/** The stored type of a file column: Nullable where the column may be empty (LowCardinality stays outside). */
export function storedChType(c: ColumnDef): string {
  if (!isNullable(c)) return c.chType;
  const lc = /^LowCardinality\((.*)\)$/.exec(c.chType);
  return lc ? `LowCardinality(Nullable(${lc[1]}))` : `Nullable(${c.chType})`;
}

/** Columns of a staged row, in order: the file's columns, then source_row. */
export function stagedColumns(ft: FileType): { name: string; chType: string }[] {
  const sourceRow = SYSTEM_COLUMNS.find((c) => c.name === 'source_row')!;
  return [...COLUMNS[ft].map((c) => ({ name: c.name, chType: storedChType(c) })), { name: sourceRow.name, chType: sourceRow.chType }];
}

export const L_STRING = 0;
export const L_UINT = 1;
export const L_DECIMAL = 2;
export const L_DATE32 = 3;

/** How one column is written in RowBinary. */
export interface ColumnLayout {
  nullable: boolean;
  kind: typeof L_STRING | typeof L_UINT | typeof L_DECIMAL | typeof L_DATE32;
  /** Bytes of a UInt or Decimal (4 or 8 for Decimal). */
  width: number;
  /** Decimal scale. */
  scale: number;
}

/** The RowBinary layout of a ClickHouse type findata stores (throws for any other type). */
export function columnLayout(chType: string): ColumnLayout {
  let t = chType;
  let nullable = false;
  for (;;) {
    const m = /^(LowCardinality|Nullable)\((.*)\)$/.exec(t);
    if (!m) break;
    if (m[1] === 'Nullable') nullable = true;
    t = m[2];
  }
  if (t === 'String') return { nullable, kind: L_STRING, width: 0, scale: 0 };
  if (t === 'Date32') return { nullable, kind: L_DATE32, width: 4, scale: 0 };
  const u = /^UInt(8|16|32)$/.exec(t);
  if (u) return { nullable, kind: L_UINT, width: Number(u[1]) / 8, scale: 0 };
  const d = /^Decimal\((\d+), ?(\d+)\)$/.exec(t);
  if (d && Number(d[1]) <= 18) return { nullable, kind: L_DECIMAL, width: Number(d[1]) <= 9 ? 4 : 8, scale: Number(d[2]) };
  throw new Error(`staged rows: no RowBinary layout for ${chType}`);
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Date32's value). */
export function daysFromCivil(y: number, m: number, d: number): number {
  // Howard Hinnant's days_from_civil: exact for every year, no Date object.
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = ((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 | 0) + d - 1;
  const doe = yoe * 365 + ((yoe / 4) | 0) - ((yoe / 100) | 0) + doy;
  return era * 146097 + doe - 719468;
}

const TWO32 = 4294967296;

/** Growable output of staged rows (transferable slices), written by the fast path and by StagedRowEncoder. */
export class StagedSink {
  buf: Uint8Array;
  view: Buffer;
  pos = 0;
  rows = 0;

  constructor(capacity = 1 << 16) {
    this.buf = new Uint8Array(capacity);
    this.view = Buffer.from(this.buf.buffer, 0, capacity);
  }

  /** Room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
    this.view = Buffer.from(b.buffer, 0, cap);
  }

  /** Drops what was written since the last take (a run that failed midway). */
  reset(): void {
    this.pos = 0;
    this.rows = 0;
  }

  /** The rows written since the last take, in a buffer of their own (transferable); null when none. */
  take(): Uint8Array | null {
    if (this.rows === 0) return null;
    const out = this.buf.slice(0, this.pos);
    this.pos = 0;
    this.rows = 0;
    return out;
  }
}

/** LEB128, RowBinary's length prefix. */
export function writeVarUint(out: Uint8Array, p: number, v: number): number {
  while (v >= 0x80) {
    out[p++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  out[p++] = v;
  return p;
}

/** A non-negative integer below 2^53 as little-endian bytes of `width`. */
export function writeUintLE(out: Uint8Array, p: number, v: number, width: number): number {
  if (width === 8) {
    // ToUint32 is v modulo 2^32 for any integer below 2^53, and cheaper than a floating-point remainder.
    const lo = v >>> 0;
    const hi = v < TWO32 ? 0 : (v - lo) / TWO32;
    out[p] = lo & 0xff;
    out[p + 1] = (lo >>> 8) & 0xff;
    out[p + 2] = (lo >>> 16) & 0xff;
    out[p + 3] = lo >>> 24;
    out[p + 4] = hi & 0xff;
    out[p + 5] = (hi >>> 8) & 0xff;
    out[p + 6] = (hi >>> 16) & 0xff;
    out[p + 7] = hi >>> 24;
    return p + 8;
  }
  for (let i = 0; i < width; i++) {
    out[p + i] = v & 0xff;
    v >>>= 8;
  }
  return p + width;
}

/** Encodes the full validator's normalized values (strings, null for no value) as staged rows. */
export class StagedRowEncoder {
  readonly layouts: ColumnLayout[];
  private readonly names: string[];

  constructor(readonly fileType: FileType) {
    const cols = stagedColumns(fileType).slice(0, -1);
    this.layouts = cols.map((c) => columnLayout(c.chType));
    this.names = cols.map((c) => c.name);
  }

  /** One valid row: its values in column order, and its row number in the file (source_row). */
  writeRow(sink: StagedSink, values: readonly (string | null)[], row: number): void {
    let bound = 4;
    for (const v of values) bound += v === null ? 1 : v.length * 3 + 10;
    sink.ensure(bound);
    let p = sink.pos;
    for (let k = 0; k < this.layouts.length; k++) p = this.writeValue(sink, p, k, values[k] ?? null);
    sink.pos = writeUintLE(sink.buf, p, row, 4);
    sink.rows++;
  }

  /** The bytes of one value of column k (the fast path's defaults and code labels). */
  valueBytes(k: number, v: string | null): Uint8Array {
    const s = new StagedSink(v === null ? 16 : v.length * 3 + 16);
    return s.buf.slice(0, this.writeValue(s, 0, k, v));
  }

  private writeValue(sink: StagedSink, p: number, k: number, v: string | null): number {
    const l = this.layouts[k];
    const out = sink.buf;
    if (v === null) {
      if (!l.nullable) throw new Error(`staged rows: ${this.names[k]} has no value but is not Nullable`);
      out[p++] = 1;
      return p;
    }
    if (l.nullable) out[p++] = 0;
    switch (l.kind) {
      case L_STRING: {
        const len = Buffer.byteLength(v, 'utf8');
        p = writeVarUint(out, p, len);
        return p + sink.view.write(v, p, 'utf8');
      }
      case L_UINT: {
        const n = Number(v);
        if (!/^\d+$/.test(v) || n >= 2 ** (8 * l.width)) throw new Error(`staged rows: ${this.names[k]} = ${v} does not fit UInt${8 * l.width}`);
        return writeUintLE(out, p, n, l.width);
      }
      case L_DATE32: {
        const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
        if (!m) throw new Error(`staged rows: ${this.names[k]} = ${v} is not a YYYY-MM-DD date`);
        sink.view.writeInt32LE(daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3])), p);
        return p + 4;
      }
      default: {
        const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(v);
        if (!m || (m[3] ?? '').length > l.scale) throw new Error(`staged rows: ${this.names[k]} = ${v} does not fit Decimal scale ${l.scale}`);
        const digits = m[2] + (m[3] ?? '').padEnd(l.scale, '0');
        if (l.width === 4) sink.view.writeInt32LE(Number(m[1] + digits), p);
        else if (m[1] === '' && digits.length <= 15) writeUintLE(out, p, Number(digits), 8);
        else sink.view.writeBigInt64LE(BigInt(m[1] + digits), p);
        return p + l.width;
      }
    }
  }
}
