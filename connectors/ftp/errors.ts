import { connectorError, ConnectorErrorKind } from '../../src/connector/errors';
import { DataflowError, errorMessage, isAbortError } from '../../src/lib/errors';

/**
 * FTP replies and socket errors → connector error kinds.
 *
 * Replies (RFC 959): 4xx are transient by definition ("try again"); 530/532 are a refused login;
 * 550 is "file unavailable", which servers also send for a folder they may not enter or a file
 * they may not delete, so the reply text decides between not_found and permission; 500–504 mean
 * the server does not speak that command. Socket errors and timeouts are transient; a TLS
 * certificate that does not verify is a config problem (retrying cannot make it trusted).
 */

const TLS_CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const PERMISSION_TEXT = /permission|denied|not allowed|not permitted|privilege|access/i;

/** The reply code of a server's negative answer (basic-ftp's FTPError), if err is one. */
export function replyCode(err: unknown): number | undefined {
  const e = err as { name?: unknown; code?: unknown } | null;
  return typeof e === 'object' && e !== null && e.name === 'FTPError' && typeof e.code === 'number' ? e.code : undefined;
}

function socketCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isCertificateError(err: unknown): boolean {
  return TLS_CERT_CODES.has(socketCode(err) ?? '');
}

export function ftpErrorKind(err: unknown): ConnectorErrorKind {
  const reply = replyCode(err);
  if (reply !== undefined) {
    if (reply === 530 || reply === 532) return 'auth';
    if (reply === 550) return PERMISSION_TEXT.test(errorMessage(err)) ? 'permission' : 'not_found';
    if (reply === 553) return 'permission';
    // vsftpd's "500 OOPS: …" is the server failing (a session process died), not a verdict.
    if (reply === 500 && /OOPS/.test(errorMessage(err))) return 'transient';
    if (reply >= 500 && reply <= 504) return 'unsupported';
    if (reply === 522 || reply === 533 || reply === 534) return 'config'; // TLS policy refused
    return 'transient';
  }
  // A listing line or reply we cannot read: retrying would read it the same way.
  if ((err as { name?: unknown } | null)?.name === 'ListingFormatError') return 'unsupported';
  const code = socketCode(err) ?? '';
  if (TLS_CERT_CODES.has(code) || code.startsWith('ERR_SSL_')) return 'config';
  return 'transient';
}

function hint(err: unknown): string {
  if (isCertificateError(err)) {
    return " (the server's TLS certificate is not trusted: give its CA certificate, or the self-signed certificate itself, as `ca:`)";
  }
  if (socketCode(err)?.startsWith('ERR_SSL_')) return ' (does the server speak TLS the way `secure:` says, on this port?)';
  return '';
}

/** Removes a secret wherever it appears: servers are not expected to echo a password, but a
 *  message that reaches the run history must never carry one. */
export function scrub(message: string, secrets: readonly string[]): string {
  return secrets.filter((s) => s.length >= 3).reduce((m, s) => m.split(s).join('[redacted]'), message);
}

/**
 * Wraps an FTP or socket error with what we were doing and where ("listing
 * ftp://host:21/outbound: 550 Failed to change directory."). Abort errors and errors that are
 * already ours pass through unchanged, so callers can tell "cancelled" from "failed".
 */
export function ftpError(err: unknown, action: string, where: string, opts: { path?: string; secrets?: readonly string[] } = {}): unknown {
  if (isAbortError(err) || err instanceof DataflowError) return err;
  const message = scrub(`${action} ${where}: ${errorMessage(err).trim()}${hint(err)}`, opts.secrets ?? []);
  return connectorError(ftpErrorKind(err), message, { path: opts.path, cause: err });
}
