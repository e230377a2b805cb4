import { connectorError, ConnectorErrorKind } from '../../src/connector/errors';
import { DataflowError, isAbortError } from '../../src/lib/errors';

/** Azure Storage error codes (x-ms-error-code) → connector error kinds. */
const KINDS: Record<string, ConnectorErrorKind> = {
  AuthenticationFailed: 'auth',
  InvalidAuthenticationInfo: 'auth',
  NoAuthenticationInformation: 'auth',
  KeyBasedAuthenticationNotPermitted: 'auth',
  AuthorizationPermissionMismatch: 'permission',
  AuthorizationResourceTypeMismatch: 'permission',
  AuthorizationServiceMismatch: 'permission',
  AuthorizationProtocolMismatch: 'permission',
  AuthorizationSourceIPMismatch: 'permission',
  InsufficientAccountPermissions: 'permission',
  AccountIsDisabled: 'permission',
  BlobNotFound: 'not_found',
  ContainerNotFound: 'not_found',
  ContainerBeingDeleted: 'not_found',
  ResourceNotFound: 'not_found',
  CannotVerifyCopySource: 'not_found',
  // A conditional request (If-Match on the etag we saw) failed: that version of the blob is gone.
  ConditionNotMet: 'not_found',
  BlobArchived: 'unsupported',
  InvalidResourceName: 'config',
  InvalidUri: 'config',
  OutOfRangeInput: 'config',
  InvalidQueryParameterValue: 'config',
  ServerBusy: 'transient',
  OperationTimedOut: 'transient',
  InternalError: 'transient',
  LeaseIdMissing: 'transient',
  LeaseAlreadyPresent: 'transient',
};

/** @azure/identity's failures: no credential found, or the identity provider said no. */
const CREDENTIAL_ERRORS = new Set(['CredentialUnavailableError', 'AggregateAuthenticationError', 'AuthenticationError', 'AuthenticationRequiredError']);

interface AzureLikeError {
  name?: string;
  code?: string;
  statusCode?: number;
  message?: string;
  errors?: unknown[];
  response?: { headers?: { get(name: string): string | undefined } };
}

/** The storage error code. HEAD answers have no body, so getProperties' errors carry it only in
 *  the x-ms-error-code header (BlobNotFound vs ContainerNotFound). */
export function azureErrorCode(err: unknown): string | undefined {
  const e = err as AzureLikeError | null;
  if (typeof e !== 'object' || e === null) return undefined;
  return e.code ?? e.response?.headers?.get('x-ms-error-code') ?? undefined;
}

export function azureErrorKind(err: unknown): ConnectorErrorKind {
  const e = (err ?? {}) as AzureLikeError;
  if (e.name !== undefined && CREDENTIAL_ERRORS.has(e.name)) return 'auth';
  const code = azureErrorCode(err);
  const known = code !== undefined ? KINDS[code] : undefined;
  if (known) return known;
  // Azurite answers a wrong key or an expired SAS with AuthorizationFailure and Azure's
  // "failed to authenticate" text; Azure itself uses that code when a firewall rule refuses.
  if (code === 'AuthorizationFailure') return /authenticate/i.test(e.message ?? '') ? 'auth' : 'permission';
  switch (e.statusCode) {
    case 400:
      return 'config';
    case 401:
    case 403:
      return 'auth';
    case 404:
    case 412:
      return 'not_found';
  }
  // 408, 409 (leases, copies in progress), 429, 5xx and every network error (ECONNRESET,
  // ECONNREFUSED, ENOTFOUND, a stream cut short): the retry loop gives up after a few attempts.
  return 'transient';
}

/**
 * Wraps an SDK error with what we were doing ("listing azure-blob://acct/exports/in: ContainerNotFound
 * (HTTP 404): The specified container does not exist."). Aborts and our own errors pass through.
 * Secrets are blanked from the text: SAS signatures and keys can appear in SDK messages.
 */
export function azureError(err: unknown, action: string, path: string, secrets: readonly string[] = []): unknown {
  if (isAbortError(err) || err instanceof DataflowError) return err;
  const kind = azureErrorKind(err);
  const message = scrub(`${action}: ${describe(err)}`, secrets);
  return connectorError(kind, message, { path, cause: err, retryAfterMs: kind === 'transient' ? retryAfterMs(err) : undefined });
}

/**
 * For errors of a download stream. The SDK's stream turns a response closed early by the server
 * (Node's 'aborted' event) into an AbortError; unless our own signal fired, that is a dropped
 * connection, to be retried like any other, not a cancellation.
 */
export function downloadError(err: unknown, signal: AbortSignal, action: string, path: string, secrets: readonly string[] = []): unknown {
  if (signal.aborted) return err;
  if (isAbortError(err)) return connectorError('transient', `${action}: the server closed the connection before the end of the blob`, { path, cause: err });
  return azureError(err, action, path, secrets);
}

/** The SDK's download stream reports any early end (a reset, a server gone) in these words. */
const CUT_SHORT = /^Data corruption failure: received less data than required.*Received data offset: (\d+), data needed offset: (\d+)/;

function describe(err: unknown): string {
  const e = (err ?? {}) as AzureLikeError;
  if (e.name !== undefined && CREDENTIAL_ERRORS.has(e.name)) return describeCredentialFailure(e);
  const code = azureErrorCode(err);
  const firstLine = messageOf(err).split('\n')[0].trim();
  const cut = CUT_SHORT.exec(firstLine);
  if (cut) return `the connection ended after ${Number(cut[1]) + 1} of ${Number(cut[2]) + 1} bytes`;
  const status = e.statusCode !== undefined ? ` (HTTP ${e.statusCode})` : '';
  const head = code !== undefined && code !== firstLine ? `${code}${status}` : status.trim();
  if (head === '') return firstLine || 'unknown error';
  return firstLine === '' ? head : `${head}: ${firstLine}`;
}

/** DefaultAzureCredential's answer lists what each credential in its chain said; keep one short
 *  line each, so the run history says why no identity was found. */
function describeCredentialFailure(e: AzureLikeError): string {
  const tried = (e.errors ?? []).map((sub) => messageOf(sub).split(/\.\s|\n/)[0].trim()).filter(Boolean);
  const head = 'no usable Azure credential (DefaultAzureCredential: managed identity, workload identity, AZURE_* environment, az login)';
  return tried.length > 0 ? `${head}: ${tried.join('; ')}` : `${head}: ${(e.message ?? '').split('\n')[0]}`;
}

function messageOf(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(err);
}

function retryAfterMs(err: unknown): number | undefined {
  const value = (err as AzureLikeError | null)?.response?.headers?.get('retry-after');
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Blanks known secret values, and SAS signatures or account keys of any origin. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 6) out = out.split(secret).join('[redacted]');
  return out.replace(/\b(sig|AccountKey|SharedAccessSignature)=[^&;\s"']+/gi, '$1=[redacted]');
}
