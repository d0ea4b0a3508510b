/**
 * Property tests (fast-check) of the upload/validation core: CsvParser → bindHeader → RowValidator.
 *
 * 1. Robustness: arbitrary rows (random unicode, quotes, delimiters, control characters, huge and negative numbers,
 *    ragged rows, stray quotes) never make the pipeline throw anything but a FileLevelError, and that only out of
 *    parser.push / parser.end (the header handler runs inside push). RowValidator.validate never throws, also on
 *    field arrays the parser could never produce (lone surrogates), and its results keep their invariants.
 * 2. Chunk-split invariance: any byte document (valid, invalid UTF-8, BOMs, odd quoting) gives the same header, rows
 *    and file-level error whether pushed whole, in random pieces or byte by byte, also with tiny memory bounds.
 *    INVALID_ENCODING is raised exactly for bytes Node's own isUtf8 refuses, at the first ill-formed sequence.
 * 3. Exact normalization: rows generated *from the column definitions in domain/columns.ts* (valid codes in random
 *    ASCII case, real dates, money and percent decimals in every written form, optional columns absent or missing,
 *    unused columns with junk, shuffled header in random case, random delimiter/quoting/padding/line endings/blank
 *    lines/BOM) have zero errors, and normalize exactly: dates → ISO, money → exactly two decimals, percent scaled per
 *    §5 — checked against expectations computed independently with BigInt arithmetic.
 *
 * 4. CSV downloads (api/csv.ts): any cells written with csvLine read back exactly (RFC 4180 round trip through the
 *    product's reader), except that a cell a spreadsheet would evaluate (= + - @, TAB, CR, also after white space, and
 *    their full-width forms) comes back prefixed with an apostrophe — and no cell read back starts a formula.
 *
 * Seeds are random per run; a failure prints the seed and the shrunk counterexample (re-run with FC_SEED=<seed>).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { COLUMNS, ERROR_CODES, FILE_TYPES, LOAN_TYPES, isRequired, isUsed, type ColumnDef, type FileType, type LoanType } from '../../domain/columns.ts';
import { CsvParser, type CsvParserOptions, type CsvRow } from '../../domain/csv.ts';
import { FileLevelError } from '../../domain/file-errors.ts';
import { RowValidator, bindHeader, type ValidatedRow } from '../../domain/validate.ts';
import { csvLine } from '../../api/csv.ts';

const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;
/**
 * includeErrorInReport: the assertion message is in the failure report. interruptAfterTimeLimit bounds a run (and the
 * shrinking of a failure, which for fc.gen() values can otherwise take minutes) on a slow machine.
 */
const params = (numRuns: number): fc.Parameters<unknown> => ({
  numRuns,
  includeErrorInReport: true,
  interruptAfterTimeLimit: 25_000,
  ...(SEED !== undefined ? { seed: SEED } : {}),
});

const DELIMS = [',', ';', '|', '\t'] as const;
const CODE_SET = new Set<string>(ERROR_CODES);

// ---------------------------------------------------------------- helpers

interface ParseOutcome {
  header: string[] | null;
  delimiter: string | null;
  events: string[];
  rows: CsvRow[];
  error: { code: string; details: object } | null;
  bytes: number;
  parsedRows: number;
}

/** Pushes `doc` in the given pieces (cut offsets); records everything the parser emits. Only FileLevelError may escape. */
function parsePieces(doc: Uint8Array, cuts: number[] | 'bytes', opts: CsvParserOptions = {}): ParseOutcome {
  const out: ParseOutcome = { header: null, delimiter: null, events: [], rows: [], error: null, bytes: 0, parsedRows: 0 };
  const p = new CsvParser(
    {
      onHeader(names, delimiter) {
        out.header = names;
        out.delimiter = delimiter;
        out.events.push('H' + JSON.stringify([names, delimiter]));
      },
      onRow(row) {
        // The parser may reuse nothing: keep a deep copy to compare across splittings.
        out.rows.push({ row: row.row, fields: [...row.fields], rowError: row.rowError });
        out.events.push('R' + JSON.stringify(row));
      },
    },
    opts,
  );
  const pieces: Uint8Array[] = [];
  if (cuts === 'bytes') for (let i = 0; i < doc.length; i++) pieces.push(doc.subarray(i, i + 1));
  else {
    let prev = 0;
    for (const c of [...cuts, doc.length]) {
      pieces.push(doc.subarray(prev, c));
      prev = c;
    }
  }
  try {
    for (const piece of pieces) {
      // A private copy per push, then scribbled over: the parser must not keep a reference to the caller's buffer.
      const copy = Buffer.from(piece);
      p.push(copy);
      copy.fill(0x41);
    }
    p.end();
  } catch (err) {
    if (!(err instanceof FileLevelError)) throw err;
    out.error = { code: err.code, details: { ...err.details } };
  }
  out.bytes = p.bytes;
  out.parsedRows = p.rows;
  return out;
}

const toCuts = (len: number, raw: number[]) => [...new Set(raw.map((n) => n % (len + 1)))].sort((a, b) => a - b);

