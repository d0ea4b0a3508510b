import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  COLUMNS,
  DATE_MAX,
  DATE_MIN,
  ERROR_CODES,
  KEY_COLUMNS,
  LOAN_TYPES,
  asciiUpper,
  isRequired,
  isUsed,
  type ColumnDef,
  type ErrorCode,
  type FileType,
  type LoanType,
} from '../../domain/columns.ts';
import { CsvParser, type CsvRow } from '../../domain/csv.ts';
import { generateFiles, generateInMemory, type FileTruth, type InjectedError, type Summary } from '../../domain/generator.ts';
import { RowValidator, bindHeader, type RowError } from '../../domain/validate.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// ---------------------------------------------------------------------------------------------
// An independent reading of spec loan-files.md §2–§6 for the generator's own dialect (`,`, LF,
// no quoted line breaks). It is deliberately not the production validator: it checks the
// generator against columns.ts, and the generator's truth against the spec.

interface Found {
  row: number;
  field: string;
  code: ErrorCode;
}

interface Checked {
  header: string[];
  rows: string[][];
  errors: Found[];
  truth: FileTruth;
  /** Normalized loan account numbers of valid rows. */
  validKeys: Set<string>;
}

/** Splits one line per §2/§9.6; `null` marks a malformed row (stray or misplaced quote). */
function splitLine(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        if (i >= line.length) return null;
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            v += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += line[i++];
      }
      out.push(v);
      if (i === line.length) return out;
      if (line[i] !== ',') return null;
      i++;
    } else {
      const end = line.indexOf(',', i);
      const v = end < 0 ? line.slice(i) : line.slice(i, end);
      if (v.includes('"')) return null;
      out.push(v);
      if (end < 0) return out;
      i = end + 1;
    }
  }
}

const INT = /^-?[0-9]+$/;
const DEC = /^-?[0-9]+([.][0-9]+)?$/;

/** A validated decimal text scaled to 10^-6 units, exact. */
function scaled(v: string): bigint {
  const [w, f = ''] = v.split('.');
  const neg = w.startsWith('-');
  const abs = BigInt(neg ? w.slice(1) : w) * 1_000_000n + BigInt((f + '000000').slice(0, 6));
  return neg ? -abs : abs;
}

