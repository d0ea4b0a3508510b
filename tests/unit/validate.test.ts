import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COLUMNS, isRequired, isUsed, type FileType, type LoanType } from '../../domain/columns.ts';
import { CsvParser } from '../../domain/csv.ts';
import { compareDec, dec, divPow10, fromScaledBigInt, parseDec, toCanonical, toFixed, toScaledBigInt } from '../../domain/decimal.ts';
import { FileLevelError } from '../../domain/file-errors.ts';
import { RowValidator, bindHeader, isCalendarDate, upperAscii, type ValidatedRow } from '../../domain/validate.ts';

type Rec = Record<string, string>;

const CREDIT_RETAIL: Rec = {
  loan_account_number: 'ln-001',
  customer_id: ' Cust 1 ',
  customer_type: 'i',
  branch_code: '001',
  product_code: 'pl01',
  currency: 'try',
  original_amount: '1000.5',
  outstanding_principal: '500',
  accrued_interest: '',
  overdue_principal: '0',
  overdue_interest: '1.25',
  interest_rate: '18.5',
  bsmv_rate: '0.05',
  kkdf_rate: '15',
  effective_annual_rate: '',
  disbursement_date: '20240115',
  maturity_date: '20260115',
  first_installment_date: '20240215',
  last_payment_date: '',
  installment_count: '24',
  paid_installment_count: '04',
  installment_frequency: 'm',
  loan_status: 'A',
  days_past_due: '0',
  risk_stage: '1',
  collateral_type: 'n',
  collateral_value: '',
  province_code: '34',
  insurance_included: 'E',
  sector_code: 'zz',
  loan_product_type: 'x',
};
const CREDIT_COMMERCIAL: Rec = { ...CREDIT_RETAIL, insurance_included: 'bogus', sector_code: 'c10.1', loan_product_type: 'spot' };

const PAYMENT: Rec = {
  loan_account_number: 'ln-001',
  installment_number: '1',
  due_date: '20240215',
  installment_amount: '100',
  principal_amount: '80',
  interest_amount: '15',
  tax_amount: '5',
  remaining_principal: '920',
  payment_date: '20240216',
  paid_amount: '100',
  payment_status: 'o',
  days_late: '1',
};

interface HarnessOpts {
  columns?: string[];
  delimiter?: string;
  references?: Set<string>;
}

/** A validator over a header of `columns` (default: all columns of the file type, in §4 order). */
function harness(fileType: FileType, loanType: LoanType, opts: HarnessOpts = {}) {
  const columns = opts.columns ?? COLUMNS[fileType].map((c) => c.name);
  const { binding } = bindHeader(fileType, loanType, columns);
  const v = new RowValidator(fileType, loanType, binding, { delimiter: opts.delimiter ?? ',', references: opts.references });
  const base = fileType === 'payment_plan' ? PAYMENT : loanType === 'RETAIL' ? CREDIT_RETAIL : CREDIT_COMMERCIAL;
  let n = 0;
  return {
    v,
    /** `base` with `over`; unless overridden, each row gets its own key (ln-001, ln-002, … / installment 1, 2, …). */
    row(over: Rec = {}): ValidatedRow {
      const key: Rec = { loan_account_number: `ln-${String(n + 1).padStart(3, '0')}` };
      if (fileType === 'payment_plan') key.installment_number = String((n % 600) + 1);
      const rec = { ...base, ...key, ...over };
      return v.validate({ row: ++n, fields: columns.map((c) => rec[c] ?? ''), rowError: false });
    },
    raw(fields: string[], rowError = false): ValidatedRow {
      return v.validate({ row: ++n, fields, rowError });
    },
  };
}

const codes = (r: ValidatedRow) => r.errors.map((e) => `${e.field}:${e.code}`);

function value(r: ValidatedRow, fileType: FileType, column: string): string | null {
  assert.deepEqual(r.errors, [], 'row expected to be valid');
  const k = COLUMNS[fileType].findIndex((c) => c.name === column);
  return r.values![k];
}

/** One field checked alone: the single error code on it, or 'ok:<normalized value>'. */
function check(fileType: FileType, loanType: LoanType, column: string, text: string, opts: HarnessOpts = {}): string {
  const r = harness(fileType, loanType, opts).row({ [column]: text });
  const own = r.errors.filter((e) => e.field === column);
  assert.ok(own.length <= 1);
  assert.deepEqual(
    r.errors.filter((e) => e.field !== column),
    [],
    `unexpected other errors: ${codes(r)}`,
  );
  return own.length ? own[0].code : 'ok:' + value(r, fileType, column);
}

/** Full path: CSV text → parser → bindHeader → RowValidator. */
function runCsv(fileType: FileType, loanType: LoanType, text: string, references?: Set<string>): ValidatedRow[] {
  const out: ValidatedRow[] = [];
  let v: RowValidator | null = null;
  const p = new CsvParser({
    onHeader(names, delimiter) {
      v = new RowValidator(fileType, loanType, bindHeader(fileType, loanType, names).binding, { delimiter, references });
    },
    onRow(row) {
      out.push(v!.validate(row));
    },
  });
  p.push(Buffer.from(text));
  p.end();
  return out;
}

function csvOf(delimiter: string, recs: Rec[]): string {
  const cols = Object.keys(recs[0]);
  return [cols.join(delimiter), ...recs.map((r) => cols.map((c) => r[c]).join(delimiter))].join('\n') + '\n';
}

function throwsFileError(fn: () => unknown, code: string, details: object) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof FileLevelError);
    assert.equal(e.code, code);
    assert.deepEqual(e.details, details);
    return true;
  });
}

// ================================================================ header binding (§2, §4, §7, §9.2, §9.18)

