/**
 * The CPU side of validating one staged file, without I/O: bytes in, batches out — valid rows normalized and
 * encoded as staged rows (RowBinary, domain/staged-rows.ts), validation errors, failed rows as JSON lines — plus
 * the counts.
 * FileValidator takes a whole file in order; SegmentCutter, SegmentCounter, SegmentValidator and SegmentMerger
 * split the same work over threads with the same result. The validate activity runs them in worker threads
 * (activities/validate-worker.ts) and does the I/O around them; tests run them in-process.
 */
import type { FileType, LoanType, ErrorCode } from './columns.ts';
import { CsvParser, type CsvRow } from './csv.ts';
import { RowValidator, bindHeader, type HeaderBinding, type RowError, type ValidatedRow } from './validate.ts';
import { KeyRegistry, type KeySummary } from './duplicate-keys.ts';
import { SharedKeySetView, buildSharedKeySet, type SharedKeySet } from './key-table.ts';
import { FileLevelError } from './file-errors.ts';
import { FastRowEncoder } from './fast-row.ts';
import { errorRow, errorRowPrefix } from './error-rows.ts';
import { StagedRowEncoder, StagedSink } from './staged-rows.ts';
import { MAX_FIELD_CHARS } from './csv.ts';
import type { FileValidation } from './sync-types.ts';

export interface FileValidatorInit {
  fileType: FileType;
  loanType: LoanType;
  /**
   * CROSS_REFERENCE set (spec §6): built once and shared by the threads (SharedKeySet), or as newline-terminated
   * loan account numbers; null = no check.
   */
  references: SharedKeySet | string | null;
  /** Plain rows take the fast path (domain/fast-row.ts); false = every row through RowValidator. Default true. */
  fastPath?: boolean;
  /**
   * Batches ready to store for this sync: errors as COPY rows (ValidateBatch.errorRows, domain/error-rows.ts)
   * instead of records, and failed rows as the bytes of their lines (ValidateBatch.failedBytes). Unset: records
   * and lines.
   */
  store?: { syncId: string };
}

/** One validation error, shaped like a `validation_errors` row. */
export interface ErrorRecord {
  file_type: FileType;
  row: number;
  field: string;
  code: ErrorCode;
  message: string;
  value: string | null;
}

export interface ValidateBatch {
  /** Staged rows (domain/staged-rows.ts), or null when the chunk completed no valid row. */
  staged: Uint8Array | null;
  stagedRows: number;
  /** Errors as records (empty with FileValidatorInit.store). */
  errors: ErrorRecord[];
  /**
   * With FileValidatorInit.store: the errors as COPY rows of validation_errors, UTF-8, else null (none). Bytes,
   * not a string: they cross to the activity's thread without a copy and never enter its heap (as strings, with
   * the failed lines, they kept an M-err sync's heap there at 73–85 MB committed instead of 55 MB).
   */
  errorRows: Uint8Array | null;
  /** Failed rows as JSON lines `{row, fields, errors}` (kept 72 h for the failed-records CSV); empty with store. */
  failedLines: string[];
  /** With FileValidatorInit.store: the same lines as UTF-8, each ending in a line break, else null (none). */
  failedBytes: Uint8Array | null;
  /** Running totals after this batch. */
  rowsTotal: number;
  rowsInvalid: number;
  errorCount: number;
}

/** Turns validated rows into a batch: staged rows, errors, failed lines, and the counts of what it took. */
class BatchBuilder {
  readonly result: FileValidation = { rowsTotal: 0, rowsValid: 0, rowsInvalid: 0, errorsByCode: {}, errorsByField: {} };
  errorCount = 0;
  /** Rows the fast path took. */
  fastRows = 0;
  private errors: ErrorRecord[] = [];
  /** With store: the batch's COPY rows and failed lines, written as UTF-8 as they come. */
  private readonly errorBytes = new StagedSink();
  private readonly failedBytes = new StagedSink();
  private failedLines: string[] = [];
  /** errorRowPrefix of FileValidatorInit.store, or null (records). */
  private readonly rowPrefix: string | null;
  private fast: FastRowEncoder | null = null;
  private readonly encoder: StagedRowEncoder;