/** Invariants every ValidatedRow keeps, whatever the input. */
function assertRowInvariants(v: ValidatedRow, row: CsvRow, fileType: FileType): void {
  const names = new Set(COLUMNS[fileType].map((c) => c.name));
  assert.equal(v.row, row.row, 'row number is the parser row number');
  assert.equal(v.errors.length === 0, v.values !== null, 'values exactly when there are no errors');
  const seen = new Set<string>();
  for (const e of v.errors) {
    assert.equal(e.row, row.row);
    assert.ok(CODE_SET.has(e.code), `known error code ${e.code}`);
    assert.ok(e.field === '_row' || names.has(e.field), `error field ${e.field} is a column or _row`);
    assert.ok(!seen.has(e.field), `at most one error per field (${e.field})`);
    seen.add(e.field);
    assert.equal(typeof e.message, 'string');
    assert.ok(e.message.length > 0);
    assert.ok(e.value === null || (typeof e.value === 'string' && e.value === e.value.trim() && e.value.length > 0), `error value is trimmed raw text or null: ${JSON.stringify(e.value)}`);
    if (e.field === '_row') assert.equal(e.value, null);
  }
  if (seen.has('_row')) assert.equal(v.errors.length, 1, 'a _row error is the only error of its row');
  if (v.values) {
    assert.equal(v.values.length, COLUMNS[fileType].length);
    for (const x of v.values) assert.ok(x === null || typeof x === 'string');
  }
}

/** Runs a whole document through parser + bindHeader + validator; records where any throw came from. */
function pipeline(doc: Uint8Array, fileType: FileType, loanType: LoanType, cuts: number[], references: Set<string> = new Set(['L1', 'ABC'])) {
  let stage = 'none';
  let validator: RowValidator | null = null;
  const results: { row: CsvRow; v: ValidatedRow }[] = [];
  const p = new CsvParser({
    onHeader(names, delimiter) {
      stage = 'bindHeader';
      const { binding } = bindHeader(fileType, loanType, names);
      stage = 'RowValidator constructor';
      validator = new RowValidator(fileType, loanType, binding, { delimiter, references });
      stage = 'push';
    },
    onRow(row) {
      stage = 'validate';
      results.push({ row, v: validator!.validate(row) });
      stage = 'push';
    },
  });
  let thrown: unknown = null;
  let thrownIn = '';
  let prev = 0;
  try {
    for (const c of [...cuts, doc.length]) {
      stage = 'push';
      p.push(doc.subarray(prev, c));
      prev = c;
    }
    stage = 'end';
    p.end();
  } catch (err) {
    thrown = err;
    thrownIn = stage;
  }
  return { results, thrown, thrownIn, validator: validator as RowValidator | null };
}

// ---------------------------------------------------------------- arbitraries: junk

const SPECIAL_CHARS = ['"', '""', ',', ';', '|', '\t', '\r', '\n', '\r\n', ' ', '\u0000', '\u0007', '\u001f', '\u007f', '\u0085', '\u009f', '\u00a0', '\ufeff', '\u2028', '\u3000', 'İ', 'ı', 'ş', 'Ç', '😀', '\\', "'", '=', '+', '-', '@', '.', '0', '9', 'a', 'Z'];

const junkField: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: fc.constantFrom(...SPECIAL_CHARS), maxLength: 16 }),
  fc.bigInt().map(String),
  fc.bigInt({ min: -(10n ** 400n), max: 10n ** 400n }).map(String),
  fc.double().map(String),
  fc.stringMatching(/^-?[0-9]{1,30}([.,][0-9]{0,12})?$/),
  fc.stringMatching(/^[0-9]{8}$/),
  fc.constantFrom(
    '',
    '   ',
    '-0',
    '-0.00',
    '00000000',
    '99991231',
    '20240230',
    '00000101',
    '19491231',
    '21010101',
    '1e5',
    '+5',
    '.5',
    '5.',
    '1,000',
    '3,5',
    '0.0000001',
    '1000000000000000.01',
    '1000000000000000',
    '-1000000000000001',
    'NaN',
    'Infinity',
    '٣',
    '１２３',
    'I',
    't',
    'spot',
    'E',
    'c10.1',
    'L1',
    '="cmd"|calc',
    '\u0000\u0000',
  ),
);

/** One CSV line from fields: each field raw (possibly breaking the row's structure) or properly quoted. */
function renderJunkLine(fields: string[], quoted: boolean[], delimiter: string): string {
  return fields.map((f, i) => (quoted[i % quoted.length] ? `"${f.replace(/"/g, '""')}"` : f)).join(delimiter);
}

// ---------------------------------------------------------------- arbitraries: valid rows from columns.ts

interface Cell {
  /** Text as written into the field (before CSV quoting). */
  raw: string;
  /** Normalized value the validator must produce (null = SQL NULL). */
  expected: string | null;
  /** Comparable value of numeric/date cells for cross-field rules (cents, scaled ints, day numbers). */
  num?: bigint;
}

