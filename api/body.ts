import type { Context } from 'hono';
import { AppError } from '../lib/errors.ts';

const MAX_JSON = 64 * 1024;

/** Reads a small JSON object body; malformed, non-object or oversized JSON is a 400, never a 500. */
export async function readJsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.length > MAX_JSON) throw new AppError('BAD_REQUEST', 'JSON body too large.');
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
