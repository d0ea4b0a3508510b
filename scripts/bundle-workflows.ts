/**
 * Bundles workflows/ for the Temporal worker into one file (argument: the output path). The worker runs this in a
 * child process at every start (server/worker.ts), so webpack's heap (≈ 100 MB) never becomes the worker's
 * resident memory, and loads the file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';

const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

const out = process.argv[2];
if (!out) {
  process.stderr.write('usage: tsx scripts/bundle-workflows.ts <out.js>\n');
  process.exit(2);
}
const quiet = { log() {}, info() {}, warn() {}, error() {}, debug() {}, trace() {} };
const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quiet as never });
fs.mkdirSync(path.dirname(out), { recursive: true });
// Written whole, then renamed: a worker never reads half a bundle.
fs.writeFileSync(`${out}.tmp`, code);
fs.renameSync(`${out}.tmp`, out);
