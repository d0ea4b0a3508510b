/**
 * Sample-data generator for the loan files of spec loan-files.md.
 *
 * Writes a realistic, spec-conforming credit file and payment plan for one loan type, and
 * optionally injects errors whose exact effect under the spec's validation semantics (§6) is
 * known, so the written `summary.json` is the truth a validator must reproduce.
 *
 * Column names, order, requirement, patterns, bounds and code sets all come from columns.ts;
 * this module only knows the *meaning* of the data (products, schedules, payment behaviour).
 *
 * Error injection invariants (each one keeps "one injection = one invalid row = one error"):
 * - a credit row that gets an error gets no payment rows: the reference set of §6 is the
 *   credit file's valid rows, so its payments would all be CROSS_REFERENCE errors;
 * - a DUPLICATE is an extra copy of an earlier *clean* row (of a valid loan), so the first
 *   occurrence stays valid and the copy carries nothing but the DUPLICATE;
 * - a CROSS_REFERENCE is an extra clean payment row for an account that no credit row has;
 * - every other error changes one field of a clean row (two for a cross-field rule, where
 *   both values stay individually valid), and rows of valid loans are the only payment rows.
 */
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  COLUMNS,
  DATE_MAX,
  DATE_MIN,
  ERROR_CODES,
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

export interface GenerateOptions {
  loanType: LoanType;
  /** Number of data rows of credit.csv (duplicate copies included). */
  credits: number;
  /** Fraction (0..0.5) of the rows of each file that carry exactly one injected error: floor(rows × rate) rows. */
  errorRate?: number;
  seed?: number;
  /** Called for every injected error, with its 1-based data-row number. */
  onError?: (e: InjectedError) => void;
}

export interface InjectedError {
  file_type: FileType;
  row: number;
  field: string;
  code: ErrorCode;
}

export interface FileTruth {
  rows: number;
  invalid_rows: number;
  errors_by_code: Record<string, number>;
  errors_by_field: Record<string, number>;
}

export interface Summary {
  loan_type: LoanType;
  seed: number;
  error_rate: number;
  files: Record<FileType, FileTruth>;
}

/** Where generated text goes; a returned promise is awaited (backpressure). */
export interface TextSink {
  write(chunk: string): void | Promise<void>;
}

export const DEFAULT_SEED = 42;
export const MAX_ERROR_RATE = 0.5;
/** Reporting date of the generated portfolio; fixed so that output depends on the seed only. */
export const AS_OF = '20250630';

const FLUSH_CHARS = 1 << 20;

// ---------------------------------------------------------------------------------------------
// PRNG: sfc32 seeded through splitmix32 (small, fast, good enough, fully deterministic).

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const splitmix = () => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      return (z ^ (z >>> 15)) >>> 0;
    };
    this.a = splitmix();
    this.b = splitmix();
    this.c = splitmix();
    this.d = splitmix();
    for (let i = 0; i < 15; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** items: [value, weight] pairs. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of items) total += w;
    let x = this.next() * total;
    for (const [v, w] of items) {
      x -= w;
      if (x < 0) return v;
    }
    return items[items.length - 1][0];
  }

  /** Log-uniform in [lo, hi]: loan amounts are spread over orders of magnitude. */
  logUniform(lo: number, hi: number): number {
    return Math.exp(Math.log(lo) + this.next() * (Math.log(hi) - Math.log(lo)));
  }
}

// ---------------------------------------------------------------------------------------------
// Calendar helpers on day numbers (days since 1970-01-01), proleptic Gregorian.

