import { DataflowError } from '../../src/lib/errors';
import { httpError, MAX_RETRY_AFTER_MS, networkError, parseRetryAfter, readErrorBody, redactSecrets } from '../../src/platform/platform-errors';

const now = new Date('2026-12-01T12:00:00Z');

describe('parseRetryAfter', () => {
  test.each([
    ['120', 120_000],
    [' 3 ', 3000],
    ['1.5', 1500],
    ['0', 0],
    ['Tue, 01 Dec 2026 12:00:30 GMT', 30_000],
    ['Tue, 01 Dec 2026 11:59:00 GMT', 0],
    ['999999', MAX_RETRY_AFTER_MS],
    ['soon', undefined],
    ['-5', undefined],
    ['', undefined],
  ])('%j → %j', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });

  test('absent, or the first of several', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter(['2', '9'], now)).toBe(2000);
  });
});

function failure(status: number, body: unknown, extra: { service?: 'platform' | 'ims'; retryAfter?: string } = {}): DataflowError {
  return httpError({
    service: extra.service ?? 'platform',
    method: 'POST',
    path: '/data/foundation/import/batches',
    status,
    bodyText: typeof body === 'string' ? body : JSON.stringify(body),
    retryAfter: extra.retryAfter,
    now,
  });
}

describe('httpError', () => {
  test.each([
    [408, 'transient', 'ERR_PLATFORM_UNAVAILABLE'],
    [429, 'transient', 'ERR_PLATFORM_THROTTLED'],
    [500, 'transient', 'ERR_PLATFORM_UNAVAILABLE'],
    [502, 'transient', 'ERR_PLATFORM_UNAVAILABLE'],
    [503, 'transient', 'ERR_PLATFORM_UNAVAILABLE'],
    [504, 'transient', 'ERR_PLATFORM_UNAVAILABLE'],
    [400, 'platform', 'ERR_PLATFORM_REJECTED'],
    [401, 'auth', 'ERR_PLATFORM_UNAUTHORIZED'],
    [403, 'auth', 'ERR_PLATFORM_FORBIDDEN'],
    [404, 'platform', 'ERR_PLATFORM_NOT_FOUND'],
    [409, 'platform', 'ERR_PLATFORM_REJECTED'],
    [501, 'platform', 'ERR_PLATFORM_REJECTED'],
  ])('%i → %s %s', (status, kind, code) => {
    const err = failure(status, {});
    expect(err.kind).toBe(kind);
    expect(err.code).toBe(code);
    expect(err.context).toMatchObject({ status, method: 'POST', path: '/data/foundation/import/batches' });
  });

  test('gateway body: error_code and message in message and context', () => {
    const err = failure(429, { error_code: '429050', message: 'Too many requests' }, { retryAfter: '7' });
    expect(err.message).toBe('POST /data/foundation/import/batches: Platform answered 429: 429050 Too many requests');
    expect(err.context).toMatchObject({ errorCode: '429050', platformMessage: 'Too many requests' });
    expect(err.retryAfterMs).toBe(7000);
  });

  test('problem body: title and detail', () => {
    const err = failure(400, { type: 'http://ns.adobe.com/aep/errors/XDM-1010-400', title: 'Bad request', detail: 'datasetId is required' });
    expect(err.message).toContain('Bad request datasetId is required');
    expect(err.context).toMatchObject({ platformMessage: 'Bad request', detail: 'datasetId is required' });
  });

  test('IMS: error and error_description, kind auth unless transient', () => {
    const err = failure(401, { error: 'invalid_client', error_description: 'invalid client_secret parameter' }, { service: 'ims' });
    expect(err).toMatchObject({ code: 'ERR_IMS_AUTH', kind: 'auth' });
    expect(err.message).toContain('IMS answered 401: invalid_client invalid client_secret parameter');
    expect(failure(503, '', { service: 'ims' })).toMatchObject({ code: 'ERR_IMS_UNAVAILABLE', kind: 'transient' });
  });

  test('a body that is not JSON is quoted, shortened', () => {
    expect(readErrorBody('<html>Bad gateway</html>')).toEqual({ message: '<html>Bad gateway</html>' });
    expect(readErrorBody('x'.repeat(5000)).message).toHaveLength(2000);
    expect(failure(502, '').message).toBe('POST /data/foundation/import/batches: Platform answered 502');
  });
});

describe('networkError', () => {
  const reset = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
  test.each(['ECONNRESET', 'ECONNREFUSED', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT', 'EAI_AGAIN'])('%s is transient', (code) => {
    const err = networkError(Object.assign(new Error(code), { code }), 'platform', 'GET', '/x', []);
    expect(err).toMatchObject({ code: 'ERR_PLATFORM_NETWORK', kind: 'transient' });
    expect(err.context).toMatchObject({ errno: code });
  });

  test('a code found on the cause counts', () => {
    const wrapped = new Error('fetch failed', { cause: reset });
    expect(networkError(wrapped, 'ims', 'POST', '/ims/token/v3', [])).toMatchObject({ code: 'ERR_IMS_UNAVAILABLE', kind: 'transient' });
  });

  test('a size mismatch is a data problem, anything else internal', () => {
    const mismatch = Object.assign(new Error('Request body length does not match content-length header'), { code: 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH' });
    expect(networkError(mismatch, 'platform', 'PUT', '/f', []).kind).toBe('data');
    expect(networkError(new TypeError('bad'), 'platform', 'GET', '/x', []).kind).toBe('internal');
  });

  test('secrets are taken out of the message', () => {
    const err = networkError(new Error('failed with s3cr3t-value inside'), 'ims', 'POST', '/ims/token/v3', ['s3cr3t-value']);
    expect(err.message).not.toContain('s3cr3t-value');
  });
});

test('redactSecrets replaces every occurrence and ignores empty or tiny values', () => {
  expect(redactSecrets('a TOKEN b TOKEN', ['TOKEN', undefined, ''])).toBe('a [redacted] b [redacted]');
  expect(redactSecrets('abc', ['a'])).toBe('abc');
});
