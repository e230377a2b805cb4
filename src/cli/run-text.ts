import { errorMessage, isDataflowError } from '../lib/errors';

/**
 * "[auth ERR_SOURCE_AUTH] message": the kind and code in front of the message, when known; the
 * code once, when the message already starts with it (Platform's "INGEST-1212-400: …").
 */
export function errorText(j: { error: string | null; errorKind: string | null; errorCode: string | null }): string {
  if (!j.error) return '';
  const code = j.errorCode && !j.error.startsWith(j.errorCode) ? j.errorCode : null;
  const tag = [j.errorKind, code].filter(Boolean).join(' ');
  return tag ? `[${tag}] ${j.error}` : j.error;
}

/** A text that may hold newlines (an error from a server), as one line of a table or a field. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

/** Any error as errorText shows it: our own with their kind and code. */
export function describeError(err: unknown): string {
  return isDataflowError(err) ? errorText({ error: err.message, errorKind: err.kind, errorCode: err.code }) : errorMessage(err);
}
