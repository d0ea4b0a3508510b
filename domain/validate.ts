/**
 * Header binding, row validation and normalization of loan files (spec loan-files.md §2–§6, §9). Every column
 * fact (types, requirements, patterns, bounds, codes, cross-field rules, keys) comes from columns.ts.
 *
 * Choices where the spec leaves room:
 * - bindHeader throws DUPLICATE_COLUMNS before MISSING_COLUMNS when both apply: duplicates are found while the
 *   header is read, the missing set only once it is complete (§7 "first failure in file order"). The repeated names
 *   are listed in the order their second occurrence appears. An empty header name (e.g. from a trailing delimiter)
 *   is a name like any other: it is an unknown column, and two of them are a duplicate (§2, literal reading).
 * - Errors of a row are listed in column order (§4); a field has at most one error (§6): DUPLICATE and
 *   CROSS_REFERENCE can only land on a key field that passed its own checks, cross-field errors on a field that did.
 * - A ragged row with malformed quoting gets the one `_row` FORMAT error, worded for the quoting (§6, §9.6).
 * - Normalized text: money with exactly 2 decimals (`123.40`), percent in minimal form (`0.185`, `1`, `2`),
 *   ints canonical (`06` → `6`), dates ISO, codes as labels (insurance_included `1`/`0`), strings trimmed and
 *   upper-cased where the column says so. A missing optional value becomes its default normalized the same way
 *   (`0` → `0.00` for money) or null (§4, §5).
 */
import {
  COLUMNS,
  KEY_COLUMNS,
  asciiLower,
  asciiUpper,
  isRequired,
  isUsed,
  type ColumnDef,
  type ErrorCode,
  type FileType,
  type LoanType,
} from './columns.ts';
import type { CsvRow } from './csv.ts';
import { compareDec, dec, divPow10, parseDec, toCanonical, type Dec } from './decimal.ts';
import { FileLevelError } from './file-errors.ts';
import { KEY_SEP, KeyRegistry, type KeySummary } from './duplicate-keys.ts';

/** REQUIRED (spec §6) of a required column whose value is missing or blank. */
export function requiredError(row: number, field: string): RowError {
  return { row, field, code: 'REQUIRED', message: `${field} is required.`, value: null };
}

/** DUPLICATE (spec §6, §9.12): the row's key, whose last part is `raw` as written, was claimed by an earlier row. */
export function duplicateError(row: number, plans: readonly { name: string }[], keyKs: readonly number[], raw: string): RowError {
  const name = plans[keyKs[keyKs.length - 1]].name;
  const what = keyKs.length === 1 ? name : `(${keyKs.map((k) => plans[k].name).join(', ')})`;
  return { row, field: name, code: 'DUPLICATE', message: `Duplicate ${what}: an earlier row has the same value.`, value: raw };
}

/** CROSS_REFERENCE (spec §6) of a row whose loan, `loanAccount` as normalized and `raw` as written, is not in the set. */
export function crossReferenceError(row: number, field: string, loanAccount: string, raw: string): RowError {
  return { row, field, code: 'CROSS_REFERENCE', message: `No valid credit row of this loan type has loan_account_number ${loanAccount}.`, value: raw };
}

export interface RowError {
  row: number;
  /** Column name, or '_row' for a ragged or malformed row. */
  field: string;
  code: ErrorCode;
  message: string;
  /** Trimmed raw text of the field; null when it is missing and for `_row` (§9.14). */
  value: string | null;
}

export interface HeaderBinding {
  readonly fileType: FileType;
  readonly loanType: LoanType;
  /** For each column of COLUMNS[fileType], in that order: its index in the header, or -1 when absent. */
  readonly indexes: readonly number[];
  /** Number of header fields; a data row with another count is ragged (§6). */
  readonly fieldCount: number;
  /** Header names that match no column, as sent after trimming (§9.18). */
  readonly unknownColumns: readonly string[];
}

export interface HeaderResult {
  binding: HeaderBinding;
  /** One human message per unknown column (§2, §9.18). */
  warnings: string[];
  /** The same unknown columns, machine-friendly: names as sent, trimmed, in header order. */
  unknownColumns: string[];
}