test('§2 header names match case-insensitively after trimming, in any order', () => {
  const names = COLUMNS.payment_plan.map((c) => c.name).reverse();
  names[0] = '  DAYS_LATE\t';
  names[1] = 'Payment_Status';
  const { binding, warnings, unknownColumns } = bindHeader('payment_plan', 'RETAIL', names);
  assert.deepEqual(warnings, []);
  assert.deepEqual(unknownColumns, []);
  assert.equal(binding.fieldCount, 12);
  assert.deepEqual(binding.indexes, [11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
});

test('§9.2 INTEREST_RATE matches interest_rate (ASCII case folding)', () => {
  const names = COLUMNS.credit.filter((c) => isRequired(c, 'RETAIL')).map((c) => (c.name === 'interest_rate' ? 'INTEREST_RATE' : c.name));
  const { binding } = bindHeader('credit', 'RETAIL', names);
  const k = COLUMNS.credit.findIndex((c) => c.name === 'interest_rate');
  assert.equal(binding.indexes[k], names.indexOf('INTEREST_RATE'));
});

test('§9.2 a Turkish dotless ı or dotted İ does not match (no locale folding)', () => {
  for (const bad of ['ınterest_rate', 'İNTEREST_RATE']) {
    const names = COLUMNS.credit.filter((c) => isRequired(c, 'RETAIL')).map((c) => (c.name === 'interest_rate' ? bad : c.name));
    throwsFileError(() => bindHeader('credit', 'RETAIL', names), 'MISSING_COLUMNS', { columns: ['interest_rate'] });
    const { warnings, unknownColumns } = bindHeader('credit', 'RETAIL', [...names, 'interest_rate']);
    assert.deepEqual(unknownColumns, [bad]);
    assert.equal(warnings.length, 1);
    assert.ok(warnings[0].includes(bad));
  }
});

test('§9.18 unknown columns are warned once each, spelled as sent after trimming', () => {
  const names = [...COLUMNS.payment_plan.map((c) => c.name), '  Foo Bar ', 'ZIP', 'due_date_2'];
  const { warnings, unknownColumns, binding } = bindHeader('payment_plan', 'RETAIL', names);
  assert.deepEqual(unknownColumns, ['Foo Bar', 'ZIP', 'due_date_2']);
  assert.deepEqual(binding.unknownColumns, unknownColumns);
  assert.equal(warnings.length, 3);
  warnings.forEach((w, i) => assert.ok(w.includes(`"${unknownColumns[i]}"`), w));
  assert.equal(binding.fieldCount, 15);
});

test('§2 a column of the other file type is unknown, a column unused by the loan type is not', () => {
  const credit = COLUMNS.credit.map((c) => c.name);
  assert.deepEqual(bindHeader('credit', 'RETAIL', [...credit, 'due_date']).unknownColumns, ['due_date']);
  assert.deepEqual(bindHeader('credit', 'RETAIL', credit).unknownColumns, []);
});

test('§7 DUPLICATE_COLUMNS lists repeated names trimmed and ASCII lower-cased, each once', () => {
  const names = [...COLUMNS.payment_plan.map((c) => c.name), ' Due_Date', 'DUE_DATE ', 'Foo', 'foo'];
  throwsFileError(() => bindHeader('payment_plan', 'RETAIL', names), 'DUPLICATE_COLUMNS', { columns: ['due_date', 'foo'] });
});

test('§7 documented choice: DUPLICATE_COLUMNS wins over MISSING_COLUMNS', () => {
  throwsFileError(() => bindHeader('payment_plan', 'RETAIL', ['loan_account_number', 'LOAN_ACCOUNT_NUMBER']), 'DUPLICATE_COLUMNS', {
    columns: ['loan_account_number'],
  });
});

test('§7 MISSING_COLUMNS lists the missing names in §4 order', () => {
  throwsFileError(() => bindHeader('payment_plan', 'RETAIL', ['payment_status', 'due_date', 'foo']), 'MISSING_COLUMNS', {
    columns: ['loan_account_number', 'installment_number', 'installment_amount', 'principal_amount', 'interest_amount', 'remaining_principal'],
  });
});

test('§4 §9.1 RETAIL needs insurance_included, not sector_code / loan_product_type', () => {
  const retail = COLUMNS.credit.filter((c) => c.req === 'R' || c.req === 'RET').map((c) => c.name);
  assert.doesNotThrow(() => bindHeader('credit', 'RETAIL', retail));
  throwsFileError(() => bindHeader('credit', 'RETAIL', retail.filter((n) => n !== 'insurance_included')), 'MISSING_COLUMNS', {
    columns: ['insurance_included'],
  });
});

test('§4 §9.1 COMMERCIAL needs sector_code and loan_product_type, not insurance_included', () => {
  const commercial = COLUMNS.credit.filter((c) => c.req === 'R' || c.req === 'COM').map((c) => c.name);
  assert.doesNotThrow(() => bindHeader('credit', 'COMMERCIAL', commercial));
  throwsFileError(() => bindHeader('credit', 'COMMERCIAL', commercial.filter((n) => !['sector_code', 'loan_product_type'].includes(n))), 'MISSING_COLUMNS', {
    columns: ['sector_code', 'loan_product_type'],
  });
});

test('§4.2 a payment header may omit every optional column', () => {
  const required = COLUMNS.payment_plan.filter((c) => c.req === 'R').map((c) => c.name);
  assert.deepEqual(required, ['loan_account_number', 'installment_number', 'due_date', 'installment_amount', 'principal_amount', 'interest_amount', 'remaining_principal', 'payment_status']);
  assert.doesNotThrow(() => bindHeader('payment_plan', 'COMMERCIAL', required));
});

test('§2 documented choice: empty header names are unknown columns, and two of them are duplicates', () => {
  const names = COLUMNS.payment_plan.map((c) => c.name);
  assert.deepEqual(bindHeader('payment_plan', 'RETAIL', [...names, '']).unknownColumns, ['']);
  throwsFileError(() => bindHeader('payment_plan', 'RETAIL', [...names, '', ' ']), 'DUPLICATE_COLUMNS', { columns: [''] });
});

// ================================================================ valid rows and normalization (§5)

test('§5 a valid RETAIL credit row is normalized column by column', () => {
  const r = harness('credit', 'RETAIL').row();
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.values, [
    'LN-001',
    'Cust 1',
    'INDIVIDUAL',
    '001',
    'PL01',
    'TRY',
    '1000.50',
    '500.00',
    '0.00',
    '0.00',
    '1.25',
    '0.185',
    '0.05',
    '0.15',
    null,
    '2024-01-15',
    '2026-01-15',
    '2024-02-15',
    null,
    '24',
    '4',
    'MONTHLY',
    'ACTIVE',
    '0',
    '1',
    'NONE',
    null,
    '34',
    '1',
    null,
    null,
  ]);
  assert.equal(r.loanAccount, 'LN-001');
});

test('§5 a valid COMMERCIAL credit row is normalized; insurance_included is unused and NULL', () => {
  const r = harness('credit', 'COMMERCIAL').row();
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.values!.slice(28), [null, 'C10.1', 'SPOT']);
});

test('§5 a valid payment row is normalized column by column', () => {
  const r = harness('payment_plan', 'RETAIL').row();
  assert.deepEqual(r.values, ['LN-001', '1', '2024-02-15', '100.00', '80.00', '15.00', '5.00', '920.00', '2024-02-16', '100.00', 'PAID', '1']);
  assert.equal(r.loanAccount, 'LN-001');
});

test('§9.1 RETAIL: sector_code and loan_product_type are not validated and stored NULL, present or absent', () => {
  const h = harness('credit', 'RETAIL');
  const r = h.row({ sector_code: '!!!', loan_product_type: 'nonsense' });
  assert.deepEqual(r.errors, []);
  assert.equal(value(r, 'credit', 'sector_code'), null);
  assert.equal(value(r, 'credit', 'loan_product_type'), null);
  const cols = COLUMNS.credit.map((c) => c.name).filter((n) => n !== 'sector_code' && n !== 'loan_product_type');
  const r2 = harness('credit', 'RETAIL', { columns: cols }).row();
  assert.deepEqual(r2.errors, []);
  assert.equal(value(r2, 'credit', 'sector_code'), null);
});

test('§9.1 COMMERCIAL: insurance_included is not validated and stored NULL, present or absent', () => {
  assert.equal(check('credit', 'COMMERCIAL', 'insurance_included', 'garbage'), 'ok:null');
  assert.equal(check('credit', 'COMMERCIAL', 'insurance_included', 'E'), 'ok:null');
  const cols = COLUMNS.credit.map((c) => c.name).filter((n) => n !== 'insurance_included');
  const r = harness('credit', 'COMMERCIAL', { columns: cols }).row();
  assert.equal(value(r, 'credit', 'insurance_included'), null);
});

