import type { Context } from 'hono';
import { AppError } from '../lib/errors.ts';

const MAX_JSON = 64 * 1024;

/** Reads a small JSON body; malformed or oversized JSON is a 400, never a 500. */
export async function readJsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.length > MAX_JSON) throw new AppError('BAD_REQUEST', 'JSON body too large.');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError('BAD_REQUEST', 'The request body is not valid JSON.');
  }
}
