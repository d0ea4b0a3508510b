import type { Context } from 'hono';
import { AppError } from '../lib/errors.ts';

const MAX_JSON = 64 * 1024;

/** Reads a small JSON object body; malformed, non-object or oversized JSON is a 400, never a 500. */
export async function readJsonBody(c: Context): Promise<unknown> {
  const text = await readCapped(c);
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AppError('BAD_REQUEST', 'The request body is not valid JSON.');
  }
  // Every JSON body of the API is an object: an array, a string or null is bad input, not "no changes".
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new AppError('BAD_REQUEST', 'The request body must be a JSON object.');
  return value;
}

/**
 * The body as text, refused as soon as it passes MAX_JSON (declared or streamed): the unauthenticated sign-in
 * endpoint must not buffer whatever a client sends.
 */
async function readCapped(c: Context): Promise<string> {
  const tooLarge = () => new AppError('BAD_REQUEST', `JSON body too large (limit ${MAX_JSON} bytes).`);
  if (Number(c.req.header('content-length') ?? 0) > MAX_JSON) throw tooLarge();
  const reader = c.req.raw.body?.getReader();
  if (!reader) return '';
  const parts: Uint8Array[] = [];
  let size = 0;
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    size += r.value.byteLength;
    if (size > MAX_JSON) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    parts.push(r.value);
  }
  return Buffer.concat(parts).toString('utf8');
}