function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z: number): [number, number, number] {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** `YYYYMMDD` → day number (input is trusted: generator-made or a columns.ts bound). */
function parseYmd(s: string): number {
  return daysFromCivil(Number(s.slice(0, 4)), Number(s.slice(4, 6)), Number(s.slice(6, 8)));
}

/** The date `months` after (y, m, anchorDay), the day clamped to the month's length. */
function addMonths(y: number, m: number, anchorDay: number, months: number): number {
  const t = m - 1 + months;
  const yy = y + Math.floor(t / 12);
  const mm = (t % 12) + 1;
  return daysFromCivil(yy, mm, Math.min(anchorDay, daysInMonth(yy, mm)));
}

const DAY_MIN = parseYmd(DATE_MIN);
const DAY_MAX = parseYmd(DATE_MAX);
// Dense (pre-filled) so that V8 keeps fast elements; '' = not formatted yet.
const ymdCache: string[] = new Array<string>(DAY_MAX - DAY_MIN + 1).fill('');

/** Day number → `YYYYMMDD`, memoized: the payment plan formats ~3 dates per row. */
function ymd(day: number): string {
  const inRange = day >= DAY_MIN && day <= DAY_MAX;
  if (inRange && ymdCache[day - DAY_MIN] !== '') return ymdCache[day - DAY_MIN];
  const [y, m, d] = civilFromDays(day);
  const s = String(y).padStart(4, '0') + (m < 10 ? '0' : '') + m + (d < 10 ? '0' : '') + d;
  if (inRange) ymdCache[day - DAY_MIN] = s;
  return s;
}

/** Integer hundredths (cents, or basis points of a percentage) → `123.45`. */
function hundredths(c: number): string {
  const neg = c < 0;
  if (neg) c = -c;
  const w = Math.floor(c / 100);
  const f = c - w * 100;
  return (neg ? '-' : '') + w + (f < 10 ? '.0' : '.') + f;
}

/** `123.45` (at most 2 fractional digits) → 12345. */
function parseHundredths(s: string): number {
  const [w, f = ''] = s.split('.');
  return Number(w) * 100 + Number((f + '00').slice(0, 2));
}

// ---------------------------------------------------------------------------------------------
// Codes: the generator speaks in labels; the letters come from columns.ts.

function columnDef(fileType: FileType, name: string): ColumnDef {
  const col = COLUMNS[fileType].find((c) => c.name === name);
  if (!col) throw new Error(`columns.ts has no ${fileType}.${name}`);
  return col;
}

function codeFor(fileType: FileType, column: string, label: string | number): string {
  const codes = columnDef(fileType, column).codes ?? {};
  for (const [code, l] of Object.entries(codes)) if (l === label) return code;
  throw new Error(`columns.ts has no code for ${fileType}.${column} = ${label}`);
}

type Frequency = 'MONTHLY' | 'QUARTERLY' | 'SEMI_ANNUAL' | 'ANNUAL' | 'BULLET';
type Collateral = 'NONE' | 'MORTGAGE' | 'VEHICLE' | 'GUARANTOR' | 'CASH' | 'OTHER';
type Currency = 'TRY' | 'USD' | 'EUR' | 'GBP' | 'CHF' | 'JPY';

const MONTHS_PER_PERIOD: Record<Frequency, number> = { MONTHLY: 1, QUARTERLY: 3, SEMI_ANNUAL: 6, ANNUAL: 12, BULLET: 0 };

const FREQ_CODE = Object.fromEntries(
  (Object.keys(MONTHS_PER_PERIOD) as Frequency[]).map((f) => [f, codeFor('credit', 'installment_frequency', f)]),
) as Record<Frequency, string>;
const STATUS_CODE = {
  ACTIVE: codeFor('credit', 'loan_status', 'ACTIVE'),
  CLOSED: codeFor('credit', 'loan_status', 'CLOSED'),
  NON_PERFORMING: codeFor('credit', 'loan_status', 'NON_PERFORMING'),
  RESTRUCTURED: codeFor('credit', 'loan_status', 'RESTRUCTURED'),
};
const PAY = {
  PAID: codeFor('payment_plan', 'payment_status', 'PAID'),
  PENDING: codeFor('payment_plan', 'payment_status', 'PENDING'),
  OVERDUE: codeFor('payment_plan', 'payment_status', 'OVERDUE'),
  PARTIAL: codeFor('payment_plan', 'payment_status', 'PARTIAL'),
};
const CUSTOMER = { INDIVIDUAL: codeFor('credit', 'customer_type', 'INDIVIDUAL'), TRADE: codeFor('credit', 'customer_type', 'TRADE') };
const INSURANCE = { yes: codeFor('credit', 'insurance_included', 1), no: codeFor('credit', 'insurance_included', 0) };
const CURRENCY_CODE = Object.fromEntries(
  (['TRY', 'USD', 'EUR', 'GBP', 'CHF', 'JPY'] as Currency[]).map((c) => [c, codeFor('credit', 'currency', c)]),
) as Record<Currency, string>;
const COLLATERAL_CODE = Object.fromEntries(
  (['NONE', 'MORTGAGE', 'VEHICLE', 'GUARANTOR', 'CASH', 'OTHER'] as Collateral[]).map((c) => [c, codeFor('credit', 'collateral_type', c)]),
) as Record<Collateral, string>;

// ---------------------------------------------------------------------------------------------
// Portfolio flavour: Turkish retail and commercial lending.

interface Product {
  code: string;
  weight: number;
  /** Principal in TRY, log-uniform; FX loans are converted at TRY_PER_UNIT. */
  amount: readonly [number, number];
  /** Annual nominal interest, percent: TRY and FX ranges. */
  rateTry: readonly [number, number];
  rateFx: readonly [number, number];
  fxShare: number;
  frequencies: readonly (readonly [Frequency, number])[];
  /** Installment counts per frequency; for BULLET the term in months. */
  counts: Partial<Record<Frequency, readonly number[]>>;
  collaterals: readonly (readonly [Collateral, number])[];
  /** BSMV and KKDF (percent) on interest; consumer loans pay both, housing loans neither. */
  bsmv: number;
  kkdf: number;
  fxKkdf?: number;
  insuranceShare?: number;
  /** loan_product_type code (COMMERCIAL). */
  loanProductType?: string;
  tradeCustomerShare: number;
}

const MONTHLY_COUNTS = [6, 6, 9, 12, 12, 12, 12, 12, 18, 24] as const;

const RETAIL_PRODUCTS: readonly Product[] = [
  {
    code: 'IHTIYAC', weight: 58, amount: [10_000, 750_000], rateTry: [38, 59.9], rateFx: [6, 10], fxShare: 0,
    frequencies: [['MONTHLY', 1]], counts: { MONTHLY: MONTHLY_COUNTS },
    collaterals: [['NONE', 75], ['GUARANTOR', 25]], bsmv: 15, kkdf: 15, insuranceShare: 0.65, tradeCustomerShare: 0,
  },
  {
    code: 'TASIT', weight: 20, amount: [150_000, 2_500_000], rateTry: [34, 52], rateFx: [6, 10], fxShare: 0,
    frequencies: [['MONTHLY', 1]], counts: { MONTHLY: [9, 12, 12, 18, 24] },
    collaterals: [['VEHICLE', 1]], bsmv: 15, kkdf: 15, insuranceShare: 0.85, tradeCustomerShare: 0,
  },
  {
    code: 'KONUT', weight: 16, amount: [500_000, 8_000_000], rateTry: [30, 44], rateFx: [6, 10], fxShare: 0,
    frequencies: [['MONTHLY', 1]], counts: { MONTHLY: [12, 12, 18, 24] },
    collaterals: [['MORTGAGE', 1]], bsmv: 0, kkdf: 0, insuranceShare: 0.95, tradeCustomerShare: 0,
  },
  {
    code: 'TARIM', weight: 6, amount: [50_000, 1_500_000], rateTry: [25, 40], rateFx: [6, 10], fxShare: 0,
    frequencies: [['SEMI_ANNUAL', 3], ['ANNUAL', 2], ['QUARTERLY', 2]],
    counts: { SEMI_ANNUAL: [4, 6, 8, 10], ANNUAL: [3, 4, 5], QUARTERLY: [6, 8, 12] },
    collaterals: [['GUARANTOR', 2], ['MORTGAGE', 1], ['OTHER', 1]], bsmv: 5, kkdf: 0, insuranceShare: 0.4,
    tradeCustomerShare: 0.1,
  },
];

const COMMERCIAL_PRODUCTS: readonly Product[] = [
  {
    code: 'KOBI_TAKSIT', weight: 60, amount: [250_000, 50_000_000], rateTry: [32, 55], rateFx: [5, 11], fxShare: 0.25,
    frequencies: [['MONTHLY', 70], ['QUARTERLY', 20], ['SEMI_ANNUAL', 7], ['ANNUAL', 3]],
    counts: { MONTHLY: MONTHLY_COUNTS, QUARTERLY: [6, 8, 12, 16], SEMI_ANNUAL: [6, 8, 10], ANNUAL: [4, 6, 8] },
    collaterals: [['MORTGAGE', 35], ['GUARANTOR', 35], ['CASH', 5], ['OTHER', 10], ['NONE', 15]],
    bsmv: 5, kkdf: 0, fxKkdf: 3, loanProductType: codeFor('credit', 'loan_product_type', 'INSTALLMENT'), tradeCustomerShare: 0.9,
  },
  {
    code: 'ROTATIF', weight: 22, amount: [500_000, 20_000_000], rateTry: [35, 58], rateFx: [6, 12], fxShare: 0.2,
    frequencies: [['MONTHLY', 1], ['QUARTERLY', 1]], counts: { MONTHLY: [12, 12, 18, 24], QUARTERLY: [6, 8, 12] },
    collaterals: [['GUARANTOR', 50], ['MORTGAGE', 25], ['CASH', 10], ['NONE', 15]],
    bsmv: 5, kkdf: 0, fxKkdf: 3, loanProductType: codeFor('credit', 'loan_product_type', 'REVOLVING'), tradeCustomerShare: 0.92,
  },
  {
    code: 'SPOT', weight: 13, amount: [1_000_000, 100_000_000], rateTry: [38, 56], rateFx: [4.5, 9], fxShare: 0.4,
    frequencies: [['BULLET', 1]], counts: { BULLET: [1, 2, 3, 3, 6, 6, 9, 12] },
    collaterals: [['CASH', 20], ['GUARANTOR', 40], ['OTHER', 15], ['NONE', 25]],
    bsmv: 5, kkdf: 0, fxKkdf: 3, loanProductType: codeFor('credit', 'loan_product_type', 'SPOT'), tradeCustomerShare: 0.95,
  },
  {
    code: 'KMH_TICARI', weight: 5, amount: [50_000, 5_000_000], rateTry: [45, 60], rateFx: [8, 12], fxShare: 0,
    frequencies: [['BULLET', 1]], counts: { BULLET: [1, 1, 2, 3, 6] },
    collaterals: [['GUARANTOR', 60], ['NONE', 40]],
    bsmv: 5, kkdf: 0, loanProductType: codeFor('credit', 'loan_product_type', 'OVERDRAFT'), tradeCustomerShare: 0.8,
  },
];

const FX_CURRENCIES: readonly (readonly [Currency, number])[] = [['USD', 50], ['EUR', 40], ['GBP', 4], ['CHF', 4], ['JPY', 2]];
const TRY_PER_UNIT: Record<Currency, number> = { TRY: 1, USD: 39.5, EUR: 45.2, GBP: 53.4, CHF: 48.3, JPY: 0.27 };

/** Plate codes: İstanbul, Ankara, İzmir, Bursa, Antalya, Kocaeli, Konya, Adana, Gaziantep, Mersin. */
const BIG_PROVINCES: readonly (readonly [number, number])[] = [
  [34, 30], [6, 10], [35, 7], [16, 4], [7, 4], [41, 3], [42, 3], [1, 3], [27, 2], [33, 2],
];

/** NACE Rev.2 classes a Turkish commercial book lends to (mostly 4-digit, some coarser). */
const NACE_CODES = [
  'A01.11', 'A01.13', 'A01.24', 'A01.41', 'C10.71', 'C10.89', 'C10.51', 'C13.20', 'C14.13', 'C15.20',
  'C20.41', 'C22.22', 'C23.32', 'C24.10', 'C25.11', 'C25.62', 'C27.51', 'C28.22', 'C29.32', 'C31.09',
  'D35.11', 'E38.32', 'F41.20', 'F42.11', 'F43.21', 'F43.32', 'G45.11', 'G45.32', 'G46.19', 'G46.38',
  'G46.69', 'G46.90', 'G47.11', 'G47.52', 'G47.71', 'H49.41', 'H50.20', 'H52.10', 'H52.29', 'I55.10',
  'I56.10', 'J58.11', 'J62.01', 'L68.20', 'M69.20', 'M71.12', 'M73.11', 'N77.11', 'N79.11', 'P85.59',
  'Q86.21', 'R93.13', 'S96.02', 'C10.7', 'C25.9', 'G47', 'F41', 'G', 'C',
] as const;

// ---------------------------------------------------------------------------------------------
// One loan: its credit row and its payment plan.

const MAX_INSTALLMENTS = 600;

/** Per-installment scratch arrays, reused for every loan (a plan has at most 600 rows). */
class Plan {
  n = 0;
  due = new Float64Array(MAX_INSTALLMENTS);
  principal = new Float64Array(MAX_INSTALLMENTS);
  interest = new Float64Array(MAX_INSTALLMENTS);
  tax = new Float64Array(MAX_INSTALLMENTS);
  remaining = new Float64Array(MAX_INSTALLMENTS);
  payDay = new Float64Array(MAX_INSTALLMENTS);
  paid = new Float64Array(MAX_INSTALLMENTS);
  daysLate = new Float64Array(MAX_INSTALLMENTS);
  status: string[] = new Array<string>(MAX_INSTALLMENTS).fill('');
}

type Behaviour = 'GOOD' | 'LATE' | 'DELINQUENT' | 'RESTRUCTURED';
const BEHAVIOURS: readonly (readonly [Behaviour, number])[] = [['GOOD', 80], ['LATE', 12], ['DELINQUENT', 5], ['RESTRUCTURED', 3]];

function indexOf(cols: readonly ColumnDef[]): Record<string, number> {
  const idx: Record<string, number> = {};
  cols.forEach((c, i) => (idx[c.name] = i));
  return idx;
}

/** Columns of one file as written for a loan type: every column the loan type uses, in columns.ts order. */
export function headerColumns(fileType: FileType, loanType: LoanType): readonly ColumnDef[] {
  return COLUMNS[fileType].filter((c) => isUsed(c, loanType));
}

class LoanFactory {
  private readonly products: readonly Product[];
  private readonly productWeights: readonly (readonly [Product, number])[];
  private readonly asOf = parseYmd(AS_OF);
  private readonly customerPool: number;
  readonly plan = new Plan();

  constructor(
    private readonly rng: Rng,
    private readonly loanType: LoanType,
    private readonly C: Record<string, number>,
    private readonly creditWidth: number,
    credits: number,
  ) {
    this.products = loanType === 'RETAIL' ? RETAIL_PRODUCTS : COMMERCIAL_PRODUCTS;
    this.productWeights = this.products.map((p) => [p, p.weight] as const);
    // Customers hold on average ~1.3 loans each.
    this.customerPool = Math.max(10, Math.floor(credits / 1.3));
  }

  /** Builds loan number `seq`: fills `this.plan` and returns the credit row's fields. */
  make(seq: number): { account: string; row: string[] } {
    const { rng, plan, asOf, C } = this;
    const product = rng.weighted(this.productWeights);
    const currency: Currency = rng.chance(product.fxShare) ? rng.weighted(FX_CURRENCIES) : 'TRY';
    const frequency = rng.weighted(product.frequencies);
    const step = MONTHS_PER_PERIOD[frequency];
    const counts = product.counts[frequency] ?? MONTHLY_COUNTS;
    const n = frequency === 'BULLET' ? 1 : rng.pick(counts);
    const termMonths = frequency === 'BULLET' ? rng.pick(counts) : n * step;

    // Amount: round to a banker-friendly unit of the loan currency.
    const units = rng.logUniform(product.amount[0], product.amount[1]) / TRY_PER_UNIT[currency];
    const unit = units >= 1_000_000 ? 10_000 : units >= 50_000 ? 1_000 : 100;
    const principalCents = Math.max(unit, Math.round(units / unit) * unit) * 100;

    const [rLo, rHi] = currency === 'TRY' ? product.rateTry : product.rateFx;
    const rateBp = Math.round((rLo + rng.next() * (rHi - rLo)) * 20) * 5; // percent × 100, a multiple of 0.05
    const bsmvBp = product.bsmv * 100;
    const kkdfBp = (currency === 'TRY' ? product.kkdf : (product.fxKkdf ?? product.kkdf)) * 100;

    // Most of the book is running; some loans have matured already.
    const termDays = termMonths * 30.44;
    const disb = asOf - Math.floor(rng.next() * (termDays * 1.15 + 20));
    const [dy, dm, dd] = civilFromDays(disb);

    plan.n = n;
    if (frequency === 'BULLET') {
      plan.due[0] = addMonths(dy, dm, dd, termMonths);
      const interest = Math.round((principalCents * rateBp * (plan.due[0] - disb)) / 10_000 / 365);
      plan.principal[0] = principalCents;
      plan.interest[0] = interest;
      plan.tax[0] = Math.round((interest * (bsmvBp + kkdfBp)) / 10_000);
      plan.remaining[0] = 0;
    } else {
      const i = rateBp / 10_000 / (12 / step);
      const annuity = Math.round((principalCents * i) / (1 - Math.pow(1 + i, -n)));
      let rem = principalCents;
      for (let k = 0; k < n; k++) {
        plan.due[k] = addMonths(dy, dm, dd, (k + 1) * step);
        const interest = Math.round(rem * i);
        const principal = k === n - 1 ? rem : Math.min(rem, Math.max(0, annuity - interest));
        rem -= principal;
        plan.principal[k] = principal;
        plan.interest[k] = interest;
        plan.tax[k] = Math.round((interest * (bsmvBp + kkdfBp)) / 10_000);
        plan.remaining[k] = rem;
      }
    }

    // Payment behaviour up to the reporting date.
    const behaviour = rng.weighted(BEHAVIOURS);
    let pastDue = 0;
    while (pastDue < n && plan.due[pastDue] <= asOf) pastDue++;
    const stopsAt = behaviour === 'DELINQUENT' && pastDue > 0 ? rng.int(0, pastDue - 1) : n;
    let paidCount = 0;
    let paidPrincipal = 0;
    let overduePrincipal = 0;
    let overdueInterest = 0;
    let firstOverdue = Infinity;
    let lastPayment = -Infinity;
    for (let k = 0; k < n; k++) {
      const due = plan.due[k];
      const amount = plan.principal[k] + plan.interest[k] + plan.tax[k];
      plan.payDay[k] = NaN;
      plan.paid[k] = NaN;
      plan.daysLate[k] = 0;
      let status: string;
      if (due > asOf) {
        status = PAY.PENDING;
      } else if (k >= stopsAt) {
        status = due < asOf ? (k === stopsAt && rng.chance(0.4) ? PAY.PARTIAL : PAY.OVERDUE) : PAY.PENDING;
        if (status === PAY.PARTIAL) {
          plan.payDay[k] = Math.min(asOf, due + rng.int(0, 10));
          plan.paid[k] = Math.round((amount * rng.int(20, 80)) / 100);
        }
      } else {
        const delay =
          behaviour === 'GOOD'
            ? rng.chance(0.85) ? 0 : rng.chance(0.5) ? -rng.int(1, 3) : rng.int(1, 5)
            : rng.chance(0.4) ? 0 : rng.int(1, 35);
        if (due + delay <= asOf) {
          status = PAY.PAID;
          plan.payDay[k] = due + delay;
          plan.paid[k] = amount;
          plan.daysLate[k] = Math.max(0, delay);
        } else {
          status = due < asOf ? PAY.OVERDUE : PAY.PENDING;
        }
      }
      if (status === PAY.OVERDUE || status === PAY.PARTIAL) {
        plan.daysLate[k] = asOf - due;
        overduePrincipal += plan.principal[k];
        overdueInterest += plan.interest[k];
        if (due < firstOverdue) firstOverdue = due;
      }
      if (status === PAY.PAID) {
        paidCount++;
        paidPrincipal += plan.principal[k];
      }
      if (plan.payDay[k] > lastPayment) lastPayment = plan.payDay[k];
      plan.status[k] = status;
    }

    const closed = paidCount === n;
    const daysPastDue = firstOverdue === Infinity ? 0 : asOf - firstOverdue;
    const loanStatus = closed
      ? STATUS_CODE.CLOSED
      : daysPastDue > 90
        ? STATUS_CODE.NON_PERFORMING
        : behaviour === 'RESTRUCTURED'
          ? STATUS_CODE.RESTRUCTURED
          : STATUS_CODE.ACTIVE;
    const outstanding = principalCents - paidPrincipal;
    let lastDueBefore = disb;
    for (let k = 0; k < n && plan.due[k] <= asOf; k++) lastDueBefore = plan.due[k];
    const accrued = closed ? 0 : Math.round((outstanding * rateBp * (asOf - lastDueBefore)) / 10_000 / 365);

    const collateral = rng.weighted(product.collaterals);
    const collateralCents =
      collateral === 'NONE'
        ? NaN
        : collateral === 'GUARANTOR'
          ? principalCents
          : Math.round((principalCents * (collateral === 'MORTGAGE' ? 1.3 + rng.next() : 1.0 + rng.next() * 0.6)) / 100_000) * 100_000;
    const ppy = step === 0 ? 12 : 12 / step;
    const effective = Math.pow(1 + ((rateBp / 10_000) * (1 + (bsmvBp + kkdfBp) / 10_000)) / ppy, ppy) - 1;

    const row = new Array<string>(this.creditWidth).fill('');
    const account = (this.loanType === 'RETAIL' ? 'R' : 'C') + String(seq).padStart(11, '0');
    row[C.loan_account_number] = account;
    row[C.customer_id] = String(10_000_000 + rng.int(1, this.customerPool));
    row[C.customer_type] = rng.chance(product.tradeCustomerShare) ? CUSTOMER.TRADE : CUSTOMER.INDIVIDUAL;
    row[C.branch_code] = String(rng.int(1, 1250)).padStart(4, '0');
    row[C.product_code] = product.code;
    row[C.currency] = CURRENCY_CODE[currency];
    row[C.original_amount] = hundredths(principalCents);
    row[C.outstanding_principal] = hundredths(outstanding);
    row[C.accrued_interest] = hundredths(accrued);
    row[C.overdue_principal] = hundredths(overduePrincipal);
    row[C.overdue_interest] = hundredths(overdueInterest);
    row[C.interest_rate] = hundredths(rateBp);
    row[C.bsmv_rate] = hundredths(bsmvBp);
    row[C.kkdf_rate] = hundredths(kkdfBp);
    row[C.effective_annual_rate] = hundredths(Math.round(effective * 10_000));
    row[C.disbursement_date] = ymd(disb);
    row[C.maturity_date] = ymd(plan.due[n - 1]);
    row[C.first_installment_date] = ymd(plan.due[0]);
    row[C.last_payment_date] = lastPayment === -Infinity ? '' : ymd(lastPayment);
    row[C.installment_count] = String(n);
    row[C.paid_installment_count] = String(paidCount);
    row[C.installment_frequency] = FREQ_CODE[frequency];
    row[C.loan_status] = loanStatus;
    row[C.days_past_due] = String(daysPastDue);
    // Closed loans are no longer staged.
    row[C.risk_stage] = closed ? '' : loanStatus === STATUS_CODE.NON_PERFORMING ? '3' : daysPastDue >= 30 || loanStatus === STATUS_CODE.RESTRUCTURED ? '2' : '1';
    row[C.collateral_type] = COLLATERAL_CODE[collateral];
    row[C.collateral_value] = Number.isNaN(collateralCents) ? '' : hundredths(collateralCents);
    row[C.province_code] = String(rng.chance(0.68) ? rng.weighted(BIG_PROVINCES) : rng.int(1, 81));
    if (this.loanType === 'RETAIL') {
      row[C.insurance_included] = rng.chance(product.insuranceShare ?? 0.5) ? INSURANCE.yes : INSURANCE.no;
    } else {
      row[C.sector_code] = rng.pick(NACE_CODES);
      row[C.loan_product_type] = product.loanProductType ?? '';
    }
    return { account, row };
  }
}

// ---------------------------------------------------------------------------------------------
// Error injection, derived from the column definitions.

interface Target {
  code: ErrorCode;
  /** Column name, or `_row` for ragged/malformed rows. */
  field: string;
  mutate(row: string[]): void;
}

/** Cycles through `values` on every call. */
function cycler(values: readonly string[]): () => string {
  let i = 0;
  return () => values[i++ % values.length];
}

// Candidate bad values; each column keeps those that really fail its rule.
const MISSING = ['', '  ', '\u00a0'];
const NOT_A_NUMBER = ['abc', '1e5', '+5', '.5', '5.', '"1,000"', '12 500', '"1.250,50"', 'N/A'];
const BAD_STRINGS = ['AB#1234', 'KREDİ-7', 'A B', 'X'.repeat(33), '1234567', '12A', 'Z99', 'C10.123', '10.71', 'TR/2024/1', 'Ç'];
const BAD_CODES = ['X', 'Z', 'Y', 'N', 'ı', 'TL', 'EVET', 'LEASING', '9'];
const BAD_DATES = ['20230230', '2023-01-15', '00000101', '2023011', '15012023', '20241301', '20230431'];

function stepInt(s: string, delta: bigint): string {
  return String(BigInt(s) + delta);
}

function cellTargets(col: ColumnDef, i: number, required: boolean): Target[] {
  const t: Target[] = [];
  const add = (code: ErrorCode, values: readonly string[]) => {
    if (values.length === 0) return;
    const next = cycler(values);
    t.push({ code, field: col.name, mutate: (row) => void (row[i] = next()) });
  };
  if (required) add('REQUIRED', MISSING);
  switch (col.type) {
    case 'int': {
      add('TYPE', NOT_A_NUMBER);
      add('FORMAT', ['3.5', '12.0']);
      if (col.allowed) {
        add('VALUE', ['0', '4', '7', '-1'].filter((v) => !col.allowed!.includes(Number(v))));
      } else {
        const range: string[] = [];
        if (col.min !== undefined) range.push(stepInt(col.min, -1n), stepInt(col.min, -100n));
        if (col.max !== undefined) range.push(stepInt(col.max, 1n), stepInt(col.max, 1000n));
        add('RANGE', range);
      }
      break;
    }
    case 'money':
    case 'percent': {
      add('TYPE', NOT_A_NUMBER);
      add('FORMAT', col.type === 'money' ? ['100.005', '0.001', '12.3456'] : ['18.1234567', '0.0000001']);
      const range: string[] = [];
      if (col.min !== undefined) {
        if (col.minExclusive) range.push(col.min, `${col.min}.00`);
        else range.push(hundredths(parseHundredths(col.min) - 1), hundredths(parseHundredths(col.min) - 250_000));
      }
      if (col.max !== undefined) range.push(`${col.max}.01`, stepInt(col.max, BigInt(col.max)));
      add('RANGE', range);
      break;
    }
    case 'date':
      add('FORMAT', BAD_DATES);
      add('RANGE', [ymd(DAY_MIN - 1), ymd(DAY_MAX + 1), ymd(DAY_MIN - 3650)]);
      break;
    case 'string': {
      const ok = (v: string): boolean =>
        col.pattern ? col.pattern.test(v) : [...v].length <= (col.maxLength ?? Infinity) && !/[\u0000-\u001f\u007f-\u009f]/.test(v);
      const extra = col.pattern ? [] : ['C'.repeat((col.maxLength ?? 32) + 1), 'C12\u000734', 'C1234\u0085', 'C12\t34'];
      add('FORMAT', [...BAD_STRINGS, ...extra].filter((v) => !ok(v)));
      break;
    }
    case 'code':
      add('VALUE', BAD_CODES.filter((v) => !(asciiUpper(v) in (col.codes ?? {}))));
      break;
  }
  return t;
}

/** Cross-field rules: both values stay valid on their own; the pair breaks the rule. */
function crossTargets(col: ColumnDef, i: number, other: number, rng: Rng): Target[] {
  const field = col.name;
  if (col.gteColumn && col.type === 'date') {
    return [{ code: 'RANGE', field, mutate: (row) => void (row[i] = ymd(parseYmd(row[other]) - rng.int(1, 90))) }];
  }
  if (col.lteColumn && col.type === 'money') {
    return [{ code: 'RANGE', field, mutate: (row) => void (row[i] = hundredths(parseHundredths(row[other]) + rng.int(1, 5_000_000))) }];
  }
  if (col.lteColumn && col.type === 'int') {
    return [{ code: 'RANGE', field, mutate: (row) => void (row[i] = String(Number(row[other]) + rng.int(1, 3))) }];
  }
  throw new Error(`no cross-field injection for ${col.name}`);
}

/** Row-level FORMAT errors (§6 ragged rows, §9.6 malformed quoting), all on `_row`. */
function rowTargets(width: number, filled: number): Target[] {
  const variants: ((row: string[]) => void)[] = [
    (row) => void row.push(''), // trailing delimiter
    (row) => void row.pop(), // a column short
    (row) => void (row[filled] = `${row[filled].slice(0, 1)}"${row[filled].slice(1)}`), // stray quote, not first
    (row) => void (row[width - 1] = `"${row[width - 1]}"x`), // text after a closing quote
  ];
  let n = 0;
  return [{ code: 'FORMAT', field: '_row', mutate: (row) => variants[n++ % variants.length](row) }];
}

function buildTargets(fileType: FileType, loanType: LoanType, rng: Rng): Map<ErrorCode, Target[]> {
  const cols = headerColumns(fileType, loanType);
  const idx = indexOf(cols);
  const all: Target[] = [];
  cols.forEach((col, i) => {
    all.push(...cellTargets(col, i, isRequired(col, loanType)));
    const other = col.gteColumn ?? col.lteColumn;
    if (other !== undefined && idx[other] !== undefined) all.push(...crossTargets(col, i, idx[other], rng));
  });
  // Conditional REQUIRED (§4.2 payment_date when PAID): set the condition, drop the value.
  for (const col of cols) {
    const rw = col.requiredWhen;
    if (!rw || idx[rw.column] === undefined) continue;
    const [i, cond] = [idx[col.name], idx[rw.column]];
    all.push({
      code: 'REQUIRED',
      field: col.name,
      mutate: (row) => {
        row[cond] = rw.codes[0];
        row[i] = '';
      },
    });
  }
  // The stray quote goes into a required column after the key: never empty in a clean row.
  all.push(...rowTargets(cols.length, cols.findIndex((c, i) => i > 0 && isRequired(c, loanType))));
  const byCode = new Map<ErrorCode, Target[]>();
  for (const t of all) byCode.set(t.code, [...(byCode.get(t.code) ?? []), t]);
  return byCode;
}

/** Hands out injections: codes in turn, and within a code its columns in turn. */
class Injector {
  private readonly codes: readonly ErrorCode[];
  private codeTurn = 0;
  private readonly columnTurn = new Map<ErrorCode, number>();
  private slots = 0;
  readonly truth: FileTruth;

  constructor(
    private readonly fileType: FileType,
    private readonly targets: Map<ErrorCode, Target[]>,
    private readonly rate: number,
    private readonly onError?: (e: InjectedError) => void,
  ) {
    this.codes = ERROR_CODES.filter((c) => targets.has(c) || c === 'DUPLICATE' || (c === 'CROSS_REFERENCE' && fileType === 'payment_plan'));
    this.truth = {
      rows: 0,
      invalid_rows: 0,
      errors_by_code: Object.fromEntries(ERROR_CODES.map((c) => [c, 0])),
      errors_by_field: {},
    };
  }

  /**
   * Called once per row about to be written: the error code it must carry, or null.
   * Row n is broken when floor(n·rate) steps up, so a file of N rows has exactly floor(N·rate) broken
   * rows: never more than the rate, so that 0.5 can never trip the sync's > 0.50 abort rule (§6).
   */
  due(): ErrorCode | null {
    const n = ++this.slots;
    if (Math.floor(n * this.rate) === Math.floor((n - 1) * this.rate)) return null;
    return this.codes[this.codeTurn++ % this.codes.length];
  }

  /** The next code in turn, when the one `due()` gave cannot be injected yet (no DUPLICATE source). */
  skip(): ErrorCode {
    return this.codes[this.codeTurn++ % this.codes.length];
  }

  /** Applies an in-row error of `code` to `row`; returns the field. */
  apply(code: ErrorCode, row: string[]): string {
    const list = this.targets.get(code)!;
    const turn = this.columnTurn.get(code) ?? 0;
    this.columnTurn.set(code, turn + 1);
    const target = list[turn % list.length];
    target.mutate(row);
    return target.field;
  }

  /** Records the error of the row that is about to be written as row `this.truth.rows + 1`. */
  record(code: ErrorCode, field: string): void {
    const t = this.truth;
    t.invalid_rows++;
    t.errors_by_code[code]++;
    const key = `${this.fileType}.${field}`;
    t.errors_by_field[key] = (t.errors_by_field[key] ?? 0) + 1;
    this.onError?.({ file_type: this.fileType, row: t.rows + 1, field, code });
  }
}

// ---------------------------------------------------------------------------------------------
// The generator.

/** Collects lines and hands them to the sink in ~1 MB chunks (one join: no rope flattening). */
class Buffered {
  private lines: string[] = [];
  private chars = 0;
  constructor(private readonly sink: TextSink) {}
  /** `line` without its line break. */
  add(line: string): void {
    this.lines.push(line);
    this.chars += line.length + 1;
  }
  get full(): boolean {
    return this.chars >= FLUSH_CHARS;
  }
  async flush(): Promise<void> {
    if (this.lines.length === 0) return;
    const chunk = this.lines.join('\n') + '\n';
    this.lines = [];
    this.chars = 0;
    await this.sink.write(chunk);
  }
}

export function validateOptions(opts: GenerateOptions): void {
  if (opts.loanType !== 'RETAIL' && opts.loanType !== 'COMMERCIAL') throw new RangeError(`unknown loan type ${String(opts.loanType)}`);
  if (!Number.isSafeInteger(opts.credits) || opts.credits < 1) throw new RangeError(`credits must be a positive integer, got ${opts.credits}`);
  const rate = opts.errorRate ?? 0;
  if (!Number.isFinite(rate) || rate < 0 || rate > MAX_ERROR_RATE) throw new RangeError(`error rate must be within 0..${MAX_ERROR_RATE}, got ${rate}`);
  const seed = opts.seed ?? DEFAULT_SEED;
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`seed must be an integer within 0..4294967295, got ${seed}`);
}

