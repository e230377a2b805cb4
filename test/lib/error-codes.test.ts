import { readFileSync } from 'node:fs';
import path from 'node:path';
import { connectorError, type ConnectorErrorKind } from '../../src/connector/errors';
import { ERROR_CODES, errorCodeInfo, type ErrorCode } from '../../src/lib/error-codes';
import { STORE_ERRORS } from '../../src/store/store-errors';

/** The rows of the README's error table: code, kind, retryable. */
function readmeTable(): Array<{ code: string; kind: string; retryable: string }> {
  const readme = readFileSync(path.resolve(__dirname, '..', '..', 'README.md'), 'utf8');
  const section = readme.split(/^## Errors$/m)[1]?.split(/^## /m)[0] ?? '';
  return section
    .split('\n')
    .map((line) => /^\| `([A-Z0-9_]+)` \| ([a-z_]+) \| (yes|no) \| .+ \|$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ code: m[1], kind: m[2], retryable: m[3] }));
}

describe('the error code catalogue (src/lib/error-codes.ts)', () => {
  it("is exactly the README's error table, with each code's kind and whether it is retryable", () => {
    const codes = Object.keys(ERROR_CODES) as ErrorCode[];
    expect(readmeTable()).toEqual(
      codes.map((code) => {
        const info = errorCodeInfo(code);
        return { code, kind: info?.kind, retryable: info?.retryable ? 'yes' : 'no' };
      }),
    );
  });

  it('gives each connector error kind a code of that kind', () => {
    for (const kind of ['auth', 'not_found', 'permission', 'transient', 'config', 'unsupported'] satisfies ConnectorErrorKind[]) {
      const err = connectorError(kind, 'x');
      expect(errorCodeInfo(err.code)?.kind).toBe(kind);
    }
  });

  it('holds every code the store gives', () => {
    for (const code of Object.values(STORE_ERRORS)) expect(errorCodeInfo(code)).toBeDefined();
  });

  it('knows nothing of codes that are not ours, inherited names included', () => {
    for (const code of ['INGEST-1212-400', 'toString', '__proto__', null, undefined]) expect(errorCodeInfo(code)).toBeUndefined();
  });

  it('marks as content rejections exactly the data errors of a file that cannot be sent as it is', () => {
    const rejections = Object.entries(ERROR_CODES).filter(([, info]) => 'contentRejection' in info).map(([code]) => code);
    expect(rejections.every((code) => ERROR_CODES[code as ErrorCode].kind === 'data')).toBe(true);
    expect(rejections).toContain('ERR_PLATFORM_FILE_PATH');
    expect(rejections).not.toContain('ERR_PLATFORM_UPLOAD_SIZE_MISMATCH');
  });
});
