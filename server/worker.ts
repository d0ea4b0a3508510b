/** The Temporal worker: registers the workflows (bundled from workflows/index.ts) and the injected activities. */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { createActivities } from '../activities/index.ts';
import type { ActivityDeps } from '../activities/deps.ts';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface WorkerSettings {
  address: string;
  namespace: string;
  taskQueue: string;
  /** Pre-built bundle (tests share one); default bundles workflows/ at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  connection?: NativeConnection;
}

export async function createSyncWorker(s: WorkerSettings, deps: ActivityDeps): Promise<Worker> {
  const connection = s.connection ?? (await NativeConnection.connect({ address: s.address }));
  return Worker.create({
    connection,
    namespace: s.namespace,
    taskQueue: s.taskQueue,
    ...(s.workflowBundle ? { workflowBundle: s.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities(deps),
    // Validation is CPU-bound; two concurrent files per worker keep both cores busy without starving heartbeats.
    maxConcurrentActivityTaskExecutions: 4,
  });
}
