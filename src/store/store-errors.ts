import { DataflowError, ErrorKind, errorMessage, isDataflowError } from '../lib/errors';

/**
 * Store errors (STYLE.md rule 7). The codes are shared by every Store implementation, so that
 * callers (and the shared store suite) never look at a driver's own error codes.
 */
export const STORE_ERRORS = {
  /** A run, batch or file id that does not exist, also as a reference from another row. */
  notFound: 'ERR_STORE_NOT_FOUND',
  /** A row with this id already exists, e.g. a run id another replica claimed first. */
  conflict: 'ERR_STORE_CONFLICT',
  /** The database stayed locked by another writer beyond the busy timeout. */
  busy: 'ERR_STORE_BUSY',
  closed: 'ERR_STORE_CLOSED',
  invalidArgument: 'ERR_STORE_INVALID_ARGUMENT',
  /** The database holds migrations this build does not know: a newer dataflowd created it. */
  schemaNewer: 'ERR_STORE_SCHEMA_NEWER',
  /** The database's migration history disagrees with this build's list. */
  schemaMismatch: 'ERR_STORE_SCHEMA_MISMATCH',
  url: 'ERR_STORE_URL',
  failed: 'ERR_STORE',
} as const;

export type StoreErrorCode = (typeof STORE_ERRORS)[keyof typeof STORE_ERRORS];

export function storeError(
  code: StoreErrorCode,
  kind: ErrorKind,
  message: string,
  opts: { context?: Record<string, unknown>; cause?: unknown } = {},
): DataflowError {
  return new DataflowError(code, kind, message, opts);
}

export function storeNotFound(what: 'run' | 'batch' | 'file', id: string | number): DataflowError {
  return storeError(STORE_ERRORS.notFound, 'not_found', `${what} ${id} does not exist`, { context: { [`${what}Id`]: id } });
}

export function storeClosed(op: string): DataflowError {
  return storeError(STORE_ERRORS.closed, 'internal', `store ${op}: the store is closed`, { context: { op } });
}

/** better-sqlite3's SqliteError carries SQLite's extended result code as a string, e.g. SQLITE_BUSY. */
function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/** Turns a SQLite failure inside store operation `op` into a store error; ours pass through. */
export function fromSqliteError(err: unknown, op: string): DataflowError {
  if (isDataflowError(err)) return err;
  const code = sqliteCode(err);
  const message = `store ${op}: ${errorMessage(err)}`;
  const opts = { context: { op, sqliteCode: code }, cause: err };
  if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') {
    return storeError(STORE_ERRORS.conflict, 'internal', message, opts);
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    return storeError(STORE_ERRORS.notFound, 'not_found', `${message} (a run or batch it refers to does not exist)`, opts);
  }
  if (code?.startsWith('SQLITE_BUSY') || code?.startsWith('SQLITE_LOCKED')) {
    return storeError(STORE_ERRORS.busy, 'transient', message, opts);
  }
  return storeError(STORE_ERRORS.failed, 'internal', message, opts);
}
