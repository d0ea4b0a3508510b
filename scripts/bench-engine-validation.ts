/**
 * How much validation inside the engine could save (BENCHMARKS.md, round 13): the engine's own cost of the steps
 * an engine-side validator cannot avoid, on one file of a bench dataset, against the anchor's ingest of the same
 * file in the same engine. Figures only; nothing of it is in the pipeline.
 *
 * The steps, each timed apart:
 * - `lines`: the file's lines into a table as text (`LineAsString`, the engine's parallel reader). An engine-side
 *   validator needs the lines as they are: the CSV dialect of spec §2/§9 (blank lines, ragged rows, malformed
 *   quotes, JavaScript's trim) is not the engine's, so its CSV parser cannot give the fields.
 * - `classify+insert`: one pass that keeps only the lines that are certainly valid (one regular expression per
 *   line built from the column definitions, strict: no white space, no quotes, codes as listed; then the bounds,
 *   real dates and cross-field rules on the converted values) and inserts them, converted as the anchor converts,
 *   into a typed table. A lower bound: an exact validator also needs the errors of the other lines.
 * - `one_pass_from_file`: the same pass reading the file itself (no lines table), the least one pass can cost.
 * - `duplicates`: the keys that occur more than once among those rows (GROUP BY), a lower bound of DUPLICATE.
 *
 * usage: tsx scripts/bench-engine-validation.ts <dataset dir> <file type> [work dir]   (RETAIL, `,`-delimited files)
 */
import fs from 'node:fs';
import path from 'node:path';
import { COLUMNS, FACT_TABLE, KEY_COLUMNS, isRequired, type ColumnDef, type FileType, type LoanType } from '../domain/columns.ts';
import { headerColumns } from '../domain/generator.ts';
import { openWarehouse, warehouseColumns } from '../lib/warehouse.ts';
import { selectList } from './bench-anchor.ts';

const [dir, fileType, work = '/tmp/findata-bench-engine-validation'] = process.argv.slice(2) as [string, FileType, string?];
const loanType: LoanType = 'RETAIL';
if (!dir || !COLUMNS[fileType]) {
  process.stderr.write('usage: tsx scripts/bench-engine-validation.ts <dataset dir> <credit|payment_plan> [work dir]\n');
  process.exit(2);
}

/** A field's text that is valid as written, before bounds and dates (a regular expression without anchors). */
function strictText(col: ColumnDef): string {
  // Printable ASCII without the delimiter and the quote, no space at either end: never trimmed, never quoted.
  const plain = '[!#-+\\x2D-~]';
  switch (col.type) {
    case 'string':
      return col.pattern ? col.pattern.source.replace(/^\^|\$$/g, '') : `${plain}(?:[ !#-+\\x2D-~]{0,${(col.maxLength ?? 1) - 2}}${plain})?`;
    case 'int':
      return '-?[0-9]{1,9}';
    case 'money':
      return '-?[0-9]{1,16}(?:[.][0-9]{1,2})?';
    case 'percent':
      return '-?[0-9]{1,4}(?:[.][0-9]{1,6})?';
    case 'date':
      return '[0-9]{8}';
    case 'code':
      return `(?i:${Object.keys(col.codes!).join('|')})`;
  }
}

const dateOf = (src: string) => `toDate32OrNull(concat(substring(${src}, 1, 4), '-', substring(${src}, 5, 2), '-', substring(${src}, 7, 2)))`;

/** Bounds, allowed values and real dates of one field whose text matched strictText (true when missing). */
function fieldRule(col: ColumnDef): string {
  const src = `c_${col.name}`;
  let rule: string;
  switch (col.type) {
    case 'int':
      rule = col.allowed ? `toInt64OrNull(${src}) IN (${col.allowed.join(', ')})` : `toInt64OrNull(${src}) BETWEEN ${col.min ?? -2147483648} AND ${col.max ?? 2147483647}`;
      break;
    case 'money':
    case 'percent': {
      const v = `toDecimal64OrNull(${src}, ${col.type === 'money' ? 2 : 6})`;
      rule = `${v} ${col.minExclusive ? '>' : '>='} ${col.min ?? 0} AND ${v} <= ${col.max}`;
      break;
    }
    case 'date':
      rule = `${dateOf(src)} IS NOT NULL AND toYYYYMMDD(${dateOf(src)}) = toUInt32OrNull(${src}) AND ${src} BETWEEN '${col.min}' AND '${col.max}'`;
      break;
    default:
      return '1';
  }
  return `(${src} = '' OR (${rule}))`;
}

/** Cross-field rules of spec §4 (gte/lte, payment_date when PAID) on fields that passed their own rules. */
function crossRules(cols: readonly ColumnDef[]): string[] {
  const has = new Set(cols.map((c) => c.name));
  const out: string[] = [];
  for (const col of cols) {
    const other = col.gteColumn ?? col.lteColumn;
    if (other && has.has(other)) {
      const o = COLUMNS[fileType].find((c) => c.name === other)!;
      const val = (c: ColumnDef) => (c.type === 'date' || c.type === 'int' ? `toInt64OrNull(c_${c.name})` : `toDecimal64OrNull(c_${c.name}, ${c.type === 'money' ? 2 : 6})`);
      out.push(`(c_${col.name} = '' OR c_${other} = '' OR ${val(col)} ${col.gteColumn ? '>=' : '<='} ${val(o)})`);
    }
    if (col.requiredWhen) {
      const codes = col.requiredWhen.codes.map((c) => `'${c}'`).join(', ');
      out.push(has.has(col.requiredWhen.column) ? `NOT (c_${col.name} = '' AND upper(c_${col.requiredWhen.column}) IN (${codes}))` : `upper(c_${col.requiredWhen.column}) NOT IN (${codes})`);
    }
  }
  return out;
}

