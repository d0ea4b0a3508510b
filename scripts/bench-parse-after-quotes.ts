/**
 * Plain lines parsed after quoted values: the validator's speed on a cached benchmark file's first 200k payment
 * rows, alone, then with a few quoted (invalid) rows ahead of them in the same file, then alone again in the same
 * process. The three should be alike: a quote search with `String.prototype.indexOf` once made the last two about
 * 5× slower (domain/csv.ts nextQuote). Usage: `node --import tsx scripts/bench-parse-after-quotes.ts`; informative,
 * never asserted.
 */
import fs from 'node:fs';
import { FileValidator } from '../domain/file-validator.ts';

const file = '.bench/data/S-clean/payment_plan.csv';
if (!fs.existsSync(file)) throw new Error(`${file} not found: run \`npm run bench\` once to generate the datasets`);
const lines = fs.readFileSync(file, 'latin1').split('\n', 200_001);
const [header, ...rows] = lines;
// A stray quote inside a value: the row is invalid (spec §9.6) and takes the parser's quote states.
const quoted = rows.slice(0, 50).map((l) => l.replace(',', ',"x",'));
const files = {
  'plain rows': `${header}\n${rows.join('\n')}\n`,
  'quoted rows, then plain rows': `${header}\n${quoted.join('\n')}\n${rows.join('\n')}\n`,
  'plain rows, after that file': `${header}\n${rows.join('\n')}\n`,
};
for (const [label, text] of Object.entries(files)) {
  const body = Buffer.from(text, 'latin1');
  const t0 = performance.now();
  const v = new FileValidator({ fileType: 'payment_plan', loanType: 'RETAIL', references: null });
  for (let o = 0; o < body.length; o += 1 << 20) v.push(body.subarray(o, o + (1 << 20)));
  v.end();
  const ms = performance.now() - t0;
  console.log(`${label}: ${v.result.rowsTotal} rows (${v.result.rowsInvalid} invalid) in ${ms.toFixed(0)} ms, ${((ms * 1000) / v.result.rowsTotal).toFixed(2)} µs/row`);
}
