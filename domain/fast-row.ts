/**
 * The fast path of row validation: a plain line (no quote, no surrounding white space) whose every field is in its
 * column's common form is checked, normalized and written as a staged row (RowBinary, domain/staged-rows.ts)
 * straight from the decoded text to bytes, without splitting it into strings or building a values array. A field
 * outside its column's common form is handed to the full validator's own check of that field (RowRules.fieldError):
 * an error there is the row's error for that field, exactly as the full path gives it, and the row goes on; a value
 * that passes it (a sign, a long amount) and any other doubt — white space or a non-ASCII character at a field's
 * edge, a failing cross-field or conditional-required rule, a malformed row — sends the line to the full validator
 * (domain/validate.ts). So the fast path accepts only rows the full validator accepts, with the same staged bytes,
 * and rejects the others with the same errors: the differential tests (tests/unit/fast-row.test.ts) run both over
 * the same files.
 *
 * It reads the same compiled rules (RowValidator.rules: columns.ts is still the one source of truth), claims keys in
 * the same registry as its last step (nothing after the claim gives up on the line, so a line is claimed once), and
 * gives DUPLICATE and CROSS_REFERENCE as the full validator would. (Invalid rows went to the full path until round
 * 14 of docs/BENCHMARKS.md: the line split again and every field checked again.) Profile of the
 * full path on a payment file: field checks 23 %, row validator 17 %, encoding the staged rows 17 %, CSV splitting
 * 13 % — all of which this path replaces for the rows it takes.
 *
 * The number grammar, the comparison with a bound, the calendar check and the scale of each kind repeat, on
 * positions in the line, what RowValidator.scanNumber / compareScanned and isCalendarDate do on a field's string.
 * They are written out in tryRow on purpose: calling shared helpers (or reading the plan's maxFrac) instead
 * measured 5–12 % slower on the S payment file (V8 does not inline them into a function this large). The
 * differential tests keep the two in agreement.
 */
import * as V from './validate.ts';
import type { RowError, RowRules } from './validate.ts';
import type { Dec } from './decimal.ts';
import { KEY_SEP } from './duplicate-keys.ts';
import { L_DATE32, L_DECIMAL, L_STRING, L_UINT, daysFromCivil, writeUintLE, writeVarUint, type ColumnLayout, type StagedRowEncoder, type StagedSink } from './staged-rows.ts';

// Local copies: a module running under tsx reads an imported binding through a getter on every use.
const { crossReferenceError, duplicateError, requiredError, K_CODE, K_DATE, K_INT, K_MONEY, K_PATTERN, K_PERCENT, K_TEXT, K_UNUSED, MONEY_SCALE, PERCENT_MAX_FRAC, ST_ERR, ST_MISSING, ST_OK, ST_UNUSED, upperAscii } = V;

const DOT = 46;
const D0 = 48;
const MAX_EXACT = Number.MAX_SAFE_INTEGER;
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

export interface FastRowInit {
  /** The file's delimiter. */
  delimiter: string;
  /** The parser's longest field (CsvParser maxFieldChars): a longer line is left to the full path. */
  maxLineChars: number;
}

export class FastRowEncoder {
  private readonly n: number;
  private readonly kind: Int8Array;
  private readonly hi: Int32Array;
  private readonly required: Uint8Array;
  private readonly upper: Uint8Array;
  /** Bytes written for a missing value: the normalized default, or NULL. */
  private readonly missing: Uint8Array[];
  /** Each column's RowBinary layout (domain/staged-rows.ts): a Nullable flag byte, UInt width, Decimal scale. */
  private readonly nul: Uint8Array;
  private readonly width: Int8Array;
  private readonly scale: Int8Array;
  /** 2^(8 × width) of a UInt column: the first value it cannot hold. */
  private readonly uintLimit: Float64Array;
  private readonly min: (Dec | null)[];
  private readonly max: (Dec | null)[];
  private readonly minEx: Uint8Array;
  /** 1 when every non-negative value meets the column's minimum (none, below zero, or an inclusive zero). */
  private readonly minFree: Uint8Array;
  /** Integer digits of the maximum (-1: none or negative): a value with fewer is below it, no comparison needed. */
  private readonly maxIntLen: Int32Array;
  private readonly allowed: (Set<string> | null)[];
  /** One-character codes: label index by char code (either case), -1 none. */
  private readonly code1: (Int16Array | null)[];
  private readonly code1Up: string[];
  private readonly labels: Uint8Array[][];
  private readonly labelOf: (Map<string, Uint8Array> | null)[];
  /** Pattern columns of the form `^[class]{m,n}$`: allowed chars; other patterns run the RegExp. */
  private readonly ptab: (Uint8Array | null)[];
  private readonly pmin: Int32Array;
  private readonly pmax: Int32Array;
  private readonly maxLen: Int32Array;
  private readonly dmin: Int32Array;
  private readonly dmax: Int32Array;
  /** A column whose checks this path cannot mirror: its rows always go to the full path. */
  private readonly never: boolean;

