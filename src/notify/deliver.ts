import type { Clock } from '../lib/clock';
import { deliveryHeaders } from './signature';
import type { Webhook } from './webhooks';

export type DeliveryResult = { ok: true; status: number } | { ok: false; status: number | null; error: string; retryAfterMs?: number };

/** What of an error answer's body is kept, to say why (bounded: a receiver may answer anything). */
const MAX_ANSWER_CHARS = 200;

/**
 * One attempt: POST the stored body to the webhook, signed with its secret as the config has it
 * now. Any 2xx is delivered; anything else (an answer, a timeout, a refused connection) is a failed
 * attempt, described without the URL, which may be a secret.
 */
export async function postNotification(
  webhook: Webhook,
  n: { id: string; event: string; body: string },
  opts: { clock: Clock; timeoutMs: number; signal: AbortSignal },
): Promise<DeliveryResult> {
  const signal = AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]);
  let res: Response;
  try {
    res = await fetch(webhook.url, { method: 'POST', headers: deliveryHeaders(n, webhook.secret, opts.clock.now()), body: n.body, signal, redirect: 'manual' });
  } catch (err) {
    if (opts.signal.aborted) throw opts.signal.reason;
    return { ok: false, status: null, error: describeFailure(err, opts.timeoutMs) };
  }
  if (res.status >= 200 && res.status < 300) {
    await res.body?.cancel().catch(() => undefined);
    return { ok: true, status: res.status };
  }
  const answer = await firstChars(res, MAX_ANSWER_CHARS);
  return { ok: false, status: res.status, error: `HTTP ${res.status}${answer ? `: ${answer}` : ''}`, retryAfterMs: retryAfter(res.headers.get('retry-after')) };
}

function describeFailure(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  const cause = e.cause?.code ?? e.cause?.message ?? (err instanceof Error ? err.message : String(err));
  return `could not reach the webhook: ${cause}`;
}

async function firstChars(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < max) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // The answer's status says enough.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return text.slice(0, max).replace(/\s+/g, ' ').trim();
}

/** Retry-After in seconds (an HTTP date is rare from webhooks and read as nothing). */
function retryAfter(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim()) * 1000;
}