  constructor(
    private readonly init: FileValidatorInit,
    private readonly sink: StagedSink,
  ) {
    this.encoder = new StagedRowEncoder(init.fileType);
    this.rowPrefix = init.store ? errorRowPrefix(init.store.syncId, init.fileType) : null;
  }

  use(validator: RowValidator, delimiter: string): void {
    if (this.init.fastPath !== false) {
      this.fast = new FastRowEncoder(validator.rules(), this.sink, this.encoder, { delimiter, maxLineChars: MAX_FIELD_CHARS });
    }
  }

  /** CsvHandlers.onPlainLine: the fast path, when it takes the line. */
  plainLine(s: string, start: number, end: number, row: number): boolean {
    const fast = this.fast;
    if (fast === null || !fast.tryRow(s, start, end, row)) return false;
    this.fastRows++;
    this.result.rowsTotal++;
    if (fast.invalid === null) this.result.rowsValid++;
    else this.invalidRow(row, fast.invalid.fields, fast.invalid.errors);
    return true;
  }

  /** `row.row` and the rows in `v` are the file's row numbers. */
  add(row: CsvRow, v: ValidatedRow): void {
    const result = this.result;
    result.rowsTotal++;
    if (v.errors.length === 0 && v.values) {
      result.rowsValid++;
      this.encoder.writeRow(this.sink, v.values, row.row);
      return;
    }
    this.invalidRow(row.row, row.fields, v.errors);
  }

  private invalidRow(row: number, fields: string[], errors: readonly RowError[]): void {
    const result = this.result;
    const fileType = this.init.fileType;
    result.rowsInvalid++;
    for (const e of errors) {
      result.errorsByCode[e.code] = (result.errorsByCode[e.code] ?? 0) + 1;
      const f = `${fileType}.${e.field}`;
      result.errorsByField[f] = (result.errorsByField[f] ?? 0) + 1;
      if (this.rowPrefix !== null) this.errorBytes.writeText(errorRow(this.rowPrefix, e));
      else this.errors.push({ file_type: fileType, row: e.row, field: e.field, code: e.code, message: e.message, value: e.value });
    }
    this.errorCount += errors.length;
    const line = JSON.stringify({ row, fields, errors: errors.map((e) => ({ field: e.field, code: e.code, message: e.message })) });
    if (this.rowPrefix !== null) this.failedBytes.writeText(`${line}\n`);
    else this.failedLines.push(line);
  }

  /** Gives back a staged buffer this builder's sink handed out (StagedSink.recycle). */
  recycle(b: ArrayBuffer): void {
    this.sink.recycle(b);
  }

  /** What was added since the last take; the running totals are this builder's. */
  take(): ValidateBatch {
    const stagedRows = this.sink.rows;
    const batch: ValidateBatch = {
      staged: this.sink.take(),
      stagedRows,
      errors: this.errors,
      errorRows: this.errorBytes.take(),
      failedLines: this.failedLines,
      failedBytes: this.failedBytes.take(),
      rowsTotal: this.result.rowsTotal,
      rowsInvalid: this.result.rowsInvalid,
      errorCount: this.errorCount,
    };
    this.errors = [];
    this.failedLines = [];
    return batch;
  }
}

/** Validates a whole file in order, one thread. */
export class FileValidator {
  header: string[] = [];

  private readonly parser: CsvParser;
  private readonly out: BatchBuilder;

  constructor(init: FileValidatorInit) {
    const { fileType, loanType } = init;
    const references = referenceSet(init.references);
    const out = (this.out = new BatchBuilder(init, new StagedSink()));
    let validator: RowValidator | null = null;
    this.parser = new CsvParser({
      onHeader: (names, delimiter) => {
        this.header = names;
        const { binding } = bindHeader(fileType, loanType, names);
        validator = new RowValidator(fileType, loanType, binding as HeaderBinding, { delimiter, references });
        out.use(validator, delimiter);
      },
      onRow: (row: CsvRow) => out.add(row, validator!.validate(row)),
      onPlainLine: (s, start, end, row) => out.plainLine(s, start, end, row),
    });
  }

  get result(): FileValidation {
    return this.out.result;
  }

  /** Rows the fast path took (the others went through RowValidator). */
  get fastRows(): number {
    return this.out.fastRows;
  }

