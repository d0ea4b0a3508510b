/**
 * The one source of truth for the loan file columns (spec loan-files.md §4).
 * Validation, normalization, the ClickHouse DDL, the generator and the UI all read this module.
 */

export const LOAN_TYPES = ['RETAIL', 'COMMERCIAL'] as const;
export type LoanType = (typeof LOAN_TYPES)[number];

export const FILE_TYPES = ['credit', 'payment_plan'] as const;
export type FileType = (typeof FILE_TYPES)[number];

export const ERROR_CODES = [
  'REQUIRED',
  'TYPE',
  'FORMAT',
  'RANGE',
  'VALUE',
  'DUPLICATE',
  'CROSS_REFERENCE',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export type ValueType = 'string' | 'int' | 'money' | 'percent' | 'date' | 'code';

/** R = required for both loan types; RET/COM = required only for that loan type (and unused by the other); '-' optional. */
export type Requirement = 'R' | 'RET' | 'COM' | '-';

export interface ColumnDef {
  name: string;
  type: ValueType;
  req: Requirement;
  /** string columns: regex the trimmed value must match (FORMAT). */
  pattern?: RegExp;
  /** string columns without a pattern: max length in code points; control characters are FORMAT. */
  maxLength?: number;
  /** int/money/percent inclusive bounds as written (RANGE). Decimal strings so money bounds stay exact. */
  min?: string;
  max?: string;
  /** money/percent: min is exclusive (original_amount > 0). */
  minExclusive?: boolean;
  /** int columns whose allowed values are a set (risk_stage: VALUE). */
  allowed?: readonly number[];
  /** code columns: code (upper-case) → stored label. */
  codes?: Readonly<Record<string, string | number>>;
  /** The stored label is a UInt8 (insurance_included). */
  codeAsUInt8?: boolean;
  /** Upper-case the normalized value. */
  upper?: boolean;
  /** Missing optional value is stored as this default instead of NULL. */
  defaultWhenMissing?: string;
  /** Cross-field rule: this column must be >= / <= another column of the same row (RANGE on this column). */
  gteColumn?: string;
  lteColumn?: string;
  /** Cross-field REQUIRED: this (optional) column must be present when `column` holds one of `codes` (spec §4.2, payment_date when PAID). */
  requiredWhen?: { column: string; codes: readonly string[] };
  /** Date columns: 1950-01-01..2100-12-31 (spec §9.9 applies it to every date column). */
  /** ClickHouse type of the stored value (not Nullable-wrapped). */
  chType: string;
  /** Human label for the UI. */
  label: string;
}

export const DATE_MIN = '19500101';
export const DATE_MAX = '21001231';
/** Spec §9.10: every money column is also <= 1e15. */
export const MONEY_MAX = '1000000000000000';

const money = (name: string, req: Requirement, label: string, extra: Partial<ColumnDef> = {}): ColumnDef => ({
  name,
  type: 'money',
  req,
  min: '0',
  max: MONEY_MAX,
  chType: 'Decimal(18, 2)',
  label,
  ...extra,
});
const percent = (name: string, req: Requirement, max: string, label: string): ColumnDef => ({
  name,
  type: 'percent',
  req,
  min: '0',
  max,
  chType: 'Decimal(12, 8)',
  label,
});
const date = (name: string, req: Requirement, label: string, extra: Partial<ColumnDef> = {}): ColumnDef => ({
  name,
  type: 'date',
  req,
  min: DATE_MIN,
  max: DATE_MAX,
  chType: 'Date32',
  label,
  ...extra,
});

const LOAN_ACCOUNT: ColumnDef = {
  name: 'loan_account_number',
  type: 'string',
  req: 'R',
  pattern: /^[A-Za-z0-9_-]{1,32}$/,
  upper: true,
  chType: 'String',
  label: 'Loan account number',
};

export const CREDIT_COLUMNS: readonly ColumnDef[] = [
  LOAN_ACCOUNT,
  { name: 'customer_id', type: 'string', req: 'R', maxLength: 32, chType: 'String', label: 'Customer ID' },
  { name: 'customer_type', type: 'code', req: 'R', codes: { I: 'INDIVIDUAL', T: 'TRADE' }, chType: 'LowCardinality(String)', label: 'Customer type' },
  { name: 'branch_code', type: 'string', req: 'R', pattern: /^[0-9]{1,6}$/, chType: 'String', label: 'Branch code' },
  { name: 'product_code', type: 'string', req: 'R', pattern: /^[A-Za-z0-9_-]{1,16}$/, upper: true, chType: 'LowCardinality(String)', label: 'Product code' },
  {
    name: 'currency',
    type: 'code',
    req: 'R',
    codes: { TRY: 'TRY', USD: 'USD', EUR: 'EUR', GBP: 'GBP', CHF: 'CHF', JPY: 'JPY' },
    chType: 'LowCardinality(String)',
    label: 'Currency',
  },
  money('original_amount', 'R', 'Original amount', { minExclusive: true }),
  money('outstanding_principal', 'R', 'Outstanding principal', { lteColumn: 'original_amount' }),
  money('accrued_interest', '-', 'Accrued interest', { defaultWhenMissing: '0' }),
  money('overdue_principal', '-', 'Overdue principal', { defaultWhenMissing: '0' }),
  money('overdue_interest', '-', 'Overdue interest', { defaultWhenMissing: '0' }),
  percent('interest_rate', 'R', '200', 'Interest rate'),
  percent('bsmv_rate', '-', '100', 'BSMV rate'),
  percent('kkdf_rate', '-', '100', 'KKDF rate'),
  percent('effective_annual_rate', '-', '1000', 'Effective annual rate'),
  date('disbursement_date', 'R', 'Disbursement date'),
  date('maturity_date', 'R', 'Maturity date', { gteColumn: 'disbursement_date' }),
  date('first_installment_date', '-', 'First installment date', { gteColumn: 'disbursement_date' }),
  date('last_payment_date', '-', 'Last payment date'),
  { name: 'installment_count', type: 'int', req: 'R', min: '1', max: '600', chType: 'UInt16', label: 'Installment count' },
  { name: 'paid_installment_count', type: 'int', req: 'R', min: '0', lteColumn: 'installment_count', chType: 'UInt32', label: 'Paid installments' },
  {
    name: 'installment_frequency',
    type: 'code',
    req: 'R',
    codes: { M: 'MONTHLY', Q: 'QUARTERLY', S: 'SEMI_ANNUAL', Y: 'ANNUAL', B: 'BULLET' },
    chType: 'LowCardinality(String)',
    label: 'Installment frequency',
  },
  {
    name: 'loan_status',
    type: 'code',
    req: 'R',
    codes: { A: 'ACTIVE', K: 'CLOSED', T: 'NON_PERFORMING', Y: 'RESTRUCTURED' },
    chType: 'LowCardinality(String)',
    label: 'Loan status',
  },
  { name: 'days_past_due', type: 'int', req: 'R', min: '0', max: '36500', chType: 'UInt16', label: 'Days past due' },
  { name: 'risk_stage', type: 'int', req: '-', allowed: [1, 2, 3], chType: 'UInt8', label: 'Risk stage' },
  {
    name: 'collateral_type',
    type: 'code',
    req: '-',
    codes: { N: 'NONE', M: 'MORTGAGE', V: 'VEHICLE', G: 'GUARANTOR', C: 'CASH', O: 'OTHER' },
    chType: 'LowCardinality(String)',
    label: 'Collateral type',
  },
  money('collateral_value', '-', 'Collateral value'),
  { name: 'province_code', type: 'int', req: '-', min: '1', max: '81', chType: 'UInt8', label: 'Province code' },
  { name: 'insurance_included', type: 'code', req: 'RET', codes: { E: 1, H: 0 }, codeAsUInt8: true, chType: 'UInt8', label: 'Insurance included' },
  { name: 'sector_code', type: 'string', req: 'COM', pattern: /^[A-Ua-u]([0-9]{2}([.][0-9]{1,2})?)?$/, upper: true, chType: 'LowCardinality(String)', label: 'Sector code (NACE)' },
  {
    name: 'loan_product_type',
    type: 'code',
    req: 'COM',
    codes: { SPOT: 'SPOT', REVOLVING: 'REVOLVING', INSTALLMENT: 'INSTALLMENT', OVERDRAFT: 'OVERDRAFT' },
    chType: 'LowCardinality(String)',
    label: 'Loan product type',
  },
];

export const PAYMENT_COLUMNS: readonly ColumnDef[] = [
  LOAN_ACCOUNT,
  { name: 'installment_number', type: 'int', req: 'R', min: '1', max: '600', chType: 'UInt16', label: 'Installment number' },
  date('due_date', 'R', 'Due date'),
  money('installment_amount', 'R', 'Installment amount'),
  money('principal_amount', 'R', 'Principal amount'),
  money('interest_amount', 'R', 'Interest amount'),
  money('tax_amount', '-', 'Tax amount', { defaultWhenMissing: '0' }),
  money('remaining_principal', 'R', 'Remaining principal'),
  date('payment_date', '-', 'Payment date', { requiredWhen: { column: 'payment_status', codes: ['O'] } }),
  money('paid_amount', '-', 'Paid amount', { defaultWhenMissing: '0' }),
  {
    name: 'payment_status',
    type: 'code',
    req: 'R',
    codes: { O: 'PAID', B: 'PENDING', G: 'OVERDUE', K: 'PARTIAL' },
    chType: 'LowCardinality(String)',
    label: 'Payment status',
  },
  { name: 'days_late', type: 'int', req: '-', min: '0', max: '36500', defaultWhenMissing: '0', chType: 'UInt16', label: 'Days late' },
];

export const COLUMNS: Readonly<Record<FileType, readonly ColumnDef[]>> = {
  credit: CREDIT_COLUMNS,
  payment_plan: PAYMENT_COLUMNS,
};

/** Key columns for DUPLICATE detection (spec §6); the error goes on the last one. */
export const KEY_COLUMNS: Readonly<Record<FileType, readonly string[]>> = {
  credit: ['loan_account_number'],
  payment_plan: ['loan_account_number', 'installment_number'],
};

/** Warehouse table per file type (spec §1). */
export const FACT_TABLE: Readonly<Record<FileType, string>> = {
  credit: 'fact_credit',
  payment_plan: 'fact_payment',
};
export const STAGING_TABLE: Readonly<Record<FileType, string>> = {
  credit: 'stg_credit',
  payment_plan: 'stg_payment',
};

/** Columns every warehouse row carries besides the file's columns (spec §4). */
export const SYSTEM_COLUMNS = [
  { name: 'loan_type', chType: "Enum8('RETAIL' = 1, 'COMMERCIAL' = 2)" },
  { name: 'sync_id', chType: 'UUID' },
  { name: 'source_row', chType: 'UInt32' },
  { name: 'loaded_at', chType: "DateTime64(3, 'UTC')" },
] as const;

/** Is the column used by this loan type? (spec §4 and §9.1) */
export function isUsed(col: ColumnDef, loanType: LoanType): boolean {
  if (col.req === 'RET') return loanType === 'RETAIL';
  if (col.req === 'COM') return loanType === 'COMMERCIAL';
  return true;
}

export function isRequired(col: ColumnDef, loanType: LoanType): boolean {
  return col.req === 'R' || (col.req === 'RET' && loanType === 'RETAIL') || (col.req === 'COM' && loanType === 'COMMERCIAL');
}

/** Is the warehouse value nullable? Required columns and columns with a default are never NULL. */
export function isNullable(col: ColumnDef): boolean {
  return col.req !== 'R' && col.defaultWhenMissing === undefined;
}

export function parseLoanType(s: string): LoanType | null {
  const up = asciiUpper(s);
  return (LOAN_TYPES as readonly string[]).includes(up) ? (up as LoanType) : null;
}
export function parseFileType(s: string): FileType | null {
  const low = asciiLower(s);
  return (FILE_TYPES as readonly string[]).includes(low) ? (low as FileType) : null;
}

/** Spec §9.2: ASCII-only, locale-independent case folding. */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}
export function asciiUpper(s: string): string {
  return s.replace(/[a-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 32));
}
