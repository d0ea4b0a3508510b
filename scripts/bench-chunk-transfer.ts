/**
 * How chunks reach the validation thread: as zlib's output was before (a 1 MiB view of a 2 MiB buffer, which
 * postMessage copies whole) or as buffers of their own (transferred; `gunzipOwned` in lib/staging.ts). The payment
 * file of a cached benchmark dataset goes through the validate activity's one-thread path, batches discarded;
 * prints wall time, the process's CPU and the validation thread's. Informative, never asserted.
 * Usage: `node --import tsx scripts/bench-chunk-transfer.ts [dataset=M-clean] [view|owned ...]`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { orderedBatches } from '../activities/validate.ts';
import type { FileValidatorInit } from '../domain/file-validator.ts';

const [dataset = 'M-clean', ...modesArg] = process.argv.slice(2);
const modes = modesArg.length ? modesArg : ['view', 'owned', 'view', 'owned'];
const file = path.join('.bench/data', dataset, 'payment_plan.csv');
if (!fs.existsSync(file)) throw new Error(`${file} not found: run \`npm run bench\` once to generate the datasets`);
const body = fs.readFileSync(file);
const init: FileValidatorInit = {
  fileType: 'payment_plan',
  loanType: 'RETAIL',
  references: null,
  store: { syncId: '00000000-0000-4000-8000-000000000000' },
};

/** CPU seconds of the validation thread (it names itself validate-…), or 0 once it has ended. */
function threadCpu(): number {
  for (const t of fs.readdirSync('/proc/self/task')) {
    try {
      const st = fs.readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      if (!st.includes('(validate-')) continue;
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      return (Number(f[11]) + Number(f[12])) / 100;
    } catch {
      // ended meanwhile
    }
  }
  return 0;
}

for (const mode of modes) {
  let offset = 0;
  const read = async (): Promise<IteratorResult<Buffer>> => {
    if (offset >= body.length) return { done: true, value: undefined };
    const n = Math.min(1 << 20, body.length - offset);
    const chunk = mode === 'owned' ? Buffer.from(new ArrayBuffer(n)) : Buffer.from(new ArrayBuffer(2 << 20), 0, n);
    body.copy(chunk, 0, offset, offset + n);
    offset += n;
    return { done: false, value: chunk };
  };
  let thread = 0;
  const timer = setInterval(() => (thread = Math.max(thread, threadCpu())), 100);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const batches = orderedBatches(init, read);
  for (let r = await batches.next(); !r.done; r = await batches.next()) {
    // discarded
  }
  const c = process.cpuUsage(c0);
  clearInterval(timer);
  console.log(
    `${dataset}/payment_plan, chunks as ${mode === 'owned' ? 'own buffers (transferred)' : 'views of 2 MiB (copied)'}: ` +
      `${((performance.now() - t0) / 1000).toFixed(2)} s wall, process ${((c.user + c.system) / 1e6).toFixed(1)} s CPU, thread ≥ ${thread.toFixed(1)} s`,
  );
}
