/**
 * What JSON.parse found wrong, in words: " (from character 14)", " (it ends too soon)", or
 * nothing when it does not say. Its own message is no text for people ("Unexpected token 'd',
 * "dataflowd-"... is not valid JSON") and quotes the text it read, which may be a row's values,
 * into logs and run history. V8 says "at position N" (0-based; Node 22 adds line and column),
 * and for an unexpected token names only the token and quotes the text.
 */
export function jsonSyntaxDetail(err: unknown): string {
  const message = err instanceof Error ? err.message : '';
  const at = /\bposition (\d+)/.exec(message)?.[1];
  if (at !== undefined) return ` (from character ${Number(at) + 1})`;
  if (/Unexpected end of JSON input|Unterminated string/i.test(message)) return ' (it ends too soon)';
  const token = /^Unexpected token '(.)'/.exec(message)?.[1];
  return token === undefined ? '' : ` (unexpected "${token}")`;
}
