/**
 * Micro-benchmark of the pure domain path: CSV parse + header binding + row validation of synthetic payment-plan
 * rows held in memory (no I/O). Usage: `node --import tsx scripts/bench-validate.ts [rows] [runs]`.
 * Prints rows/s for parse only and for parse + validate; timings are informative, never asserted.
 */
import { COLUMNS } from '../domain/columns.ts';
import { CsvParser } from '../domain/csv.ts';
import { RowValidator, bindHeader } from '../domain/validate.ts';

const ROWS = Number(process.argv[2] ?? 200_000);
const RUNS = Number(process.argv[3] ?? 5);
const CHUNK = 64 * 1024;
const PER_LOAN = 12;

function generate(rows: number): { body: Buffer; loans: Set<string> } {
  const header = COLUMNS.payment_plan.map((c) => c.name).join(',');
  const lines = [header];
  const loans = new Set<string>();
  const statuses = ['O', 'B', 'G', 'K'];
  for (let i = 0; i < rows; i++) {
    const loan = `LN${String(Math.floor(i / PER_LOAN)).padStart(10, '0')}`;
    loans.add(loan);
    const inst = (i % PER_LOAN) + 1;
    const month = String(((inst - 1) % 12) + 1).padStart(2, '0');
    const status = statuses[i % 4];
    const principal = 1000 + (i % 997);
    const interest = (i % 89) + 0.25;
    lines.push(
      [
        loan,
        inst,
        `2024${month}15`,
        (principal + interest).toFixed(2),
        principal.toFixed(2),
        interest.toFixed(2),
        (i % 7).toFixed(2),
        (50_000 - inst * principal).toFixed(2).replace('-', ''),
        status === 'O' ? `2024${month}16` : '',
        status === 'O' ? (principal + interest).toFixed(2) : '',
        status,
        i % 5,
      ].join(','),
    );
  }
  return { body: Buffer.from(lines.join('\n') + '\n'), loans };
}

function run(body: Buffer, loans: Set<string>, validate: boolean): { rows: number; invalid: number; ms: number } {
  let v: RowValidator | null = null;
  let invalid = 0;
  const t0 = process.hrtime.bigint();
  const p = new CsvParser({
    onHeader(names, delimiter) {
      if (validate) v = new RowValidator('payment_plan', 'RETAIL', bindHeader('payment_plan', 'RETAIL', names).binding, { delimiter, references: loans });
    },
    onRow(row) {
      if (v && v.validate(row).errors.length > 0) invalid++;
    },
  });
  for (let off = 0; off < body.length; off += CHUNK) p.push(body.subarray(off, off + CHUNK));
  p.end();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { rows: p.rows, invalid, ms };
}

const { body, loans } = generate(ROWS);
console.log(`${ROWS} payment rows, ${(body.length / 1e6).toFixed(1)} MB, ${RUNS} runs (best of)`);
for (const validate of [false, true]) {
  let best = Infinity;
  let last = { rows: 0, invalid: 0, ms: 0 };
  for (let r = 0; r < RUNS; r++) {
    last = run(body, loans, validate);
    best = Math.min(best, last.ms);
  }
  const label = validate ? 'parse + validate' : 'parse only      ';
  console.log(
    `${label}: ${Math.round((last.rows / best) * 1000).toLocaleString('en-US')} rows/s ` +
      `(${best.toFixed(0)} ms, ${((body.length / 1e6 / best) * 1000).toFixed(0)} MB/s, invalid ${last.invalid})`,
  );
}