test('§5 codes become labels, case-insensitively (§9.2); insurance_included E/H → 1/0', () => {
  assert.equal(check('credit', 'RETAIL', 'customer_type', 't'), 'ok:TRADE');
  assert.equal(check('credit', 'RETAIL', 'currency', 'usd'), 'ok:USD');
  assert.equal(check('credit', 'RETAIL', 'currency', 'Chf'), 'ok:CHF');
  assert.equal(check('credit', 'RETAIL', 'installment_frequency', 's'), 'ok:SEMI_ANNUAL');
  assert.equal(check('credit', 'RETAIL', 'installment_frequency', 'B'), 'ok:BULLET');
  assert.equal(check('credit', 'RETAIL', 'loan_status', 't'), 'ok:NON_PERFORMING');
  assert.equal(check('credit', 'RETAIL', 'loan_status', 'Y'), 'ok:RESTRUCTURED');
  assert.equal(check('credit', 'RETAIL', 'collateral_type', 'g'), 'ok:GUARANTOR');
  assert.equal(check('credit', 'RETAIL', 'insurance_included', 'e'), 'ok:1');
  assert.equal(check('credit', 'RETAIL', 'insurance_included', 'H'), 'ok:0');
  assert.equal(check('credit', 'COMMERCIAL', 'loan_product_type', 'Revolving'), 'ok:REVOLVING');
  assert.equal(check('payment_plan', 'RETAIL', 'payment_status', 'k'), 'ok:PARTIAL');
  assert.equal(check('payment_plan', 'RETAIL', 'payment_status', 'G'), 'ok:OVERDUE');
});

test('§5 strings are trimmed and upper-cased (ASCII) where the column says so', () => {
  assert.equal(check('credit', 'RETAIL', 'loan_account_number', ' ab-_9z '), 'ok:AB-_9Z');
  assert.equal(check('credit', 'RETAIL', 'product_code', 'gpl_x'), 'ok:GPL_X');
  assert.equal(check('credit', 'RETAIL', 'customer_id', '\u00a0 aBc Ü \ufeff'), 'ok:aBc Ü');
  assert.equal(check('credit', 'RETAIL', 'branch_code', '000123'), 'ok:000123');
  assert.equal(check('credit', 'COMMERCIAL', 'sector_code', 'u99.12'), 'ok:U99.12');
});

test('§5 ints are canonical: 06 → 6, 000 → 0, -0 → 0', () => {
  assert.equal(check('credit', 'RETAIL', 'installment_count', '06'), 'ok:6');
  assert.equal(check('credit', 'RETAIL', 'days_past_due', '000'), 'ok:0');
  assert.equal(check('credit', 'RETAIL', 'days_past_due', '-0'), 'ok:0');
  assert.equal(check('credit', 'RETAIL', 'province_code', '081'), 'ok:81');
  assert.equal(check('credit', 'RETAIL', 'risk_stage', '03'), 'ok:3');
  assert.equal(check('credit', 'RETAIL', 'installment_count', '00000000000000000000000600'), 'ok:600');
});

test('§5 money is an exact decimal with 2 decimals', () => {
  assert.equal(check('credit', 'RETAIL', 'collateral_value', '0123.4'), 'ok:123.40');
  assert.equal(check('credit', 'RETAIL', 'collateral_value', '5'), 'ok:5.00');
  assert.equal(check('credit', 'RETAIL', 'collateral_value', '-0'), 'ok:0.00');
  assert.equal(check('credit', 'RETAIL', 'collateral_value', '-0.00'), 'ok:0.00');
  assert.equal(check('credit', 'RETAIL', 'collateral_value', '0.1'), 'ok:0.10');
  assert.equal(check('credit', 'RETAIL', 'collateral_value', '999999999999999.99'), 'ok:999999999999999.99');
  assert.equal(check('credit', 'RETAIL', 'collateral_value', '1000000000000000'), 'ok:1000000000000000.00');
});

test('§5 §9.8 percent scaling is exact: >1 divided by 100, 0..1 kept', () => {
  const cases: [string, string][] = [
    ['1', '1'],
    ['1.000000', '1'],
    ['1.000001', '0.01000001'],
    ['200', '2'],
    ['0.5', '0.5'],
    ['0.500000', '0.5'],
    ['18.5', '0.185'],
    ['18.123456', '0.18123456'],
    ['0', '0'],
    ['0.000001', '0.000001'],
    ['1.5', '0.015'],
    ['100', '1'],
    ['099.999999', '0.99999999'],
    ['-0', '0'],
  ];
  for (const [text, want] of cases) assert.equal(check('credit', 'RETAIL', 'interest_rate', text), 'ok:' + want, text);
  assert.equal(check('credit', 'RETAIL', 'effective_annual_rate', '1000'), 'ok:10');
  assert.equal(check('credit', 'RETAIL', 'effective_annual_rate', '999.999999'), 'ok:9.99999999');
});

test('§5 dates become ISO YYYY-MM-DD', () => {
  assert.equal(check('payment_plan', 'RETAIL', 'due_date', ' 20240229 '), 'ok:2024-02-29');
  assert.equal(check('credit', 'RETAIL', 'last_payment_date', '19500101'), 'ok:1950-01-01');
});

// ================================================================ missing values (§2, §6)

const ALL_CASES: [FileType, LoanType][] = [
  ['credit', 'RETAIL'],
  ['credit', 'COMMERCIAL'],
  ['payment_plan', 'RETAIL'],
  ['payment_plan', 'COMMERCIAL'],
];

for (const [fileType, loanType] of ALL_CASES) {
  test(`§6 REQUIRED on every required column when missing (${fileType} ${loanType}), value null`, () => {
    for (const col of COLUMNS[fileType]) {
      if (!isRequired(col, loanType)) continue;
      const r = harness(fileType, loanType).row({ [col.name]: '' });
      const own = r.errors.filter((e) => e.field === col.name);
      assert.deepEqual(
        own.map((e) => [e.code, e.value]),
        [['REQUIRED', null]],
        col.name,
      );
      assert.equal(r.values, null);
    }
  });

  test(`§6 an optional missing value is fine: its default or NULL (${fileType} ${loanType})`, () => {
    for (const col of COLUMNS[fileType]) {
      if (isRequired(col, loanType) || !isUsed(col, loanType)) continue;
      const over: Rec = { [col.name]: '   ' };
      if (col.name === 'payment_date') over.payment_status = 'B';
      const r = harness(fileType, loanType).row(over);
      const want = col.defaultWhenMissing === undefined ? null : col.type === 'money' ? '0.00' : col.defaultWhenMissing;
      assert.equal(value(r, fileType, col.name), want, col.name);
    }
  });
}

test('§2 values that are empty or white space only (quoted or not, U+00A0, U+FEFF) are missing', () => {
  for (const blank of ['', '   ', '\t', '\u00a0', '\ufeff', '\u2028 \u3000']) {
    const r = harness('payment_plan', 'RETAIL').row({ due_date: blank });
    assert.deepEqual(codes(r), ['due_date:REQUIRED'], JSON.stringify(blank));
  }
  const rows = runCsv('payment_plan', 'RETAIL', csvOf(',', [{ ...PAYMENT, due_date: '"  "' }]));
  assert.deepEqual(codes(rows[0]), ['due_date:REQUIRED']);
});

test('§9.5 §9.13 U+0085 is not white space: not missing, and a control character in strings', () => {
  assert.equal(check('payment_plan', 'RETAIL', 'installment_amount', '\u0085'), 'TYPE');
  assert.equal(check('credit', 'RETAIL', 'customer_id', '\u0085abc'), 'FORMAT');
  assert.equal(check('credit', 'RETAIL', 'customer_id', 'abc\u0085'), 'FORMAT');
});

