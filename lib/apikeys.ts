/** API keys: `sk_live_<48 hex>`; stored only as PBKDF2-SHA256 hashes, looked up by their 16-char prefix. */
import crypto from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2 = promisify(crypto.pbkdf2);
export const API_KEY_PATTERN = /^sk_live_[0-9a-f]{48}$/;
export const PREFIX_LENGTH = 16;
const ITERATIONS = 600_000; // OWASP 2023 guidance for PBKDF2-HMAC-SHA256

export function generateApiKey(): { key: string; prefix: string } {
  const key = `sk_live_${crypto.randomBytes(24).toString('hex')}`;
  return { key, prefix: key.slice(0, PREFIX_LENGTH) };
}

export const keyPrefix = (key: string) => key.slice(0, PREFIX_LENGTH);

export async function hashApiKey(key: string, iterations = ITERATIONS): Promise<string> {
  const salt = crypto.randomBytes(16);
  const hash = await pbkdf2(key, salt, iterations, 32, 'sha256');
  return `pbkdf2_sha256$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function verifyApiKey(key: string, stored: string): Promise<boolean> {
  const [algo, iter, saltB64, hashB64] = stored.split('$');
  if (algo !== 'pbkdf2_sha256' || !iter || !saltB64 || !hashB64) return false;
  const expected = Buffer.from(hashB64, 'base64');
  const actual = await pbkdf2(key, Buffer.from(saltB64, 'base64'), Number(iter), expected.length, 'sha256');
  return crypto.timingSafeEqual(actual, expected);
}
