/**
 * Worker thread of the validate activity: parses and validates one file (domain/file-validator.ts) while the
 * activity's thread does the I/O — reading staged chunks, inserting into the warehouse, writing errors — and
 * keeps answering heartbeats (and, in a single-process deployment, API requests). A fresh thread per file also
 * keeps V8's type feedback from one file's odd rows from slowing down the next file.
 *
 * Messages in: {type:'chunk', buf} (transferred), {type:'end'}. Out, one per message in order:
 * {type:'batch', batch}, then {type:'done', batch, result, header}; or {type:'error', error} and nothing after.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FileValidator, ownsBuffer, type FileValidatorInit, type ValidateBatch } from '../domain/file-validator.ts';
import { FileLevelError } from '../domain/file-errors.ts';

export type WorkerIn = { type: 'chunk'; buf: Uint8Array } | { type: 'end' };
export type WorkerOut =
  | { type: 'batch'; batch: ValidateBatch }
  | { type: 'done'; batch: ValidateBatch; result: FileValidator['result']; header: string[] }
  | { type: 'error'; error: { fileLevel: boolean; code?: string; message: string; details?: unknown; stack?: string } };

const port = parentPort!;
const v = new FileValidator(workerData as FileValidatorInit);
let failed = false;

const send = (msg: WorkerOut) => {
  const b = 'batch' in msg ? msg.batch.tsv : null;
  port.postMessage(msg, b && ownsBuffer(b) ? [b.buffer as ArrayBuffer] : []);
};

port.on('message', (msg: WorkerIn) => {
  if (failed) return;
  try {
    if (msg.type === 'chunk') send({ type: 'batch', batch: v.push(msg.buf) });
    else send({ type: 'done', batch: v.end(), result: v.result, header: v.header });
  } catch (err) {
    failed = true;
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
