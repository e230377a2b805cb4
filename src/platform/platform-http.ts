import type { Readable } from 'node:stream';
import { Dispatcher, request } from 'undici';
import type { Clock } from '../lib/clock';
import { dataflowError, DataflowError, isAbortError, isDataflowError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { isTransient, retry } from '../lib/retry';
import type { AccessToken, ImsTokenProvider } from './ims-token';
import { httpError, networkError, redactSecrets } from './platform-errors';
import { guardBody } from './upload-body';
import type { PlatformRetryOptions } from './types';

/*
 * The one way requests reach Platform: the headers every call needs (reference/aep-api.md
 * §1.2), one token refresh on 401, errors classified by platform-errors.ts, and retries through
 * src/lib/retry.ts.
 */

export interface PlatformHttpOptions {
  endpoint: string;
  clientId: string;
  orgId: string;
  sandbox: string;
  tokens: ImsTokenProvider;
  dispatcher: Dispatcher;
  clock: Clock;
  logger: Logger;
  retry: PlatformRetryOptions;
}

export const USER_AGENT = 'dataflowd';

export type Query = Record<string, string | number | boolean | undefined>;

export interface Call {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the endpoint, segments already URL-encoded. */
  path: string;
  query?: Query;
  json?: unknown;
  /** Raw bytes sent as application/octet-stream (a large file's chunk); kept, so resendable. */
  bytes?: Buffer;
  /** Extra request headers, e.g. Content-Range. */
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Non-2xx statuses answered as a value rather than thrown, e.g. 404 for a lookup. */
  allow?: number[];
}

export interface JsonAnswer {
  status: number;
  body: unknown;
}

export function withQuery(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}${path.includes('?') ? '&' : '?'}${qs}` : path;
}

export class PlatformHttp {
  private readonly base: string;

  constructor(private readonly opts: PlatformHttpOptions) {
    this.base = opts.endpoint.replace(/\/+$/, '');
  }

  /** A JSON call, retried on transient trouble; the answer's body parsed (undefined when empty). */
  json(call: Call): Promise<JsonAnswer> {
    return this.withRetry(call.signal, () => this.jsonOnce(call));
  }

  /** One attempt of a JSON call (with its one token refresh), for callers that wrap their own step in withRetry. */
  async jsonOnce(call: Call): Promise<JsonAnswer> {
    const target = withQuery(call.path, call.query);
    const body = call.bytes ?? (call.json === undefined ? undefined : JSON.stringify(call.json));
    const headers = call.bytes === undefined ? jsonHeaders(call.json) : { 'content-type': 'application/octet-stream' };
    const res = await this.send(call.method, target, body, { ...headers, ...call.headers }, call.signal, true);
    const text = redactSecrets(await res.body.text(), this.opts.tokens.secrets());
    if (!isOk(res.statusCode) && !call.allow?.includes(res.statusCode)) throw this.failure(call.method, target, res, text);
    if (text.trim() === '') return { status: res.statusCode, body: undefined };
    try {
      return { status: res.statusCode, body: JSON.parse(text) as unknown };
    } catch {
      throw badResponse(call.method, target, res.statusCode, 'a body that is not JSON');
    }
  }

  /** A GET whose answer is bytes: retried until the headers arrive, then the body is the caller's. */
  async stream(call: Omit<Call, 'json' | 'bytes' | 'headers' | 'method' | 'allow'>): Promise<Readable> {
    return this.withRetry(call.signal, async () => {
      const target = withQuery(call.path, call.query);
      const res = await this.send('GET', target, undefined, { accept: '*/*' }, call.signal, true);
      if (isOk(res.statusCode)) return res.body;
      const text = redactSecrets(await res.body.text(), this.opts.tokens.secrets());
      throw this.failure('GET', target, res, text);
    });
  }

  /**
   * PUTs a stream. It is retried here only while `body` has not been read from; once it has,
   * a transient failure is thrown as ERR_PLATFORM_UPLOAD_INTERRUPTED (kind transient) for the
   * caller to reopen its source and call again. An error of the source stream itself is
   * rethrown unchanged. The body is destroyed whenever this throws.
   */
  async putStream(path: string, source: Readable, size: number | undefined, signal?: AbortSignal): Promise<void> {
    const body = guardBody(source);
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
    if (size !== undefined) headers['content-length'] = String(size);
    try {
      await this.withRetry(
        signal,
        async () => {
          const res = await this.send('PUT', path, body.stream, headers, signal, false);
          const text = redactSecrets(await res.body.text(), this.opts.tokens.secrets());
          if (!isOk(res.statusCode)) throw this.failure('PUT', path, res, text);
        },
        (err) => isTransient(err) && !body.consumed(),
      );
    } catch (err) {
      body.destroy();
      const sourceError = body.sourceError();
      if (sourceError !== undefined) throw sourceError;
      if (isAbortError(err) || signal?.aborted) throw err;
      if (isTransient(err) && isDataflowError(err) && body.consumed()) {
        throw dataflowError('ERR_PLATFORM_UPLOAD_INTERRUPTED', 'transient', `${err.message} (the body was sent; reopen the source to retry)`, {
          context: { ...err.context, causeCode: err.code },
          cause: err,
          retryAfterMs: err.retryAfterMs,
        });
      }
      throw err;
    }
  }

  /** Runs fn through src/lib/retry.ts with this client's settings; by default retries transient errors. */
  withRetry<T>(signal: AbortSignal | undefined, fn: (attempt: number) => Promise<T>, retryable: (err: unknown) => boolean = isTransient): Promise<T> {
    const { attempts, baseDelayMs, maxDelayMs, maxWaitMs } = this.opts.retry;
    return retry(fn, {
      signal,
      clock: this.opts.clock,
      attempts,
      baseDelayMs,
      maxDelayMs,
      maxWaitMs,
      retryable,
      onRetry: (err, attempt, delayMs) => {
        const e = isDataflowError(err) ? { code: err.code, message: err.message } : { message: String(err) };
        this.opts.logger.warn({ err: e, attempt, delayMs }, 'Platform call failed, retrying');
      },
    });
  }

  /**
   * One request with the current token. On 401 the token is dropped; when `resendable`, the
   * request goes once more with a new token, otherwise a transient error lets the caller resend.
   */
  private async send(
    method: Call['method'],
    target: string,
    body: string | Buffer | Readable | undefined,
    extraHeaders: Record<string, string>,
    signal: AbortSignal | undefined,
    resendable: boolean,
  ): Promise<Dispatcher.ResponseData> {
    const { tokens, clock, logger } = this.opts;
    for (let refreshed = false; ; refreshed = true) {
      const token = await tokens.get(signal);
      const started = clock.now().getTime();
      let res: Dispatcher.ResponseData;
      try {
        res = await request(`${this.base}${target}`, {
          method,
          dispatcher: this.opts.dispatcher,
          headers: { ...this.headers(token), ...extraHeaders },
          body,
          signal,
        });
      } catch (err) {
        if (isAbortError(err) || isDataflowError(err) || signal?.aborted) throw err;
        throw networkError(err, 'platform', method, target, tokens.secrets());
      }
      logger.debug({ method, path: target, status: res.statusCode, ms: clock.now().getTime() - started }, 'Platform call');
      if (res.statusCode !== 401) {
        if (isOk(res.statusCode)) tokens.accepted(token);
        return res;
      }
      const worthRefresh = tokens.refused(token);
      if (!worthRefresh || refreshed) return res;
      if (!resendable) {
        await res.body.dump();
        throw dataflowError('ERR_PLATFORM_TOKEN_EXPIRED', 'transient', `${method} ${target}: Platform refused the access token; a new one will be used`, {
          context: { status: 401, method, path: target },
        });
      }
      await res.body.dump();
    }
  }

  private headers(token: AccessToken): Record<string, string> {
    return {
      authorization: `Bearer ${token.value}`,
      'x-api-key': this.opts.clientId,
      'x-gw-ims-org-id': this.opts.orgId,
      // Platform expects sandbox names in lower case [OAS-BI].
      'x-sandbox-name': this.opts.sandbox.toLowerCase(),
      accept: 'application/json',
      // Says who called; the suite's contract check (test/contract/) picks out the client's requests by it.
      'user-agent': USER_AGENT,
    };
  }

  private failure(method: string, target: string, res: Dispatcher.ResponseData, text: string): DataflowError {
    return httpError({
      service: 'platform',
      method,
      path: target,
      status: res.statusCode,
      bodyText: text,
      retryAfter: res.headers['retry-after'],
      now: this.opts.clock.now(),
    });
  }
}

function isOk(status: number): boolean {
  return status >= 200 && status <= 299;
}

export function badResponse(method: string, target: string, status: number, what: string): DataflowError {
  return dataflowError('ERR_PLATFORM_BAD_RESPONSE', 'platform', `${method} ${target}: Platform answered ${status} with ${what}`, {
    context: { service: 'platform', status, method, path: target },
  });
}

function jsonHeaders(json: unknown): Record<string, string> {
  return json === undefined ? {} : { 'content-type': 'application/json' };
}
