/**
 * V8 heap tuning for processes that pass large buffers through a small heap, which every role of server/main.ts
 * does: the API processes (upload bodies, their compressed chunks), the worker (validateFile's chunks, staged rows,
 * error bytes and Redis replies) and the warehouse process (insert bodies).
 *
 * V8 counts the external memory (ArrayBuffers) allocated since the last full collection against the old
 * generation's limit, and starts marking once the room left is no more than the young generation's size. Such a
 * process's heap holds 30–40 MB, allocates little and so rarely scavenges, and once V8's memory reducer has run
 * (it does when the process idles, e.g. while a file uploads) the heap grows "slowly": a limit ≈ 8 MB above what
 * marking needs. Every ≈ 8 MB of buffers passing through then started a full collection that freed nothing of
 * the heap: 201 in the worker during one M sync with 5 % errors, every few hundred milliseconds, with four of V8's
 * helper threads marking too (`--trace-gc --trace-incremental-marking`). (The warehouse process's ≈ 70 had V8's
 * other trigger, every 64 MB of external memory: lib/warehouse-owner.ts no longer joins an insert body's parts.)
 * A fixed growth factor of 2 leaves ≈ 40 MB of room: 30–38 collections in the worker, 10 s less of its CPU
 * (39 → 29–31 s) and a 10–16 % faster sync, for ≈ 20–30 MB more peak RSS; the API processes' full collections
 * during an M sync's uploads fell from 82–143 to 56–68, their peak RSS unchanged (docs/BENCHMARKS.md, round 12).
 */
import v8 from 'node:v8';

/** The old generation's growth factor, as 1 + percent / 100 (V8's own is dynamic, 1.1 to 4). */
export const BUFFER_HEAVY_HEAP_GROWING_PERCENT = 100;

/** Applies the growth factor to this process: a V8 flag, for every isolate of the process, read at each collection. */
export function tuneHeapForBufferTraffic(percent = BUFFER_HEAVY_HEAP_GROWING_PERCENT): void {
  v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