  /** Parses and validates the next bytes; throws FileLevelError for a file-level problem (spec §7). */
  push(chunk: Uint8Array): ValidateBatch {
    this.parser.push(chunk);
    return this.out.take();
  }

  /** Gives back the buffer of a batch's staged rows once they were read (StagedSink.recycle). */
  recycle(b: ArrayBuffer): void {
    this.out.recycle(b);
  }

  /** Ends the file (a last row without a line break, EMPTY_FILE / MALFORMED_CSV checks). */
  end(): ValidateBatch {
    this.parser.end();
    return this.out.take();
  }
}

/** A file's header as the segments of parallel validation need it (read once, from the file's first bytes). */
export interface FileHeader {
  names: string[];
  delimiter: string;
}

/** A validated segment: its batch (row numbers final) and its first occurrences of duplicate keys. */
export interface SegmentResult {
  seq: number;
  batch: ValidateBatch;
  result: FileValidation;
  keys: KeySummary;
}

/** Where a segment sits in its file: as cut, plus the data rows before it (SegmentCounter). */
export type SegmentPlace = Pick<Segment, 'first' | 'last' | 'byteOffset'> & { rowOffset: number };

/**
 * Parallel validation of one file, the part that runs in each thread. The file is cut into segments at line
 * breaks, and the caller counts each segment's rows as it cuts (SegmentCounter: parsing only, cheap), so every
 * segment is validated and encoded with its row numbers known (`validate`). The segments' first occurrences of
 * keys are then merged in file order (SegmentMerger); when an earlier segment already holds some of them, the
 * segment is validated again with those keys marked as seen (`revalidate`, rare), which gives exactly the errors
 * — DUPLICATE among them — of the one-thread pass. A segment's bytes are kept until `release`: holding validated
 * rows instead would cost more in garbage collection than validating twice.
 */
export class SegmentValidator {
  private readonly binding: HeaderBinding;
  private readonly references: SharedKeySetView | undefined;
  private readonly held = new Map<number, { buf: Uint8Array; place: SegmentPlace }>();
  /** Reused by every segment: each run takes what it wrote. */
  private readonly sink = new StagedSink(1 << 20);

  constructor(
    private readonly init: FileValidatorInit,
    private readonly header: FileHeader,
  ) {
    this.binding = bindHeader(init.fileType, init.loanType, header.names).binding as HeaderBinding;
    this.references = referenceSet(init.references);
  }

  /** Validates and encodes one segment and keeps its bytes (see the class). */
  validate(seq: number, buf: Uint8Array, place: SegmentPlace): SegmentResult {
    this.held.set(seq, { buf, place });
    return this.run(seq, []);
  }

  /** Validates a kept segment again, with `conflicts` (keys an earlier segment claimed) marked as seen. */
  revalidate(seq: number, conflicts: string[]): SegmentResult {
    return this.run(seq, conflicts);
  }

  release(seq: number): void {
    this.held.delete(seq);
  }

  /** Gives back the buffer of a segment's staged rows once they were read (StagedSink.recycle). */
  recycle(b: ArrayBuffer): void {
    this.sink.recycle(b);
  }

  /** Drops what an abandoned validation holds. */
  clear(): void {
    this.held.clear();
  }

  private run(seq: number, conflicts: string[]): SegmentResult {
    const h = this.held.get(seq);
    if (!h) throw new Error(`SegmentValidator: segment ${seq} is not held here`);
    const { place } = h;
    const validator = new RowValidator(this.init.fileType, this.init.loanType, this.binding, { delimiter: this.header.delimiter, references: this.references });
    validator.claimKeys(conflicts);
    this.sink.reset();
    const out = new BatchBuilder(this.init, this.sink);
    out.use(validator, this.header.delimiter);
    const handlers = {
      onHeader: () => {},
      onRow: (row: CsvRow) => out.add(row, validator.validate(row)),
      onPlainLine: (s: string, start: number, end: number, row: number) => out.plainLine(s, start, end, row),
    };
    const parser = place.first
      ? new CsvParser(handlers)
      : new CsvParser(handlers, { resume: { delimiter: this.header.delimiter, byteOffset: place.byteOffset, rowOffset: place.rowOffset } });
    parser.push(h.buf);
    if (place.last) parser.end();
    return { seq, batch: out.take(), result: out.result, keys: validator.keySummary() };
  }
}

