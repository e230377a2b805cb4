import { DataflowError, ErrorKind } from '../lib/errors';

/** Connector errors carry one of these kinds (DESIGN.md §5). */
export type ConnectorErrorKind = Extract<ErrorKind, 'auth' | 'not_found' | 'permission' | 'transient' | 'config' | 'unsupported'>;

const CODES: Record<ConnectorErrorKind, string> = {
  auth: 'ERR_SOURCE_AUTH',
  not_found: 'ERR_SOURCE_NOT_FOUND',
  permission: 'ERR_SOURCE_PERMISSION',
  transient: 'ERR_SOURCE_TRANSIENT',
  config: 'ERR_SOURCE_CONFIG',
  unsupported: 'ERR_SOURCE_UNSUPPORTED',
};

export function connectorError(
  kind: ConnectorErrorKind,
  message: string,
  opts: { path?: string; cause?: unknown; retryAfterMs?: number } = {},
): DataflowError {
  return new DataflowError(CODES[kind], kind, message, {
    context: opts.path === undefined ? {} : { path: opts.path },
    cause: opts.cause,
    retryAfterMs: opts.retryAfterMs,
  });
}

export function isNotFound(err: unknown): boolean {
  return err instanceof DataflowError && err.kind === 'not_found';
}
