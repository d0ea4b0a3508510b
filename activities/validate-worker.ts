/**
 * Worker thread of the validate activity: parses and validates (domain/file-validator.ts) while the activity's
 * thread does the I/O — reading staged chunks, inserting into the warehouse, writing errors — and keeps answering
 * heartbeats (and, in a single-process deployment, API requests). A fresh thread per file also keeps V8's type
 * feedback from one file's odd rows from slowing down the next file.
 *
 * One file in order (workerData.header null): in {type:'chunk', buf} (transferred) and {type:'end'}; out, one per
 * message in order: {type:'batch', batch}, then {type:'done', batch, result, header}.
 * A share of a file's segments (workerData.header set, parallel validation): in {type:'validate'}, rarely
 * {type:'revalidate'}, then {type:'release'} for each; out {type:'validated'} for each validate and revalidate.
 * Either mode: {type:'recycle', buf} gives back a batch's staged buffer once read (no reply), for the next rows.
 * On failure {type:'error', error} and nothing after.
 */
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import {
  FileValidator,
  SegmentValidator,
  ownsBuffer,
  type FileHeader,
  type FileValidatorInit,
  type SegmentPlace,
  type SegmentResult,
  type ValidateBatch,
} from '../domain/file-validator.ts';
import { sinkOwned } from '../domain/staged-rows.ts';
import { FileLevelError } from '../domain/file-errors.ts';
import type { FileValidation } from '../domain/sync-types.ts';

export interface WorkerData {
  init: FileValidatorInit;
  /** Set for parallel validation (segments); null to validate a whole file in order. */
  header: FileHeader | null;
}

export type WorkerIn =
  | { type: 'chunk'; buf: Uint8Array }
  | { type: 'end' }
  | { type: 'validate'; seq: number; buf: Uint8Array; place: SegmentPlace }
  | { type: 'revalidate'; seq: number; conflicts: string[] }
  | { type: 'release'; seq: number }
  | { type: 'recycle'; buf: Uint8Array };
export type WorkerOut =
  | { type: 'batch'; batch: ValidateBatch }
  | { type: 'done'; batch: ValidateBatch; result: FileValidation; header: string[] }
  | ({ type: 'validated' } & SegmentResult)
  | { type: 'error'; error: { fileLevel: boolean; code?: string; message: string; details?: unknown; stack?: string } };

// Named for `top -H` and the bench's CPU by thread (Linux, 15 characters at most; best effort): the worker's other
// threads are all "node".
try {
  fs.writeFileSync('/proc/thread-self/comm', `validate-${workerData.init.fileType === 'credit' ? 'credit' : 'plan'}`);
} catch {
  // not Linux
}

const port = parentPort!;
const data = workerData as WorkerData;
const whole = data.header === null ? new FileValidator(data.init) : null;
const segments = data.header === null ? null : new SegmentValidator(data.init, data.header);
let failed = false;

const send = (msg: WorkerOut) => {
  const transfer: ArrayBuffer[] = [];
  if ('batch' in msg) {
    const { staged, errorRows, failedBytes } = msg.batch;
    if (staged && sinkOwned(staged)) transfer.push(staged.buffer as ArrayBuffer);
    // Own buffers move; the rare small one (a slice of Buffer's pool) is copied.
    for (const u of [errorRows, failedBytes]) if (u && ownsBuffer(u)) transfer.push(u.buffer as ArrayBuffer);
  }
  if (msg.type === 'validated' && msg.keys.kind === 'small' && ownsBuffer(msg.keys.bits)) transfer.push(msg.keys.bits.buffer as ArrayBuffer);
  port.postMessage(msg, transfer);
};

port.on('message', (msg: WorkerIn) => {
  if (failed) return;
  try {
    switch (msg.type) {
      case 'chunk':
        send({ type: 'batch', batch: whole!.push(msg.buf) });
        break;
      case 'end':
        send({ type: 'done', batch: whole!.end(), result: whole!.result, header: whole!.header });
        break;
      case 'validate':
        send({ type: 'validated', ...segments!.validate(msg.seq, msg.buf, msg.place) });
        break;
      case 'revalidate':
        send({ type: 'validated', ...segments!.revalidate(msg.seq, msg.conflicts) });
        break;
      case 'release':
        segments!.release(msg.seq);
        break;
      case 'recycle':
        (whole ?? segments!).recycle(msg.buf.buffer as ArrayBuffer);
        break;
    }
  } catch (err) {
    failed = true;
    segments?.clear();
    const e = err as Error;
    send({
      type: 'error',
      error:
        err instanceof FileLevelError
          ? { fileLevel: true, code: err.code, message: err.message, details: err.details }
          : { fileLevel: false, message: e?.message ?? String(err), stack: e?.stack },
    });
  }
});