test('§4.2 optional payment columns absent from the header take their defaults', () => {
  const required = COLUMNS.payment_plan.filter((c) => c.req === 'R').map((c) => c.name);
  const r = harness('payment_plan', 'RETAIL', { columns: required }).row({ payment_status: 'B' });
  assert.deepEqual(r.values, ['LN-001', '1', '2024-02-15', '100.00', '80.00', '15.00', '0.00', '920.00', null, '0.00', 'PENDING', '0']);
});

// ================================================================ TYPE and FORMAT (§3, §6, §9.7)

const NOT_NUMBERS = ['abc', '1e5', '+5', '.5', '5.', '1,000', '--1', '-', '1.2.3', '5 5', '0x10', '١٢', '1_000', '∞', 'NaN', '1.5e2', '5-'];

test('§9.7 int text that is not a number is TYPE', () => {
  for (const t of NOT_NUMBERS) assert.equal(check('credit', 'RETAIL', 'installment_count', t), 'TYPE', t);
});

test('§9.7 money and percent text that is not a number is TYPE', () => {
  for (const t of NOT_NUMBERS) {
    assert.equal(check('credit', 'RETAIL', 'original_amount', t), 'TYPE', t);
    assert.equal(check('credit', 'RETAIL', 'interest_rate', t), 'TYPE', t);
    assert.equal(check('payment_plan', 'RETAIL', 'tax_amount', t), 'TYPE', t);
  }
});

test('§9.7 int text with a fractional part is FORMAT (3.5, 3.0, -3.5)', () => {
  for (const t of ['3.5', '3.0', '-3.5', '0.0', '600.000']) assert.equal(check('credit', 'RETAIL', 'installment_count', t), 'FORMAT', t);
  assert.equal(check('payment_plan', 'RETAIL', 'installment_number', '1.0'), 'FORMAT');
  assert.equal(check('payment_plan', 'RETAIL', 'days_late', '2.5'), 'FORMAT');
  assert.equal(check('credit', 'RETAIL', 'risk_stage', '2.0'), 'FORMAT');
});

test('§9.7 §9.4 int 3,5 is FORMAT in a ; file and TYPE elsewhere', () => {
  assert.equal(check('credit', 'RETAIL', 'installment_count', '3,5', { delimiter: ';' }), 'FORMAT');
  assert.equal(check('credit', 'RETAIL', 'installment_count', '3,5', { delimiter: ',' }), 'TYPE');
  assert.equal(check('credit', 'RETAIL', 'installment_count', '3,5', { delimiter: '|' }), 'TYPE');
});

test('§3 money with more than 2 fractional digits is FORMAT, trailing zeros included', () => {
  for (const t of ['1.005', '1.000', '-1.234', '99999999999999999.999', '0.0000'])
    assert.equal(check('credit', 'RETAIL', 'outstanding_principal', t), 'FORMAT', t);
  assert.equal(check('credit', 'RETAIL', 'outstanding_principal', '1.50'), 'ok:1.50');
});

test('§3 percent with more than 6 fractional digits is FORMAT', () => {
  assert.equal(check('credit', 'RETAIL', 'interest_rate', '18.1234567'), 'FORMAT');
  assert.equal(check('credit', 'RETAIL', 'bsmv_rate', '0.0000000'), 'FORMAT');
  assert.equal(check('credit', 'RETAIL', 'kkdf_rate', '-1.1234567'), 'FORMAT');
  assert.equal(check('credit', 'RETAIL', 'interest_rate', '18.123456'), 'ok:0.18123456');
});

test('§3 §9.7 impossible dates and wrong shapes are FORMAT (leap years, year 0000)', () => {
  const bad = ['20230229', '19000229', '21000229', '20240230', '20240431', '20240631', '20240931', '20241131', '00000101', '20241301', '20240001', '20240100', '20240132', '2024-01-15', '2024011', '202401150', 'abcdefgh', '2024O115', '+2024011', '２０２４０１１５'];
  for (const t of bad) assert.equal(check('payment_plan', 'RETAIL', 'due_date', t), 'FORMAT', t);
  for (const t of ['20240229', '20000229', '19960229', '20240131', '20240430']) assert.equal(check('payment_plan', 'RETAIL', 'due_date', t).slice(0, 3), 'ok:', t);
  assert.ok(isCalendarDate('00010101'));
  assert.ok(!isCalendarDate('00000229'));
});

test('§4 loan_account_number pattern [A-Za-z0-9_-]{1,32} is FORMAT', () => {
  const ok32 = 'A'.repeat(32);
  assert.equal(check('credit', 'RETAIL', 'loan_account_number', ok32), 'ok:' + ok32);
  for (const t of ['A'.repeat(33), 'LN 1', 'LN.1', 'LNü', 'LN/1', 'LN"1', 'ın1'])
    assert.equal(check('credit', 'RETAIL', 'loan_account_number', t), 'FORMAT', t);
  assert.equal(check('payment_plan', 'RETAIL', 'loan_account_number', 'LN#1'), 'FORMAT');
});

test('§4 branch_code, product_code and sector_code patterns are FORMAT', () => {
  assert.equal(check('credit', 'RETAIL', 'branch_code', '1234567'), 'FORMAT');
  assert.equal(check('credit', 'RETAIL', 'branch_code', '12a'), 'FORMAT');
  assert.equal(check('credit', 'RETAIL', 'branch_code', '-1'), 'FORMAT');
  assert.equal(check('credit', 'RETAIL', 'product_code', 'P'.repeat(17)), 'FORMAT');
  assert.equal(check('credit', 'RETAIL', 'product_code', 'P X'), 'FORMAT');
  assert.equal(check('credit', 'RETAIL', 'product_code', 'p'.repeat(16)), 'ok:' + 'P'.repeat(16));
  for (const t of ['C', 'c10', 'C10.1', 'C10.12', 'a01']) assert.equal(check('credit', 'COMMERCIAL', 'sector_code', t).slice(0, 3), 'ok:', t);
  for (const t of ['C1', 'V10', 'C10.', 'C10.123', 'C100', '10', 'CC'])
    assert.equal(check('credit', 'COMMERCIAL', 'sector_code', t), 'FORMAT', t);
});

test('§9.13 customer_id: 1..32 code points (surrogate pairs count once), no control characters', () => {
  const emoji32 = '😀'.repeat(32);
  assert.equal(check('credit', 'RETAIL', 'customer_id', emoji32), 'ok:' + emoji32);
  assert.equal(check('credit', 'RETAIL', 'customer_id', '😀'.repeat(33)), 'FORMAT');
  assert.equal(check('credit', 'RETAIL', 'customer_id', 'x'.repeat(33)), 'FORMAT');
  assert.equal(check('credit', 'RETAIL', 'customer_id', 'ç'.repeat(32)), 'ok:' + 'ç'.repeat(32));
  for (const c of ['\u0000', '\u0001', '\u001f', '\u007f', '\u0085', '\u009f'])
    assert.equal(check('credit', 'RETAIL', 'customer_id', `a${c}b`), 'FORMAT', c.charCodeAt(0).toString(16));
  assert.equal(check('credit', 'RETAIL', 'customer_id', 'a\u00a0b'), 'ok:a\u00a0b');
  assert.equal(check('credit', 'RETAIL', 'customer_id', 'a\u00a0b'), 'ok:a\u00a0b');
  assert.equal(check('credit', 'RETAIL', 'customer_id', 'a\tb'), 'FORMAT');
});

// ================================================================ RANGE and VALUE (§4, §9.9, §9.10)

