/**
 * Parallel validation alone, no I/O: a cached benchmark file (`.bench/data/<dataset>/<file>.csv`) through the
 * validate activity's one-thread and N-thread paths (worker threads, segments, key merge), batches discarded.
 * Usage: `node --import tsx scripts/bench-threads.ts [dataset=S-err] [file=payment_plan] [threads=2]`.
 * Prints wall time and the process's CPU time per path; informative, never asserted.
 */
import fs from 'node:fs';
import path from 'node:path';
import { orderedBatches, parallelBatches } from '../activities/validate.ts';
import type { FileValidatorInit } from '../domain/file-validator.ts';
import type { FileType } from '../domain/columns.ts';

const [dataset = 'S-err', fileType = 'payment_plan', threadsArg = '2'] = process.argv.slice(2);
const file = path.join('.bench/data', dataset, `${fileType}.csv`);
if (!fs.existsSync(file)) throw new Error(`${file} not found: run \`npm run bench\` once to generate the datasets`);
const body = fs.readFileSync(file);
const init: FileValidatorInit = {
  fileType: fileType as FileType,
  loanType: 'RETAIL',
  references: null,
  // As the validate activity runs it: errors as COPY rows, failed rows joined.
  store: { syncId: '00000000-0000-4000-8000-000000000000' },
};

for (const threads of [1, Number(threadsArg)]) {
  let offset = 0;
  const read = async (): Promise<IteratorResult<Buffer>> => {
    if (offset >= body.length) return { done: true, value: undefined };
    const chunk = Buffer.from(body.subarray(offset, offset + (1 << 20)));
    offset += 1 << 20;
    return { done: false, value: chunk };
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const batches = threads > 1 ? parallelBatches(init, read, threads, 2 << 20) : orderedBatches(init, read);
  let valid = 0;
  let errors = 0;
  for (let r = await batches.next(); !r.done; r = await batches.next()) {
    valid += r.value.stagedRows;
    errors = r.value.errorCount;
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  console.log(
    `${dataset}/${fileType}: ${threads} thread(s) ${wall.toFixed(2)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU, ${valid} valid rows, ${errors} errors`,
  );
}