/**
 * Binds header names to the columns of `fileType` (§2, §4): ASCII case-insensitive after trimming (§9.2, §9.5).
 * Throws FileLevelError DUPLICATE_COLUMNS, else MISSING_COLUMNS (precedence: see the module comment).
 */
export function bindHeader(fileType: FileType, loanType: LoanType, names: readonly string[]): HeaderResult {
  const cols = COLUMNS[fileType];
  const byName = new Map<string, number>();
  cols.forEach((c, k) => byName.set(asciiLower(c.name), k));
  const indexes = cols.map(() => -1);
  const seen = new Set<string>();
  const repeated: string[] = [];
  const unknownColumns: string[] = [];
  names.forEach((raw, h) => {
    const name = raw.trim();
    const key = asciiLower(name);
    if (seen.has(key)) {
      if (!repeated.includes(key)) repeated.push(key);
      return;
    }
    seen.add(key);
    const k = byName.get(key);
    if (k === undefined) unknownColumns.push(name);
    else indexes[k] = h;
  });
  if (repeated.length > 0) {
    throw new FileLevelError('DUPLICATE_COLUMNS', `The header repeats column names: ${repeated.join(', ')}.`, { columns: repeated });
  }
  const missing = cols.filter((c, k) => indexes[k] < 0 && isRequired(c, loanType)).map((c) => c.name);
  if (missing.length > 0) {
    throw new FileLevelError('MISSING_COLUMNS', `The header lacks required columns: ${missing.join(', ')}.`, { columns: missing });
  }
  const binding: HeaderBinding = { fileType, loanType, indexes, fieldCount: names.length, unknownColumns: [...unknownColumns] };
  const warnings = unknownColumns.map((n) => `Unknown column "${n}" is ignored.`);
  return { binding, warnings, unknownColumns };
}

export interface ValidatedRow {
  row: number;
  errors: RowError[];
  /** Normalized values in COLUMNS[fileType] order (null = SQL NULL); null when the row is invalid. */
  values: (string | null)[] | null;
  /** Normalized loan_account_number when that field passed its own checks (even if the row is otherwise invalid). */
  loanAccount: string | null;
}

export interface RowValidatorOptions {
  /** The file's delimiter: `;` allows the decimal comma (§9.4). */
  delimiter: string;
  /** payment_plan only: the CROSS_REFERENCE set of normalized loan account numbers (§6); absent = no check. */
  references?: { has(loanAccount: string): boolean };
}

// Field kinds (exported for the fast path, domain/fast-row.ts).
export const K_UNUSED = 0;
export const K_PATTERN = 1;
export const K_TEXT = 2;
export const K_CODE = 3;
export const K_INT = 4;
export const K_MONEY = 5;
export const K_PERCENT = 6;
export const K_DATE = 7;

// Field status within a row.
export const ST_OK = 0; // present and valid
export const ST_MISSING = 1; // optional and missing (or absent from the header)
export const ST_ERR = 2; // present or required, and in error
export const ST_UNUSED = 3;

/** Money keeps 2 decimals (§3, §5). */
export const MONEY_SCALE = 2;
/** Distinct YYYYMMDD texts remembered by a validator (a few 100 KB at most). */
const ISO_CACHE_MAX = 20_000;
/** A written percent has at most 6 fractional digits (§3, §9.8). */
export const PERCENT_MAX_FRAC = 6;
/** §5: a percent greater than 1 is a percentage. */
const ONE = dec('1');

/** How one column is checked and normalized, compiled from its ColumnDef. */
export interface Plan {
  k: number;
  col: ColumnDef;
  name: string;
  kind: number;
  hi: number;
  required: boolean;
  dflt: string | null;
  upper: boolean;
  maxFrac: number;
  min: Dec | null;
  max: Dec | null;
  minEx: boolean;
  allowed: Set<string> | null;
  codes: Map<string, string> | null;
  formatMsg: string;
  rangeMsg: string;
  valueMsg: string;
  /** Date bounds as YYYYMMDD text (compared as strings). */
  dmin: string;
  dmax: string;
}

export interface CrossRule {
  k: number;
  o: number;
  gte: boolean;
  date: boolean;
  msg: string;
}

