import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../lib/clock';

/*
 * Dashboard logins. The session is a cookie signed with a key derived from the API token:
 * `id.expiresAtMs.signature`. So replicas sharing the token accept each other's sessions, a new
 * token ends every session, and nothing needs storing but the sessions logged out before their
 * expiry (kept in this process until they would have expired anyway).
 */

export const SESSION_COOKIE = 'dataflowd_session';

/** Compares secrets in constant time (for equal lengths; the length itself is no secret here). */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export class Sessions {
  private readonly key: Buffer;
  private readonly revoked = new Map<string, number>();

  constructor(
    token: string,
    private readonly ttlMs: number,
    private readonly clock: Clock,
  ) {
    this.key = createHmac('sha256', token).update('dataflowd dashboard session v1').digest();
  }

  /** A new session's cookie value and its lifetime in seconds. */
  issue(): { value: string; maxAgeSeconds: number } {
    const id = randomBytes(18).toString('base64url');
    const expires = this.clock.now().getTime() + this.ttlMs;
    return { value: `${id}.${expires}.${this.sign(id, expires)}`, maxAgeSeconds: Math.floor(this.ttlMs / 1000) };
  }

  valid(value: string | undefined): boolean {
    const parsed = this.parse(value);
    return parsed !== undefined && !this.revoked.has(parsed.id);
  }

  /** Logout: the session stops working here at once, whatever the browser keeps. */
  revoke(value: string | undefined): void {
    const parsed = this.parse(value);
    if (parsed) this.revoked.set(parsed.id, parsed.expires);
  }

  private parse(value: string | undefined): { id: string; expires: number } | undefined {
    const m = /^([A-Za-z0-9_-]{24})\.(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(value ?? '');
    if (!m) return undefined;
    const [, id, exp, signature] = m;
    const expires = Number(exp);
    if (!sameSecret(signature, this.sign(id, expires))) return undefined;
    const now = this.clock.now().getTime();
    this.forgetExpired(now);
    return expires > now ? { id, expires } : undefined;
  }

  private sign(id: string, expires: number): string {
    return createHmac('sha256', this.key).update(`${id}.${expires}`).digest('base64url');
  }

  private forgetExpired(now: number): void {
    for (const [id, expires] of this.revoked) if (expires <= now) this.revoked.delete(id);
  }
}

/** The value of one cookie in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
