/**
 * Staged rows: how valid rows travel from validation to the warehouse's staging table. The validation thread
 * writes ClickHouse RowBinary (https://clickhouse.com/docs/interfaces/formats/RowBinary) of the file's columns in
 * columns.ts order, then source_row: one row after the other is what a row-by-row validator can write cheapest.
 * The validate activity turns each chunk's rows into a Native block (nativeBlock, columnar), which the engine
 * reads at half the CPU of RowBinary (and RowBinary at a third of typed TabSeparated's) — the engine shares the
 * machine with validation. The warehouse adds loan_type, sync_id and loaded_at in the INSERT (they are the same
 * for every row of a sync).
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

/** A stored type without its LowCardinality wrapper: how a Native block carries the column (see nativeBlock). */
export const plainChType = (chType: string): string => chType.replace(/^LowCardinality\((.*)\)$/, '$1');

/** Columns of a Native block of staged rows (nativeBlock), in order: stagedColumns without LowCardinality. */
export function nativeColumns(ft: FileType): { name: string; chType: string }[] {
  return stagedColumns(ft).map((c) => ({ name: c.name, chType: plainChType(c.chType) }));
}

/** Splits `rows` RowBinary rows into column scratch buffers; returns the bytes read and each column's bytes. */
type Transpose = (rb: Uint8Array, rows: number, vals: Uint8Array[], nulls: Uint8Array[]) => { read: number; sizes: Int32Array };

interface NativePlan {
  n: number;
  nullable: Uint8Array;
  isString: Uint8Array;
  width: Int8Array;
  /** Each column's name and type as the block header writes them. */
  heads: Uint8Array[];
  transpose: Transpose;
  /** Scratch, reused by every block of the file type: each column's values and null map, grown as needed. */
  vals: Uint8Array[];
  nulls: Uint8Array[];
}
const nativePlans = new Map<FileType, NativePlan>();

/**
 * The transposition of one file type's rows, written out column by column from the layouts (straight-line code,
 * no per-value dispatch): 0.12 µs per S payment row against 0.39 µs for a loop over the layouts. Only column
 * indexes and widths go into the code.
 */
function compileTranspose(layouts: ColumnLayout[]): Transpose {
  const lines: string[] = [];
  const decl =
    'const src = new DataView(rb.buffer, rb.byteOffset, rb.byteLength);\n' +
    layouts.map((_, k) => `const v${k} = vals[${k}]; const d${k} = new DataView(v${k}.buffer); const n${k} = nulls[${k}]; let q${k} = 0;`).join('\n');
  for (const [k, l] of layouts.entries()) {
    // Whole words through DataViews (inlined by V8), not byte by byte.
    const words: string[] = [];
    for (let i = 0; i + 4 <= l.width; i += 4) words.push(`d${k}.setUint32(q${k} + ${i}, src.getUint32(p + ${i}, true), true);`);
    if (l.width % 4 === 2) words.push(`d${k}.setUint16(q${k}, src.getUint16(p, true), true);`);
    if (l.width % 2 === 1) words.push(`v${k}[q${k}] = rb[p];`);
    const fixed = `${words.join(' ')} q${k} += ${l.width}; p += ${l.width};`;
    const body =
      l.kind === L_STRING
        ? `{ let len = rb[p++]; v${k}[q${k}++] = len;
             if (len >= 0x80) { len &= 0x7f; let shift = 128; for (;;) { const b = rb[p++]; v${k}[q${k}++] = b; len += (b & 0x7f) * shift; if (b < 0x80) break; shift *= 128; } }
             if (len > 256) { v${k}.set(rb.subarray(p, p + len), q${k}); q${k} += len; p += len; }
             else { let i = 0; for (; i + 4 <= len; i += 4) d${k}.setUint32(q${k} + i, src.getUint32(p + i, true), true);
                    for (; i < len; i++) v${k}[q${k} + i] = rb[p + i]; q${k} += len; p += len; } }`
        : `{ ${fixed} }`;
    const empty = l.kind === L_STRING ? `v${k}[q${k}++] = 0;` : Array.from({ length: l.width }, () => `v${k}[q${k}++] = 0;`).join(' ');
    lines.push(l.nullable ? `if ((n${k}[r] = rb[p++]) === 1) { ${empty} } else ${body}` : body);
  }
  const src = `${decl}
    let p = 0;
    for (let r = 0; r < rows; r++) {
      ${lines.join('\n      ')}
    }
    return { read: p, sizes: Int32Array.of(${layouts.map((_, k) => `q${k}`).join(', ')}) };`;
  return new Function('rb', 'rows', 'vals', 'nulls', src) as Transpose;
}

function nativePlan(ft: FileType): NativePlan {
  let plan = nativePlans.get(ft);
  if (plan) return plan;
  const cols = nativeColumns(ft);
  const layouts = cols.map((c) => columnLayout(c.chType));
  const str = (v: string) => {
    const b = Buffer.from(v, 'utf8');
    const out = new Uint8Array(b.length + 5);
    const p = writeVarUint(out, 0, b.length);
    out.set(b, p);
    return out.subarray(0, p + b.length);
  };
  plan = {
    n: cols.length,
    nullable: Uint8Array.from(layouts, (l) => (l.nullable ? 1 : 0)),
    isString: Uint8Array.from(layouts, (l) => (l.kind === L_STRING ? 1 : 0)),
    width: Int8Array.from(layouts, (l) => l.width),
    heads: cols.map((c) => {
      const [a, b] = [str(c.name), str(c.chType)];
      const h = new Uint8Array(a.length + b.length);
      h.set(a);
      h.set(b, a.length);
      return h;
    }),
    transpose: compileTranspose(layouts),
    vals: cols.map(() => new Uint8Array(1 << 12)),
    nulls: cols.map(() => new Uint8Array(1 << 12)),
  };
  nativePlans.set(ft, plan);
  return plan;
}

