import { connectorError, ConnectorErrorKind } from '../../src/connector/errors';
import { DataflowError, errorMessage, isAbortError } from '../../src/lib/errors';

/**
 * S3 error codes → connector error kinds. The SDK names its exceptions after the code in the
 * response (`NoSuchKey`, `AccessDenied`...); responses without a body (HEAD) only carry a status,
 * handled by `STATUS_KINDS`.
 */
const CODE_KINDS: Record<string, ConnectorErrorKind> = {
  InvalidAccessKeyId: 'auth',
  SignatureDoesNotMatch: 'auth',
  ExpiredToken: 'auth',
  InvalidToken: 'auth',
  TokenRefreshRequired: 'auth',
  // The default credential chain found nothing usable (no env, profile, role...).
  CredentialsProviderError: 'auth',
  NoSuchKey: 'not_found',
  NoSuchBucket: 'not_found',
  NotFound: 'not_found',
  AccessDenied: 'permission',
  AllAccessDisabled: 'permission',
  AccountProblem: 'permission',
  Forbidden: 'permission',
  // An archived (Glacier) object: readable only after a restore nobody here asked for.
  InvalidObjectState: 'unsupported',
  NotImplemented: 'unsupported',
  // Wrong region or endpoint: retrying the same request cannot help.
  PermanentRedirect: 'config',
  AuthorizationHeaderMalformed: 'config',
  IllegalLocationConstraintException: 'config',
  InvalidBucketName: 'config',
  InvalidArgument: 'config',
  InvalidRequest: 'config',
  SlowDown: 'transient',
  Throttling: 'transient',
  ThrottlingException: 'transient',
  RequestLimitExceeded: 'transient',
  RequestTimeout: 'transient',
  InternalError: 'transient',
  ServiceUnavailable: 'transient',
  // The SDK corrects its clock offset from the failed response: the core's next attempt passes.
  RequestTimeTooSkewed: 'transient',
  // A CopyObject whose source changed after it was checked: a later attempt sees the new version.
  PreconditionFailed: 'transient',
  TimeoutError: 'transient',
};

function statusKind(status: number): ConnectorErrorKind | undefined {
  if (status === 401) return 'auth';
  if (status === 403) return 'permission';
  if (status === 404) return 'not_found';
  if (status === 408 || status === 429 || status >= 500) return 'transient';
  if (status >= 400) return 'config';
  return undefined;
}

interface SdkError {
  name?: unknown;
  code?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** The S3 error code (or Node error code, for network failures) of err, if any. */
export function s3ErrorCode(err: unknown): string | undefined {
  const e = err as SdkError | null;
  if (typeof e !== 'object' || e === null) return undefined;
  if (typeof e.code === 'string') return e.code;
  return typeof e.name === 'string' && e.name !== 'Error' ? e.name : undefined;
}

function httpStatus(err: unknown): number | undefined {
  const status = (err as SdkError | null)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * By code first, then by HTTP status. Anything else — a refused or reset connection, DNS, a
 * timeout, a truncated body — is transient: the retry loop gives up after a few attempts.
 */
export function s3ErrorKind(err: unknown): ConnectorErrorKind {
  const code = s3ErrorCode(err);
  const byCode = code !== undefined ? CODE_KINDS[code] : undefined;
  if (byCode !== undefined) return byCode;
  const status = httpStatus(err);
  return (status !== undefined ? statusKind(status) : undefined) ?? 'transient';
}

/**
 * Wraps an SDK error with what we were doing and where ("listing s3://bucket/in/: NoSuchBucket:
 * The specified bucket does not exist"). Aborts and errors that are already ours pass through,
 * so callers can tell "cancelled" from "failed". SDK messages carry no credentials.
 */
export function s3Error(err: unknown, action: string, location: string, path?: string): unknown {
  if (isAbortError(err) || err instanceof DataflowError) return err;
  const kind = s3ErrorKind(err);
  const code = s3ErrorCode(err);
  const status = httpStatus(err);
  // A HEAD has no body: the SDK's message is then a bare "UnknownError" or the status text.
  const raw = errorMessage(err);
  const detail = raw === '' || raw === 'UnknownError' ? `HTTP ${status ?? '?'}` : raw;
  const message = code !== undefined && !detail.startsWith(code) ? `${code}: ${detail}` : detail;
  return connectorError(kind, `${action} ${location}: ${message}`, { path, cause: err });
}