  // Per-row scratch.
  private readonly fs: Int32Array;
  private readonly fe: Int32Array;
  private readonly st: Int8Array;
  private readonly nIs: Int32Array;
  private readonly nIe: Int32Array;
  private readonly nFs: Int32Array;
  private readonly nFe: Int32Array;
  private readonly dateV: Int32Array;
  /** K_INT values (key columns). */
  private readonly intV: Float64Array;
  private readonly codeUp: string[];
  private readonly outS: Int32Array;
  private readonly outE: Int32Array;

  /** The loan of the last row whose loan passed its check (normalized bytes), and its key slot (-1: not looked up yet). */
  private readonly prevLoan = new Uint8Array(64);
  private prevLen = -1;
  private prevSlot = -1;
  /** The remembered loan is not in the CROSS_REFERENCE set. */
  private prevRefMiss = false;

  /**
   * After tryRow took a line: null when it was staged; else the line is invalid, and these are its errors in
   * column order and its fields as the parser splits them (the full path's failed row).
   */
  invalid: { fields: string[]; errors: RowError[] } | null = null;

  /** The row's errors by column so far (REQUIRED and the other single-field errors, DUPLICATE, CROSS_REFERENCE), and how many. */
  private readonly errAt: (RowError | undefined)[];
  private nErr = 0;

  private readonly extra: number;

