// Worker threads do not inherit tsx's loader in Node 20: register it in this thread, then load the TypeScript entry.
import { register } from 'tsx/esm/api';

register();
await import('./validate-worker.ts');