const DAY_MS = 86_400_000;
const dayOf = (yyyymmdd: string) => Date.UTC(Number(yyyymmdd.slice(0, 4)), Number(yyyymmdd.slice(4, 6)) - 1, Number(yyyymmdd.slice(6, 8))) / DAY_MS;
const ymd = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10).replace(/-/g, '');
const iso = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

const asciiUpperRef = (s: string) => s.replace(/[a-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 32));
/** Scaled BigInt of a decimal constant from columns.ts (e.g. '1000000000000000', '0'). */
function scaled(text: string, scale: number): bigint {
  const [i, f = ''] = text.split('.');
  return BigInt(i + f.padEnd(scale, '0'));
}
function fixedText(v: bigint, scale: number): string {
  const s = v.toString().padStart(scale + 1, '0');
  return scale === 0 ? s : `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
}
/** Minimal form: no trailing fractional zeros, no point when integral. */
function canonicalText(v: bigint, scale: number): string {
  const s = fixedText(v, scale);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}
/** Parses the validator's output back to a scaled BigInt, refusing any non-decimal text. */
function outToScaled(out: string, scale: number): bigint {
  const m = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/.exec(out);
  assert.ok(m, `decimal output ${JSON.stringify(out)}`);
  assert.ok((m[2] ?? '').length <= scale, `${out} has at most ${scale} decimals`);
  return BigInt(m[1] + (m[2] ?? '').padEnd(scale, '0'));
}

/**
 * Random choices inside fc.gen(). fc.gen() memoizes one arbitrary per distinct (builder, arguments) pair and finds
 * them with a linear deep-equality scan, so every choice goes through a few fixed builders (no per-call ranges).
 */
const natArb = fc.nat({ max: 0x7fffffff });
const natB = () => natArb;
const modeArb = fc.nat({ max: 15 });
const modeB = () => modeArb;
const bigArb = fc.bigInt({ min: 0n, max: 2n ** 128n });
const bigB = () => bigArb;
const smallBigArb = fc.bigInt({ min: 0n, max: 1_000_000n });
const smallBigB = () => smallBigArb;
const boolB = () => fc.boolean();
/** An integer in [lo, hi], biased to the bounds. */
function int(g: fc.GeneratorValue, lo: number, hi: number): number {
  if (hi <= lo) return lo;
  const m = g(modeB);
  if (m === 0) return lo;
  if (m === 1) return hi;
  return lo + (g(natB) % (hi - lo + 1));
}
const pick = <T,>(g: fc.GeneratorValue, arr: readonly T[]): T => arr[int(g, 0, arr.length - 1)];
const coin = (g: fc.GeneratorValue) => g(boolB);
/** A BigInt in [lo, hi]: the bounds, values near them, small values and uniform ones. */
function big(g: fc.GeneratorValue, lo: bigint, hi: bigint): bigint {
  if (hi <= lo) return lo;
  const span = hi - lo + 1n;
  const m = g(modeB);
  if (m === 0) return lo;
  if (m === 1) return hi;
  if (m === 2) return hi - (g(smallBigB) % span);
  if (m <= 7) return lo + (g(smallBigB) % span);
  return lo + (g(bigB) % span);
}
const junkB = () => junkField;

/** Code points that are not control characters (§9.13) and not JS trim white space: safe at the ends of a value. */
const textUnit: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('"', ',', ';', '|', "'", '=', '+', '@', '-', 'İ', 'ı', 'ş', 'Ç', 'é', '😀', '\\', 'a', 'Z', '0', ' ', '\u00a0', '\u2028', '\u0085') },
  { weight: 5, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);
const isControl = (c: number) => c <= 0x1f || (c >= 0x7f && c <= 0x9f);
const validText = (s: string) => {
  const t = s.trim();
  const cps = [...t];
  return cps.length >= 1 && cps.length <= 32 && !cps.some((ch) => isControl(ch.codePointAt(0)!));
};

const textBuilders = new Map<number, () => fc.Arbitrary<string>>();
function textArb(maxLength: number): () => fc.Arbitrary<string> {
  let b = textBuilders.get(maxLength);
  if (!b) {
    const arb = fc.string({ unit: textUnit, minLength: 1, maxLength }).filter(validText);
    b = () => arb;
    textBuilders.set(maxLength, b);
  }
  return b;
}

/** Random ASCII case (§9.2). */
const randomCase = (g: fc.GeneratorValue, s: string) =>
  [...s].map((ch) => (/[a-z]/i.test(ch) && coin(g) ? (ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase()) : ch)).join('');

function genMoney(g: fc.GeneratorValue, col: ColumnDef, delimiter: string, upper: bigint | null): Cell {
  let lo = scaled(col.min ?? '0', 2);
  if (col.minExclusive) lo += 1n;
  let hi = scaled(col.max!, 2);
  if (upper !== null && upper < hi) hi = upper;
  const cents = big(g, lo, hi);
  const whole = cents / 100n;
  const frac = cents % 100n;
  const forms = frac === 0n ? ['', '0', '00'] : frac % 10n === 0n ? [String(frac / 10n), String(frac).padStart(2, '0')] : [String(frac).padStart(2, '0')];
  const f = pick(g, forms);
  const sep = delimiter === ';' && coin(g) ? ',' : '.';
  const sign = cents === 0n && coin(g) ? '-' : '';
  const raw = sign + '0'.repeat(int(g, 0, 3)) + whole.toString() + (f ? sep + f : '');
  return { raw, expected: fixedText(cents, 2), num: cents };
}

function genPercent(g: fc.GeneratorValue, col: ColumnDef, delimiter: string): Cell {
  const v6 = big(g, scaled(col.min ?? '0', 6), scaled(col.max!, 6));
  const whole = v6 / 1_000_000n;
  const frac6 = (v6 % 1_000_000n).toString().padStart(6, '0');
  const minimal = frac6.replace(/0+$/, '');
  const digits = int(g, minimal.length, 6);
  const sep = delimiter === ';' && coin(g) ? ',' : '.';
  const raw = '0'.repeat(int(g, 0, 2)) + whole.toString() + (digits > 0 ? sep + frac6.slice(0, digits) : '');
  // §5: greater than 1 → a percentage, divided by 100; 0..1 inclusive is a fraction already. At scale 8 exactly.
  const scaled8 = v6 > 1_000_000n ? v6 : v6 * 100n;
  return { raw, expected: canonicalText(scaled8, 8), num: v6 };
}

function genInt(g: fc.GeneratorValue, col: ColumnDef, upper: bigint | null): Cell {
  let value: bigint;
  if (col.allowed) value = BigInt(pick(g, col.allowed));
  else {
    const lo = BigInt(col.min ?? '0');
    let hi = col.max !== undefined ? BigInt(col.max) : 100_000n;
    if (upper !== null && upper < hi) hi = upper;
    value = big(g, lo, hi);
  }
  const sign = value === 0n && coin(g) ? '-' : '';
  return { raw: sign + '0'.repeat(int(g, 0, 3)) + value.toString(), expected: value.toString(), num: value };
}

function genDate(g: fc.GeneratorValue, col: ColumnDef, lower: bigint | null): Cell {
  const lo = Math.max(dayOf(col.min!), lower === null ? -Infinity : Number(lower));
  const day = int(g, lo, dayOf(col.max!));
  return { raw: ymd(day), expected: iso(day), num: BigInt(day) };
}

/**
 * One builder per pattern column: fc.gen() memoizes arbitraries by builder and arguments, and compares RegExp
 * arguments as equal, so g(fc.stringMatching, re) would reuse the first column's pattern for every column.
 */
const patternBuilders = new Map<ColumnDef, () => fc.Arbitrary<string>>();
function patternArb(col: ColumnDef): () => fc.Arbitrary<string> {
  let b = patternBuilders.get(col);
  if (!b) {
    const arb = fc.stringMatching(col.pattern!);
    b = () => arb;
    patternBuilders.set(col, b);
  }
  return b;
}

function genCell(g: fc.GeneratorValue, col: ColumnDef, delimiter: string, row: Map<string, Cell>): Cell {
  const other = col.lteColumn ?? col.gteColumn;
  const bound = other !== undefined ? (row.get(other)?.num ?? null) : null;
  switch (col.type) {
    case 'money':
      return genMoney(g, col, delimiter, col.lteColumn ? bound : null);
    case 'percent':
      return genPercent(g, col, delimiter);
    case 'int':
      return genInt(g, col, col.lteColumn ? bound : null);
    case 'date':
      return genDate(g, col, col.gteColumn ? bound : null);
    case 'code': {
      const code = pick(g, Object.keys(col.codes!));
      return { raw: randomCase(g, code), expected: String(col.codes![code]) };
    }
    case 'string': {
      if (col.pattern) {
        const raw = g(patternArb(col));
        return { raw, expected: col.upper ? asciiUpperRef(raw) : raw };
      }
      const raw = g(textArb(col.maxLength!));
      const t = raw.trim();
      return { raw: t, expected: col.upper ? asciiUpperRef(t) : t };
    }
  }
}

/** Trim white space (§9.5) that may pad a value; quoting is decided when the line is rendered. */
const PADS = ['', '', '', ' ', '  ', '\u00a0', '\u3000', '\ufeff', '\u2028', '\t', '\r\n '];
const MISSING = ['', '', ' ', '  ', '\u00a0', '\t'];

interface ValidDoc {
  fileType: FileType;
  loanType: LoanType;
  delimiter: string;
  bytes: Uint8Array;
  /** Expected normalized values per data row, in COLUMNS order. */
  expected: (string | null)[][];
  /** Kinds per COLUMNS index (for BigInt checks). */
  cells: Cell[][];
}

const validDoc: fc.Arbitrary<ValidDoc> = fc.gen().map((g) => {
  const fileType = pick(g, FILE_TYPES);
  const loanType = pick(g, LOAN_TYPES);
  const delimiter = pick(g, DELIMS);
  const cols = COLUMNS[fileType];
  // Header: every required column, optional ones at random, unused ones (junk values) and unknown extras at random.
  const inHeader = cols.map((c) => isRequired(c, loanType) || int(g, 0, 9) < 8);
  const extras = int(g, 0, 2);
  type HeaderItem = { k: number } | { extra: number };
  const items: HeaderItem[] = [...cols.map((_, k) => ({ k })).filter((x) => inHeader[x.k]), ...Array.from({ length: extras }, (_, i) => ({ extra: i }))];
  const order = [...items];
  for (let i = order.length - 1; i > 0; i--) {
    const j = int(g, 0, i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const headerNames = order.map((it) => {
    const name = 'k' in it ? cols[it.k].name : `x_extra_${it.extra}`;
    return pick(g, ['', ' ', '  ']) + randomCase(g, name) + pick(g, ['', ' ']);
  });

  const nRows = int(g, 1, 12);
  const expected: (string | null)[][] = [];
  const cellsOut: Cell[][] = [];
  const lines: string[] = [];
  const loans = new Set<string>();
  const payKeys = new Set<string>();
  for (let r = 0; r < nRows; r++) {
    const row = new Map<string, Cell>();
    const cells: Cell[] = [];
    for (let k = 0; k < cols.length; k++) {
      const col = cols[k];
      let cell: Cell;
      if (!isUsed(col, loanType)) cell = { raw: g(junkB), expected: null };
      else if (!inHeader[k]) cell = { raw: '', expected: null };
      else if (!isRequired(col, loanType) && int(g, 0, 4) === 0) cell = { raw: pick(g, MISSING), expected: null };
      else cell = genCell(g, col, delimiter, row);
      if (cell.num === undefined && cell.expected === null && isUsed(col, loanType) && col.defaultWhenMissing !== undefined) {
        // Missing optional with a default: stored as the default in canonical form (§4).
        cell.expected = col.type === 'money' ? fixedText(scaled(col.defaultWhenMissing, 2), 2) : col.defaultWhenMissing;
      }
      row.set(col.name, cell);
      cells.push(cell);
    }
    // Keys unique in the file after normalization (§6): credit by loan, payment plans by (loan, installment).
    const lan = row.get('loan_account_number')!;
    if (fileType === 'credit') {
      for (let attempt = 0; loans.has(lan.expected!); attempt++) {
        lan.raw = `Q${r}X${attempt}`;
        lan.expected = lan.raw;
      }
      loans.add(lan.expected!);
    } else {
      const inst = row.get('installment_number')!;
      for (let attempt = 0; payKeys.has(`${lan.expected}|${inst.expected}`); attempt++) {
        lan.raw = `P${r}X${attempt}`;
        lan.expected = lan.raw;
      }
      payKeys.add(`${lan.expected}|${inst.expected}`);
    }
    // payment_date is required when payment_status is O (PAID).
    for (let k = 0; k < cols.length; k++) {
      const rw = cols[k].requiredWhen;
      if (!rw || !isUsed(cols[k], loanType)) continue;
      const condK = cols.findIndex((c) => c.name === rw.column);
      const condCell = cells[condK];
      if (!rw.codes.includes(asciiUpperRef(condCell.raw))) continue;
      if (cells[k].expected !== null) continue;
      if (inHeader[k]) {
        const fresh = genCell(g, cols[k], delimiter, row);
        Object.assign(cells[k], fresh);
      } else {
        const others = Object.keys(cols[condK].codes!).filter((c) => !rw.codes.includes(c));
        const code = pick(g, others);
        condCell.raw = code;
        condCell.expected = String(cols[condK].codes![code]);
      }
    }
    expected.push(cells.map((c) => c.expected));
    cellsOut.push(cells);
    const fields = order.map((it) => {
      const raw = 'k' in it ? cells[it.k].raw : g(junkB);
      const pad = 'k' in it && cells[it.k].raw.trim() !== '' ? pick(g, PADS) : '';
      return pad + raw + (pad ? pick(g, PADS) : '');
    });
    lines.push(
      fields
        .map((f) => {
          const must = f.includes('"') || f.includes(delimiter) || f.includes('\r') || f.includes('\n');
          return must || int(g, 0, 5) === 0 ? `"${f.replace(/"/g, '""')}"` : f;
        })
        .join(delimiter),
    );
  }
  // Blank lines are skipped (§9.5): empty or white space without TAB in a TAB file.
  const blank = () => pick(g, ['', ' ', '  ', delimiter === '\t' ? ' ' : '\t', '\u00a0']);
  let text = coin(g) ? '\ufeff' : '';
  // Before the header a line holding a TAB is never blank (§9.5, it would be a TAB header): spaces only there.
  if (int(g, 0, 4) === 0) text += pick(g, ['', ' ', '\u00a0 ']) + '\n';
  text += headerNames.join(delimiter);
  for (const line of lines) {
    text += pick(g, ['\n', '\r\n']);
    if (int(g, 0, 5) === 0) text += blank() + pick(g, ['\n', '\r\n']);
    text += line;
  }
  if (coin(g)) text += pick(g, ['\n', '\r\n']);
  return { fileType, loanType, delimiter, bytes: Buffer.from(text, 'utf8'), expected, cells: cellsOut };
});