  constructor(
    private readonly rules: RowRules,
    private readonly sink: StagedSink,
    encoder: StagedRowEncoder,
    private readonly init: FastRowInit,
  ) {
    const plans = rules.plans;
    const n = (this.n = plans.length);
    this.kind = Int8Array.from(plans, (p) => p.kind);
    this.hi = Int32Array.from(plans, (p) => p.hi);
    this.required = Uint8Array.from(plans, (p) => (p.required ? 1 : 0));
    this.upper = Uint8Array.from(plans, (p) => (p.upper ? 1 : 0));
    this.min = plans.map((p) => p.min);
    this.max = plans.map((p) => p.max);
    this.minEx = Uint8Array.from(plans, (p) => (p.minEx ? 1 : 0));
    this.minFree = Uint8Array.from(plans, (p) => (p.min === null || p.min.neg || (!p.minEx && p.min.int === '' && /^0*$/.test(p.min.frac)) ? 1 : 0));
    this.maxIntLen = Int32Array.from(plans, (p) => (p.max === null || p.max.neg ? -1 : p.max.int.length));
    this.allowed = plans.map((p) => p.allowed);
    this.maxLen = Int32Array.from(plans, (p) => p.col.maxLength ?? 0);
    this.dmin = Int32Array.from(plans, (p) => (p.kind === K_DATE ? Number(p.dmin) : 0));
    this.dmax = Int32Array.from(plans, (p) => (p.kind === K_DATE ? Number(p.dmax) : 0));
    let never = false;
    const layouts = encoder.layouts;
    this.nul = Uint8Array.from(layouts, (l) => (l.nullable ? 1 : 0));
    this.width = Int8Array.from(layouts, (l) => l.width);
    this.scale = Int8Array.from(layouts, (l) => l.scale);
    this.uintLimit = Float64Array.from(layouts, (l) => (l.kind === L_UINT ? 2 ** (8 * l.width) : 0));
    // A column whose layout is not the one its kind is written with here: its rows go to the full path.
    for (const p of plans) {
      const l = layouts[p.k];
      if (!layoutFits(p.kind, l) || (p.dflt === null && !p.required && !l.nullable)) never = true;
    }
    // Keys and the loan are read back from the written bytes (strings) or from intV.
    for (const k of rules.keyKs) if (![K_PATTERN, K_TEXT, K_INT].includes(plans[k].kind)) never = true;
    if (rules.loanK >= 0 && plans[rules.loanK].kind !== K_PATTERN && plans[rules.loanK].kind !== K_TEXT) never = true;
    this.missing = plans.map((p) => (p.dflt === null && !layouts[p.k].nullable ? new Uint8Array(0) : encoder.valueBytes(p.k, p.dflt)));
    this.labels = plans.map(() => []);
    this.labelOf = plans.map((p) => {
      if (!p.codes) return null;
      const m = new Map<string, Uint8Array>();
      for (const [code, label] of p.codes) m.set(code, encoder.valueBytes(p.k, label));
      return m;
    });
    this.code1Up = new Array<string>(128).fill('');
    for (let c = 0; c < 128; c++) this.code1Up[c] = String.fromCharCode(c >= 97 && c <= 122 ? c - 32 : c);
    this.code1 = plans.map((p, k) => {
      if (!p.codes) return null;
      const t = new Int16Array(128).fill(-1);
      for (let c = 0; c < 128; c++) {
        const label = this.labelOf[k]!.get(this.code1Up[c]);
        if (label !== undefined) {
          t[c] = this.labels[k].length;
          this.labels[k].push(label);
        }
      }
      return t;
    });
    this.pmin = new Int32Array(n);
    this.pmax = new Int32Array(n);
    this.ptab = plans.map((p, k) => {
      if (p.kind !== K_PATTERN) return null;
      const simple = simplePattern(p.col.pattern!);
      if (!simple) return null;
      this.pmin[k] = simple.min;
      this.pmax[k] = simple.max;
      return simple.table;
    });
    this.never = never;

    const f = rules.fieldCount;
    this.fs = new Int32Array(f);
    this.fe = new Int32Array(f);
    this.st = new Int8Array(n);
    this.nIs = new Int32Array(n);
    this.nIe = new Int32Array(n);
    this.nFs = new Int32Array(n);
    this.nFe = new Int32Array(n);
    this.dateV = new Int32Array(n);
    this.intV = new Float64Array(n);
    this.codeUp = new Array<string>(n).fill('');
    this.outS = new Int32Array(n);
    this.outE = new Int32Array(n);
    this.errAt = new Array<RowError | undefined>(n).fill(undefined);
    let longestLabel = 0;
    for (const ls of this.labels) for (const l of ls) longestLabel = Math.max(longestLabel, l.length);
    for (const m of this.missing) longestLabel = Math.max(longestLabel, m.length);
    // Bound on what a row's output adds to its input: per column a Nullable flag, a length prefix or a number of
    // up to 8 bytes, a code's label or a default; then source_row.
    this.extra = n * (longestLabel + 16) + 16;
  }