/**
 * Where nativeBlock writes its blocks: a buffer reused batch after batch. A fresh buffer per block cost the
 * worker's main thread more in garbage collection than the transposition itself (external memory triggers
 * collections of its whole heap).
 */
export interface BlockArena {
  buf: Uint8Array;
  /** The first free byte. */
  pos: number;
}

/**
 * Staged rows (RowBinary, `rows` of them) as one block of ClickHouse's Native format
 * (https://clickhouse.com/docs/interfaces/formats/Native): the column count, the row count, then per column its
 * name, its type and its values one after the other — a Nullable column's null map first, a NULL's place in the
 * values holding the type's default. The engine inserts Native at half the CPU RowBinary costs it
 * (`scripts/bench-insert-formats.ts`: S payment rows 1.4 → 0.7 s), so the validate activity turns each
 * validated chunk's rows into a block before they travel to the engine. LowCardinality columns travel as their
 * plain type (nativeColumns); the INSERT converts them. One pass into each column's scratch, then one copy each
 * into `into` (a view of it is returned) when it has room, else into a buffer of its own.
 */
export function nativeBlock(ft: FileType, rb: Uint8Array, rows: number, into?: BlockArena): Uint8Array {
  const plan = nativePlan(ft);
  const { n, nullable, isString, width, heads, vals, nulls } = plan;
  // Room for every row: a String column holds at most the whole input (its NULLs take one byte, as their flag did).
  // Sized once per file type and kept; only the bytes a column really holds are ever touched (resident).
  for (let k = 0; k < n; k++) {
    const need = isString[k] === 1 ? rb.length : rows * width[k];
    if (vals[k].length < need) vals[k] = new Uint8Array(Math.max(need, vals[k].length * 2));
    if (nullable[k] === 1 && nulls[k].length < rows) nulls[k] = new Uint8Array(Math.max(rows, nulls[k].length * 2));
  }
  const mismatch = (read: number | string) => new Error(`staged rows: ${rb.length} bytes do not hold ${rows} rows of ${ft} (${read})`);
  let t: ReturnType<Transpose>;
  try {
    t = plan.transpose(rb, rows, vals, nulls);
  } catch (err) {
    // A read past the end of the rows.
    if (err instanceof RangeError) throw mismatch('they end inside a row');
    throw err;
  }
  const { read, sizes } = t;
  if (read !== rb.length) throw mismatch(`${read} read`);

  const head = new Uint8Array(20);
  const headLen = writeVarUint(head, writeVarUint(head, 0, n), rows);
  let size = headLen;
  for (let k = 0; k < n; k++) size += heads[k].length + (nullable[k] === 1 ? rows : 0) + sizes[k];
  let block: Uint8Array;
  if (into && into.pos + size <= into.buf.length) {
    block = into.buf.subarray(into.pos, into.pos + size);
    into.pos += size;
  } else block = new Uint8Array(size);
  block.set(head.subarray(0, headLen));
  let o = headLen;
  for (let k = 0; k < n; k++) {
    block.set(heads[k], o);
    o += heads[k].length;
    if (nullable[k] === 1) {
      block.set(nulls[k].subarray(0, rows), o);
      o += rows;
    }
    block.set(vals[k].subarray(0, sizes[k]), o);
    o += sizes[k];
  }
  return block;
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

/**
 * Growable output of rows (transferable slices): staged rows, written by the fast path and by StagedRowEncoder, and
 * text rows as UTF-8 (writeText: a batch's COPY rows of errors and its failed lines, domain/file-validator.ts).
 */
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

  /**
   * One row of text, as UTF-8. Writing each as it comes, rather than joining a batch's strings and encoding them at
   * the end, spares the flattening of a deep concatenation: ≈ 2 µs per invalid row of a payment file.
   */
  writeText(s: string): void {
    this.ensure(3 * s.length); // at most 3 bytes per UTF-16 unit
    this.pos += this.view.write(s, this.pos, 'utf8');
    this.rows++;
  }

  /** Drops what was written since the last take (a run that failed midway). */
  reset(): void {
    this.pos = 0;
    this.rows = 0;
  }

  /**
   * The rows written since the last take, at the start of a buffer of their own (transferable: sinkOwned); null
   * when none. With a buffer given back (recycle), the rows leave in the buffer they were written in and the sink
   * goes on in the one given back: no copy and no allocation, so neither thread has garbage to collect. Without,
   * they are copied into a buffer of their size.
   */
  take(): Uint8Array | null {
    if (this.rows === 0) return null;
    let out: Uint8Array;
    const spare = this.spares.pop();
    if (spare) {
      out = this.buf.subarray(0, this.pos);
      this.buf = new Uint8Array(spare);
      this.view = Buffer.from(spare);
    } else out = this.buf.slice(0, this.pos);
    this.pos = 0;
    this.rows = 0;
    return out;
  }

  /** A buffer take() handed out, given back once its rows were read. */
  recycle(b: ArrayBuffer): void {
    if (this.spares.length < MAX_SPARES && b.byteLength > 0) this.spares.push(b);
  }

  private readonly spares: ArrayBuffer[] = [];
}

/** Buffers a sink keeps for reuse: the chunks queued at a validation thread and in transit. */
const MAX_SPARES = 4;

/**
 * May `b` (staged rows from StagedSink.take) be transferred to another thread? Its rows start its own ArrayBuffer,
 * which no one else uses; a Node Buffer, which may be a slice of the shared pool, never is.
 */
export const sinkOwned = (b: Uint8Array): boolean => b.byteOffset === 0 && !Buffer.isBuffer(b);

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
