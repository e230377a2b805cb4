import { dataflowError, DataflowError, errorMessage } from '../lib/errors';

/*
 * Classifying Platform's answers into our error kinds. The client decides here, once, what is
 * worth another attempt; src/lib/retry.ts does the waiting.
 */

/**
 * Answers worth another attempt: what aepp retries (429, 500, 502, 503, 504) [AEPP-CONN], plus
 * 408 (the request took too long to arrive, nothing was done).
 */
export const TRANSIENT_STATUSES: readonly number[] = [408, 429, 500, 502, 503, 504];

/** Connection trouble: the request may not have arrived; another attempt may well succeed. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED', // e.g. the emulator or a proxy still starting
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** Longest Retry-After honoured: a call that must wait longer fails, and the schedule tries later. */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

/** `Retry-After` as milliseconds from now: delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | string[] | undefined, now: Date, maxMs = MAX_RETRY_AFTER_MS): number | undefined {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!raw) return undefined;
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(raw)) {
    ms = Math.round(Number(raw) * 1000);
  } else {
    // An HTTP date names a weekday and month; Date.parse alone would also take "-5" as a year.
    const at = /[a-z]{3}/i.test(raw) ? Date.parse(raw) : Number.NaN;
    if (Number.isNaN(at)) return undefined;
    ms = Math.max(0, at - now.getTime());
  }
  return Math.min(ms, maxMs);
}

/** Replaces every occurrence of the given secrets, so no error or log carries them. */
export function redactSecrets(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('[redacted]');
  return out;
}

export interface HttpFailure {
  service: 'platform' | 'ims';
  method: string;
  /** Path and query; never carries a credential. */
  path: string;
  status: number;
  /** Already redacted. */
  bodyText: string;
  retryAfter?: string | string[];
  now: Date;
}

interface ErrorBody {
  errorCode?: string;
  message?: string;
  detail?: string;
  parsed?: unknown;
}

const MAX_BODY_CHARS = 2000;

/** Picks Platform's error fields: gateway `{error_code, message}`, problem `{title, detail}`, IMS `{error, error_description}`. */
export function readErrorBody(text: string): ErrorBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    const trimmed = text.trim().slice(0, MAX_BODY_CHARS);
    return trimmed ? { message: trimmed } : {};
  }
  if (typeof parsed !== 'object' || parsed === null) return { parsed };
  const b = parsed as Record<string, unknown>;
  const str = (v: unknown): string | undefined =>
    typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
  return {
    errorCode: str(b.error_code) ?? str(b.code) ?? str(b.error),
    message: str(b.message) ?? str(b.title) ?? str(b.error_description),
    detail: str(b.detail),
    parsed: text.length <= MAX_BODY_CHARS ? parsed : undefined,
  };
}

/** The error for a non-2xx answer, with Platform's own code and words in message and context. */
export function httpError(f: HttpFailure): DataflowError {
  const body = readErrorBody(f.bodyText);
  const words = [body.errorCode, body.message, body.detail].filter(Boolean).join(' ');
  const who = f.service === 'ims' ? 'IMS' : 'Platform';
  const message = `${f.method} ${f.path}: ${who} answered ${f.status}${words ? `: ${words}` : ''}`;
  const context: Record<string, unknown> = { service: f.service, status: f.status, method: f.method, path: f.path };
  if (body.errorCode !== undefined) context.errorCode = body.errorCode;
  if (body.message !== undefined) context.platformMessage = body.message;
  if (body.detail !== undefined) context.detail = body.detail;
  if (body.parsed !== undefined) context.body = body.parsed;
  if (TRANSIENT_STATUSES.includes(f.status)) {
    const code = f.service === 'ims' ? 'ERR_IMS_UNAVAILABLE' : f.status === 429 ? 'ERR_PLATFORM_THROTTLED' : 'ERR_PLATFORM_UNAVAILABLE';
    return dataflowError(code, 'transient', message, { context, retryAfterMs: parseRetryAfter(f.retryAfter, f.now) });
  }
  if (f.service === 'ims') return dataflowError('ERR_IMS_AUTH', 'auth', message, { context });
  if (f.status === 401) return dataflowError('ERR_PLATFORM_UNAUTHORIZED', 'auth', message, { context });
  if (f.status === 403) return dataflowError('ERR_PLATFORM_FORBIDDEN', 'auth', message, { context });
  if (f.status === 404) return dataflowError('ERR_PLATFORM_NOT_FOUND', 'platform', message, { context });
  return dataflowError('ERR_PLATFORM_REJECTED', 'platform', message, { context });
}

function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
  }
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isNetworkError(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && NETWORK_CODES.has(code);
}

/** The error for a request that got no answer. Not for aborts: callers pass those through. */
export function networkError(err: unknown, service: 'platform' | 'ims', method: string, path: string, secrets: ReadonlyArray<string | undefined>): DataflowError {
  const code = errorCode(err);
  const message = redactSecrets(`${method} ${path}: ${errorMessage(err)}`, secrets);
  const context = { service, method, path, ...(code ? { errno: code } : {}) };
  if (code === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH') {
    // The source delivered more or fewer bytes than its size said: it changed while being read.
    return dataflowError('ERR_PLATFORM_UPLOAD_SIZE_MISMATCH', 'data', message, { context, cause: err });
  }
  if (isNetworkError(err)) {
    const errCode = service === 'ims' ? 'ERR_IMS_UNAVAILABLE' : 'ERR_PLATFORM_NETWORK';
    return dataflowError(errCode, 'transient', message, { context, cause: err });
  }
  return dataflowError('ERR_PLATFORM_REQUEST', 'internal', message, { context, cause: err });
}