const DATE_COLUMNS: [FileType, string][] = [
  ['credit', 'disbursement_date'],
  ['credit', 'maturity_date'],
  ['credit', 'first_installment_date'],
  ['credit', 'last_payment_date'],
  ['payment_plan', 'due_date'],
  ['payment_plan', 'payment_date'],
];

test('§9.9 every date column must lie in 1950-01-01..2100-12-31 (RANGE)', () => {
  for (const [fileType, col] of DATE_COLUMNS) {
    assert.equal(check(fileType, 'RETAIL', col, '19491231'), 'RANGE', col);
    assert.equal(check(fileType, 'RETAIL', col, '21010101'), 'RANGE', col);
    assert.equal(check(fileType, 'RETAIL', col, '00010101'), 'RANGE', col);
  }
  const h = harness('credit', 'RETAIL');
  assert.deepEqual(codes(h.row({ disbursement_date: '19500101', first_installment_date: '19500101', maturity_date: '21001231', last_payment_date: '21001231' })), []);
});

test('§9.9 maturity_date out of range is RANGE from its own bounds, checked before the cross-field rule', () => {
  const r = harness('credit', 'RETAIL').row({ maturity_date: '19491231' });
  assert.deepEqual(codes(r), ['maturity_date:RANGE']);
  assert.match(r.errors[0].message, /1950-01-01/);
});

const MONEY_COLUMNS: [FileType, string][] = [
  ...COLUMNS.credit.filter((c) => c.type === 'money').map((c): [FileType, string] => ['credit', c.name]),
  ...COLUMNS.payment_plan.filter((c) => c.type === 'money').map((c): [FileType, string] => ['payment_plan', c.name]),
];

test('§9.10 every money column is <= 1e15 and >= 0 (RANGE)', () => {
  assert.equal(MONEY_COLUMNS.length, 12);
  for (const [fileType, col] of MONEY_COLUMNS) {
    const over: Rec = {};
    if (col === 'outstanding_principal') over.original_amount = '1000000000000000';
    const h = harness(fileType, 'RETAIL');
    const at = (t: string) => codes(h.row({ ...over, [col]: t }));
    assert.deepEqual(at('1000000000000000.01'), [`${col}:RANGE`], col);
    assert.deepEqual(at('10000000000000000'), [`${col}:RANGE`], col);
    assert.deepEqual(at('-0.01'), [`${col}:RANGE`], col);
    assert.deepEqual(at('1000000000000000.00'), [], col);
  }
});

test('§4 original_amount must be > 0: 0, 0.00 and -0 are RANGE, 0.01 is fine', () => {
  for (const t of ['0', '0.00', '-0', '-5']) assert.equal(check('credit', 'RETAIL', 'original_amount', t), 'RANGE', t);
  const r = harness('credit', 'RETAIL').row({ original_amount: '0.01', outstanding_principal: '0' });
  assert.deepEqual(r.errors, []);
});

test('§5 percent bounds apply to the value as written', () => {
  assert.equal(check('credit', 'RETAIL', 'interest_rate', '200'), 'ok:2');
  assert.equal(check('credit', 'RETAIL', 'interest_rate', '200.000001'), 'RANGE');
  assert.equal(check('credit', 'RETAIL', 'interest_rate', '-0.000001'), 'RANGE');
  assert.equal(check('credit', 'RETAIL', 'bsmv_rate', '100'), 'ok:1');
  assert.equal(check('credit', 'RETAIL', 'bsmv_rate', '100.01'), 'RANGE');
  assert.equal(check('credit', 'RETAIL', 'kkdf_rate', '101'), 'RANGE');
  assert.equal(check('credit', 'RETAIL', 'effective_annual_rate', '1000.1'), 'RANGE');
  assert.equal(check('credit', 'RETAIL', 'effective_annual_rate', '999999999999999999999'), 'RANGE');
});

test('§4 int bounds are RANGE', () => {
  const cases: [FileType, string, string, string][] = [
    ['credit', 'installment_count', '0', 'RANGE'],
    ['credit', 'installment_count', '601', 'RANGE'],
    ['credit', 'installment_count', '4', 'ok:4'],
    ['credit', 'paid_installment_count', '-1', 'RANGE'],
    ['credit', 'days_past_due', '36501', 'RANGE'],
    ['credit', 'days_past_due', '36500', 'ok:36500'],
    ['credit', 'days_past_due', '-1', 'RANGE'],
    ['credit', 'province_code', '0', 'RANGE'],
    ['credit', 'province_code', '82', 'RANGE'],
    ['credit', 'province_code', '1', 'ok:1'],
    ['payment_plan', 'installment_number', '0', 'RANGE'],
    ['payment_plan', 'installment_number', '601', 'RANGE'],
    ['payment_plan', 'installment_number', '600', 'ok:600'],
    ['payment_plan', 'installment_number', '99999999999999999999999', 'RANGE'],
    ['payment_plan', 'days_late', '36501', 'RANGE'],
    ['payment_plan', 'days_late', '-5', 'RANGE'],
  ];
  for (const [fileType, col, t, want] of cases) assert.equal(check(fileType, 'RETAIL', col, t), want, `${col} ${t}`);
});

test('§4 codes outside their set are VALUE (ASCII case folding only, §9.2)', () => {
  const cases: [FileType, LoanType, string, string][] = [
    ['credit', 'RETAIL', 'customer_type', 'X'],
    ['credit', 'RETAIL', 'customer_type', 'ı'],
    ['credit', 'RETAIL', 'currency', 'TL'],
    ['credit', 'RETAIL', 'currency', 'trY '.trim() + 'x'],
    ['credit', 'RETAIL', 'installment_frequency', 'W'],
    ['credit', 'RETAIL', 'loan_status', 'ACTIVE'],
    ['credit', 'RETAIL', 'collateral_type', 'Z'],
    ['credit', 'RETAIL', 'insurance_included', '1'],
    ['credit', 'COMMERCIAL', 'loan_product_type', 'ınstallment'],
    ['credit', 'COMMERCIAL', 'loan_product_type', 'İNSTALLMENT'],
    ['payment_plan', 'RETAIL', 'payment_status', 'P'],
    ['credit', 'RETAIL', 'currency', 'constructor'],
    ['credit', 'RETAIL', 'currency', '__proto__'],
  ];
  for (const [fileType, loanType, col, t] of cases) assert.equal(check(fileType, loanType, col, t), 'VALUE', `${col} ${t}`);
  const r = harness('credit', 'RETAIL').row({ customer_type: 'X' });
  assert.match(r.errors[0].message, /I, T/);
});

test('§4 risk_stage must be 1, 2 or 3 (VALUE), after parsing as an int', () => {
  for (const t of ['0', '4', '-1', '-0', '10']) assert.equal(check('credit', 'RETAIL', 'risk_stage', t), 'VALUE', t);
  assert.equal(check('credit', 'RETAIL', 'risk_stage', 'abc'), 'TYPE');
  assert.equal(check('credit', 'RETAIL', 'risk_stage', '2'), 'ok:2');
  assert.equal(check('credit', 'RETAIL', 'risk_stage', '   '), 'ok:null');
});

// ================================================================ decimal comma (§3, §9.4)