/**
 * Generates both files of one loan type into `sinks` (header first) and returns the truth:
 * row counts and, per file, the errors a spec-conforming validator must report.
 */
export async function generate(opts: GenerateOptions, sinks: Record<FileType, TextSink>): Promise<Summary> {
  validateOptions(opts);
  const { loanType, credits } = opts;
  const rate = opts.errorRate ?? 0;
  const seed = opts.seed ?? DEFAULT_SEED;
  // Independent streams, so that the error rate does not change the loans that are generated.
  const rng = new Rng(seed);
  const errRng = new Rng(seed ^ 0x5bd1e995);

  const creditCols = headerColumns('credit', loanType);
  const paymentCols = headerColumns('payment_plan', loanType);
  const C = indexOf(creditCols);
  const P = indexOf(paymentCols);
  const creditKey = C[KEY_COLUMNS.credit[KEY_COLUMNS.credit.length - 1]];
  const factory = new LoanFactory(rng, loanType, C, creditCols.length, credits);
  const creditInj = new Injector('credit', buildTargets('credit', loanType, errRng), rate, opts.onError);
  const paymentInj = new Injector('payment_plan', buildTargets('payment_plan', loanType, errRng), rate, opts.onError);
  const creditOut = new Buffered(sinks.credit);
  const paymentOut = new Buffered(sinks.payment_plan);
  creditOut.add(creditCols.map((c) => c.name).join(','));
  paymentOut.add(paymentCols.map((c) => c.name).join(','));

  // Sources for DUPLICATE copies: recent clean rows (of valid loans).
  const recentCredits: string[][] = [];
  let lastCleanPayment: string | null = null; // a line: clean values hold no quote or delimiter
  let orphanSeq = 0;
  let dupTurn = 0;

  const writeCredit = (row: string[]) => {
    creditOut.add(row.join(','));
    creditInj.truth.rows++;
  };
  const writePayment = (line: string) => {
    paymentOut.add(line);
    paymentInj.truth.rows++;
  };

  // Reused for every installment: the payment plan is the hot path (~12 rows per loan).
  const row = new Array<string>(paymentCols.length).fill('');
  const emitPayments = (account: string) => {
    const { plan } = factory;
    for (let k = 0; k < plan.n; k++) {
      row[P.loan_account_number] = account;
      row[P.installment_number] = String(k + 1);
      row[P.due_date] = ymd(plan.due[k]);
      row[P.installment_amount] = hundredths(plan.principal[k] + plan.interest[k] + plan.tax[k]);
      row[P.principal_amount] = hundredths(plan.principal[k]);
      row[P.interest_amount] = hundredths(plan.interest[k]);
      row[P.tax_amount] = hundredths(plan.tax[k]);
      row[P.remaining_principal] = hundredths(plan.remaining[k]);
      row[P.payment_date] = Number.isNaN(plan.payDay[k]) ? '' : ymd(plan.payDay[k]);
      row[P.paid_amount] = Number.isNaN(plan.paid[k]) ? '' : hundredths(plan.paid[k]);
      row[P.payment_status] = plan.status[k];
      row[P.days_late] = String(plan.daysLate[k]);
      for (;;) {
        let code = paymentInj.due();
        if (code === null) {
          lastCleanPayment = row.join(',');
          writePayment(lastCleanPayment);
          break;
        }
        if (code === 'DUPLICATE' && lastCleanPayment === null) code = paymentInj.skip();
        if (code === 'DUPLICATE') {
          const copy = lastCleanPayment!.split(',');
          if (dupTurn++ % 2 === 1) {
            // Keys compare after normalization: lower case and a leading zero are the same key.
            copy[P.loan_account_number] = asciiLower(copy[P.loan_account_number]);
            copy[P.installment_number] = '0' + copy[P.installment_number];
          }
          paymentInj.record(code, KEY_COLUMNS.payment_plan[KEY_COLUMNS.payment_plan.length - 1]);
          writePayment(copy.join(','));
          continue; // the natural row still needs its own slot
        }
        const bad = row.slice();
        if (code === 'CROSS_REFERENCE') {
          bad[P.loan_account_number] = 'X' + String(++orphanSeq).padStart(11, '0');
          paymentInj.record(code, 'loan_account_number');
          writePayment(bad.join(','));
          continue;
        }
        paymentInj.record(code, paymentInj.apply(code, bad));
        writePayment(bad.join(','));
        break;
      }
    }
  };

  let seq = 0;
  while (creditInj.truth.rows < credits) {
    let code = creditInj.due();
    if (code === 'DUPLICATE' && recentCredits.length === 0) code = creditInj.skip();
    if (code === 'DUPLICATE') {
      const copy = errRng.pick(recentCredits).slice();
      if (dupTurn++ % 2 === 1) copy[creditKey] = asciiLower(copy[creditKey]);
      creditInj.record(code, creditCols[creditKey].name);
      writeCredit(copy);
    } else {
      const { account, row } = factory.make(++seq);
      if (code === null) {
        writeCredit(row);
        emitPayments(account);
        if (recentCredits.length < 64) recentCredits.push(row);
        else recentCredits[seq % 64] = row;
      } else {
        // An invalid credit row has no payments: they could only be CROSS_REFERENCE errors.
        creditInj.record(code, creditInj.apply(code, row));
        writeCredit(row);
      }
    }
    if (creditOut.full) await creditOut.flush();
    if (paymentOut.full) await paymentOut.flush();
  }
  await creditOut.flush();
  await paymentOut.flush();
  return { loan_type: loanType, seed, error_rate: rate, files: { credit: creditInj.truth, payment_plan: paymentInj.truth } };
}