// ---------------------------------------------------------------- 1. robustness

test('property: arbitrary rows through parser + bindHeader + validator never throw; only FileLevelError, only from push/end', () => {
  const seen = { runs: 0, rows: 0, valid: 0, fieldErrors: 0, fileErrors: 0 };
  const docArb = fc.record({
    fileType: fc.constantFrom(...FILE_TYPES),
    loanType: fc.constantFrom(...LOAN_TYPES),
    delimiter: fc.constantFrom(...DELIMS),
    headerKind: fc.constantFrom('full', 'full', 'subset', 'junk'),
    junkHeader: fc.array(junkField, { maxLength: 6 }),
    rows: fc.array(fc.tuple(fc.array(junkField, { maxLength: 40 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }), fc.boolean()), { maxLength: 12 }),
    eol: fc.constantFrom('\n', '\r\n'),
    bom: fc.boolean(),
    cuts: fc.array(fc.nat(), { maxLength: 6 }),
  });
  fc.assert(
    fc.property(docArb, (d) => {
      const cols = COLUMNS[d.fileType];
      const names =
        d.headerKind === 'junk'
          ? d.junkHeader
          : cols.filter((c) => d.headerKind === 'full' || isRequired(c, d.loanType)).map((c) => c.name);
      const width = names.length;
      const lines = [names.join(d.delimiter)];
      for (const [fields, quoted, exact] of d.rows) {
        // Half the rows have exactly the header's width (reaching every field check), the rest are ragged.
        const fs = exact ? Array.from({ length: width }, (_, i) => fields[i % Math.max(fields.length, 1)] ?? '') : fields;
        lines.push(renderJunkLine(fs, quoted, d.delimiter));
      }
      const doc = Buffer.from((d.bom ? '\ufeff' : '') + lines.join(d.eol), 'utf8');
      const { results, thrown, thrownIn, validator } = pipeline(doc, d.fileType, d.loanType, toCuts(doc.length, d.cuts));
      if (thrown) {
        assert.ok(thrown instanceof FileLevelError, `only FileLevelError escapes, got ${String(thrown)} in ${thrownIn}`);
        assert.ok(['push', 'end', 'bindHeader'].includes(thrownIn), `thrown from ${thrownIn}`);
        if (thrownIn === 'bindHeader') assert.ok(['MISSING_COLUMNS', 'DUPLICATE_COLUMNS'].includes(thrown.code));
      }
      for (const { row, v } of results) assertRowInvariants(v, row, d.fileType);
      seen.runs++;
      seen.rows += results.length;
      seen.valid += results.filter((r) => r.v.errors.length === 0).length;
      seen.fieldErrors += results.reduce((n, r) => n + r.v.errors.filter((e) => e.field !== '_row').length, 0);
      if (thrown) seen.fileErrors++;
      if (validator) {
        assert.equal(validator.counts.total, results.length);
        assert.equal(validator.counts.invalid, results.filter((r) => r.v.errors.length > 0).length);
      }
    }),
    params(400),
  );
  // The generator really reaches the validator: many rows, field-level errors, some file-level errors (ratios, so a
  // run cut short by interruptAfterTimeLimit on a loaded machine still passes).
  if (process.env.FC_STATS) console.log('robustness coverage', seen);
  assert.ok(seen.runs >= 50, `runs: ${seen.runs}`);
  assert.ok(seen.rows >= 2 * seen.runs, `rows validated: ${JSON.stringify(seen)}`);
  assert.ok(seen.fieldErrors >= 2 * seen.runs, `field errors: ${JSON.stringify(seen)}`);
  assert.ok(seen.fileErrors * 40 >= seen.runs, `file-level errors: ${JSON.stringify(seen)}`);
});