test('§9.4 a ; file accepts the decimal comma in money and percent, normalized to a dot', () => {
  const rows = runCsv('credit', 'RETAIL', csvOf(';', [{ ...CREDIT_RETAIL, original_amount: '1234,5', outstanding_principal: '1.5', interest_rate: '18,5', bsmv_rate: '0,05' }]));
  assert.deepEqual(rows[0].errors, []);
  assert.equal(value(rows[0], 'credit', 'original_amount'), '1234.50');
  assert.equal(value(rows[0], 'credit', 'outstanding_principal'), '1.50');
  assert.equal(value(rows[0], 'credit', 'interest_rate'), '0.185');
  assert.equal(value(rows[0], 'credit', 'bsmv_rate'), '0.05');
});

test('§9.4 §9.7 outside ; files a comma in a number is TYPE (quoted in , files)', () => {
  const comma = runCsv('credit', 'RETAIL', csvOf(',', [{ ...CREDIT_RETAIL, original_amount: '"1234,5"', interest_rate: '"18,5"' }]));
  assert.deepEqual(codes(comma[0]), ['original_amount:TYPE', 'interest_rate:TYPE']);
  for (const d of ['|', '\t']) {
    const rows = runCsv('credit', 'RETAIL', csvOf(d, [{ ...CREDIT_RETAIL, original_amount: '1234,5', interest_rate: '18,5' }]));
    assert.deepEqual(codes(rows[0]), ['original_amount:TYPE', 'interest_rate:TYPE'], JSON.stringify(d));
  }
});

test('§9.4 in a ; file 1,000 is a decimal with 3 digits: FORMAT for money, and 3,5 is FORMAT for ints', () => {
  const rows = runCsv('credit', 'RETAIL', csvOf(';', [{ ...CREDIT_RETAIL, original_amount: '1,000', installment_count: '3,5', interest_rate: '18,1234567' }]));
  assert.deepEqual(codes(rows[0]), ['original_amount:FORMAT', 'interest_rate:FORMAT', 'installment_count:FORMAT']);
});

// ================================================================ cross-field rules (§4, §6, §9.11, §9.14)

test('§4 outstanding_principal > original_amount is RANGE on outstanding_principal (exact compare)', () => {
  const h = harness('credit', 'RETAIL');
  const r = h.row({ original_amount: '1000', outstanding_principal: ' 1000.01 ' });
  assert.deepEqual(
    r.errors.map((e) => [e.field, e.code, e.value]),
    [['outstanding_principal', 'RANGE', '1000.01']],
  );
  assert.deepEqual(codes(h.row({ original_amount: '1000', outstanding_principal: '1000.00' })), []);
  assert.deepEqual(codes(h.row({ original_amount: '100', outstanding_principal: '99.99' })), []);
});

test('§4 maturity_date and first_installment_date before disbursement_date are RANGE on themselves', () => {
  const h = harness('credit', 'RETAIL');
  assert.deepEqual(codes(h.row({ maturity_date: '20240114' })), ['maturity_date:RANGE']);
  assert.deepEqual(codes(h.row({ first_installment_date: '20231231' })), ['first_installment_date:RANGE']);
  assert.deepEqual(codes(h.row({ maturity_date: '20240115', first_installment_date: '20240115' })), []);
  assert.deepEqual(codes(h.row({ first_installment_date: '' })), []);
});

test('§4 paid_installment_count > installment_count is RANGE on paid_installment_count (numeric compare)', () => {
  const h = harness('credit', 'RETAIL');
  assert.deepEqual(codes(h.row({ installment_count: '10', paid_installment_count: '11' })), ['paid_installment_count:RANGE']);
  assert.deepEqual(codes(h.row({ installment_count: '10', paid_installment_count: '9' })), []);
  assert.deepEqual(codes(h.row({ installment_count: '10', paid_installment_count: '010' })), []);
  assert.deepEqual(codes(h.row({ installment_count: '9', paid_installment_count: '10' })), ['paid_installment_count:RANGE']);
});

test('§9.11 cross-field rules do not run when a field they read has an error of any code', () => {
  const h = harness('credit', 'RETAIL');
  assert.deepEqual(codes(h.row({ original_amount: 'abc', outstanding_principal: '5000' })), ['original_amount:TYPE']);
  assert.deepEqual(codes(h.row({ original_amount: '0', outstanding_principal: '5000' })), ['original_amount:RANGE']);
  assert.deepEqual(codes(h.row({ original_amount: '1.001', outstanding_principal: '5000' })), ['original_amount:FORMAT']);
  assert.deepEqual(codes(h.row({ disbursement_date: '21010101', maturity_date: '20250101' })), ['disbursement_date:RANGE']);
  assert.deepEqual(codes(h.row({ disbursement_date: '', maturity_date: '20200101' })), ['disbursement_date:REQUIRED']);
  assert.deepEqual(codes(h.row({ installment_count: '601', paid_installment_count: '700' })), ['installment_count:RANGE']);
  assert.deepEqual(codes(h.row({ installment_count: '12', paid_installment_count: '99.5' })), ['paid_installment_count:FORMAT']);
});

test('§4.2 payment_date is REQUIRED when payment_status is O (any case), value null', () => {
  const h = harness('payment_plan', 'RETAIL');
  for (const s of ['O', 'o', ' o ']) {
    const r = h.row({ payment_status: s, payment_date: '' });
    assert.deepEqual(
      r.errors.map((e) => [e.field, e.code, e.value]),
      [['payment_date', 'REQUIRED', null]],
    );
  }
  for (const s of ['B', 'G', 'K']) assert.deepEqual(codes(h.row({ payment_status: s, payment_date: '' })), [], s);
});

test('§9.14 a PAID row in a file without a payment_date column gets REQUIRED on payment_date', () => {
  const cols = COLUMNS.payment_plan.map((c) => c.name).filter((n) => n !== 'payment_date');
  const h = harness('payment_plan', 'RETAIL', { columns: cols });
  const r = h.row({ payment_status: 'O' });
  assert.deepEqual(
    r.errors.map((e) => [e.row, e.field, e.code, e.value]),
    [[1, 'payment_date', 'REQUIRED', null]],
  );
  assert.deepEqual(codes(h.row({ payment_status: 'b' })), []);
});

test('§6 payment_date-required does not run when payment_status has an error, nor on top of a payment_date error', () => {
  const h = harness('payment_plan', 'RETAIL');
  assert.deepEqual(codes(h.row({ payment_status: 'X', payment_date: '' })), ['payment_status:VALUE']);
  assert.deepEqual(codes(h.row({ payment_status: 'O', payment_date: '2024-01-01' })), ['payment_date:FORMAT']);
  assert.deepEqual(codes(h.row({ payment_status: 'O', payment_date: '19000101' })), ['payment_date:RANGE']);
});

// ================================================================ per-field precedence (§6)

test('§6 precedence per field: missing → parse (TYPE, then FORMAT) → bounds, one error per field', () => {
  const h = harness('credit', 'RETAIL');
  const one = (over: Rec) => h.row(over).errors.map((e) => `${e.field}:${e.code}`);
  assert.deepEqual(one({ original_amount: ' ' }), ['original_amount:REQUIRED']);
  assert.deepEqual(one({ original_amount: '-abc' }), ['original_amount:TYPE']);
  assert.deepEqual(one({ original_amount: '-1.234' }), ['original_amount:FORMAT']);
  assert.deepEqual(one({ original_amount: '-1.23' }), ['original_amount:RANGE']);
  assert.deepEqual(one({ installment_count: '-3.5' }), ['installment_count:FORMAT']);
  assert.deepEqual(one({ interest_rate: '500.1234567' }), ['interest_rate:FORMAT']);
  assert.deepEqual(one({ disbursement_date: '19000229', maturity_date: '18000101' }), ['disbursement_date:FORMAT', 'maturity_date:RANGE']);
  assert.deepEqual(one({ maturity_date: '20230101' }), ['maturity_date:RANGE']);
});

