/**
 * Column profiles computed inside ClickHouse in two passes per table (a SELECT of aggregates for every column,
 * then the histogram bins). Sums of money and rates are exact decimals; histogram counts are exact. The API
 * computes a profile on a cache miss; a successful sync computes its loan type's profiles right after it is
 * recorded (activities/profile.ts), so the first read after a sync is a cache hit.
 */
import { COLUMNS, FACT_TABLE, type ColumnDef, type FileType, type LoanType } from '../domain/columns.ts';
import { qualified, type Warehouse } from './warehouse.ts';

const NUMERIC = new Set(['int', 'money', 'percent']);
/** Strings with few distinct values get a top list too. */
const TOP_STRINGS = new Set(['product_code', 'branch_code', 'sector_code', 'customer_type']);

/** Numbers and dates get a histogram of 10 equal-width bins between their min and max, with exact counts. */
const BINS = 10;
const binned = (col: ColumnDef) => NUMERIC.has(col.type) || col.type === 'date';
const asFloat = (col: ColumnDef) => (col.type === 'date' ? `toFloat64(toInt32(\`${col.name}\`))` : `toFloat64(\`${col.name}\`)`);

function expressions(col: ColumnDef, i: number): string[] {
  const c = `\`${col.name}\``;
  const out = [`countIf(isNull(${c})) AS n${i}`, `uniq(${c}) AS d${i}`, `toString(min(${c})) AS lo${i}`, `toString(max(${c})) AS hi${i}`];
  if (NUMERIC.has(col.type)) out.push(`toString(sum(${c})) AS s${i}`, `toString(avg(${c})) AS m${i}`);
  if (binned(col)) out.push(`min(${asFloat(col)}) AS flo${i}`, `max(${asFloat(col)}) AS fhi${i}`);
  if (col.type === 'code' || TOP_STRINGS.has(col.name)) out.push(`topK(10, 3, 'counts')(toString(${c})) AS t${i}`);
  return out;
}

interface Bins {
  lo: number;
  width: number;
  hi: number;
}

/**
 * Two passes: every aggregate, then the bin counts of the numeric and date columns from the bounds of the first.
 * (ClickHouse's adaptive `histogram()` took two thirds of a 13 M-row profile and gives approximate counts.)
 */
export async function computeProfile(warehouse: Pick<Warehouse, 'query'>, tenantId: string, loanType: LoanType, ft: FileType) {
  const cols = COLUMNS[ft];
  const table = qualified(tenantId, FACT_TABLE[ft]);
  const sql = `SELECT count() AS rows, ${cols.flatMap(expressions).join(', ')} FROM ${table} WHERE loan_type = {lt:String}`;
  const [r] = await warehouse.query<Record<string, unknown>>(sql, { lt: loanType });
  const rowCount = Number(r.rows);
  const bins = new Map<number, Bins>();
  cols.forEach((col, i) => {
    if (!binned(col) || rowCount === 0 || Number(r[`n${i}`]) === rowCount) return;
    const lo = Number(r[`flo${i}`]);
    const hi = Number(r[`fhi${i}`]);
    bins.set(i, { lo, hi, width: (hi - lo) / BINS });
  });
  const counts = new Map<number, number[]>();
  if (bins.size) {
    const params: Record<string, unknown> = { lt: loanType };
    const aggs = [...bins].flatMap(([i, b]) => {
      params[`lo${i}`] = b.lo;
      params[`w${i}`] = b.width || 1;
      // One bin expression per column (ClickHouse computes it once), then a count per bin; max falls in the last.
      // Clamped before the integer conversion: a sync committed between the two passes can bring values outside.
      const bin = `toUInt8(greatest(0, least(${BINS - 1}, floor((${asFloat(cols[i])} - {lo${i}:Float64}) / {w${i}:Float64}))))`;
      return Array.from({ length: b.width ? BINS : 1 }, (_, k) => `countIf(${bin} = ${k}) AS b${i}_${k}`);
    });
    const [c] = await warehouse.query<Record<string, string | number>>(`SELECT ${aggs.join(', ')} FROM ${table} WHERE loan_type = {lt:String}`, params);
    for (const [i, b] of bins) counts.set(i, Array.from({ length: b.width ? BINS : 1 }, (_, k) => Number(c[`b${i}_${k}`])));
  }
  const DAY = 86_400_000;
  return {
    tenant_id: tenantId,
    loan_type: loanType,
    file_type: ft,
    row_count: rowCount,
    profiled_at: new Date().toISOString(),
    columns: cols.map((col, i) => {
      const empty = rowCount === 0 || Number(r[`n${i}`]) === rowCount;
      const b = bins.get(i);
      const unit = col.type === 'date' ? DAY : 1;
      const top = r[`t${i}`] as { item: string; count: string | number }[] | undefined;
      return {
        name: col.name,
        type: col.type,
        nulls: Number(r[`n${i}`]),
        distinct: Number(r[`d${i}`]),
        min: empty ? null : (r[`lo${i}`] as string),
        max: empty ? null : (r[`hi${i}`] as string),
        ...(NUMERIC.has(col.type) ? { sum: empty ? null : (r[`s${i}`] as string), mean: empty ? null : (r[`m${i}`] as string) } : {}),
        ...(binned(col)
          ? {
              histogram: b
                ? counts.get(i)!.map((count, k, all) => ({
                    // lo + span·k/10 rather than lo + k·width: edges like 7.9, not 7.8999999999999995.
                    from: (b.lo + ((b.hi - b.lo) * k) / BINS) * unit,
                    to: (k === all.length - 1 ? b.hi : b.lo + ((b.hi - b.lo) * (k + 1)) / BINS) * unit,
                    count,
                  }))
                : [],
            }
          : {}),
        // Largest count first (topK's own order is its estimate's, so a bar could follow a smaller one), ties by value.
        ...(top ? { top: top.filter((t) => t.item !== '').map((t) => ({ value: t.item, count: Number(t.count) })).sort(byCountDesc) } : {}),
      };
    }),
  };
}

const byCountDesc = (a: { value: string; count: number }, b: { value: string; count: number }) =>
  b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0);
