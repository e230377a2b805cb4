import { Dispatcher, request } from 'undici';
import { z } from 'zod';
import type { Clock } from '../lib/clock';
import { dataflowError, isAbortError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { httpError, networkError, redactSecrets } from './platform-errors';

/*
 * OAuth server-to-server access token from Adobe IMS (reference/aep-api.md §1.1): client
 * credentials in a form body (not the query, which gets logged), no refresh token — a new token
 * is simply requested with the same credentials.
 */

export interface ImsTokenOptions {
  imsEndpoint: string;
  clientId: string;
  clientSecret: string;
  scopes: string[];
  clock: Clock;
  dispatcher: Dispatcher;
  logger: Logger;
}

export interface AccessToken {
  readonly value: string;
  readonly refreshAt: number;
  /** This token replaced one Platform refused: if it is refused too, asking again won't help. */
  replacesRefused: boolean;
}

const TokenAnswer = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  // Seconds for /ims/token/v3 [IMS-REF]; tokens last 24 h when it is missing.
  expires_in: z.coerce.number().positive().optional(),
});

const DEFAULT_LIFETIME_MS = 24 * 3600_000;
const MAX_MARGIN_MS = 5 * 60_000;

/** When to fetch a new token: 5 minutes (or a tenth of its lifetime, if shorter) before it expires. */
export function refreshTime(obtainedAt: number, lifetimeMs: number): number {
  return obtainedAt + lifetimeMs - Math.min(MAX_MARGIN_MS, lifetimeMs / 10);
}

/** One cached token per client; concurrent callers share one request for a new one. */
export class ImsTokenProvider {
  private current?: AccessToken;
  private pending?: Promise<AccessToken>;
  private nextReplacesRefused = false;
  /** Recent token values: an answer may echo one that was just replaced. */
  private readonly recent: string[] = [];

  constructor(private readonly opts: ImsTokenOptions) {}

  /** The cached token, or a new one when it is due for refresh. */
  async get(signal?: AbortSignal): Promise<AccessToken> {
    signal?.throwIfAborted();
    const now = this.opts.clock.now().getTime();
    if (this.current && now < this.current.refreshAt) return this.current;
    this.pending ??= this.fetch().finally(() => {
      this.pending = undefined;
    });
    return abortable(this.pending, signal);
  }

  /**
   * Platform answered 401 to a request made with `token`. Drops it from the cache and says
   * whether asking again is worth it: not when the token was itself a replacement for a refused one.
   */
  refused(token: AccessToken): boolean {
    if (this.current === token) {
      this.current = undefined;
      this.nextReplacesRefused = true;
    }
    return !token.replacesRefused;
  }

  /** A request made with `token` went through: a later 401 is an expiry again, worth a refresh. */
  accepted(token: AccessToken): void {
    token.replacesRefused = false;
  }

  /** Strings that must never appear in an error or a log line. */
  secrets(): string[] {
    return [this.opts.clientSecret, ...this.recent];
  }

  private async fetch(): Promise<AccessToken> {
    const { imsEndpoint, clientId, clientSecret, scopes, clock, dispatcher, logger } = this.opts;
    const path = '/ims/token/v3';
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      scope: scopes.join(','),
    });
    const obtainedAt = clock.now().getTime();
    let res: Dispatcher.ResponseData;
    try {
      res = await request(`${imsEndpoint.replace(/\/+$/, '')}${path}`, {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
      });
    } catch (err) {
      if (isAbortError(err)) throw err;
      throw networkError(err, 'ims', 'POST', path, [clientSecret]);
    }
    const text = redactSecrets(await res.body.text(), [clientSecret]);
    if (res.statusCode < 200 || res.statusCode > 299) {
      throw httpError({ service: 'ims', method: 'POST', path, status: res.statusCode, bodyText: text, retryAfter: res.headers['retry-after'], now: clock.now() });
    }
    let answer: z.infer<typeof TokenAnswer>;
    try {
      answer = TokenAnswer.parse(JSON.parse(text));
    } catch {
      throw dataflowError('ERR_IMS_BAD_RESPONSE', 'auth', `POST ${path}: IMS answered ${res.statusCode} without an access token`, {
        context: { service: 'ims', status: res.statusCode },
      });
    }
    const lifetimeMs = answer.expires_in !== undefined ? answer.expires_in * 1000 : DEFAULT_LIFETIME_MS;
    const token: AccessToken = {
      value: answer.access_token,
      refreshAt: refreshTime(obtainedAt, lifetimeMs),
      replacesRefused: this.nextReplacesRefused,
    };
    this.nextReplacesRefused = false;
    this.current = token;
    this.recent.unshift(token.value);
    this.recent.length = Math.min(this.recent.length, 3);
    logger.debug({ expiresInS: lifetimeMs / 1000 }, 'IMS access token obtained');
    return token;
  }
}

/** Waits for a shared promise, giving up (without cancelling it) when this caller's signal aborts. */
function abortable<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
