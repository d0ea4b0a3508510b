/**
 * The fast path (domain/fast-row.ts) stages only rows the full validator (domain/validate.ts) accepts, writes them
 * exactly as it would, and gives the rows it rejects the full validator's errors: the same files validated with and
 * without it give the same staged bytes, errors, failed rows and counts. The tests also check that the fast path
 * does take most plain rows, valid and invalid, so they cannot pass with a fast path that gives up on everything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COLUMNS, LOAN_TYPES, type FileType, type LoanType } from '../../domain/columns.ts';
import { FileValidator, type FileValidatorInit, type ValidateBatch } from '../../domain/file-validator.ts';
import { simplePattern } from '../../domain/fast-row.ts';
import { generateInMemory } from '../../domain/generator.ts';
import { stagedLines } from '../helpers/staged-rows.ts';

const init = (fileType: FileType, loanType: LoanType, references: string | null, fastPath: boolean): FileValidatorInit => ({
  fileType,
  loanType,
  references,
  fastPath,
});

function run(i: FileValidatorInit, body: Buffer, chunk = 40_000) {
  const v = new FileValidator(i);
  const batches: ValidateBatch[] = [];
  for (let o = 0; o < body.length; o += chunk) batches.push(v.push(body.subarray(o, o + chunk)));
  batches.push(v.end());
  return {
    outcome: {
      staged: Buffer.concat(batches.flatMap((b) => (b.staged ? [b.staged] : []))),
      stagedRows: batches.reduce((n, b) => n + b.stagedRows, 0),
      errors: batches.flatMap((b) => b.errors),
      failed: batches.flatMap((b) => b.failedLines),
      result: v.result,
    },
    fastRows: v.fastRows,
  };
}

/**
 * Validates `body` with and without the fast path, asserts the same outcome; returns the rows the fast path took,
 * the valid and invalid rows, and the rows whose one error is CROSS_REFERENCE.
 */
function assertSameBothWays(
  fileType: FileType,
  loanType: LoanType,
  body: Buffer,
  references: string | null,
  what: string,
): { fastRows: number; valid: number; invalid: number; crossReferenceOnly: number } {
  const fast = run(init(fileType, loanType, references, true), body);
  const full = run(init(fileType, loanType, references, false), body);
  assert.equal(full.fastRows, 0, `${what}: fastPath false takes no row the fast way`);
  assert.deepEqual(fast.outcome.result, full.outcome.result, `${what}: counts`);
  assert.deepEqual(fast.outcome.errors, full.outcome.errors, `${what}: errors`);
  assert.deepEqual(fast.outcome.failed, full.outcome.failed, `${what}: failed rows`);
  assert.equal(fast.outcome.stagedRows, full.outcome.stagedRows, `${what}: staged row count`);
  if (!fast.outcome.staged.equals(full.outcome.staged)) {
    const a = stagedLines(fileType, [fast.outcome.staged]);
    const b = stagedLines(fileType, [full.outcome.staged]);
    const k = a.findIndex((l, i) => l !== b[i]);
    assert.equal(a[k], b[k], `${what}: first different staged row (#${k})`);
    assert.fail(`${what}: staged bytes differ, though they read back as the same rows`);
  }
  const crossReferenceOnly = full.outcome.failed.filter((l) => {
    const errors = JSON.parse(l).errors as { code: string }[];
    return errors.length === 1 && errors[0].code === 'CROSS_REFERENCE';
  }).length;
  return { fastRows: fast.fastRows, valid: full.outcome.result.rowsValid, invalid: full.outcome.result.rowsInvalid, crossReferenceOnly };
}

const referencesOf = (credit: string, drop: (i: number) => boolean) =>
  credit
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((l) => l.split(',')[0].toUpperCase())
    .filter((_, i) => !drop(i))
    .join('\n') + '\n';

for (const loanType of LOAN_TYPES) {
  test(`fast path: generated ${loanType} files with 20 % injected errors give the full validator's exact result, and the fast path takes most valid rows and most invalid ones`, async () => {
    const f = await generateInMemory({ loanType, credits: 800, errorRate: 0.2, seed: 7 });
    const c = assertSameBothWays('credit', loanType, Buffer.from(f.credit), null, `${loanType} credit`);
    assert.ok(c.fastRows > 0.9 * c.valid, `${loanType} credit: fast path took ${c.fastRows} of ${c.valid} valid rows`);
    // Single-field errors and DUPLICATE are judged on the fast path too (the rest — cross-field rules, white space,
    // malformed rows — goes to the full validator).
    assert.ok(c.fastRows - c.valid > 0.75 * c.invalid, `${loanType} credit: fast path took ${c.fastRows - c.valid} of ${c.invalid} invalid rows`);
    // Every 7th loan missing from the reference set: CROSS_REFERENCE errors, and keys the fast path must not claim.
    const refs = referencesOf(f.credit, (i) => i % 7 === 3);
    const p = assertSameBothWays('payment_plan', loanType, Buffer.from(f.payment_plan), refs, `${loanType} payment_plan`);
    assert.ok(p.crossReferenceOnly > 100, `${loanType} payment_plan: ${p.crossReferenceOnly} rows fail CROSS_REFERENCE alone`);
    assert.ok(
      p.fastRows > 0.9 * (p.valid + p.crossReferenceOnly),
      `${loanType} payment_plan: fast path took ${p.fastRows} of ${p.valid} valid rows and ${p.crossReferenceOnly} rows failing CROSS_REFERENCE alone`,
    );
    assert.ok(p.fastRows - p.valid > 0.75 * p.invalid, `${loanType} payment_plan: fast path took ${p.fastRows - p.valid} of ${p.invalid} invalid rows`);
  });
}