export interface RequiredWhen {
  k: number;
  cond: number;
  codes: Set<string>;
  msg: string;
}

/** See RowValidator.rules. */
export interface RowRules {
  readonly fileType: FileType;
  readonly plans: readonly Plan[];
  readonly fieldCount: number;
  readonly allowComma: boolean;
  readonly cross: readonly CrossRule[];
  readonly reqWhen: readonly RequiredWhen[];
  readonly keyKs: readonly number[];
  readonly loanK: number;
  readonly refs: { has(loanAccount: string): boolean } | null;
  readonly keys: KeyRegistry;
  readonly counts: { total: number; invalid: number };
  /**
   * The error the full path gives plan k's present, trimmed value `t` on its own checks (parse, bounds, codes), or
   * null when `t` passes them: the fast path's single-field errors come from the same check.
   */
  fieldError(k: number, t: string, row: number): RowError | null;
}

const MSG_QUOTING = 'Malformed row: a quote inside an unquoted value, text after a closing quote, or an oversized value.';

export class RowValidator {
  readonly counts = { total: 0, invalid: 0 };

  private readonly plans: Plan[];
  private readonly fieldCount: number;
  private readonly allowComma: boolean;
  private readonly cross: CrossRule[] = [];
  private readonly reqWhen: RequiredWhen[] = [];
  private readonly loanK: number;
  private readonly refs: { has(loanAccount: string): boolean } | null;
  private readonly keyKs: number[];

  // Duplicate detection (§6, §9.12).
  private readonly keys: KeyRegistry;

  // Per-row scratch, reused.
  private readonly status: number[];
  private readonly parsed: unknown[];
  private readonly trimmed: string[];
  private readonly errAt: (RowError | undefined)[];
  private oVal: string = '';
  private oParsed: unknown = null;
  private oMsg = '';
  private readonly isoCache = new Map<string, string>();
  // scanNumber() results.
  private nNeg = false;
  private nIs = 0;
  private nIe = 0;
  private nFs = 0;
  private nFe = 0;

  constructor(
    readonly fileType: FileType,
    readonly loanType: LoanType,
    binding: HeaderBinding,
    opts: RowValidatorOptions,
  ) {
    if (binding.fileType !== fileType || binding.loanType !== loanType) {
      throw new Error(`RowValidator: binding is for ${binding.fileType}/${binding.loanType}, not ${fileType}/${loanType}`);
    }
    const cols = COLUMNS[fileType];
    this.fieldCount = binding.fieldCount;
    this.allowComma = opts.delimiter === ';';
    this.plans = cols.map((col, k) => makePlan(col, k, binding.indexes[k], loanType));
    for (const p of this.plans) {
      if (p.col.defaultWhenMissing === undefined || p.kind === K_UNUSED) continue;
      // Normalize the default like a written value, so a stored default has the column's canonical form.
      if (this.check(p, p.col.defaultWhenMissing) !== null) throw new Error(`columns.ts: bad default for ${p.name}`);
      p.dflt = this.oVal;
    }
    const index = (name: string) => cols.findIndex((c) => c.name === name);
    for (const p of this.plans) {
      if (p.kind === K_UNUSED) continue;
      for (const [other, gte] of [
        [p.col.gteColumn, true],
        [p.col.lteColumn, false],
      ] as const) {
        if (other === undefined) continue;
        const o = index(other);
        if (o < 0) throw new Error(`columns.ts: ${p.name} refers to unknown column ${other}`);
        if (this.plans[o].kind === K_UNUSED) continue;
        const date = p.kind === K_DATE;
        const msg = gte
          ? date
            ? `${p.name} must not be before ${other}.`
            : `${p.name} must be at least ${other}.`
          : date
            ? `${p.name} must not be after ${other}.`
            : `${p.name} must not exceed ${other}.`;
        this.cross.push({ k: p.k, o, gte, date, msg });
      }
      const rw = p.col.requiredWhen;
      if (rw) {
        const cond = index(rw.column);
        if (cond < 0) throw new Error(`columns.ts: ${p.name} refers to unknown column ${rw.column}`);
        if (this.plans[cond].kind === K_UNUSED) continue;
        const codes = rw.codes.map((c) => asciiUpper(c));
        this.reqWhen.push({
          k: p.k,
          cond,
          codes: new Set(codes),
          msg: `${p.name} is required when ${rw.column} is ${codes.join(' or ')}.`,
        });
      }
    }
    this.loanK = index('loan_account_number');
    this.refs = fileType === 'payment_plan' && opts.references ? opts.references : null;

    this.keyKs = KEY_COLUMNS[fileType].map((name) => index(name));
    const keyPlans = this.keyKs.map((k) => this.plans[k]);
    const last = keyPlans[keyPlans.length - 1];
    const lastMax = last?.max;
    if (
      keyPlans.length === 2 &&
      last.kind === K_INT &&
      last.min !== null &&
      !last.min.neg &&
      lastMax &&
      lastMax.frac === '' &&
      lastMax.int.length <= 5
    ) {
      // (loan, installment 1..600): one small bitset per loan instead of millions of composite strings.
      this.keys = new KeyRegistry(Number(lastMax.int));
    } else {
      this.keys = new KeyRegistry(null);
    }

    const n = cols.length;
    this.status = new Array<number>(n).fill(ST_UNUSED);
    this.parsed = new Array<unknown>(n).fill(null);
    this.trimmed = new Array<string>(n).fill('');
    this.errAt = new Array<RowError | undefined>(n).fill(undefined);
  }