test('property: arbitrary bytes (binary garbage) only ever raise FileLevelError from the parser', () => {
  fc.assert(
    fc.property(fc.constantFrom(...FILE_TYPES), fc.constantFrom(...LOAN_TYPES), fc.uint8Array({ maxLength: 400 }), fc.array(fc.nat(), { maxLength: 5 }), (ft, lt, bytes, cuts) => {
      const { results, thrown, thrownIn } = pipeline(bytes, ft, lt, toCuts(bytes.length, cuts));
      if (thrown) {
        assert.ok(thrown instanceof FileLevelError, `got ${String(thrown)} in ${thrownIn}`);
        assert.notEqual(thrownIn, 'validate');
      }
      for (const { row, v } of results) assertRowInvariants(v, row, ft);
    }),
    params(300),
  );
});

test('property: RowValidator.validate never throws on arbitrary field arrays (lone surrogates, any width, rowError)', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...FILE_TYPES),
      fc.constantFrom(...LOAN_TYPES),
      fc.constantFrom(...DELIMS),
      fc.array(fc.tuple(fc.array(fc.oneof(junkField, fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), maxLength: 3 })), { maxLength: 40 }), fc.boolean()), {
        maxLength: 20,
      }),
      (ft, lt, delimiter, rows) => {
        const names = COLUMNS[ft].map((c) => c.name);
        const v = new RowValidator(ft, lt, bindHeader(ft, lt, names).binding, { delimiter, references: new Set(['L1']) });
        let n = 0;
        for (const [fields, rowError] of rows) {
          // Exactly the header's width most of the time, so the per-field checks run.
          const fs = fields.length > 0 && !rowError ? Array.from({ length: names.length }, (_, i) => fields[i % fields.length]) : fields;
          const row: CsvRow = { row: ++n, fields: fs, rowError };
          assertRowInvariants(v.validate(row), row, ft);
        }
        assert.equal(v.counts.total, rows.length);
      },
    ),
    params(300),
  );
});