test('§6 error values are the trimmed raw text; messages are non-empty; errors come in column order', () => {
  const h = harness('credit', 'RETAIL');
  const r = h.row({ province_code: '  99 ', currency: ' usdx\t', loan_account_number: ' bad acct ' });
  assert.deepEqual(
    r.errors.map((e) => [e.row, e.field, e.code, e.value]),
    [
      [1, 'loan_account_number', 'FORMAT', 'bad acct'],
      [1, 'currency', 'VALUE', 'usdx'],
      [1, 'province_code', 'RANGE', '99'],
    ],
  );
  assert.ok(r.errors.every((e) => typeof e.message === 'string' && e.message.length > 5));
  assert.equal(r.values, null);
  assert.equal(r.loanAccount, null);
});

// ================================================================ ragged and malformed rows (§6, §9.5, §9.6)

test('§6 a ragged row gets one FORMAT error on _row with value null, nothing else checked', () => {
  const h = harness('payment_plan', 'RETAIL');
  for (const fields of [['x'], [...Object.values(PAYMENT), ''], Object.values(PAYMENT).slice(0, 11), []]) {
    const r = h.raw(fields.map(() => 'garbage'));
    assert.deepEqual(
      r.errors.map((e) => [e.field, e.code, e.value]),
      [['_row', 'FORMAT', null]],
    );
    assert.equal(r.values, null);
  }
  assert.deepEqual(h.v.counts, { total: 4, invalid: 4 });
});

test('§9.6 a row with malformed quoting gets one FORMAT error on _row', () => {
  const rows = runCsv('payment_plan', 'RETAIL', csvOf(',', [{ ...PAYMENT, due_date: 'x"y', installment_amount: 'abc' }]));
  assert.deepEqual(
    rows[0].errors.map((e) => [e.row, e.field, e.code, e.value]),
    [[1, '_row', 'FORMAT', null]],
  );
});

test('§9.5 a line of only delimiters with the header count is REQUIRED on each required column', () => {
  const h = harness('payment_plan', 'RETAIL');
  const r = h.raw(new Array(12).fill(''));
  assert.deepEqual(
    codes(r),
    COLUMNS.payment_plan.filter((c) => c.req === 'R').map((c) => `${c.name}:REQUIRED`),
  );
});

// ================================================================ DUPLICATE (§6, §9.12)

test('§6 credit: later occurrences of a loan_account_number get DUPLICATE, compared after normalization', () => {
  const h = harness('credit', 'RETAIL');
  const a = h.row({ loan_account_number: 'ln-1' });
  const b = h.row({ loan_account_number: ' LN-1 ' });
  const c = h.row({ loan_account_number: 'Ln-1', currency: 'XXX' });
  const d = h.row({ loan_account_number: 'LN-2' });
  assert.deepEqual(codes(a), []);
  assert.deepEqual(
    b.errors.map((e) => [e.field, e.code, e.value]),
    [['loan_account_number', 'DUPLICATE', 'LN-1']],
  );
  assert.deepEqual(codes(c), ['loan_account_number:DUPLICATE', 'currency:VALUE']);
  assert.deepEqual(codes(d), []);
  assert.equal(b.loanAccount, 'LN-1');
  assert.deepEqual(h.v.counts, { total: 4, invalid: 2 });
});

test('§6 an invalid first occurrence still counts as the first', () => {
  const h = harness('credit', 'RETAIL');
  assert.deepEqual(codes(h.row({ loan_account_number: 'X1', original_amount: '0' })), ['original_amount:RANGE']);
  assert.deepEqual(codes(h.row({ loan_account_number: 'x1' })), ['loan_account_number:DUPLICATE']);
});

test('§9.12 rows whose key field failed, and _row rows, take no part in duplicate detection', () => {
  const h = harness('credit', 'RETAIL');
  assert.deepEqual(codes(h.row({ loan_account_number: '' })), ['loan_account_number:REQUIRED']);
  assert.deepEqual(codes(h.row({ loan_account_number: '' })), ['loan_account_number:REQUIRED']);
  const rec: Rec = { ...CREDIT_RETAIL, loan_account_number: 'Y1' };
  const fields = COLUMNS.credit.map((c) => rec[c.name] ?? '');
  assert.deepEqual(codes(h.raw(fields.slice(1))), ['_row:FORMAT']);
  assert.deepEqual(codes(h.raw(fields, true)), ['_row:FORMAT']);
  assert.deepEqual(codes(h.row({ loan_account_number: 'Y1' })), []);
});

test('§6 payment_plan: duplicate (loan, installment) gets DUPLICATE on installment_number; 06 equals 6', () => {
  const h = harness('payment_plan', 'RETAIL');
  assert.deepEqual(codes(h.row({ loan_account_number: 'a1', installment_number: '6' })), []);
  const dup = h.row({ loan_account_number: 'A1', installment_number: ' 06 ' });
  assert.deepEqual(
    dup.errors.map((e) => [e.field, e.code, e.value]),
    [['installment_number', 'DUPLICATE', '06']],
  );
  assert.deepEqual(codes(h.row({ loan_account_number: 'A2', installment_number: '6' })), []);
  assert.deepEqual(codes(h.row({ loan_account_number: 'A1', installment_number: '7' })), []);
  assert.deepEqual(codes(h.row({ loan_account_number: 'A1', installment_number: '6', due_date: 'x' })), ['installment_number:DUPLICATE', 'due_date:FORMAT']);
});

test('§9.12 payment rows with a failed key field are left out of duplicate detection', () => {
  const h = harness('payment_plan', 'RETAIL');
  assert.deepEqual(codes(h.row({ installment_number: '601' })), ['installment_number:RANGE']);
  assert.deepEqual(codes(h.row({ installment_number: '601' })), ['installment_number:RANGE']);
  assert.deepEqual(codes(h.row({ installment_number: '1.0' })), ['installment_number:FORMAT']);
  assert.deepEqual(codes(h.row({ installment_number: '1.0' })), ['installment_number:FORMAT']);
  assert.deepEqual(codes(h.row({ loan_account_number: 'A B', installment_number: '1' })), ['loan_account_number:FORMAT']);
  assert.deepEqual(codes(h.row({ loan_account_number: 'A B', installment_number: '1' })), ['loan_account_number:FORMAT']);
});

test('§9.12 a CROSS_REFERENCE error does not leave a payment row out of duplicate detection', () => {
  const h = harness('payment_plan', 'RETAIL', { references: new Set(['LN-001']) });
  assert.deepEqual(codes(h.row({ loan_account_number: 'ghost', installment_number: '1' })), ['loan_account_number:CROSS_REFERENCE']);
  assert.deepEqual(codes(h.row({ loan_account_number: 'GHOST', installment_number: '1' })), ['loan_account_number:CROSS_REFERENCE', 'installment_number:DUPLICATE']);
});

test('§6 payment duplicate detection is exact across many loans and all installment numbers (bitset growth)', () => {
  const h = harness('payment_plan', 'RETAIL');
  const insts = [1, 2, 31, 32, 33, 63, 64, 299, 512, 599, 600];
  let dups = 0;
  for (let pass = 0; pass < 2; pass++) {
    for (let loan = 0; loan < 3000; loan++) {
      for (const i of insts) {
        const r = h.row({ loan_account_number: `LOAN-${String(loan).padStart(10, '0')}`, installment_number: String(i) });
        if (r.errors.length) {
          assert.deepEqual(codes(r), ['installment_number:DUPLICATE']);
          dups++;
        }
      }
    }
    assert.equal(dups, pass * 3000 * insts.length);
  }
});