  /** Validates and normalizes one row; stateful across the file for DUPLICATE detection. */
  validate(r: CsvRow): ValidatedRow {
    const counts = this.counts;
    counts.total++;
    const rowNo = r.row;
    const f = r.fields;
    if (r.rowError || f.length !== this.fieldCount) {
      counts.invalid++;
      const message = r.rowError ? MSG_QUOTING : `The row has ${f.length} fields; the header has ${this.fieldCount}.`;
      return { row: rowNo, errors: [{ row: rowNo, field: '_row', code: 'FORMAT', message, value: null }], values: null, loanAccount: null };
    }

    const plans = this.plans;
    const n = plans.length;
    const status = this.status;
    const parsed = this.parsed;
    const trimmed = this.trimmed;
    const errAt = this.errAt;
    const values = new Array<string | null>(n);
    let nErr = 0;

    for (let k = 0; k < n; k++) {
      const p = plans[k];
      if (p.kind === K_UNUSED) {
        values[k] = null;
        status[k] = ST_UNUSED;
        continue;
      }
      let t = p.hi >= 0 ? f[p.hi] : '';
      if (t.length > 0) {
        // Skip the trim() call for the common value that starts and ends with a printable ASCII character.
        const a = t.charCodeAt(0);
        const z = t.charCodeAt(t.length - 1);
        if (a <= 32 || a >= 127 || z <= 32 || z >= 127) t = t.trim();
      }
      trimmed[k] = t;
      if (t.length === 0) {
        if (p.required) {
          errAt[k] = requiredError(rowNo, p.name);
          status[k] = ST_ERR;
          nErr++;
        } else {
          values[k] = p.dflt;
          status[k] = ST_MISSING;
        }
        continue;
      }
      const code = this.check(p, t);
      if (code === null) {
        values[k] = this.oVal;
        parsed[k] = this.oParsed;
        status[k] = ST_OK;
      } else {
        errAt[k] = this.checkError(p, code, t, rowNo);
        status[k] = ST_ERR;
        nErr++;
      }
    }

    // Cross-field rules run only when every field they read is present and has no error (§6, §9.11).
    for (let i = 0; i < this.cross.length; i++) {
      const c = this.cross[i];
      if (status[c.k] !== ST_OK || status[c.o] !== ST_OK) continue;
      const a = parsed[c.k]; // dates: YYYYMMDD text; numbers are parsed again here (rare, keeps the hot path allocation-free)
      const b = parsed[c.o];
      const cmp = c.date
        ? (a as string) < (b as string)
          ? -1
          : (a as string) > (b as string)
            ? 1
            : 0
        : compareDec(parseDec(trimmed[c.k], this.allowComma)!, parseDec(trimmed[c.o], this.allowComma)!);
      if (c.gte ? cmp < 0 : cmp > 0) {
        errAt[c.k] = { row: rowNo, field: plans[c.k].name, code: 'RANGE', message: c.msg, value: trimmed[c.k] };
        status[c.k] = ST_ERR;
        nErr++;
      }
    }
    for (let i = 0; i < this.reqWhen.length; i++) {
      const w = this.reqWhen[i];
      if (status[w.cond] === ST_OK && status[w.k] === ST_MISSING && w.codes.has(parsed[w.cond] as string)) {
        // Also when the column is absent from the header (§9.14): value null.
        errAt[w.k] = { row: rowNo, field: plans[w.k].name, code: 'REQUIRED', message: w.msg, value: null };
        status[w.k] = ST_ERR;
        nErr++;
      }
    }

    const loanAccount = this.loanK >= 0 && status[this.loanK] === ST_OK ? values[this.loanK] : null;

    // DUPLICATE (§6, §9.12): only rows whose key fields passed their own checks take part. Checked before
    // CROSS_REFERENCE, which does not leave a row out.
    const keyKs = this.keyKs;
    let keysOk = true;
    for (let i = 0; i < keyKs.length; i++) if (status[keyKs[i]] !== ST_OK) keysOk = false;
    if (keysOk) {
      const lastK = keyKs[keyKs.length - 1];
      let dup: boolean;
      if (this.keys.small) {
        // canonical int text within the column's small bounds: Number() is exact
        dup = !this.keys.claimSmall(values[keyKs[0]] as string, Number(values[lastK]));
      } else {
        dup = this.keys.claimKey(this.keyOf(values)) === null;
      }
      if (dup) {
        errAt[lastK] = duplicateError(rowNo, plans, keyKs, trimmed[lastK]);
        status[lastK] = ST_ERR;
        nErr++;
      }
    }

    if (this.refs && loanAccount !== null && !this.refs.has(loanAccount)) {
      errAt[this.loanK] = crossReferenceError(rowNo, plans[this.loanK].name, loanAccount, trimmed[this.loanK]);
      nErr++;
    }

    if (nErr === 0) return { row: rowNo, errors: [], values, loanAccount };
    counts.invalid++;
    const errors: RowError[] = [];
    for (let k = 0; k < n; k++) {
      const e = errAt[k];
      if (e !== undefined) {
        errors.push(e);
        errAt[k] = undefined;
      }
    }
    return { row: rowNo, errors, values: null, loanAccount };
  }

