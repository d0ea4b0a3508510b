/**
 * The compression of stored chunks: staged uploads and failed rows (lib/staging.ts). Chunks are written as zstd
 * frames at level 1 and read by their magic number, so gzip chunks written before (findata up to 2026-12-03) stay
 * readable for as long as they live: no migration. On a generated payment file (1 MiB chunks) zstd level 1
 * compresses ≈ 3.5× faster than gzip level 1, decompresses ≈ 2× faster, and stores 0.32 of the bytes instead of
 * 0.37 (docs/BENCHMARKS.md, round 16).
 *
 * The binding runs both ways in libuv's pool, like zlib. Its results are buffers the binding allocated, which
 * postMessage cannot transfer (it copies them) and which V8 frees only at a later collection: a decompressed
 * chunk is copied once into a buffer of its own, which the validate activity transfers to its thread.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { Decoder, Encoder } from '@toondepauw/node-zstd';
import { ownsBuffer } from '../domain/file-validator.ts';

/** zstd's level: the fastest of the standard levels, and already smaller than gzip's level 1 on loan files. */
const ZSTD_LEVEL = 1;
const encoder = new Encoder(ZSTD_LEVEL);
const decoder = new Decoder();
const gunzip = promisify(zlib.gunzip);
/** zlib's output piece for a gzip chunk: larger than any stored chunk, so it comes out in one piece. */
const ZLIB_CHUNK = 2 << 20;

/** Compresses one chunk (a zstd frame). */
export function packChunk(raw: Uint8Array): Promise<Buffer> {
  return encoder.encode(Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength));
}

/** A stored chunk, zstd or gzip, decompressed into a buffer of its own (transferable, exactly its size). */
export async function unpackChunk(packed: Buffer): Promise<Buffer> {
  let out: Buffer;
  if (isZstd(packed)) out = await decoder.decode(packed);
  else if (packed.length >= 18 && packed[0] === 0x1f && packed[1] === 0x8b) {
    // The gzip trailer's ISIZE is the chunk's size: one output piece of that size.
    const size = packed.readUInt32LE(packed.length - 4);
    out = await gunzip(packed, { chunkSize: Math.max(64, Math.min(size, ZLIB_CHUNK)) });
    if (ownsBuffer(out)) return out;
  } else {
    throw new Error(`stored chunk of ${packed.length} bytes is neither zstd nor gzip`);
  }
  const own = Buffer.from(new ArrayBuffer(out.length));
  own.set(out);
  return own;
}

function isZstd(b: Buffer): boolean {
  return b.length >= 4 && b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd;
}
