/** Signed session cookie for the web app: the API key is exchanged once and never stored in the browser. */
import crypto from 'node:crypto';

export const SESSION_COOKIE = 'findata_session';
export const SESSION_TTL_S = 8 * 3600;

export interface Session {
  tenantId: string;
  prefix: string;
  csrf: string;
  exp: number;
}

const sign = (secret: Buffer, payload: string) => crypto.createHmac('sha256', secret).update(payload).digest('base64url');

export function createSession(secret: Buffer, tenantId: string, prefix: string): { token: string; session: Session } {
  const session: Session = { tenantId, prefix, csrf: crypto.randomBytes(18).toString('base64url'), exp: Math.floor(Date.now() / 1000) + SESSION_TTL_S };
  const payload = Buffer.from(JSON.stringify(session)).toString('base64url');
  return { token: `${payload}.${sign(secret, payload)}`, session };
}

export function readSession(secret: Buffer, token: string): Session | null {
  const dot = token.indexOf('.');
  if (dot <= 0) return null;
  const payload = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1));
  const expected = Buffer.from(sign(secret, payload));
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return null;
  try {
    const s = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Session;
    return s.exp > Date.now() / 1000 ? s : null;
  } catch {
    return null;
  }
}
