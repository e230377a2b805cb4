import { connectorError, ConnectorErrorKind } from '../../src/connector/errors';
import { DataflowError, errorMessage, isAbortError } from '../../src/lib/errors';

/** SFTP v3 status codes (draft-ietf-secsh-filexfer-02 §7), as ssh2 puts them in `err.code`. */
export const SFTP_STATUS = {
  EOF: 1,
  NO_SUCH_FILE: 2,
  PERMISSION_DENIED: 3,
  FAILURE: 4,
  BAD_MESSAGE: 5,
  NO_CONNECTION: 6,
  CONNECTION_LOST: 7,
  OP_UNSUPPORTED: 8,
} as const;

/**
 * OpenSSH's sftp-server maps errno to these: ENOENT/ENOTDIR/ELOOP → NO_SUCH_FILE, EACCES/EPERM →
 * PERMISSION_DENIED, ENAMETOOLONG/EINVAL → BAD_MESSAGE, ENOSYS → OP_UNSUPPORTED, everything else
 * (EIO, ENOSPC, EISDIR, EEXIST, …) → FAILURE, which is treated as transient: the retry loop
 * gives up after a few attempts, while `config` would end a run for what may pass.
 */
const STATUS_KINDS: Record<number, ConnectorErrorKind> = {
  [SFTP_STATUS.NO_SUCH_FILE]: 'not_found',
  [SFTP_STATUS.PERMISSION_DENIED]: 'permission',
  [SFTP_STATUS.FAILURE]: 'transient',
  [SFTP_STATUS.BAD_MESSAGE]: 'config',
  [SFTP_STATUS.NO_CONNECTION]: 'transient',
  [SFTP_STATUS.CONNECTION_LOST]: 'transient',
  [SFTP_STATUS.OP_UNSUPPORTED]: 'unsupported',
};

/** ssh2 tags connection-level errors with a `level`. */
const LEVEL_KINDS: Record<string, ConnectorErrorKind> = {
  'client-authentication': 'auth',
  'client-timeout': 'transient',
  'client-socket': 'transient',
  'client-dns': 'transient',
  // No common algorithm, a malformed packet: retrying the same server will not help.
  handshake: 'config',
  protocol: 'config',
};

export function sftpErrorKind(err: unknown): ConnectorErrorKind {
  if (err instanceof DataflowError) return err.kind as ConnectorErrorKind;
  const { code, level } = (err ?? {}) as { code?: unknown; level?: unknown };
  if (typeof code === 'number') return STATUS_KINDS[code] ?? 'transient';
  if (typeof level === 'string' && LEVEL_KINDS[level]) return LEVEL_KINDS[level];
  // Socket errors (ECONNREFUSED, ECONNRESET, ETIMEDOUT, EPIPE, ENOTFOUND, …), "No response from
  // server" when the connection closes under a request, and anything unknown.
  return 'transient';
}

export function isMissing(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === SFTP_STATUS.NO_SUCH_FILE;
}

/**
 * Wraps a protocol error with what we were doing and where ("listing sftp://host/outbound: No such
 * file"). Aborts and errors that are already ours pass through unchanged. `where` names the
 * server and path only: messages never carry credentials.
 */
export function sftpError(err: unknown, action: string, where: string, path?: string): unknown {
  if (isAbortError(err) || err instanceof DataflowError) return err;
  return connectorError(sftpErrorKind(err), `${action} ${where}: ${describe(err)}`, { path, cause: err });
}

/** ssh2's messages, with the SFTP status code's meaning where the server sent a bare code. */
function describe(err: unknown): string {
  const message = errorMessage(err).replace(/^(?:sftp|getConnection|_xstat|connect): /, '');
  const { code } = (err ?? {}) as { code?: unknown };
  if (typeof code === 'number' && code === SFTP_STATUS.FAILURE && /^failure$/i.test(message)) {
    return 'the server refused the operation (SSH_FX_FAILURE: e.g. a folder where a file was expected, or a full disk)';
  }
  return message;
}
