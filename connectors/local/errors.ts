import { connectorError, ConnectorErrorKind } from '../../src/connector/errors';
import { DataflowError, errorMessage } from '../../src/lib/errors';

/**
 * File-system errno → connector error kind. Anything unknown counts as transient: the retry loop
 * gives up after a few attempts, whereas a wrong `config` or `not_found` would end a run at once
 * for what may be a passing condition on a network mount.
 */
const KINDS: Record<string, ConnectorErrorKind> = {
  ENOENT: 'not_found',
  ENOTDIR: 'not_found',
  EISDIR: 'not_found',
  EACCES: 'permission',
  EPERM: 'permission',
  EROFS: 'permission',
  EMFILE: 'transient',
  ENFILE: 'transient',
  EBUSY: 'transient',
  EAGAIN: 'transient',
  EINTR: 'transient',
  EIO: 'transient',
  ETIMEDOUT: 'transient',
  ESTALE: 'transient',
  ENOSPC: 'transient',
  EDQUOT: 'transient',
  ENOMEM: 'transient',
  ELOOP: 'config',
  ENAMETOOLONG: 'config',
  EINVAL: 'config',
  EEXIST: 'config',
  ENOTEMPTY: 'config',
  ENOTSUP: 'unsupported',
  EOPNOTSUPP: 'unsupported',
};

export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function localErrorKind(err: unknown): ConnectorErrorKind {
  const code = errnoCode(err);
  return (code !== undefined ? KINDS[code] : undefined) ?? 'transient';
}

/**
 * Wraps a file-system error with what we were doing and the remote path ("listing in/2024:
 * EACCES: permission denied, opendir '/data/in/2024'"). Abort errors and errors that are already
 * ours pass through unchanged, so callers can tell "cancelled" from "failed".
 */
export function localError(err: unknown, action: string, path: string): unknown {
  if (isAbort(err) || err instanceof DataflowError) return err;
  return connectorError(localErrorKind(err), `${action} ${JSON.stringify(path)}: ${errorMessage(err)}`, { path, cause: err });
}

export function isMissing(err: unknown): boolean {
  const code = errnoCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** By name, not `instanceof Error`: an AbortSignal's reason is a DOMException, which is not an
 *  instance of another realm's Error (jest runs tests in a vm context). */
export function isAbort(err: unknown): boolean {
  const e = err as { name?: unknown; code?: unknown } | null;
  return typeof e === 'object' && e !== null && (e.name === 'AbortError' || e.code === 'ABORT_ERR');
}