/** Values that sit on every edge of the rules: signs, zeros, scales, bounds, case, white space, escapes, dates. */
const TRICKY = [
  '', ' ', 'x', '-', '\\', '\\N', 'a\\b', 'é', 'ı', '0', '00', '-0', '-0.00', '-1', '1', '01', '007', '1.', '.5', '1.5', '1.50', '1.505', '1,5', '1,50',
  '+1', '1e5', '12345678901234567', '999999999999999.99', '1000000000000000', '1000000000000000.00', '1000000000000000.01', '0.000001', '0.0000001',
  '100', '100.000001', '200', '200.000001', '1000', '1000.5', '1.000000', '1.000001', '0.999999', '150', '020', '0.5', '99.999999', '20240229',
  '20230229', '19491231', '19500101', '21001231', '21010101', '00000101', '2024-01-01', '20241301', '20240431', '20240100', 'I', 'i', 'T', 'X', 'TRY',
  'try', 'Try', 'usd', 'E', 'e', 'H', 'O', 'o', 'B', 'G', 'K', 'SPOT', 'spot', 'Revolving', 'A', 'M', 'q', 'r00000000001', 'ABC_-123', 'a'.repeat(32),
  'a'.repeat(33), '123456', '1234567', 'A01', 'a01.1', 'U99.99', 'V', '2', '3', '4', '600', '601', '36500', '36501', '81', '82', 'x y', ' lead', 'trail ',
  '\u00a0x', 'x\u00a0', '\u0007', 'tab\there', 'NULL',
];

for (const loanType of LOAN_TYPES) {
  for (const delimiter of [',', ';', '\t']) {
    test(`fast path: every column of ${loanType} files with edge values (delimiter ${JSON.stringify(delimiter)}) gives the full validator's exact result`, async () => {
      const f = await generateInMemory({ loanType, credits: 60, errorRate: 0, seed: 3 });
      for (const fileType of ['credit', 'payment_plan'] as const) {
        const lines = f[fileType].trimEnd().split('\n');
        const header = lines[0].split(',');
        const rows = lines.slice(1).map((l) => l.split(','));
        const out = [header.join(delimiter)];
        // Each row changes one column to one value: every (column, value) pair, cycling through the base rows,
        // each on a loan of its own so a valid one is staged; untouched base rows in between keep the fast path
        // busy and repeat keys (DUPLICATE).
        let r = 0;
        const ownLoans: string[] = [];
        for (let h = 0; h < header.length; h++) {
          for (const v of TRICKY) {
            const row = [...rows[r++ % rows.length]];
            if (h !== 0) {
              row[0] = `E${r}`;
              if (r % 7 !== 3) ownLoans.push(row[0]);
            }
            row[h] = v;
            out.push(row.join(delimiter));
            if (r % 5 === 0) out.push(rows[r % rows.length].join(delimiter));
          }
        }
        const body = Buffer.from(out.join(r % 2 ? '\r\n' : '\n') + '\n');
        const refs = fileType === 'payment_plan' ? referencesOf(f.credit, (i) => i % 5 === 1) + ownLoans.map((l) => `${l}\n`).join('') : null;
        const { fastRows } = assertSameBothWays(fileType, loanType, body, refs, `${loanType} ${fileType} ${JSON.stringify(delimiter)}`);
        assert.ok(fastRows > 0, `${loanType} ${fileType}: the fast path took some rows`);
      }
    });
  }
}

test('fast path: a header naming only some optional columns, in another order, with an unknown column, gives the exact result', async () => {
  const f = await generateInMemory({ loanType: 'RETAIL', credits: 200, errorRate: 0.1, seed: 5 });
  const lines = f.payment_plan.trimEnd().split('\n');
  const header = lines[0].split(',');
  const drop = new Set(['tax_amount', 'days_late']);
  const order = header.map((_, i) => i).filter((i) => !drop.has(header[i])).reverse();
  const pick = (l: string) => {
    const v = l.split(',');
    return [...order.map((i) => v[i]), 'extra'].join(',');
  };
  const body = [[...order.map((i) => header[i]), 'note'].join(','), ...lines.slice(1).map(pick)].join('\n') + '\n';
  const { fastRows, valid } = assertSameBothWays('payment_plan', 'RETAIL', Buffer.from(body), null, 'reordered payment_plan');
  assert.ok(fastRows > 0.9 * valid);
});

test('simplePattern reads the column patterns of the form ^[class]{m,n}$ and leaves others to the RegExp', () => {
  const byName = new Map([...COLUMNS.credit, ...COLUMNS.payment_plan].map((c) => [c.name, c]));
  const loan = simplePattern(byName.get('loan_account_number')!.pattern!);
  assert.ok(loan);
  assert.equal(loan.min, 1);
  assert.equal(loan.max, 32);
  const allowed = [...loan.table.keys()].filter((c) => loan.table[c] === 1).map((c) => String.fromCharCode(c)).join('');
  assert.equal(allowed, '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz');
  assert.deepEqual({ ...simplePattern(byName.get('branch_code')!.pattern!), table: undefined }, { min: 1, max: 6, table: undefined });
  assert.equal(simplePattern(byName.get('sector_code')!.pattern!), null);
  assert.equal(simplePattern(/^[a-z]{2}$/i), null, 'flags are left to the RegExp');
  const bs = simplePattern(/^[a\\]{1,3}$/);
  assert.equal(bs, null, 'an escaped character in the class is not read');
});
