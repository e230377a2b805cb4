import { dataflowError, type DataflowError, type ErrorCode, errorMessage, isDataflowError, type KindOf } from '../lib/errors';

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
  /** The database cannot be reached (PostgreSQL down, refused, timed out). */
  unreachable: 'ERR_STORE_UNREACHABLE',
  /** A write whose fencing token is no longer its dataflow's lease: another process took over. */
  leaseLost: 'ERR_LEASE_LOST',
  /** The SQLite state file cannot be opened or created. */
  open: 'ERR_STORE_OPEN',
  failed: 'ERR_STORE',
} as const satisfies Record<string, ErrorCode>;

export type StoreErrorCode = (typeof STORE_ERRORS)[keyof typeof STORE_ERRORS];

export function storeError<C extends StoreErrorCode>(
  code: C,
  kind: KindOf<C>,
  message: string,
  opts: { context?: Record<string, unknown>; cause?: unknown } = {},
): DataflowError {
  return dataflowError(code, kind, message, opts);
}

export function storeNotFound(what: 'run' | 'batch' | 'file', id: string | number): DataflowError {
  return storeError(STORE_ERRORS.notFound, 'not_found', `${what} ${id} does not exist`, { context: { [`${what}Id`]: id } });
}

export function storeClosed(op: string): DataflowError {
  return storeError(STORE_ERRORS.closed, 'internal', `store ${op}: the store is closed`, { context: { op } });
}

export function leaseLost(dataflow: string, token: number, current: { token: number; released: boolean } | undefined): DataflowError {
  const now =
    current === undefined ? 'nobody holds it' : current.token !== token ? `token ${current.token} holds it now` : 'it was released';
  return storeError(
    STORE_ERRORS.leaseLost,
    'transient',
    `dataflow ${dataflow}: this process no longer holds its lease (token ${token}; ${now}): its writes are refused`,
    { context: { dataflow, token, current: current?.token } },
  );
}

/** better-sqlite3's SqliteError carries SQLite's extended result code as a string, e.g. SQLITE_BUSY. */
function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/** pg's DatabaseError carries the five-character SQLSTATE, e.g. 23505 for a unique violation. */
function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** Node's socket errors, as pg passes them on when the server cannot be reached. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/** Turns a database failure inside store operation `op` into a store error; ours pass through. */
export function fromDbError(err: unknown, op: string): DataflowError {
  if (isDataflowError(err)) return err;
  const message = `store ${op}: ${errorMessage(err)}`;
  const code = sqliteCode(err);
  if (code !== undefined) return fromSqliteCode(code, message, { context: { op, sqliteCode: code }, cause: err });
  const state = sqlState(err);
  const opts = { context: { op, sqlState: state }, cause: err };
  if (state === '23505') return storeError(STORE_ERRORS.conflict, 'internal', message, opts);
  if (state === '23503') return storeError(STORE_ERRORS.notFound, 'not_found', `${message} (a run or batch it refers to does not exist)`, opts);
  // Serialization failure, deadlock, lock timeout: a later attempt may pass.
  if (state === '40001' || state === '40P01' || state === '55P03') return storeError(STORE_ERRORS.busy, 'transient', message, opts);
  // Connection exceptions (08…), the server shutting down (57P…), too many connections (53300).
  const sysCode = (err as { code?: unknown } | null)?.code;
  const network = typeof sysCode === 'string' && NETWORK_CODES.has(sysCode);
  if (network || state?.startsWith('08') || state?.startsWith('57P') || state === '53300' || /timeout exceeded when trying to connect|Connection terminated/i.test(errorMessage(err))) {
    return storeError(STORE_ERRORS.unreachable, 'transient', message, opts);
  }
  return storeError(STORE_ERRORS.failed, 'internal', message, opts);
}

function fromSqliteCode(code: string, message: string, opts: { context: Record<string, unknown>; cause: unknown }): DataflowError {
  if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') {
    return storeError(STORE_ERRORS.conflict, 'internal', message, opts);
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    return storeError(STORE_ERRORS.notFound, 'not_found', `${message} (a run or batch it refers to does not exist)`, opts);
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return storeError(STORE_ERRORS.busy, 'transient', message, opts);
  }
  return storeError(STORE_ERRORS.failed, 'internal', message, opts);
}