async function main() {
  const file = path.resolve(dir, `${fileType}.csv`);
  const cols = headerColumns(fileType, loanType);
  const header = cols.map((c) => c.name);
  const firstLine = fs.readFileSync(file).subarray(0, 4096).toString('utf8').split('\n', 1)[0].replace(/\r$/, '');
  if (firstLine !== header.join()) throw new Error(`${file}: expected the generator's ${loanType} header`);
  const line = `^${cols.map((c) => (isRequired(c, loanType) ? strictText(c) : `(?:${strictText(c)})?`)).join(',')}$`;

  fs.rmSync(work, { recursive: true, force: true });
  const wh = await openWarehouse({ url: null, user: 'default', password: '', path: work });
  await wh.command('CREATE DATABASE ev');
  const typed = warehouseColumns(fileType);
  const ddl = (t: string) =>
    `CREATE TABLE ev.${t} (${typed.map((c) => `\`${c.name}\` ${c.chType}`).join(', ')}) ENGINE = MergeTree PARTITION BY loan_type ORDER BY (${KEY_COLUMNS[fileType].join(', ')})`;
  await wh.command(ddl(FACT_TABLE[fileType]));
  await wh.command(ddl('anchor'));
  await wh.command('CREATE TABLE ev.lines (n UInt32, line String) ENGINE = MergeTree ORDER BY tuple()');

  const out: Record<string, number | string> = { file: path.relative(process.cwd(), file) };
  const timed = async (k: string, sql: string, params?: Record<string, unknown>) => {
    const t = performance.now();
    await wh.command(sql, params);
    out[`${k}_s`] = Number(((performance.now() - t) / 1000).toFixed(2));
  };
  const fields = cols.map((c, i) => `a[${i + 1}] AS c_${c.name}`).join(', ');
  const select = selectList(fileType, loanType, header, 'n');

  const structure = cols.map((c) => `c_${c.name} String`).join(', ');
  await timed(
    'anchor',
    `INSERT INTO ev.anchor SELECT ${selectList(fileType, loanType, header, 'rowNumberInAllBlocks() + 1')} FROM file('${file}', 'CSVWithNames', '${structure}') SETTINGS input_format_allow_errors_num = 1000000000, input_format_allow_errors_ratio = 1`,
  );
  await timed('lines', `INSERT INTO ev.lines SELECT rowNumberInAllBlocks(), line FROM file('${file}', 'LineAsString')`);
  const rules = [...cols.map(fieldRule), ...crossRules(cols)].join(' AND ');
  await timed(
    'classify_insert',
    `INSERT INTO ev.${FACT_TABLE[fileType]} SELECT ${select} FROM (SELECT n, ${fields} FROM (SELECT n, splitByChar(',', line) AS a FROM ev.lines WHERE n > 0 AND match(line, {re:String}))) WHERE ${rules}`,
    { re: line },
  );
  // The same pass straight from the file, without the lines table: the least any engine-side pass can cost.
  await wh.command(`TRUNCATE TABLE ev.anchor`);
  await timed(
    'one_pass_from_file',
    `INSERT INTO ev.anchor SELECT ${select} FROM (SELECT n, ${fields} FROM (SELECT n, splitByChar(',', line) AS a FROM (SELECT rowNumberInAllBlocks() AS n, line FROM file('${file}', 'LineAsString')) WHERE match(line, {re:String}))) WHERE n > 0 AND ${rules}`,
    { re: line },
  );
  const key = KEY_COLUMNS[fileType].join(', ');
  const t = performance.now();
  const dup = await wh.query<{ n: string }>(`SELECT count() AS n FROM (SELECT ${key} FROM ev.${FACT_TABLE[fileType]} GROUP BY ${key} HAVING count() > 1)`);
  out.duplicates_s = Number(((performance.now() - t) / 1000).toFixed(2));
  const counts = await wh.query<{ lines: string; clean: string }>(
    `SELECT (SELECT count() - 1 FROM ev.lines) AS lines, (SELECT count() FROM ev.${FACT_TABLE[fileType]}) AS clean`,
  );
  out.rows = Number(counts[0].lines);
  out.certainly_valid_rows = Number(counts[0].clean);
  out.duplicate_keys = Number(dup[0].n);
  // The least an engine-side validator costs: one pass over the file plus the duplicate keys (BENCHMARKS.md round 13).
  out.floor_s = Number(((out.one_pass_from_file_s as number) + (out.duplicates_s as number)).toFixed(2));
  out.floor_over_anchor = Number(((out.floor_s as number) / (out.anchor_s as number)).toFixed(2));
  await wh.close();
  fs.rmSync(work, { recursive: true, force: true });
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  process.stderr.write(String(e?.stack ?? e) + '\n');
  process.exit(1);
});
