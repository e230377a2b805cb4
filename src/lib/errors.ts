/**
 * Errors are values with a stable code and a kind (STYLE.md rule 7). The kind tells callers
 * what to do (retry, give up, report as config); the code names exactly what happened.
 */
import { type ErrorCode, type ErrorKind, type KindOf } from './error-codes';

export type { ErrorCode, ErrorKind, KindOf } from './error-codes';

export interface ErrorOptions {
  context?: Record<string, unknown>;
  cause?: unknown;
  /** For transient errors: how long the other side asked us to wait. */
  retryAfterMs?: number;
}

export class DataflowError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly context: Record<string, unknown>;
  readonly retryAfterMs?: number;

  constructor(code: ErrorCode, kind: ErrorKind, message: string, opts: ErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'DataflowError';
    this.code = code;
    this.kind = kind;
    this.context = opts.context ?? {};
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** An error with a code of the catalogue (error-codes.ts), and the kind the catalogue gives it. */
export function dataflowError<C extends ErrorCode>(code: C, kind: KindOf<C>, message: string, opts?: ErrorOptions): DataflowError {
  return new DataflowError(code, kind, message, opts);
}

export function isDataflowError(err: unknown): err is DataflowError {
  return err instanceof DataflowError;
}

/** Adds short context in front of an error's message at a boundary, keeping code and kind. */
export function wrapError(err: unknown, prefix: string): DataflowError {
  if (err instanceof DataflowError) {
    return new DataflowError(err.code, err.kind, `${prefix}: ${err.message}`, {
      context: err.context,
      cause: err,
      retryAfterMs: err.retryAfterMs,
    });
  }
  return dataflowError('ERR_INTERNAL', 'internal', `${prefix}: ${errorMessage(err)}`, { cause: err });
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** An error as history keeps it: the message, and for our own errors their kind and code. */
export function errorFacts(err: unknown): { error: string; errorKind: ErrorKind | null; errorCode: ErrorCode | null } {
  if (isAbortError(err)) return { error: errorMessage(err), errorKind: 'transient', errorCode: 'ERR_ABORTED' };
  if (isDataflowError(err)) return { error: err.message, errorKind: err.kind, errorCode: err.code };
  return { error: errorMessage(err), errorKind: 'internal', errorCode: null };
}

/** By name, not instanceof: an abort reason is a DOMException, which may come from another realm. */
export function isAbortError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { name, code } = err as { name?: unknown; code?: unknown };
  return name === 'AbortError' || name === 'TimeoutError' || code === 'ABORT_ERR';
}

/** The reason a run is stopped by its user (Ctrl-C on `dataflowd run`): it ends `cancelled`. */
export function cancellation(message: string): DataflowError {
  return dataflowError('ERR_CANCELLED', 'transient', message);
}

export function isCancellation(err: unknown): boolean {
  return isDataflowError(err) && err.code === 'ERR_CANCELLED';
}