  /**
   * The compiled rules and the shared state (key registry, counts) for the fast path of plain rows
   * (domain/fast-row.ts): it must claim keys in the same registry, count rows in the same counts and take a field's
   * error from the same check.
   */
  rules(): RowRules {
    return {
      fileType: this.fileType,
      plans: this.plans,
      fieldCount: this.fieldCount,
      allowComma: this.allowComma,
      cross: this.cross,
      reqWhen: this.reqWhen,
      keyKs: this.keyKs,
      loanK: this.loanK,
      refs: this.refs,
      keys: this.keys,
      counts: this.counts,
      fieldError: (k, t, row) => {
        const p = this.plans[k];
        const code = this.check(p, t);
        return code === null ? null : this.checkError(p, code, t, row);
      },
    };
  }

  /** The duplicate key of a row's values, parts joined by KEY_SEP (the form claimKeys takes). */
  private keyOf(values: readonly (string | null)[]): string {
    const keyKs = this.keyKs;
    let key = values[keyKs[0]] as string;
    for (let i = 1; i < keyKs.length; i++) key += KEY_SEP + (values[keyKs[i]] as string);
    return key;
  }

  /** Marks keys as already claimed by earlier rows (parallel validation: keys an earlier slice of the file holds). */
  claimKeys(keys: readonly string[]): void {
    for (const k of keys) this.keys.claim(k);
  }

  /** This validator's first occurrences, for merging into the file's registry. */
  keySummary(): KeySummary {
    return this.keys.summary();
  }

  /** The error of value t of plan p that check() just failed with `code` (its message in oMsg). */
  private checkError(p: Plan, code: ErrorCode, t: string, row: number): RowError {
    return { row, field: p.name, code, message: this.oMsg, value: t };
  }