/** A segment of parallel validation: bytes cut at a line break, and where they start in the file. */
export interface Segment {
  seq: number;
  buf: Buffer;
  /** Bytes of the file before the segment. */
  byteOffset: number;
  first: boolean;
  last: boolean;
}

/** Cuts a file's bytes, pushed in any pieces, into segments of about `bytes`, each ending with a line break. */
export class SegmentCutter {
  private acc: Buffer = Buffer.alloc(0);
  private accOffset = 0; // file offset of acc[0]
  private seq = 0;

  constructor(private readonly bytes: number) {}

  push(chunk: Buffer): Segment[] {
    const out: Segment[] = [];
    const acc = this.acc.length ? Buffer.concat([this.acc, chunk]) : chunk;
    let pos = 0;
    while (acc.length - pos >= this.bytes) {
      const lf = acc.indexOf(0x0a, pos + this.bytes - 1);
      if (lf < 0) break;
      out.push({ seq: this.seq, buf: acc.subarray(pos, lf + 1), byteOffset: this.accOffset + pos, first: this.seq === 0, last: false });
      this.seq++;
      pos = lf + 1;
    }
    this.accOffset += pos;
    // A copy, so the rest does not pin the chunk (the segments are copied when sent to a thread).
    this.acc = pos === 0 ? acc : Buffer.from(acc.subarray(pos));
    return out;
  }

  /** The rest of the file, the last segment (possibly empty). */
  end(): Segment {
    const s = { seq: this.seq, buf: this.acc, byteOffset: this.accOffset, first: this.seq === 0, last: true };
    this.seq++;
    this.acc = Buffer.alloc(0);
    return s;
  }
}

/**
 * Counts the rows of a file's segments in order as they are cut (a count-only parse of the whole file): each
 * segment's first row number, the file's header, and the proof that every cut fell between records.
 * Throws SegmentCutError when a cut fell inside a quoted value, the header is not in the first segment, or the
 * file has a file-level error (the one-thread pass then reports it exactly).
 */
export class SegmentCounter {
  header: FileHeader | null = null;
  private readonly parser = new CsvParser(
    {
      onHeader: (names, delimiter) => {
        this.header = { names, delimiter };
      },
      onRow() {},
    },
    { countOnly: true },
  );

  /** The data rows before `s`. */
  add(s: Segment): number {
    const before = this.parser.rows;
    try {
      this.parser.push(s.buf);
      if (s.last) this.parser.end();
    } catch (err) {
      if (err instanceof FileLevelError) throw new SegmentCutError(`${err.code} (the file is validated in one thread)`);
      throw err;
    }
    if (!s.last && !this.parser.atRecordStart()) throw new SegmentCutError(`the cut after segment ${s.seq} is not between records`);
    if (this.header === null) throw new SegmentCutError('no complete header line in the first segment');
    return before;
  }
}

/**
 * Merges validated segments' first occurrences of keys into the file's registry in file order (they may arrive
 * in any order); returns, per segment in order, the segment and the keys an earlier segment already claimed.
 */
export class SegmentMerger<T extends { seq: number; keys: KeySummary }> {
  private readonly pending = new Map<number, T>();
  private registry: KeyRegistry | null = null;
  private next = 0;

  add(segment: T): { segment: T; conflicts: string[] }[] {
    const out: { segment: T; conflicts: string[] }[] = [];
    this.pending.set(segment.seq, segment);
    for (let m = this.pending.get(this.next); m; m = this.pending.get(this.next)) {
      this.pending.delete(this.next);
      this.registry ??= new KeyRegistry(m.keys.kind === 'small' ? m.keys.words * 32 - 1 : null);
      out.push({ segment: m, conflicts: this.registry.merge(m.keys) });
      this.next++;
    }
    return out;
  }
}

/** The cuts do not suit this file (see SegmentValidator): validate it in one thread instead. */
export class SegmentCutError extends Error {}

/** Only a view that spans its whole ArrayBuffer may be transferred to another thread: small Buffers share a pool. */
export function ownsBuffer(b: ArrayBufferView): boolean {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength;
}

function referenceSet(r: SharedKeySet | string | null): SharedKeySetView | undefined {
  if (r === null) return undefined;
  return new SharedKeySetView(typeof r === 'string' ? buildSharedKeySet(r) : r);
}