// ---------------------------------------------------------------- 2. chunk-split invariance

const PIECES: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.string({ unit: fc.constantFrom(...SPECIAL_CHARS, 'x', 'y', 'name', 'loan_account_number'), maxLength: 12 }).map((s) => Buffer.from(s, 'utf8')),
  fc.string({ unit: 'binary', maxLength: 6 }).map((s) => Buffer.from(s, 'utf8')),
  fc.constantFrom(
    Buffer.from([0xef, 0xbb, 0xbf]), // UTF-8 BOM
    Buffer.from([0xff, 0xfe]), // UTF-16 LE BOM
    Buffer.from([0xc3, 0x28]), // §2 example
    Buffer.from([0xdd, 0xde, 0xc7]), // "İŞÇ" in Windows-1254
    Buffer.from([0xed, 0xa0, 0x80]), // surrogate
    Buffer.from([0xf4, 0x90, 0x80, 0x80]), // above U+10FFFF
    Buffer.from([0xc0, 0xaf]), // overlong
    Buffer.from([0xe2, 0x82]), // truncated €
    Buffer.from('€😀İ', 'utf8'),
  ),
  fc.uint8Array({ maxLength: 4 }),
);
const docBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 4, arbitrary: fc.array(PIECES, { maxLength: 30 }).map((ps) => Buffer.concat(ps)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
);
const OPTIONS: CsvParserOptions[] = [{}, {}, { maxFieldChars: 5 }, { maxFields: 3 }, { maxFieldChars: 7, maxFields: 2 }, { maxFieldChars: 1 }];