  /** Parse, then bounds and code sets (§6 order) of a present, trimmed value. Sets oVal/oParsed or oMsg. */
  private check(p: Plan, t: string): ErrorCode | null {
    switch (p.kind) {
      case K_PATTERN: {
        if (!p.col.pattern!.test(t)) {
          this.oMsg = p.formatMsg;
          return 'FORMAT';
        }
        const v = p.upper ? upperAscii(t) : t;
        this.oVal = v;
        this.oParsed = v;
        return null;
      }
      case K_TEXT: {
        // §9.13: code points, and no control characters U+0000–U+001F, U+007F–U+009F.
        let cps = 0;
        for (let i = 0; i < t.length; i++) {
          const c = t.charCodeAt(i);
          if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) {
            this.oMsg = `${p.name} contains a control character.`;
            return 'FORMAT';
          }
          if (c >= 0xdc00 && c <= 0xdfff && i > 0) {
            const h = t.charCodeAt(i - 1);
            if (h >= 0xd800 && h <= 0xdbff) continue; // second half of a surrogate pair
          }
          cps++;
        }
        if (cps > p.col.maxLength!) {
          this.oMsg = p.formatMsg;
          return 'FORMAT';
        }
        const v = p.upper ? upperAscii(t) : t;
        this.oVal = v;
        this.oParsed = v;
        return null;
      }
      case K_CODE: {
        const up = upperAscii(t);
        const label = p.codes!.get(up);
        if (label === undefined) {
          this.oMsg = p.valueMsg;
          return 'VALUE';
        }
        this.oVal = label;
        this.oParsed = up;
        return null;
      }
      case K_INT: {
        if (!this.scanNumber(t)) {
          this.oMsg = `${p.name} is not an integer.`;
          return 'TYPE';
        }
        if (this.nFe > this.nFs) {
          this.oMsg = `${p.name} must be a whole number.`;
          return 'FORMAT';
        }
        if (!this.scannedInRange(p, t)) {
          this.oMsg = p.rangeMsg;
          return 'RANGE';
        }
        const is = this.nIs;
        const ie = this.nIe;
        // Canonical text: already so when there is no sign and no leading zero (the common case, no allocation).
        const v = is === 0 ? t : ie > is ? (this.nNeg ? '-' : '') + t.slice(is, ie) : '0';
        if (p.allowed !== null && !p.allowed.has(v)) {
          this.oMsg = p.valueMsg;
          return 'VALUE';
        }
        this.oVal = v;
        this.oParsed = null;
        return null;
      }
      case K_MONEY: {
        if (!this.scanNumber(t)) {
          this.oMsg = `${p.name} is not a number.`;
          return 'TYPE';
        }
        const fl = this.nFe - this.nFs;
        if (fl > MONEY_SCALE) {
          this.oMsg = p.formatMsg;
          return 'FORMAT';
        }
        if (!this.scannedInRange(p, t)) {
          this.oMsg = p.rangeMsg;
          return 'RANGE';
        }
        const is = this.nIs;
        const ie = this.nIe;
        if (is === 0 && ie > 0 && fl === MONEY_SCALE && t.charCodeAt(ie) === 46) this.oVal = t; // already `123.45`
        else {
          const int = ie > is ? t.slice(is, ie) : '0';
          const frac = fl === MONEY_SCALE ? t.slice(this.nFs, this.nFe) : fl === 0 ? '00' : t.slice(this.nFs, this.nFe) + '0';
          this.oVal = (this.nNeg ? '-' : '') + int + '.' + frac;
        }
        this.oParsed = null;
        return null;
      }
      case K_PERCENT: {
        if (!this.scanNumber(t)) {
          this.oMsg = `${p.name} is not a number.`;
          return 'TYPE';
        }
        if (this.nFe - this.nFs > PERCENT_MAX_FRAC) {
          this.oMsg = p.formatMsg;
          return 'FORMAT';
        }
        if (!this.scannedInRange(p, t)) {
          this.oMsg = p.rangeMsg;
          return 'RANGE';
        }
        const d = parseDec(t, this.allowComma)!;
        this.oVal = toCanonical(this.compareScanned(t, ONE) > 0 ? divPow10(d, 2) : d);
        this.oParsed = null;
        return null;
      }
      case K_DATE: {
        // Files repeat few distinct dates (due dates, reporting days): remember the ISO text of real dates.
        let iso = this.isoCache.get(t);
        if (iso === undefined) {
          if (!isCalendarDate(t)) {
            this.oMsg = p.formatMsg;
            return 'FORMAT';
          }
          iso = t.slice(0, 4) + '-' + t.slice(4, 6) + '-' + t.slice(6, 8);
          if (this.isoCache.size >= ISO_CACHE_MAX) this.isoCache.clear();
          this.isoCache.set(t, iso);
        }
        if (t < p.dmin || t > p.dmax) {
          this.oMsg = p.rangeMsg;
          return 'RANGE';
        }
        this.oVal = iso;
        this.oParsed = t;
        return null;
      }
    }
    throw new Error(`unreachable kind ${p.kind}`);
  }

  /**
   * Scans `^-?[0-9]+([.][0-9]+)?$` (also `,` as the separator in a `;` file, §9.4) without allocating: false when t
   * is not a number (TYPE, §9.7). Then t[nIs, nIe) are the integer digits without leading zeros, t[nFs, nFe) the
   * fractional digits as written (empty when none), and nNeg is true only for a value below zero.
   */
  private scanNumber(t: string): boolean {
    const n = t.length;
    let i = 0;
    let neg = false;
    if (t.charCodeAt(0) === 45 /* - */) {
      neg = true;
      i = 1;
    }
    const s0 = i;
    while (i < n) {
      const c = t.charCodeAt(i);
      if (c < 48 || c > 57) break;
      i++;
    }
    if (i === s0) return false;
    let z = s0;
    while (z < i && t.charCodeAt(z) === 48) z++;
    this.nIs = z;
    this.nIe = i;
    let fs = n;
    if (i < n) {
      const c = t.charCodeAt(i);
      if (c !== 46 /* . */ && !(c === 44 /* , */ && this.allowComma)) return false;
      fs = ++i;
      while (i < n) {
        const d = t.charCodeAt(i);
        if (d < 48 || d > 57) return false;
        i++;
      }
      if (i === fs) return false;
    }
    this.nFs = fs;
    this.nFe = n;
    if (neg && z === this.nIe) {
      let k = fs;
      while (k < n && t.charCodeAt(k) === 48) k++;
      if (k === n) neg = false; // -0, -0.00
    }
    this.nNeg = neg;
    return true;
  }

  /** Exact comparison of the number last scanned from t with a bound: -1, 0, 1. */
  private compareScanned(t: string, b: Dec): number {
    const neg = this.nNeg;
    if (neg !== b.neg) return neg ? -1 : 1;
    const is = this.nIs;
    const il = this.nIe - is;
    const bi = b.int;
    let m = 0;
    if (il !== bi.length) m = il < bi.length ? -1 : 1;
    else {
      for (let k = 0; k < il; k++) {
        const x = t.charCodeAt(is + k);
        const y = bi.charCodeAt(k);
        if (x !== y) {
          m = x < y ? -1 : 1;
          break;
        }
      }
      if (m === 0) {
        const fs = this.nFs;
        const fl = this.nFe - fs;
        const bf = b.frac;
        const len = fl > bf.length ? fl : bf.length;
        for (let k = 0; k < len; k++) {
          const x = k < fl ? t.charCodeAt(fs + k) : 48;
          const y = k < bf.length ? bf.charCodeAt(k) : 48;
          if (x !== y) {
            m = x < y ? -1 : 1;
            break;
          }
        }
      }
    }
    return neg ? -m : m;
  }

  private scannedInRange(p: Plan, t: string): boolean {
    if (p.min !== null) {
      const c = this.compareScanned(t, p.min);
      if (p.minEx ? c <= 0 : c < 0) return false;
    }
    return p.max === null || this.compareScanned(t, p.max) <= 0;
  }
}

