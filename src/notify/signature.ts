import { createHmac, timingSafeEqual } from 'node:crypto';

/** Headers of a delivery; the signature is over the raw body only, so a receiver checks the bytes it got. */
export const HEADERS = {
  id: 'x-dataflowd-id',
  event: 'x-dataflowd-event',
  timestamp: 'x-dataflowd-timestamp',
  signature: 'x-dataflowd-signature',
} as const;

/** `sha256=<hex>`: HMAC-SHA256 of the body with the webhook's secret. */
export function sign(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** What a receiver does (README "Notifications"), in constant time. */
export function verify(body: string | Buffer, secret: string, header: string | undefined): boolean {
  if (header === undefined) return false;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function deliveryHeaders(n: { id: string; event: string; body: string }, secret: string | undefined, at: Date): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'dataflowd-notifications',
    [HEADERS.id]: n.id,
    [HEADERS.event]: n.event,
    [HEADERS.timestamp]: String(Math.floor(at.getTime() / 1000)),
    ...(secret === undefined ? {} : { [HEADERS.signature]: sign(n.body, secret) }),
  };
}