function streamSink(ws: WriteStream): TextSink {
  let failure: Error | null = null;
  ws.on('error', (e) => (failure = e));
  return {
    async write(chunk) {
      if (failure) throw failure;
      if (!ws.write(chunk)) await once(ws, 'drain');
    },
  };
}

async function closeStream(ws: WriteStream): Promise<void> {
  if (ws.errored) throw ws.errored;
  const done = once(ws, 'finish');
  ws.end();
  await done;
}

export interface GeneratedPaths {
  credit: string;
  payment_plan: string;
  summary: string;
}

export function outputPaths(outDir: string): GeneratedPaths {
  return {
    credit: path.join(outDir, 'credit.csv'),
    payment_plan: path.join(outDir, 'payment_plan.csv'),
    summary: path.join(outDir, 'summary.json'),
  };
}

/** Streams `credit.csv` and `payment_plan.csv` into `outDir` and writes `summary.json`. */
export async function generateFiles(opts: GenerateOptions & { outDir: string }): Promise<Summary> {
  validateOptions(opts);
  await mkdir(opts.outDir, { recursive: true });
  const paths = outputPaths(opts.outDir);
  const credit = createWriteStream(paths.credit);
  const payment = createWriteStream(paths.payment_plan);
  try {
    const summary = await generate(opts, { credit: streamSink(credit), payment_plan: streamSink(payment) });
    await Promise.all([closeStream(credit), closeStream(payment)]);
    await writeFile(paths.summary, JSON.stringify(summary, null, 2) + '\n');
    return summary;
  } finally {
    credit.destroy();
    payment.destroy();
  }
}

/** Small-size helper for tests: both files as strings. */
export async function generateInMemory(opts: GenerateOptions): Promise<{ credit: string; payment_plan: string; summary: Summary }> {
  const parts: Record<FileType, string[]> = { credit: [], payment_plan: [] };
  const summary = await generate(opts, {
    credit: { write: (s) => void parts.credit.push(s) },
    payment_plan: { write: (s) => void parts.payment_plan.push(s) },
  });
  return { credit: parts.credit.join(''), payment_plan: parts.payment_plan.join(''), summary };
}