function makePlan(col: ColumnDef, k: number, hi: number, loanType: LoanType): Plan {
  const kind = !isUsed(col, loanType)
    ? K_UNUSED
    : col.type === 'string'
      ? col.pattern
        ? K_PATTERN
        : K_TEXT
      : col.type === 'code'
        ? K_CODE
        : col.type === 'int'
          ? K_INT
          : col.type === 'money'
            ? K_MONEY
            : col.type === 'percent'
              ? K_PERCENT
              : K_DATE;
  const name = col.name;
  const min = kind === K_DATE || col.min === undefined ? null : dec(col.min);
  const max = kind === K_DATE || col.max === undefined ? null : dec(col.max);
  const codes = col.codes ? new Map(Object.entries(col.codes).map(([c, label]) => [asciiUpper(c), String(label)])) : null;
  const allowed = col.allowed ? new Set(col.allowed.map((v) => String(v))) : null;
  let formatMsg = '';
  if (kind === K_PATTERN) formatMsg = `${name} does not match ${col.pattern!.source}.`;
  else if (kind === K_TEXT) formatMsg = `${name} must be 1 to ${col.maxLength} characters long.`;
  else if (kind === K_MONEY) formatMsg = `${name} has more than ${MONEY_SCALE} decimal places.`;
  else if (kind === K_PERCENT) formatMsg = `${name} has more than ${PERCENT_MAX_FRAC} decimal places.`;
  else if (kind === K_DATE) formatMsg = `${name} is not a real date in YYYYMMDD form.`;
  let rangeMsg = '';
  if (kind === K_DATE) rangeMsg = `${name} must be between ${isoDate(col.min!)} and ${isoDate(col.max!)}.`;
  else if (min && max) rangeMsg = `${name} must be ${col.minExclusive ? 'greater than' : 'at least'} ${col.min} and at most ${col.max}.`;
  else if (min) rangeMsg = `${name} must be ${col.minExclusive ? 'greater than' : 'at least'} ${col.min}.`;
  else if (max) rangeMsg = `${name} must be at most ${col.max}.`;
  const valueMsg = codes
    ? `${name} must be one of ${[...codes.keys()].join(', ')}.`
    : allowed
      ? `${name} must be one of ${[...allowed].join(', ')}.`
      : '';
  return {
    k,
    col,
    name,
    kind,
    hi,
    required: isRequired(col, loanType),
    dflt: null,
    upper: col.upper === true,
    maxFrac: kind === K_MONEY ? MONEY_SCALE : kind === K_PERCENT ? PERCENT_MAX_FRAC : 0,
    min,
    max,
    minEx: col.minExclusive === true,
    allowed,
    codes,
    formatMsg,
    rangeMsg,
    valueMsg,
    dmin: kind === K_DATE ? col.min! : '',
    dmax: kind === K_DATE ? col.max! : '',
  };
}