  /**
   * Takes line s[a, e) (no line break, no quote, first character neither white space nor a quote) as row `row` and
   * returns true: written as a staged row, or (`invalid` set) judged invalid with exactly the full validator's
   * errors — fields that fail their own checks (the error comes from the full validator's check of that field),
   * DUPLICATE, CROSS_REFERENCE. Returns false, having written and claimed nothing, when the full validator must
   * judge it: a value this path cannot write although it is valid, white space or a non-ASCII character at a
   * field's edge, a failing cross-field or conditional-required rule, a malformed row.
   */
  tryRow(s: string, a: number, e: number, row: number): boolean {
    if (this.never || e - a > this.init.maxLineChars) return false;
    if (this.nErr !== 0) this.clearErrors(); // left by a line given up on
    const rules = this.rules;
    const fcount = rules.fieldCount;
    const fs = this.fs;
    const fe = this.fe;
    const D = this.init.delimiter;
    let f = 0;
    for (let j = a; ; ) {
      const d = s.indexOf(D, j);
      if (f === fcount) return false;
      if (d < 0 || d >= e) {
        fs[f] = j;
        fe[f] = e;
        f++;
        break;
      }
      fs[f] = j;
      fe[f] = d;
      f++;
      j = d + 1;
    }
    if (f !== fcount) return false;

    const sink = this.sink;
    sink.ensure(e - a + this.extra);
    const out = sink.buf;
    const start = sink.pos;
    let p = start;
    const n = this.n;
    const st = this.st;
    for (let k = 0; k < n; k++) {
      const kind = this.kind[k];
      if (kind === K_UNUSED) {
        out[p++] = 1; // NULL
        st[k] = ST_UNUSED;
        continue;
      }
      const h = this.hi[k];
      let x = 0;
      let y = 0;
      if (h >= 0) {
        x = fs[h];
        y = fe[h];
      }
      if (x === y) {
        if (this.required[k] === 1) {
          this.flag(k, requiredError(row, this.rules.plans[k].name));
          continue;
        }
        const m = this.missing[k];
        for (let i = 0; i < m.length; i++) out[p++] = m[i];
        st[k] = ST_MISSING;
        continue;
      }
      const c0 = s.charCodeAt(x);
      const cz = s.charCodeAt(y - 1);
      if (c0 <= 32 || c0 >= 127 || cz <= 32 || cz >= 127) return false;
      if (this.nul[k] === 1 && kind !== K_CODE) out[p++] = 0;
      // A failed check leaves the switch by `break check`: the full validator's check of the field decides.
      check: {
        switch (kind) {
          case K_PATTERN: {
            const len = y - x;
            const tbl = this.ptab[k];
            if (tbl !== null) {
              if (len < this.pmin[k] || len > this.pmax[k]) break check;
            } else if (!this.rules.plans[k].col.pattern!.test(s.slice(x, y))) break check;
            p = writeVarUint(out, p, len);
            this.outS[k] = p;
            const up = this.upper[k] === 1;
            for (let i = x; i < y; i++) {
              const c = s.charCodeAt(i);
              if (tbl !== null ? c >= 128 || tbl[c] === 0 : c < 32 || c > 126) break check;
              out[p++] = up && c >= 97 && c <= 122 ? c - 32 : c;
            }
            this.outE[k] = p;
            break;
          }
          case K_TEXT: {
            if (y - x > this.maxLen[k]) break check;
            p = writeVarUint(out, p, y - x);
            this.outS[k] = p;
            const up = this.upper[k] === 1;
            for (let i = x; i < y; i++) {
              const c = s.charCodeAt(i);
              if (c < 32 || c > 126) break check;
              out[p++] = up && c >= 97 && c <= 122 ? c - 32 : c;
            }
            this.outE[k] = p;
            break;
          }
          case K_CODE: {
            // The label's bytes carry the Nullable flag and the length prefix.
            let label: Uint8Array | undefined;
            if (y - x === 1) {
              const c = s.charCodeAt(x);
              const li = this.code1[k]![c];
              if (li < 0) break check;
              label = this.labels[k][li];
              this.codeUp[k] = this.code1Up[c];
            } else {
              const up = upperAscii(s.slice(x, y));
              label = this.labelOf[k]!.get(up);
              if (label === undefined) break check;
              this.codeUp[k] = up;
            }
            for (let i = 0; i < label.length; i++) out[p++] = label[i];
            break;
          }
          case K_INT: {
            let v = 0;
            for (let i = x; i < y; i++) {
              const c = s.charCodeAt(i);
              if (c < 48 || c > 57) break check;
              v = v * 10 + (c - 48);
            }
            let z = x;
            while (z < y && s.charCodeAt(z) === D0) z++;
            if (y - z > 9) break check;
            this.nIs[k] = z;
            this.nIe[k] = y;
            this.nFs[k] = y;
            this.nFe[k] = y;
            if (!this.inRange(k, s)) break check;
            const allowed = this.allowed[k];
            if (allowed !== null && !allowed.has(z === y ? '0' : s.slice(z, y))) break check;
            if (v >= this.uintLimit[k]) break check;
            this.intV[k] = v;
            p = writeUintLE(out, p, v, this.width[k]);
            break;
          }
          case K_MONEY:
          case K_PERCENT: {
            // The digits as one integer v (exact while there are at most 15 of them, checked below).
            let v = 0;
            let i = x;
            while (i < y) {
              const c = s.charCodeAt(i);
              if (c < 48 || c > 57) break;
              v = v * 10 + (c - 48);
              i++;
            }
            if (i === x) break check; // a sign, or no digit first
            const ie = i;
            let fsk = y;
            if (i < y) {
              const c = s.charCodeAt(i);
              if (c !== DOT && !(c === 44 && rules.allowComma)) break check;
              fsk = ++i;
              while (i < y) {
                const d = s.charCodeAt(i);
                if (d < 48 || d > 57) break check;
                v = v * 10 + (d - 48);
                i++;
              }
              if (fsk === y) break check;
            }
            const fl = y - fsk;
            if (fl > (kind === K_MONEY ? MONEY_SCALE : PERCENT_MAX_FRAC)) break check;
            let z = x;
            while (z < ie && s.charCodeAt(z) === D0) z++;
            if (ie - z + fl > 15) break check; // v below stays exact; larger amounts go to the full path
            this.nIs[k] = z;
            this.nIe[k] = ie;
            this.nFs[k] = fsk;
            this.nFe[k] = y;
            if (!this.inRange(k, s)) break check;
            let exp = this.scale[k] - fl;
            // A percent greater than 1 is divided by 100 (spec §5; `divPow10` of domain/decimal.ts).
            if (kind === K_PERCENT && v > POW10[fl]) exp -= 2;
            const scaled = v * POW10[exp];
            if (scaled > MAX_EXACT) break check;
            p = writeUintLE(out, p, scaled, 8);
            break;
          }
          case K_DATE: {
            if (y - x !== 8) break check;
            let v = 0;
            for (let i = x; i < y; i++) {
              const c = s.charCodeAt(i);
              if (c < 48 || c > 57) break check;
              v = v * 10 + (c - 48);
            }
            const yr = (v / 10000) | 0;
            const mo = ((v / 100) | 0) % 100;
            const day = v % 100;
            if (yr === 0 || mo < 1 || mo > 12 || day < 1) break check;
            const leap = (yr % 4 === 0 && yr % 100 !== 0) || yr % 400 === 0;
            const dim = mo === 2 ? (leap ? 29 : 28) : mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31;
            if (day > dim || v < this.dmin[k] || v > this.dmax[k]) break check;
            this.dateV[k] = v;
            p = writeUintLE(out, p, daysFromCivil(yr, mo, day) >>> 0, 4); // Int32 as its two's complement
            break;
          }
          default:
            return false;
        }
        st[k] = ST_OK;
        continue;
      }
      if (!this.bad(k, s, x, y, row)) return false;
    }

    for (let i = 0; i < rules.cross.length; i++) {
      const c = rules.cross[i];
      if (st[c.k] !== ST_OK || st[c.o] !== ST_OK) continue;
      const cmp = c.date ? this.dateV[c.k] - this.dateV[c.o] : this.compareColumns(s, c.k, c.o);
      if (c.gte ? cmp < 0 : cmp > 0) return false;
    }
    for (let i = 0; i < rules.reqWhen.length; i++) {
      const w = rules.reqWhen[i];
      if (st[w.cond] === ST_OK && st[w.k] === ST_MISSING && w.codes.has(this.codeUp[w.cond])) return false;
    }

    // A payment file lists a loan's installments together: the loan of the row before is remembered (its bytes,
    // its key slot, its reference check) so most rows make no string and no hash lookup.
    const keyKs = rules.keyKs;
    const view = sink.view;
    const loanK = rules.loanK;
    const loanOk = loanK >= 0 && st[loanK] === ST_OK;
    let refMiss = false;
    if (loanOk && this.sameLoan(out, this.outS[loanK], this.outE[loanK])) refMiss = this.prevRefMiss;
    else if (loanOk) {
      this.prevSlot = -1;
      if (rules.refs !== null) refMiss = !rules.refs.has(view.toString('latin1', this.outS[loanK], this.outE[loanK]));
      this.rememberLoan(out, this.outS[loanK], this.outE[loanK], refMiss);
    }
    // As in the full path, a row takes part in DUPLICATE when its key fields passed their own checks, whatever its
    // other errors. Nothing after the claim gives up on the line, so a line is claimed once.
    if (keyKs.length > 0) {
      let keysOk = true;
      for (let i = 0; i < keyKs.length; i++) if (st[keyKs[i]] !== ST_OK) keysOk = false;
      // An optional key field left empty (no column set has one today; required keys get REQUIRED): the full path's case.
      if (!keysOk && this.nErr === 0) return false;
      if (keysOk) {
        const k0 = keyKs[0];
        const lastK = keyKs[keyKs.length - 1];
        let ok: boolean;
        if (rules.keys.small) {
          const num = this.intV[lastK];
          if (k0 === loanK) {
            if (this.prevSlot < 0) this.prevSlot = rules.keys.slotFor(view.toString('latin1', this.outS[k0], this.outE[k0]));
            ok = rules.keys.claimSlot(this.prevSlot, num);
          } else ok = rules.keys.claimSmall(view.toString('latin1', this.outS[k0], this.outE[k0]), num);
        } else {
          let key = '';
          for (let i = 0; i < keyKs.length; i++) {
            const kk = keyKs[i];
            if (i > 0) key += KEY_SEP;
            key += this.kind[kk] === K_INT ? String(this.intV[kk]) : view.toString('latin1', this.outS[kk], this.outE[kk]);
          }
          ok = rules.keys.claimKey(key) !== null;
        }
        if (!ok) {
          const h = this.hi[lastK];
          this.flag(lastK, duplicateError(row, rules.plans, keyKs, s.slice(fs[h], fe[h])));
        }
      }
    }

    rules.counts.total++;
    if (refMiss) {
      // Valid but for its loan (spec §6), as the full path gives it. Whole loans miss when their credit row was
      // invalid, so this is most of a payment file's errors.
      const h = this.hi[loanK];
      const loan = view.toString('latin1', this.outS[loanK], this.outE[loanK]);
      this.flag(loanK, crossReferenceError(row, rules.plans[loanK].name, loan, s.slice(fs[h], fe[h])));
    }
    if (this.nErr !== 0) {
      rules.counts.invalid++;
      const fields = new Array<string>(fcount);
      for (let i = 0; i < fcount; i++) fields[i] = s.slice(fs[i], fe[i]);
      const errors: RowError[] = [];
      for (let k = 0; k < n; k++) {
        const err = this.errAt[k];
        if (err !== undefined) {
          errors.push(err);
          this.errAt[k] = undefined;
        }
      }
      this.nErr = 0;
      this.invalid = { fields, errors };
      return true;
    }
    this.invalid = null;
    p = writeUintLE(out, p, row, 4); // source_row
    sink.pos = p;
    sink.rows++;
    return true;
  }

