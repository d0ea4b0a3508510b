/**
 * One validation thread over a cached benchmark file, the way the validate activity runs it (errors and failed rows
 * as bytes, staged rows handed over batch by batch), with the file read from disk 1 MiB at a time so that the
 * process's peak RSS is the thread's and the pipeline's, not the file's.
 * Usage: `node --import tsx scripts/bench-thread-memory.ts [dataset=M-err] [file=payment_plan]`.
 * Prints rows, wall time, CPU time and peak RSS; informative, never asserted.
 */
import fs from 'node:fs';
import path from 'node:path';
import { orderedBatches } from '../activities/validate.ts';
import type { FileType } from '../domain/columns.ts';

const [dataset = 'M-err', fileType = 'payment_plan'] = process.argv.slice(2);
const file = path.join('.bench/data', dataset, `${fileType}.csv`);
if (!fs.existsSync(file)) throw new Error(`${file} not found: run \`npm run bench -- --size M\` once to generate the datasets`);
const fd = fs.openSync(file, 'r');
const size = fs.fstatSync(fd).size;
let offset = 0;
const read = async (): Promise<IteratorResult<Buffer>> => {
  if (offset >= size) return { done: true, value: undefined };
  const b = Buffer.allocUnsafeSlow(Math.min(1 << 20, size - offset));
  fs.readSync(fd, b, 0, b.length, offset);
  offset += b.length;
  return { done: false, value: b };
};
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const batches = orderedBatches({ fileType: fileType as FileType, loanType: 'RETAIL', references: null, store: { syncId: '00000000-0000-4000-8000-000000000000' } }, read);
let rows = 0;
for (let r = await batches.next(); !r.done; r = await batches.next()) rows += r.value.stagedRows;
const cpu = process.cpuUsage(cpu0);
const peak = Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;
console.log(`${dataset} ${fileType}: ${rows} staged rows, ${((performance.now() - t0) / 1000).toFixed(1)} s, CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s, peak RSS ${peak.toFixed(0)} MB`);