function realDate(v: string): boolean {
  if (!/^[0-9]{8}$/.test(v)) return false;
  const y = Number(v.slice(0, 4));
  const m = Number(v.slice(4, 6));
  const d = Number(v.slice(6, 8));
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  const dim = [31, (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
  return d <= dim;
}

/** The one error of a present (trimmed, non-empty) value, or null. */
function cellError(col: ColumnDef, v: string): ErrorCode | null {
  switch (col.type) {
    case 'int': {
      if (!INT.test(v)) return DEC.test(v) ? 'FORMAT' : 'TYPE';
      const n = BigInt(v);
      if (col.allowed) return col.allowed.includes(Number(n)) ? null : 'VALUE';
      if (col.min !== undefined && n < BigInt(col.min)) return 'RANGE';
      if (col.max !== undefined && n > BigInt(col.max)) return 'RANGE';
      return null;
    }
    case 'money':
    case 'percent': {
      if (!DEC.test(v)) return 'TYPE';
      if ((v.split('.')[1] ?? '').length > (col.type === 'money' ? 2 : 6)) return 'FORMAT';
      const x = scaled(v);
      if (col.min !== undefined && (col.minExclusive ? x <= scaled(col.min) : x < scaled(col.min))) return 'RANGE';
      if (col.max !== undefined && x > scaled(col.max)) return 'RANGE';
      return null;
    }
    case 'date':
      if (!realDate(v)) return 'FORMAT';
      return v < DATE_MIN || v > DATE_MAX ? 'RANGE' : null;
    case 'string':
      if (col.pattern) return col.pattern.test(v) ? null : 'FORMAT';
      if ([...v].length > (col.maxLength ?? Infinity)) return 'FORMAT';
      return /[\u0000-\u001f\u007f-\u009f]/.test(v) ? 'FORMAT' : null;
    case 'code':
      return asciiUpper(v) in (col.codes ?? {}) ? null : 'VALUE';
  }
}

function compare(col: ColumnDef, a: string, b: string): number {
  if (col.type === 'date') return a < b ? -1 : a > b ? 1 : 0;
  const x = scaled(a);
  const y = scaled(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function checkFile(text: string, fileType: FileType, loanType: LoanType, references?: Set<string>): Checked {
  const lines = text.split('\n');
  assert.equal(lines.pop(), '', 'file ends with a line break');
  const header = lines.shift()!.split(',');
  const byName = new Map(COLUMNS[fileType].map((c) => [c.name, c]));
  const cols = header.map((h) => byName.get(h)!);
  const at = new Map(header.map((h, i) => [h, i]));
  const keyCols = KEY_COLUMNS[fileType];
  const seen = new Set<string>();
  const errors: Found[] = [];
  const rows: string[][] = [];
  const validKeys = new Set<string>();
  const truth: FileTruth = { rows: 0, invalid_rows: 0, errors_by_code: Object.fromEntries(ERROR_CODES.map((c) => [c, 0])), errors_by_field: {} };

  lines.forEach((line, i) => {
    const row = i + 1;
    const fields = splitLine(line);
    const rowErrors: Found[] = [];
    if (fields === null || fields.length !== header.length) {
      rowErrors.push({ row, field: '_row', code: 'FORMAT' });
    } else {
      rows.push(fields);
      const values = fields.map((f) => f.trim());
      const bad = new Map<string, ErrorCode>();
      cols.forEach((col, j) => {
        if (!isUsed(col, loanType)) return;
        const v = values[j];
        const code = v === '' ? (isRequired(col, loanType) ? 'REQUIRED' : null) : cellError(col, v);
        if (code) bad.set(col.name, code);
      });
      const ok = (name: string) => at.has(name) && !bad.has(name);
      const value = (name: string) => values[at.get(name)!];
      for (const col of cols) {
        const other = col.gteColumn ?? col.lteColumn;
        if (!other || !isUsed(col, loanType) || !ok(col.name) || !ok(other)) continue;
        if (value(col.name) === '' || value(other) === '') continue;
        const c = compare(col, value(col.name), value(other));
        if ((col.gteColumn && c < 0) || (col.lteColumn && c > 0)) bad.set(col.name, 'RANGE');
      }
      for (const col of cols) {
        const rw = col.requiredWhen;
        if (!rw || !ok(col.name) || !ok(rw.column) || value(col.name) !== '') continue;
        if (rw.codes.some((c) => asciiUpper(c) === asciiUpper(value(rw.column)))) bad.set(col.name, 'REQUIRED');
      }
      const account = asciiUpper(value('loan_account_number'));
      if (keyCols.every(ok)) {
        const key = keyCols.map((k) => (k === 'loan_account_number' ? account : String(BigInt(value(k))))).join('\u0000');
        if (seen.has(key)) bad.set(keyCols[keyCols.length - 1], 'DUPLICATE');
        seen.add(key);
      }
      if (references && ok('loan_account_number') && !references.has(account)) bad.set('loan_account_number', 'CROSS_REFERENCE');
      for (const [field, code] of bad) rowErrors.push({ row, field, code });
      if (rowErrors.length === 0 && fileType === 'credit') validKeys.add(account);
    }
    truth.rows++;
    if (rowErrors.length > 0) truth.invalid_rows++;
    for (const e of rowErrors) {
      errors.push(e);
      truth.errors_by_code[e.code]++;
      const key = `${fileType}.${e.field}`;
      truth.errors_by_field[key] = (truth.errors_by_field[key] ?? 0) + 1;
    }
  });
  return { header, rows, errors, truth, validKeys };
}

function checkBoth(out: { credit: string; payment_plan: string }, loanType: LoanType) {
  const credit = checkFile(out.credit, 'credit', loanType);
  const payment = checkFile(out.payment_plan, 'payment_plan', loanType, credit.validKeys);
  return { credit, payment };
}

/** Runs the production parser and validator over one generated file (the sync's view of it). */
function runValidator(text: string, fileType: FileType, loanType: LoanType, references?: Set<string>) {
  let validator: RowValidator | null = null;
  const errors: RowError[] = [];
  const validKeys = new Set<string>();
  const truth: FileTruth = { rows: 0, invalid_rows: 0, errors_by_code: Object.fromEntries(ERROR_CODES.map((c) => [c, 0])), errors_by_field: {} };
  const parser = new CsvParser({
    onHeader(names, delimiter) {
      const { binding, warnings } = bindHeader(fileType, loanType, names);
      assert.deepEqual(warnings, [], 'the generator writes no unknown column');
      validator = new RowValidator(fileType, loanType, binding, { delimiter, references });
    },
    onRow(row: CsvRow) {
      const result = validator!.validate(row);
      truth.rows++;
      if (result.errors.length > 0) truth.invalid_rows++;
      else if (result.loanAccount !== null) validKeys.add(result.loanAccount);
      for (const e of result.errors) {
        errors.push(e);
        truth.errors_by_code[e.code]++;
        const key = `${fileType}.${e.field}`;
        truth.errors_by_field[key] = (truth.errors_by_field[key] ?? 0) + 1;
      }
    },
  });
  // Several chunks, so that rows straddle chunk boundaries as they do in an upload.
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += 65_536) parser.push(bytes.subarray(i, i + 65_536));
  parser.end();
  return { errors, truth, validKeys };
}

const sortedErrors = (list: readonly { row: number; field: string; code: string }[]) =>
  list.map((e) => `${e.row}:${e.field}:${e.code}`).sort();

/** Drops zero counts, so that "absent" and "0" compare equal. */
function nonZero(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n !== 0).sort(([a], [b]) => a.localeCompare(b)));
}

// ---------------------------------------------------------------------------------------------

describe('generator', () => {
  test('the same seed gives byte-identical files and summary; another seed gives other data', async () => {
    for (const loanType of LOAN_TYPES) {
      const a = await generateInMemory({ loanType, credits: 300, errorRate: 0.1, seed: 7 });
      const b = await generateInMemory({ loanType, credits: 300, errorRate: 0.1, seed: 7 });
      const c = await generateInMemory({ loanType, credits: 300, errorRate: 0.1, seed: 8 });
      assert.equal(a.credit, b.credit);
      assert.equal(a.payment_plan, b.payment_plan);
      assert.deepEqual(a.summary, b.summary);
      assert.notEqual(a.credit, c.credit);
      assert.notEqual(a.payment_plan, c.payment_plan);
    }
  });

  test('the error rate only breaks rows: every row without an error is a row of the clean portfolio', async () => {
    const clean = await generateInMemory({ loanType: 'RETAIL', credits: 500, seed: 3 });
    const dirty = await generateInMemory({ loanType: 'RETAIL', credits: 500, seed: 3, errorRate: 0.2 });
    const checked = checkBoth(dirty, 'RETAIL');
    for (const fileType of ['credit', 'payment_plan'] as const) {
      const cleanLines = new Set(clean[fileType].split('\n'));
      const badRows = new Set((fileType === 'credit' ? checked.credit : checked.payment).errors.map((e) => e.row));
      const lines = dirty[fileType].split('\n').slice(1, -1);
      assert.ok(badRows.size > 0);
      lines.forEach((line, i) => {
        if (!badRows.has(i + 1)) assert.ok(cleanLines.has(line), `${fileType} row ${i + 1} is a clean row`);
      });
    }
  });

  for (const loanType of LOAN_TYPES) {
    test(`${loanType}: headers hold every required column and only columns the loan type uses`, async () => {
      const out = await generateInMemory({ loanType, credits: 5 });
      for (const fileType of ['credit', 'payment_plan'] as const) {
        const header = out[fileType].slice(0, out[fileType].indexOf('\n')).split(',');
        assert.equal(new Set(header).size, header.length, 'no duplicate column');
        const byName = new Map(COLUMNS[fileType].map((c) => [c.name, c]));
        for (const name of header) {
          const col = byName.get(name);
          assert.ok(col, `${fileType}.${name} is a spec column`);
          assert.ok(isUsed(col, loanType), `${fileType}.${name} is used by ${loanType}`);
        }
        for (const col of COLUMNS[fileType]) {
          if (isRequired(col, loanType)) assert.ok(header.includes(col.name), `${fileType}.${col.name} is required for ${loanType}`);
        }
      }
    });

    test(`${loanType}: clean output obeys every column rule, cross-field rule, key and reference`, async () => {
      const out = await generateInMemory({ loanType, credits: 2000, seed: 11 });
      const { credit, payment } = checkBoth(out, loanType);
      assert.deepEqual(credit.errors, []);
      assert.deepEqual(payment.errors, []);
      assert.equal(credit.truth.rows, 2000);
      assert.equal(credit.validKeys.size, 2000, 'every loan account is unique and valid');
      assert.deepEqual(out.summary.files.credit, credit.truth);
      assert.deepEqual(out.summary.files.payment_plan, payment.truth);
    });

    test(`${loanType}: clean payment plans are consistent with their loans`, async () => {
      const out = await generateInMemory({ loanType, credits: 2000, seed: 5 });
      const { credit, payment } = checkBoth(out, loanType);
      const ci = new Map(credit.header.map((h, i) => [h, i]));
      const pi = new Map(payment.header.map((h, i) => [h, i]));
      const c = (r: string[], name: string) => r[ci.get(name)!];
      const p = (r: string[], name: string) => r[pi.get(name)!];
      const cents = (v: string) => Math.round(Number(v === '' ? '0' : v) * 100);
      const plans = new Map<string, string[][]>();
      for (const r of payment.rows) {
        const list = plans.get(p(r, 'loan_account_number')) ?? [];
        list.push(r);
        plans.set(p(r, 'loan_account_number'), list);
      }
      const stepMonths: Record<string, number> = { MONTHLY: 1, QUARTERLY: 3, SEMI_ANNUAL: 6, ANNUAL: 12 };
      const freqLabel = COLUMNS.credit.find((col) => col.name === 'installment_frequency')!.codes!;
      const statusLabel = COLUMNS.payment_plan.find((col) => col.name === 'payment_status')!.codes!;
      const monthIndex = (d: string) => Number(d.slice(0, 4)) * 12 + Number(d.slice(4, 6)) - 1;
      let installments = 0;
      for (const r of credit.rows) {
        const plan = plans.get(c(r, 'loan_account_number'));
        assert.ok(plan, 'every loan has a payment plan');
        const n = Number(c(r, 'installment_count'));
        installments += n;
        assert.deepEqual(plan.map((x) => Number(p(x, 'installment_number'))), Array.from({ length: n }, (_, k) => k + 1));
        assert.equal(plan.reduce((s, x) => s + cents(p(x, 'principal_amount')), 0), cents(c(r, 'original_amount')), 'principal sums to the loan');
        let before = cents(c(r, 'original_amount'));
        for (const x of plan) {
          const rem = cents(p(x, 'remaining_principal'));
          assert.ok(rem < before, 'remaining principal decreases');
          assert.equal(before - rem, cents(p(x, 'principal_amount')));
          before = rem;
          assert.equal(cents(p(x, 'installment_amount')), cents(p(x, 'principal_amount')) + cents(p(x, 'interest_amount')) + cents(p(x, 'tax_amount')));
          const status = statusLabel[p(x, 'payment_status')];
          if (status === 'PAID') {
            assert.ok(p(x, 'payment_date') !== '' && p(x, 'paid_amount') === p(x, 'installment_amount'), 'paid rows carry payment date and amount');
          }
          if (status === 'PENDING') assert.ok(p(x, 'payment_date') === '' && p(x, 'due_date') >= '20250630');
        }
        assert.equal(before, 0, 'the last installment clears the loan');
        assert.equal(p(plan[0], 'due_date'), c(r, 'first_installment_date'));
        assert.equal(p(plan[n - 1], 'due_date'), c(r, 'maturity_date'));
        const freq = freqLabel[c(r, 'installment_frequency')] as string;
        if (freq === 'BULLET') assert.equal(n, 1);
        else {
          for (let k = 1; k < n; k++) {
            assert.equal(monthIndex(p(plan[k], 'due_date')) - monthIndex(p(plan[k - 1], 'due_date')), stepMonths[freq], `${freq} due dates`);
          }
        }
        const paid = plan.filter((x) => statusLabel[p(x, 'payment_status')] === 'PAID');
        assert.equal(Number(c(r, 'paid_installment_count')), paid.length);
        assert.equal(
          cents(c(r, 'outstanding_principal')),
          cents(c(r, 'original_amount')) - paid.reduce((s, x) => s + cents(p(x, 'principal_amount')), 0),
        );
        assert.ok(Number(c(r, 'interest_rate')) >= 2.5 && Number(c(r, 'interest_rate')) <= 60);
        if (loanType === 'RETAIL') assert.match(c(r, 'insurance_included'), /^[EH]$/);
      }
      const mean = installments / credit.rows.length;
      assert.ok(mean > (loanType === 'RETAIL' ? 10 : 6) && mean < 16, `about a dozen installments per loan (${mean.toFixed(1)})`);
    });

    for (const errorRate of [0.05, 0.5]) {
      test(`${loanType} at error rate ${errorRate}: summary equals an independent spec check, row by row`, async () => {
        const injected: InjectedError[] = [];
        const out = await generateInMemory({ loanType, credits: 1500, errorRate, seed: 99, onError: (e) => injected.push(e) });
        const { credit, payment } = checkBoth(out, loanType);
        assert.deepEqual(out.summary.files.credit, credit.truth);
        assert.deepEqual(out.summary.files.payment_plan, payment.truth);
        assert.deepEqual(sortedErrors(credit.errors), sortedErrors(injected.filter((e) => e.file_type === 'credit')));
        assert.deepEqual(sortedErrors(payment.errors), sortedErrors(injected.filter((e) => e.file_type === 'payment_plan')));
        const invalid = credit.truth.invalid_rows + payment.truth.invalid_rows;
        assert.ok(invalid <= errorRate * (credit.truth.rows + payment.truth.rows), 'the sync does not abort (§6: > 0.50)');
      });
    }

    test(`${loanType}: summary counts add up and injections cycle through every code and many columns`, async () => {
      const out = await generateInMemory({ loanType, credits: 4000, errorRate: 0.1, seed: 1 });
      const s: Summary = out.summary;
      assert.equal(s.loan_type, loanType);
      assert.equal(s.seed, 1);
      assert.equal(s.error_rate, 0.1);
      for (const fileType of ['credit', 'payment_plan'] as const) {
        const t = s.files[fileType];
        assert.equal(t.rows, out[fileType].split('\n').length - 2, 'rows are the data lines');
        const byCode = Object.values(t.errors_by_code).reduce((a, b) => a + b, 0);
        const byField = Object.values(t.errors_by_field).reduce((a, b) => a + b, 0);
        assert.equal(byCode, t.invalid_rows, 'one error per invalid row');
        assert.equal(byField, t.invalid_rows);
        assert.equal(t.invalid_rows, Math.floor(0.1 * t.rows), `${fileType}: exactly the error rate, rounded down`);
        for (const key of Object.keys(t.errors_by_field)) assert.ok(key.startsWith(`${fileType}.`));
        const codes = ERROR_CODES.filter((c) => fileType === 'payment_plan' || c !== 'CROSS_REFERENCE');
        for (const code of codes) assert.ok(t.errors_by_code[code] > 0, `${fileType} has ${code} errors`);
        assert.ok(Object.keys(t.errors_by_field).length >= (fileType === 'credit' ? 25 : 12), 'errors spread over many columns');
      }
      assert.equal(s.files.credit.rows, 4000);
      for (const f of ['maturity_date', 'first_installment_date', 'outstanding_principal', 'paid_installment_count', '_row']) {
        assert.ok(s.files.credit.errors_by_field[`credit.${f}`] > 0, `credit.${f} is exercised`);
      }
      for (const f of ['payment_date', 'installment_number', 'loan_account_number', '_row']) {
        assert.ok(s.files.payment_plan.errors_by_field[`payment_plan.${f}`] > 0, `payment_plan.${f} is exercised`);
      }
    });
  }

  for (const loanType of LOAN_TYPES) {
    test(`${loanType}: generated errors match the validator exactly, code by code and field by field`, async () => {
      const injected: InjectedError[] = [];
      const out = await generateInMemory({ loanType, credits: 2000, errorRate: 0.05, seed: 2024, onError: (e) => injected.push(e) });
      const credit = runValidator(out.credit, 'credit', loanType);
      const payment = runValidator(out.payment_plan, 'payment_plan', loanType, credit.validKeys);
      for (const [fileType, got] of [['credit', credit], ['payment_plan', payment]] as const) {
        const want = out.summary.files[fileType];
        assert.deepEqual(
          sortedErrors(got.errors),
          sortedErrors(injected.filter((e) => e.file_type === fileType)),
          `${fileType}: the same rows, fields and codes`,
        );
        assert.equal(got.truth.rows, want.rows, `${fileType}: rows`);
        assert.equal(got.truth.invalid_rows, want.invalid_rows, `${fileType}: invalid rows`);
        assert.deepEqual(nonZero(got.truth.errors_by_code), nonZero(want.errors_by_code), `${fileType}: errors_by_code`);
        assert.deepEqual(nonZero(got.truth.errors_by_field), nonZero(want.errors_by_field), `${fileType}: errors_by_field`);
      }
    });
  }

  test('generateFiles streams the same bytes as the in-memory generator and writes summary.json', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gen-'));
    try {
      const opts = { loanType: 'COMMERCIAL' as const, credits: 3000, errorRate: 0.05, seed: 4 };
      const summary = await generateFiles({ ...opts, outDir: path.join(dir, 'out') });
      const mem = await generateInMemory(opts);
      assert.equal(await readFile(path.join(dir, 'out', 'credit.csv'), 'utf8'), mem.credit);
      assert.equal(await readFile(path.join(dir, 'out', 'payment_plan.csv'), 'utf8'), mem.payment_plan);
      assert.deepEqual(JSON.parse(await readFile(path.join(dir, 'out', 'summary.json'), 'utf8')), summary);
      assert.deepEqual(summary, mem.summary);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('generateFiles rejects bad options before writing anything', async () => {
    const dir = path.join(tmpdir(), `gen-none-${process.pid}`);
    await assert.rejects(generateFiles({ loanType: 'RETAIL', credits: 0, outDir: dir }), RangeError);
    await assert.rejects(generateFiles({ loanType: 'RETAIL', credits: 5, errorRate: 0.6, outDir: dir }), RangeError);
    await assert.rejects(generateFiles({ loanType: 'LEASING' as LoanType, credits: 5, outDir: dir }), RangeError);
    assert.equal(existsSync(dir), false);
  });

  test('CLI prints the paths, and exits 2 with a one-line error on bad arguments', async () => {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'scripts/generate.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
    const dir = await mkdtemp(path.join(tmpdir(), 'gen-cli-'));
    try {
      const ok = run('--loan-type', 'retail', '--credits', '50', '--out', dir, '--error-rate', '0.1', '--seed', '9');
      assert.equal(ok.status, 0, ok.stderr);
      assert.deepEqual(ok.stdout.trim().split('\n'), ['credit.csv', 'payment_plan.csv', 'summary.json'].map((f) => path.join(dir, f)));
      const summary = JSON.parse(await readFile(path.join(dir, 'summary.json'), 'utf8'));
      assert.equal(summary.loan_type, 'RETAIL');
      assert.equal(summary.seed, 9);
      assert.equal(summary.files.credit.rows, 50);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const bad: [string[], RegExp][] = [
      [['--loan-type', 'LEASING', '--credits', '5', '--out', 'x'], /unknown loan type 'LEASING'/],
      [['--loan-type', 'RETAIL', '--credits', '0', '--out', 'x'], /--credits must be a positive integer/],
      [['--loan-type', 'RETAIL', '--credits', '1.5', '--out', 'x'], /--credits must be a positive integer/],
      [['--loan-type', 'RETAIL', '--credits', '5', '--out', 'x', '--error-rate', '0.6'], /--error-rate must be a number from 0 to 0.5/],
      [['--loan-type', 'RETAIL', '--credits', '5', '--out', 'x', '--error-rate', '-0.1'], /--error-rate/],
      [['--loan-type', 'RETAIL', '--credits', '5', '--out', 'x', '--seed', 'abc'], /--seed must be an integer/],
      [['--loan-type', 'RETAIL', '--credits', '5'], /--out is required/],
      [['--loan-type', 'RETAIL', '--credits', '5', '--out', 'x', '--rows', '3'], /unknown argument '--rows'/],
    ];
    for (const [args, message] of bad) {
      const r = run(...args);
      assert.equal(r.status, 2, args.join(' '));
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
      assert.equal(r.stdout, '');
    }
  });
});