// ================================================================ CROSS_REFERENCE (§6)

test('§6 CROSS_REFERENCE: a payment whose loan is not in the reference set, compared normalized', () => {
  const h = harness('payment_plan', 'RETAIL', { references: new Set(['LN-001', 'LN-002']) });
  assert.deepEqual(codes(h.row({ loan_account_number: 'ln-002' })), []);
  const r = h.row({ loan_account_number: ' ln-404 ' });
  assert.deepEqual(
    r.errors.map((e) => [e.field, e.code, e.value]),
    [['loan_account_number', 'CROSS_REFERENCE', 'ln-404']],
  );
  assert.equal(r.loanAccount, 'LN-404');
  assert.equal(r.values, null);
});

test('§6 CROSS_REFERENCE needs a loan_account_number that parsed fine', () => {
  const h = harness('payment_plan', 'RETAIL', { references: new Set() });
  assert.deepEqual(codes(h.row({ loan_account_number: 'bad acct' })), ['loan_account_number:FORMAT']);
  assert.deepEqual(codes(h.row({ loan_account_number: '' })), ['loan_account_number:REQUIRED']);
});

test('§6 without a reference set there is no CROSS_REFERENCE check; credit files never get one', () => {
  assert.deepEqual(codes(harness('payment_plan', 'RETAIL').row({ loan_account_number: 'anything' })), []);
  assert.deepEqual(codes(harness('credit', 'RETAIL', { references: new Set() }).row()), []);
});

// ================================================================ counters, binding mismatch

test('§6 RowValidator counts total and invalid rows and refuses a binding for another file', () => {
  const h = harness('credit', 'RETAIL');
  h.row();
  h.row({ currency: 'X' });
  h.row({ loan_account_number: 'other' });
  assert.deepEqual(h.v.counts, { total: 3, invalid: 1 });
  const { binding } = bindHeader('credit', 'RETAIL', COLUMNS.credit.map((c) => c.name));
  assert.throws(() => new RowValidator('credit', 'COMMERCIAL', binding, { delimiter: ',' }));
});

test('§9.2 upperAscii touches a–z only (no locale or Unicode mapping)', () => {
  assert.equal(upperAscii('abcXYZ09_-'), 'ABCXYZ09_-');
  assert.equal(upperAscii('ıi'), 'ıI');
  assert.equal(upperAscii('ßé'), 'ßé');
  const s = 'ALREADY';
  assert.equal(upperAscii(s), s);
});

// ================================================================ decimal helpers (§3, §5, §9.8, §9.19)

test('§3 parseDec accepts ^-?[0-9]+([.][0-9]+)?$ and the comma only when allowed', () => {
  assert.deepEqual(parseDec('0012.340'), { neg: false, int: '12', frac: '340' });
  assert.deepEqual(parseDec('-0.00'), { neg: false, int: '', frac: '00' });
  assert.deepEqual(parseDec('-7'), { neg: true, int: '7', frac: '' });
  assert.deepEqual(parseDec('1,5', true), { neg: false, int: '1', frac: '5' });
  assert.equal(parseDec('1,5'), null);
  for (const t of ['', '-', '.', '1.', '.1', '+1', '1e3', ' 1', '1 ', '1..2', '1.2.3', '١']) assert.equal(parseDec(t, true), null, t);
});

test('§5 compareDec is exact: -0 = 0, 1.50 = 1.5, 10 > 9, -2 < -1, 0.10 > 0.09', () => {
  const c = (a: string, b: string) => compareDec(dec(a), dec(b));
  assert.equal(c('-0', '0'), 0);
  assert.equal(c('1.50', '1.5'), 0);
  assert.equal(c('10', '9'), 1);
  assert.equal(c('-2', '-1'), -1);
  assert.equal(c('0.10', '0.09'), 1);
  assert.equal(c('-0.5', '0'), -1);
  assert.equal(c('1000000000000000.01', '1000000000000000'), 1);
  assert.equal(c('0.1', '0.100000000000000000001'), -1);
});

test('§5 toFixed pads and never rounds; toCanonical strips; divPow10 shifts exactly', () => {
  assert.equal(toFixed(dec('12.3'), 2), '12.30');
  assert.equal(toFixed(dec('-0'), 2), '0.00');
  assert.throws(() => toFixed(dec('1.005'), 2), RangeError);
  assert.equal(toCanonical(dec('0100.2500')), '100.25');
  assert.equal(toCanonical(dec('0.000')), '0');
  assert.equal(toCanonical(divPow10(dec('18.123456'), 2)), '0.18123456');
  assert.equal(toCanonical(divPow10(dec('1.000001'), 2)), '0.01000001');
  assert.equal(toCanonical(divPow10(dec('12345'), 2)), '123.45');
  assert.equal(toCanonical(divPow10(dec('5'), 2)), '0.05');
});

test('§9.19 scaled BigInt round trip for exact sums', () => {
  const sum = ['0.10', '0.20', '999999999999999.99'].map((s) => toScaledBigInt(dec(s), 2)).reduce((a, b) => a + b, 0n);
  assert.equal(fromScaledBigInt(sum, 2), '1000000000000000.29');
  assert.equal(fromScaledBigInt(toScaledBigInt(dec('-0.05'), 8), 8), '-0.05000000');
  assert.equal(fromScaledBigInt(5n, 2), '0.05');
});

test('§9.7 §9.9 a date seen again is judged the same (the ISO cache keeps only real dates; range is rechecked)', () => {
  const h = harness('payment_plan', 'RETAIL');
  for (let i = 0; i < 2; i++) {
    assert.deepEqual(codes(h.row({ due_date: '19491231' })), ['due_date:RANGE']);
    assert.deepEqual(codes(h.row({ due_date: '20230229' })), ['due_date:FORMAT']);
    assert.equal(value(h.row({ due_date: '20240229' }), 'payment_plan', 'due_date'), '2024-02-29');
    assert.deepEqual(codes(h.row({ due_date: '20240101', payment_date: '21010101' })), ['payment_date:RANGE']);
  }
});

test('§9.4 the full path keeps rows, numbers and errors aligned in a ; file with quoted values and CRLF', () => {
  const text =
    'LOAN_ACCOUNT_NUMBER;installment_number;due_date;installment_amount;principal_amount;interest_amount;remaining_principal;payment_status;Extra\r\n' +
    '"ln-1";1;20240115;"100,50";80;20,5;0;O;x\r\n' +
    '\r\n' +
    'ln-1;2;20240215;100;80;20;0;b;"multi\r\nline"\r\n' +
    'ln-1;02;20240315;100;80;20;0;B;\r\n';
  const rows = runCsv('payment_plan', 'RETAIL', text, new Set(['LN-1']));
  assert.deepEqual(
    rows.map((r) => [r.row, codes(r)]),
    [
      [1, ['payment_date:REQUIRED']],
      [2, []],
      [3, ['installment_number:DUPLICATE']],
    ],
  );
  assert.deepEqual(rows[1].values, ['LN-1', '2', '2024-02-15', '100.00', '80.00', '20.00', '0.00', '0.00', null, '0.00', 'PENDING', '0']);
});