test('property: the parser result does not depend on how the body is chunked (whole, random cuts, byte by byte)', () => {
  fc.assert(
    fc.property(docBytes, fc.array(fc.nat(), { maxLength: 12 }), fc.constantFrom(...OPTIONS), (doc, rawCuts, opts) => {
      const whole = parsePieces(doc, [], opts);
      const cut = parsePieces(doc, toCuts(doc.length, rawCuts), opts);
      const bytes = parsePieces(doc, 'bytes', opts);
      for (const [name, o] of [
        ['random cuts', cut],
        ['byte by byte', bytes],
      ] as const) {
        assert.deepEqual(o.events, whole.events, `${name}: same header and rows`);
        assert.deepEqual(o.error, whole.error, `${name}: same file-level error`);
        assert.equal(o.parsedRows, whole.parsedRows);
      }
      if (!whole.error) assert.equal(whole.bytes, doc.length);
      assert.equal(whole.parsedRows, whole.rows.length);
      // Row numbers are 1-based and consecutive; bounded options are honoured.
      whole.rows.forEach((r, i) => assert.equal(r.row, i + 1));
      if (opts.maxFields) for (const r of whole.rows) assert.ok(r.fields.length <= opts.maxFields);
      if (opts.maxFieldChars) for (const r of whole.rows) for (const f of r.fields) assert.ok(f.length <= opts.maxFieldChars);
    }),
    params(500),
  );
});

test('property: INVALID_ENCODING exactly when Node’s isUtf8 refuses the body, at the first ill-formed sequence', () => {
  fc.assert(
    fc.property(docBytes, fc.array(fc.nat(), { maxLength: 6 }), (doc, rawCuts) => {
      const o = parsePieces(doc, toCuts(doc.length, rawCuts));
      if (isUtf8(doc)) {
        assert.notEqual(o.error?.code, 'INVALID_ENCODING');
        return;
      }
      assert.equal(o.error?.code, 'INVALID_ENCODING', 'ill-formed UTF-8 is refused');
      const off = (o.error!.details as { offset: number }).offset;
      assert.ok(Number.isInteger(off) && off >= 0 && off < doc.length);
      // Oracle independent of findInvalidUtf8: everything before is valid, and no character starts at `off`.
      assert.ok(isUtf8(doc.subarray(0, off)), `bytes before ${off} are valid`);
      for (let len = 1; len <= 4; len++) assert.ok(!isUtf8(doc.subarray(off, off + len)), `no valid ${len}-byte character at ${off}`);
    }),
    params(500),
  );
});

// ---------------------------------------------------------------- 3. exact normalization of valid rows

