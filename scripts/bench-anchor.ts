/**
 * The benchmark's anchor: ClickHouse ingesting the same CSV files with its own parser into typed MergeTree
 * tables with the same columns (date and decimal conversions included), through the same engine findata uses.
 * No validation, normalization or orchestration: the practical floor. Prints one JSON line.
 * usage: tsx scripts/bench-anchor.ts <dataset dir> <loan type> <work dir>
 */
import path from 'node:path';
import fs from 'node:fs';
import { COLUMNS, FACT_TABLE, isUsed, type FileType, type LoanType } from '../domain/columns.ts';
import { openWarehouse, warehouseColumns } from '../lib/warehouse.ts';
import { headerColumns } from '../domain/generator.ts';
import { pathToFileURL } from 'node:url';

/**
 * Same conversions as normalization (dates, decimals, percent scaling, code labels) of the text column
 * `c_<name>`; bad text becomes NULL/default. scripts/bench-engine-validation.ts uses them too.
 */
export function conversion(ft: FileType, loanType: LoanType, name: string, nullable: boolean): string {
  const col = COLUMNS[ft].find((c) => c.name === name)!;
  const src = `c_${name}`;
  if (!isUsed(col, loanType)) return 'NULL';
  const dflt = col.defaultWhenMissing !== undefined ? `if(${src} = '', '${col.defaultWhenMissing}', ${src})` : src;
  let e: string;
  switch (col.type) {
    case 'date':
      e = `toDate32OrNull(concat(substring(${src}, 1, 4), '-', substring(${src}, 5, 2), '-', substring(${src}, 7, 2)))`;
      break;
    case 'money':
      e = `toDecimal64OrNull(${dflt}, 2)`;
      break;
    case 'percent':
      e = `if(toDecimal64OrNull(${src}, 8) > 1, toDecimal64OrNull(${src}, 8) / 100, toDecimal64OrNull(${src}, 8))`;
      break;
    case 'int':
      e = `toUInt32OrNull(${dflt})`;
      break;
    case 'code':
      e = `transform(upper(${src}), [${Object.keys(col.codes!).map((k) => `'${k}'`).join(',')}], [${Object.values(col.codes!).map((v) => `'${v}'`).join(',')}], '')`;
      if (col.codeAsUInt8) e = `toUInt8OrNull(${e})`;
      break;
    default:
      e = col.upper ? `upper(${src})` : src;
  }
  return nullable ? `if(${src} = '', NULL, ${e})` : `assumeNotNull(${e})`;
}

/** The typed fact table's columns from the text columns `c_<name>` of `header`, with the sync's own columns. */
export function selectList(ft: FileType, loanType: LoanType, header: readonly string[], sourceRow: string): string {
  return warehouseColumns(ft)
    .map((c) => {
      if (c.name === 'loan_type') return `'${loanType}'`;
      if (c.name === 'sync_id') return 'generateUUIDv4()';
      if (c.name === 'source_row') return sourceRow;
      if (c.name === 'loaded_at') return 'now64(3)';
      return header.includes(c.name) ? conversion(ft, loanType, c.name, c.chType.includes('Nullable')) : 'NULL';
    })
    .join(', ');
}

async function main() {
  const [dir, loanType, work] = process.argv.slice(2) as [string, LoanType, string];
  fs.rmSync(work, { recursive: true, force: true });
  const wh = await openWarehouse({ url: null, user: 'default', password: '', path: work });
  await wh.command('CREATE DATABASE IF NOT EXISTS anchor');
  const out: Record<string, number> = {};
  const t0 = performance.now();
  for (const ft of ['credit', 'payment_plan'] as FileType[]) {
    const cols = warehouseColumns(ft);
    await wh.command(
      `CREATE TABLE anchor.${FACT_TABLE[ft]} (${cols.map((c) => `\`${c.name}\` ${c.chType}`).join(', ')}) ENGINE = MergeTree PARTITION BY loan_type ORDER BY loan_account_number`,
    );
    const header = headerColumns(ft, loanType).map((c) => c.name);
    const structure = header.map((n) => `c_${n} String`).join(', ');
    const select = selectList(ft, loanType, header, 'rowNumberInAllBlocks() + 1');
    const file = path.resolve(dir, `${ft}.csv`);
    const t = performance.now();
    await wh.command(
      `INSERT INTO anchor.${FACT_TABLE[ft]} SELECT ${select} FROM file('${file}', 'CSVWithNames', '${structure}') SETTINGS input_format_allow_errors_num = 1000000000, input_format_allow_errors_ratio = 1`,
    );
    out[ft] = (performance.now() - t) / 1000;
  }
  out.total = (performance.now() - t0) / 1000;
  const rows = await wh.query<{ n: string }>(`SELECT (SELECT count() FROM anchor.fact_credit) + (SELECT count() FROM anchor.fact_payment) AS n`);
  out.rows = Number(rows[0].n);
  out.peak_rss_mb = Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
  await wh.close();
  process.stdout.write(JSON.stringify(out) + '\n');
}
if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    process.stderr.write(String(e?.stack ?? e) + '\n');
    process.exit(1);
  });
}
