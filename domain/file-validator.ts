/**
 * The CPU side of validating one staged file, without I/O: bytes in, and per pushed chunk a batch out —
 * valid rows normalized and encoded as TabSeparated staging rows, validation errors, failed rows as JSON lines —
 * plus the running counts. The validate activity runs it in a worker thread (activities/validate-worker.ts) and
 * does the I/O around it on the main thread; tests can run it in-process.
 */
import type { FileType, LoanType, ErrorCode } from './columns.ts';
import { CsvParser, type CsvRow } from './csv.ts';
import { RowValidator, bindHeader, type HeaderBinding } from './validate.ts';
import type { FileValidation } from './sync-types.ts';

export interface FileValidatorInit {
  fileType: FileType;
  loanType: LoanType;
  syncId: string;
  /** `YYYY-MM-DD hh:mm:ss.sss` stamped on every staged row. */
  loadedAt: string;
  /** CROSS_REFERENCE set (spec §6) as newline-terminated loan account numbers; null = no check. */
  references: string | null;
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
  /** Staging rows (TabSeparated, newline-terminated), or null when the chunk completed no valid row. */
  tsv: Uint8Array | null;
  tsvRows: number;
  errors: ErrorRecord[];
  /** Failed rows as JSON lines `{row, fields, errors}` (kept 72 h for the failed-records CSV). */
  failedLines: string[];
  /** Running totals after this batch. */
  rowsTotal: number;
  rowsInvalid: number;
  errorCount: number;
}

export class FileValidator {
  readonly result: FileValidation = { rowsTotal: 0, rowsValid: 0, rowsInvalid: 0, errorsByCode: {}, errorsByField: {} };
  header: string[] = [];

  private readonly parser: CsvParser;
  private validator: RowValidator | null = null;
  private tsv: string[] = [];
  private errors: ErrorRecord[] = [];
  private failedLines: string[] = [];
  private errorCount = 0;

  constructor(init: FileValidatorInit) {
    const { fileType, loanType } = init;
    const loadedAt = init.loadedAt;
    const references = init.references === null ? undefined : toSet(init.references);
    const result = this.result;
    this.parser = new CsvParser({
      onHeader: (names, delimiter) => {
        this.header = names;
        const { binding } = bindHeader(fileType, loanType, names);
        this.validator = new RowValidator(fileType, loanType, binding as HeaderBinding, { delimiter, references });
      },
      onRow: (row: CsvRow) => {
        const v = this.validator!.validate(row);
        result.rowsTotal++;
        if (v.errors.length === 0 && v.values) {
          result.rowsValid++;
          // The row's values array is ours: escape in place, append the system columns, one native join per row
          // and one per chunk (`a + b + …` would build rope strings that cost as much to flatten as validating).
          const values = v.values;
          escapeTsvInPlace(values);
          values.push(loanType, init.syncId, String(row.row), loadedAt);
          this.tsv.push((values as string[]).join('\t'));
          return;
        }
        result.rowsInvalid++;
        for (const e of v.errors) {
          result.errorsByCode[e.code] = (result.errorsByCode[e.code] ?? 0) + 1;
          const f = `${fileType}.${e.field}`;
          result.errorsByField[f] = (result.errorsByField[f] ?? 0) + 1;
          this.errors.push({ file_type: fileType, row: e.row, field: e.field, code: e.code, message: e.message, value: e.value });
        }
        this.errorCount += v.errors.length;
        this.failedLines.push(JSON.stringify({ row: row.row, fields: row.fields, errors: v.errors.map((e) => ({ field: e.field, code: e.code, message: e.message })) }));
      },
    });
  }

  /** Parses and validates the next bytes; throws FileLevelError for a file-level problem (spec §7). */
  push(chunk: Uint8Array): ValidateBatch {
    this.parser.push(chunk);
    return this.take();
  }

  /** Ends the file (a last row without a line break, EMPTY_FILE / MALFORMED_CSV checks). */
  end(): ValidateBatch {
    this.parser.end();
    return this.take();
  }

  private take(): ValidateBatch {
    const batch: ValidateBatch = {
      tsv: this.tsv.length ? Buffer.from(this.tsv.join('\n') + '\n', 'utf8') : null,
      tsvRows: this.tsv.length,
      errors: this.errors,
      failedLines: this.failedLines,
      rowsTotal: this.result.rowsTotal,
      rowsInvalid: this.result.rowsInvalid,
      errorCount: this.errorCount,
    };
    this.tsv = [];
    this.errors = [];
    this.failedLines = [];
    return batch;
  }
}

/** Only a view that spans its whole ArrayBuffer may be transferred to another thread: small Buffers share a pool. */
export function ownsBuffer(b: Uint8Array): boolean {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength;
}

function toSet(lines: string): Set<string> {
  const set = new Set<string>();
  let start = 0;
  for (let i = lines.indexOf('\n'); i !== -1; i = lines.indexOf('\n', start)) {
    set.add(lines.slice(start, i));
    start = i + 1;
  }
  return set;
}

const NEEDS_ESCAPE = /[\\\t\n\r]/;
const escapeTsv = (v: string) => v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');

/** TabSeparated encoding in place: NULL is \N; backslash, tab and line breaks are escaped. */
function escapeTsvInPlace(values: (string | null)[]): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null) values[i] = '\\N';
    else if (NEEDS_ESCAPE.test(v)) values[i] = escapeTsv(v);
  }
}
