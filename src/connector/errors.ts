import { dataflowError, DataflowError, type ErrorCode, type ErrorKind } from '../lib/errors';

/** Connector errors carry one of these kinds (DESIGN.md §5). */
export type ConnectorErrorKind = Extract<ErrorKind, 'auth' | 'not_found' | 'permission' | 'transient' | 'config' | 'unsupported'>;

const CODES = {
  auth: 'ERR_SOURCE_AUTH',
  not_found: 'ERR_SOURCE_NOT_FOUND',
  permission: 'ERR_SOURCE_PERMISSION',
  transient: 'ERR_SOURCE_TRANSIENT',
  config: 'ERR_SOURCE_CONFIG',
  unsupported: 'ERR_SOURCE_UNSUPPORTED',
} as const satisfies Record<ConnectorErrorKind, ErrorCode>;

export function connectorError(
  kind: ConnectorErrorKind,
  message: string,
  opts: { path?: string; cause?: unknown; retryAfterMs?: number } = {},
): DataflowError {
  return dataflowError(CODES[kind], kind, message, {
    context: opts.path === undefined ? {} : { path: opts.path },
    cause: opts.cause,
    retryAfterMs: opts.retryAfterMs,
  });
}

export function isNotFound(err: unknown): boolean {
  return err instanceof DataflowError && err.kind === 'not_found';
}