  /**
   * Field k's value s[x, y) failed this path's checks: records the full validator's error for it and returns true,
   * or returns false when the value passes the full validator's checks after all (only that path can write it).
   */
  private bad(k: number, s: string, x: number, y: number, row: number): boolean {
    const err = this.rules.fieldError(k, s.slice(x, y), row);
    if (err === null) return false;
    this.flag(k, err);
    return true;
  }

  /** Column k is in error: `err` is its one error (spec §6) in this row. */
  private flag(k: number, err: RowError): void {
    this.errAt[k] = err;
    this.st[k] = ST_ERR;
    this.nErr++;
  }

  private clearErrors(): void {
    this.errAt.fill(undefined);
    this.nErr = 0;
  }

  /** Is out[a, b) the loan remembered from the row before (its reference check in prevRefMiss)? */
  private sameLoan(out: Uint8Array, a: number, b: number): boolean {
    const len = b - a;
    if (len !== this.prevLen) return false;
    const prev = this.prevLoan;
    for (let i = 0; i < len; i++) if (out[a + i] !== prev[i]) return false;
    return true;
  }

  private rememberLoan(out: Uint8Array, a: number, b: number, refMiss: boolean): void {
    const len = b - a;
    if (len > this.prevLoan.length) {
      this.prevLen = -1;
      return;
    }
    this.prevLoan.set(out.subarray(a, b));
    this.prevLen = len;
    this.prevRefMiss = refMiss;
  }