function isoDate(yyyymmdd: string): string {
  return `${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6, 8)}`;
}

/** `YYYYMMDD`, eight ASCII digits forming a real Gregorian date; year 0000 is not one (§3, §9.7). */
export function isCalendarDate(t: string): boolean {
  if (t.length !== 8) return false;
  for (let i = 0; i < 8; i++) {
    const c = t.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  // No closure here: tsx (esbuild keepNames) would wrap it in __name() on every call.
  const y = (t.charCodeAt(0) - 48) * 1000 + (t.charCodeAt(1) - 48) * 100 + (t.charCodeAt(2) - 48) * 10 + (t.charCodeAt(3) - 48);
  const m = (t.charCodeAt(4) - 48) * 10 + (t.charCodeAt(5) - 48);
  const day = (t.charCodeAt(6) - 48) * 10 + (t.charCodeAt(7) - 48);
  if (y === 0 || m < 1 || m > 12 || day < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const dim = m === 2 ? (leap ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
  return day <= dim;
}

/** ASCII-only upper-casing (§9.2), fast when nothing changes. `toUpperCase` is only safe on pure ASCII. */
export function upperAscii(s: string): string {
  let lower = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 127) return asciiUpper(s);
    if (c >= 97 && c <= 122) lower = true;
  }
  return lower ? s.toUpperCase() : s;
}

/**
 * A flat copy of a key kept for the whole file: a slice of a long string would keep the whole 64 KiB chunk text
 * alive (12 M payment rows, 1 M loans). V8 copies slices shorter than 13 characters anyway.
 */
