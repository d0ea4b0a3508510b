/** The Temporal worker: registers the workflows (bundled from workflows/index.ts) and the injected activities. */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createActivities } from '../activities/index.ts';
import type { ActivityDeps } from '../activities/deps.ts';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/**
 * Bundles the workflows in a child process (scripts/bundle-workflows.ts) into `out`: the same bundle as the
 * worker's own `workflowsPath` would build, without webpack's heap staying resident in the worker (≈ 100 MB).
 */
export async function bundleWorkflowsApart(out: string): Promise<{ codePath: string }> {
  const script = fileURLToPath(new URL('../scripts/bundle-workflows.ts', import.meta.url));
  fs.rmSync(out, { force: true }); // never start on an older bundle
  // tsx resolved from here, not from the working directory the process was started in.
  await promisify(execFile)(process.execPath, ['--import', import.meta.resolve('tsx'), script, out], { maxBuffer: 16 << 20 });
  return { codePath: out };
}

/** Bundles left by a worker that died between bundling and loading (its pid is gone). */
function removeStaleBundles(dir: string): void {
  for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    const m = /^workflow-bundle-(\d+)\.js(\.tmp)?$/.exec(f);
    if (!m || Number(m[1]) === process.pid) continue;
    try {
      process.kill(Number(m[1]), 0);
    } catch {
      fs.rmSync(path.join(dir, f), { force: true });
    }
  }
}

export interface WorkerSettings {
  address: string;
  namespace: string;
  taskQueue: string;
  /** Pre-built bundle (tests share one); default bundles workflows/ at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Without a pre-built bundle: bundle at start in a child process, through a file in this folder. */
  bundleDir?: string;
  connection?: NativeConnection;
}

export async function createSyncWorker(s: WorkerSettings, deps: ActivityDeps): Promise<Worker> {
  const connection = s.connection ?? (await NativeConnection.connect({ address: s.address }));
  let apart: { codePath: string } | null = null;
  if (!s.workflowBundle && s.bundleDir) {
    removeStaleBundles(s.bundleDir);
    apart = await bundleWorkflowsApart(path.join(s.bundleDir, `workflow-bundle-${process.pid}.js`)).catch((err) => {
      // Bundling in this process works too; it only keeps webpack's heap resident.
      deps.log.warn('bundling the workflows in a child process failed; bundling them here', { err: String(err) });
      return null;
    });
  }
  try {
    return await Worker.create({
      connection,
      namespace: s.namespace,
      taskQueue: s.taskQueue,
      ...(s.workflowBundle ? { workflowBundle: s.workflowBundle } : apart ? { workflowBundle: apart } : { workflowsPath: WORKFLOWS_PATH }),
      activities: createActivities(deps),
      // Validation is CPU-bound; two concurrent files per worker keep both cores busy without starving heartbeats.
      maxConcurrentActivityTaskExecutions: 4,
    });
  } finally {
    // Worker.create has read it.
    if (apart) fs.rmSync(apart.codePath, { force: true });
  }
}