  /** The scanned value of column k within its bounds (the value is never negative here). */
  private inRange(k: number, s: string): boolean {
    if (this.minFree[k] === 0) {
      const c = compareToBound(s, this.nIs[k], this.nIe[k], this.nFs[k], this.nFe[k], this.min[k]!);
      if (this.minEx[k] === 1 ? c <= 0 : c < 0) return false;
    }
    if (this.nIe[k] - this.nIs[k] < this.maxIntLen[k]) return true;
    const mx = this.max[k];
    return mx === null || compareToBound(s, this.nIs[k], this.nIe[k], this.nFs[k], this.nFe[k], mx) <= 0;
  }

  /** Exact comparison of two scanned non-negative numbers of this row. */
  private compareColumns(s: string, a: number, b: number): number {
    const ai = this.nIs[a];
    const al = this.nIe[a] - ai;
    const bi = this.nIs[b];
    const bl = this.nIe[b] - bi;
    if (al !== bl) return al < bl ? -1 : 1;
    for (let i = 0; i < al; i++) {
      const x = s.charCodeAt(ai + i);
      const y = s.charCodeAt(bi + i);
      if (x !== y) return x < y ? -1 : 1;
    }
    const af = this.nFs[a];
    const afl = this.nFe[a] - af;
    const bf = this.nFs[b];
    const bfl = this.nFe[b] - bf;
    const len = afl > bfl ? afl : bfl;
    for (let i = 0; i < len; i++) {
      const x = i < afl ? s.charCodeAt(af + i) : D0;
      const y = i < bfl ? s.charCodeAt(bf + i) : D0;
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  }
}

/** Compares the non-negative number with integer digits s[is, ie) (no leading zero) and fraction s[fs, fe) to b. */
function compareToBound(s: string, is: number, ie: number, fs: number, fe: number, b: Dec): number {
  if (b.neg) return 1;
  const il = ie - is;
  const bi = b.int;
  if (il !== bi.length) return il < bi.length ? -1 : 1;
  for (let k = 0; k < il; k++) {
    const x = s.charCodeAt(is + k);
    const y = bi.charCodeAt(k);
    if (x !== y) return x < y ? -1 : 1;
  }
  const fl = fe - fs;
  const bf = b.frac;
  const len = fl > bf.length ? fl : bf.length;
  for (let k = 0; k < len; k++) {
    const x = k < fl ? s.charCodeAt(fs + k) : D0;
    const y = k < bf.length ? bf.charCodeAt(k) : D0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Is column layout `l` the one kind `kind` is written with here? (K_CODE writes its labels as StagedRowEncoder encodes them.) */
function layoutFits(kind: number, l: ColumnLayout): boolean {
  switch (kind) {
    case K_UNUSED:
      return l.nullable;
    case K_CODE:
      return true;
    case K_PATTERN:
    case K_TEXT:
      return l.kind === L_STRING;
    case K_INT:
      return l.kind === L_UINT;
    case K_MONEY:
      return l.kind === L_DECIMAL && l.width === 8 && l.scale === MONEY_SCALE;
    case K_PERCENT:
      return l.kind === L_DECIMAL && l.width === 8 && l.scale >= PERCENT_MAX_FRAC + 2;
    case K_DATE:
      return l.kind === L_DATE32;
    default:
      return false;
  }
}

/**
 * `^[class]{m,n}$` (or `+`, `{n}`) as a table of allowed ASCII characters and length bounds, or null for any other
 * pattern. The table is checked against the RegExp itself for every ASCII character, so a misread class is caught.
 */
export function simplePattern(re: RegExp): { table: Uint8Array; min: number; max: number } | null {
  if (re.flags !== '') return null;
  const m = /^\^\[([^\]\\]+)\](?:\{(\d+)(?:,(\d+))?\}|(\+))\$$/.exec(re.source);
  if (!m) return null;
  const cls = m[1];
  const table = new Uint8Array(128);
  for (let i = 0; i < cls.length; i++) {
    const c = cls.charCodeAt(i);
    if (i + 2 < cls.length && cls[i + 1] === '-') {
      const z = cls.charCodeAt(i + 2);
      for (let x = c; x <= z; x++) table[x] = 1;
      i += 2;
    } else table[c] = 1;
  }
  const min = m[4] ? 1 : Number(m[2]);
  const max = m[4] ? Number.MAX_SAFE_INTEGER : m[3] !== undefined ? Number(m[3]) : min;
  if (min < 1) return null;
  for (let c = 0; c < 128; c++) {
    const ok = re.test(String.fromCharCode(c).repeat(min));
    if (ok !== (table[c] === 1)) return null;
    // Only printable ASCII is copied byte for byte; the full path judges the rest.
    if (ok && (c < 32 || c > 126)) table[c] = 0;
  }
  return { table, min, max };
}
