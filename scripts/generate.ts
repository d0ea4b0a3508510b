/**
 * npm run generate -- --loan-type RETAIL|COMMERCIAL --credits N --out DIR [--error-rate R] [--seed S]
 *
 * Writes DIR/credit.csv, DIR/payment_plan.csv and DIR/summary.json (the exact error truth).
 * Paths go to stdout, a human summary to stderr; bad arguments exit 2 with a one-line error.
 */
import { stat } from 'node:fs/promises';
import { parseLoanType, type LoanType } from '../domain/columns.ts';
import { DEFAULT_SEED, MAX_ERROR_RATE, generateFiles, outputPaths, type Summary } from '../domain/generator.ts';

const USAGE =
  'usage: npm run generate -- --loan-type RETAIL|COMMERCIAL --credits N --out DIR [--error-rate R (0..0.5, default 0)] [--seed S (default 42)]';

class UsageError extends Error {}

interface Args {
  loanType: LoanType;
  credits: number;
  outDir: string;
  errorRate: number;
  seed: number;
}

const FLAGS = ['--loan-type', '--credits', '--out', '--error-rate', '--seed'] as const;

function parseArgs(argv: string[]): Args {
  const raw = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (!(FLAGS as readonly string[]).includes(flag)) throw new UsageError(`unknown argument '${arg}'`);
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    if (raw.has(flag)) throw new UsageError(`${flag} given twice`);
    raw.set(flag, value);
  }
  const need = (flag: string): string => {
    const v = raw.get(flag);
    if (v === undefined) throw new UsageError(`${flag} is required`);
    return v;
  };

  const lt = need('--loan-type');
  const loanType = parseLoanType(lt.trim());
  if (!loanType) throw new UsageError(`unknown loan type '${lt}' (expected RETAIL or COMMERCIAL)`);

  const c = need('--credits');
  if (!/^[0-9]+$/.test(c) || Number(c) < 1 || !Number.isSafeInteger(Number(c))) {
    throw new UsageError(`--credits must be a positive integer, got '${c}'`);
  }

  const outDir = need('--out');
  if (outDir.trim() === '') throw new UsageError('--out must name a directory');

  const r = raw.get('--error-rate') ?? '0';
  const errorRate = Number(r);
  if (!/^[0-9]*\.?[0-9]+$/.test(r) || !(errorRate >= 0 && errorRate <= MAX_ERROR_RATE)) {
    throw new UsageError(`--error-rate must be a number from 0 to ${MAX_ERROR_RATE}, got '${r}'`);
  }

  const s = raw.get('--seed') ?? String(DEFAULT_SEED);
  const seed = Number(s);
  if (!/^[0-9]+$/.test(s) || seed > 0xffffffff) throw new UsageError(`--seed must be an integer from 0 to 4294967295, got '${s}'`);

  return { loanType, credits: Number(c), outDir, errorRate, seed };
}

function describe(summary: Summary, bytes: Record<string, number>, seconds: number): string {
  const lines = [`generated ${summary.loan_type} sample (seed ${summary.seed}, error rate ${summary.error_rate}) in ${seconds.toFixed(1)} s`];
  for (const [file, t] of Object.entries(summary.files)) {
    const codes = Object.entries(t.errors_by_code)
      .filter(([, n]) => n > 0)
      .map(([code, n]) => `${code} ${n}`)
      .join(', ');
    const mb = (bytes[file] / 1e6).toFixed(1);
    lines.push(`  ${file}: ${t.rows} rows, ${mb} MB, ${t.invalid_rows} invalid${codes ? ` (${codes})` : ''}`);
  }
  return lines.join('\n');
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`generate: ${e.message}\n`);
    return 2;
  }
  const started = performance.now();
  const summary = await generateFiles(args);
  const seconds = (performance.now() - started) / 1000;
  const paths = outputPaths(args.outDir);
  const bytes = {
    credit: (await stat(paths.credit)).size,
    payment_plan: (await stat(paths.payment_plan)).size,
  };
  process.stderr.write(describe(summary, bytes, seconds) + '\n');
  process.stdout.write(`${paths.credit}\n${paths.payment_plan}\n${paths.summary}\n`);
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    process.stderr.write(`generate: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