test('property: rows generated valid from columns.ts have zero errors and normalize exactly (ISO dates, 2-decimal money, §5 percent via BigInt)', () => {
  const seen = { runs: 0, rows: 0, percentOver1: 0, percentFraction: 0, decimalComma: 0, tabFiles: 0 };
  fc.assert(
    fc.property(validDoc, fc.array(fc.nat(), { maxLength: 8 }), (d, rawCuts) => {
// Payment rows reference loans that all exist (the positive CROSS_REFERENCE path).
      const refs = new Set(d.expected.map((r) => r[0]!));
      const { results, thrown, thrownIn } = pipeline(d.bytes, d.fileType, d.loanType, toCuts(d.bytes.length, rawCuts), refs);
      assert.equal(thrown, null, `no file-level error (${String(thrown)} in ${thrownIn})`);
      assert.equal(results.length, d.expected.length, 'one row per generated row, blank lines skipped');
      seen.runs++;
      seen.rows += results.length;
      if (d.delimiter === '\t') seen.tabFiles++;
      const cols = COLUMNS[d.fileType];
      results.forEach(({ v }, r) => {
        assert.deepEqual(v.errors, [], `row ${r + 1} of a ${d.loanType} ${d.fileType} file (delimiter ${JSON.stringify(d.delimiter)}) is valid`);
        assert.equal(v.row, r + 1);
        assert.deepEqual(v.values, d.expected[r], `row ${r + 1} normalized values`);
        // Independent BigInt checks on the output text itself.
        cols.forEach((col, k) => {
          const out = v.values![k];
          const cell = d.cells[r][k];
          if (out === null || !isUsed(col, d.loanType)) return;
          if (col.type === 'money') {
            assert.match(out, /^(0|[1-9][0-9]*)\.[0-9]{2}$/, `${col.name} has exactly two decimals`);
            if (cell.num !== undefined) assert.equal(outToScaled(out, 2), cell.num, `${col.name} exact cents`);
          } else if (col.type === 'percent') {
            assert.ok(cell.num !== undefined);
            const s8 = outToScaled(out, 8);
            const written6 = cell.num!;
            // §5: value > 1 → value / 100; else unchanged. s8 / 1e8 must equal written/1e6 (/100 when > 1).
            assert.equal(written6 > 1_000_000n ? s8 : s8 / 100n, written6, `${col.name}: ${cell.raw} → ${out}`);
            if (written6 > 1_000_000n) seen.percentOver1++;
            else seen.percentFraction++;
            if (cell.raw.includes(',')) seen.decimalComma++;
            if (written6 <= 1_000_000n) assert.equal(s8 % 100n, 0n);
            assert.doesNotMatch(out, /\.[0-9]*0$/, 'percent in minimal form');
          } else if (col.type === 'date') {
            assert.match(out, /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/);
            assert.equal(out.replace(/-/g, ''), cell.raw, `${col.name} ISO of the written date`);
          }
        });
      });
    }),
    params(400),
  );
  if (process.env.FC_STATS) console.log('valid-row coverage', seen);
  assert.ok(seen.runs >= 50, `runs: ${seen.runs}`);
  assert.ok(seen.rows >= 2 * seen.runs, `valid rows checked: ${JSON.stringify(seen)}`);
  assert.ok(seen.percentOver1 * 4 >= seen.runs && seen.percentFraction * 4 >= seen.runs, `both §5 branches: ${JSON.stringify(seen)}`);
  assert.ok(seen.decimalComma * 20 >= seen.runs, `decimal commas in ';' files: ${JSON.stringify(seen)}`);
  assert.ok(seen.tabFiles * 20 >= seen.runs, `TAB files: ${JSON.stringify(seen)}`);
});

// ---------------------------------------------------------------- 4. CSV downloads

test('property: csvLine cells round-trip through an RFC 4180 reader; formula cells come back neutralized with a leading apostrophe', () => {
  const DANGEROUS = /^(?:[\t\r]|\s*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20])/;
  const cell = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.string({ unit: fc.constantFrom(...SPECIAL_CHARS, '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20'), maxLength: 10 }),
    fc.constantFrom('=cmd|\' /C calc\'!A0', '+1', '-1', '@SUM(A1)', ' =1', '\t=1', '\r=1', '\n=1', '\u00a0=1', '＝1', "'=1", ''),
  );
  fc.assert(
    fc.property(fc.array(cell, { minLength: 1, maxLength: 6 }), (cells) => {
      const text = csvLine(cells.map((_, i) => `c${i}`)) + csvLine(cells);
      const rows: CsvRow[] = [];
      const parser = new CsvParser({ onHeader: () => {}, onRow: (r) => rows.push(r) });
      parser.push(Buffer.from(text, 'utf8'));
      parser.end();
      assert.equal(rows.length, 1, 'one data row');
      assert.equal(rows[0].rowError, false, 'well-formed quoting');
      // Lone surrogates cannot be encoded in UTF-8: compare with what the bytes can carry.
      const expected = cells.map((c) => {
        const v = Buffer.from(c, 'utf8').toString('utf8');
        return DANGEROUS.test(v) ? `'${v}` : v;
      });
      assert.deepEqual(rows[0].fields, expected);
      for (const f of rows[0].fields) assert.ok(!DANGEROUS.test(f), `neutralized: ${JSON.stringify(f)}`);
    }),
    params(500),
  );
});
