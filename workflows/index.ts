// Every workflow the worker registers, one per file.
export { syncWorkflow } from './sync.ts';
export { tenantSyncWorkflow } from './tenant-sync.ts';
export { profilesWorkflow } from './profiles.ts';
