/*
 * Every error code dataflowd gives its errors, with its kind and what it means to the person
 * reading it (STYLE.md rules 7 and 14): errors.ts's factory takes only these codes, with their
 * kind, so an unknown code or a wrong kind fails the type-check; history and /metrics read it,
 * and the README's error table lists exactly these (test/lib/error-codes.test.ts). A run's error
 * may also carry a code of Platform's own (a batch's "INGEST-1212-400"): those are Platform's.
 */

/** What callers do about an error: retry it (transient), give up, report it as config… */
export type ErrorKind = 'auth' | 'not_found' | 'permission' | 'transient' | 'config' | 'unsupported' | 'platform' | 'data' | 'internal';

export interface ErrorCodeInfo {
  kind: ErrorKind;
  /** What happened and what to do, for people. */
  message: string;
  /**
   * The file's own bytes cannot be sent (broken gzip, CSV, JSON or Parquet, a name Platform
   * cannot take): final for this version, like a file Platform refused; the batch goes on without it.
   */
  contentRejection?: true;
}

export const ERROR_CODES = {
  ERR_CONFIG_CONNECTION: { kind: 'config', message: 'A dataflow names a connection dataflowd.yaml does not define.' },
  ERR_CONFIG_DURATION: { kind: 'config', message: 'Not a duration: write it like 30s, 15m or 2h.' },
  ERR_CONFIG_SIZE: { kind: 'config', message: 'Not a size: write it like 256MB or 1GiB.' },
  ERR_CONFIG_GLOB: { kind: 'config', message: 'An include or exclude pattern is not a valid glob.' },
  ERR_DATASET_NOT_FOUND: { kind: 'config', message: 'target.dataset is neither the id nor the name of a dataset in Platform (or the emulator).' },

  ERR_SOURCE_AUTH: { kind: 'auth', message: 'The storage refused the credentials of the connection.' },
  ERR_SOURCE_NOT_FOUND: { kind: 'not_found', message: 'A folder or file is not on the storage (a file gone since listing is recorded as vanished).' },
  ERR_SOURCE_PERMISSION: { kind: 'permission', message: 'The connection may not read (or delete, move) there.' },
  ERR_SOURCE_TRANSIENT: { kind: 'transient', message: 'Trouble reaching the storage (network, timeout, server busy): tried again, then the next run takes the file.' },
  ERR_SOURCE_CONFIG: { kind: 'config', message: "The connection's settings do not fit the server (host key, TLS, endpoint, bucket)." },
  ERR_SOURCE_UNSUPPORTED: { kind: 'unsupported', message: 'The storage cannot do what the dataflow asks (e.g. afterIngest: move).' },
  ERR_SOURCE_UNSAFE_PATH: { kind: 'config', message: "A path leads outside the connection's root ('..', a symlink out): refused." },

  ERR_PREP_CSV_HEADER: { kind: 'data', message: 'The CSV file has an empty header row.', contentRejection: true },
  ERR_PREP_CSV_SYNTAX: { kind: 'data', message: 'The CSV file is broken (an unclosed quote) and cannot be read past that point.', contentRejection: true },
  ERR_PREP_JSON_OUTLINE: { kind: 'data', message: 'The JSON file is broken in its outline and cannot be read past that point.', contentRejection: true },
  ERR_PREP_GZIP_CORRUPT: { kind: 'data', message: 'The .gz file is not valid gzip.', contentRejection: true },
  ERR_PREP_GZIP_TRUNCATED: { kind: 'data', message: 'The .gz file ends before its gzip stream does (still being written, or cut short).', contentRejection: true },
  ERR_PREP_GZIP_TOO_LARGE: { kind: 'data', message: 'The .gz file inflates past format.maxInflatedSize (a gzip bomb?).', contentRejection: true },
  ERR_PREP_PARQUET: { kind: 'data', message: 'The file is not a readable Parquet file.', contentRejection: true },
  ERR_PREP_MAPPING: { kind: 'config', message: 'A mapping field cannot be applied (its target path or type).' },
  ERR_PREP_SCHEMA: { kind: 'config', message: "The dataset's JSON Schema does not compile." },
  ERR_PREP_WORKER: { kind: 'internal', message: 'Converting a file on a worker thread failed: a bug, please report it.' },
  ERR_FILE_CHANGED: { kind: 'transient', message: 'The file changed while it was read: it is read again.' },

  ERR_IMS_AUTH: { kind: 'auth', message: 'Adobe IMS refused the client id or secret.' },
  ERR_IMS_BAD_RESPONSE: { kind: 'auth', message: 'Adobe IMS answered without an access token.' },
  ERR_IMS_UNAVAILABLE: { kind: 'transient', message: 'Adobe IMS could not be reached or was busy: tried again.' },
  ERR_PLATFORM_UNAUTHORIZED: { kind: 'auth', message: 'Platform refused the access token (the API key or org may be wrong).' },
  ERR_PLATFORM_FORBIDDEN: { kind: 'auth', message: 'Platform refused the call: the client lacks a permission, or the sandbox is wrong.' },
  ERR_PLATFORM_TOKEN_EXPIRED: { kind: 'transient', message: 'Platform refused an expired token: a new one is used.' },
  ERR_PLATFORM_THROTTLED: { kind: 'transient', message: 'Platform asked to slow down (429): tried again after the wait it asked for.' },
  ERR_PLATFORM_UNAVAILABLE: { kind: 'transient', message: 'Platform answered 5xx or 408: tried again.' },
  ERR_PLATFORM_NETWORK: { kind: 'transient', message: 'Platform could not be reached (connection refused, reset, timed out): tried again.' },
  ERR_PLATFORM_UPLOAD_INTERRUPTED: { kind: 'transient', message: "An upload was cut off after its body was sent: the file is read from its source again." },
  ERR_PLATFORM_NOT_FOUND: { kind: 'platform', message: 'Platform has no such batch, dataset or file.' },
  ERR_PLATFORM_REJECTED: { kind: 'platform', message: 'Platform refused the request (4xx); its answer says why.' },
  ERR_PLATFORM_BAD_RESPONSE: { kind: 'platform', message: 'Platform answered something the client cannot read.' },
  ERR_PLATFORM_BATCH_STATUS_UNKNOWN: { kind: 'platform', message: 'A batch stayed in a status Platform does not document: taken as neither success nor failure.' },
  ERR_PLATFORM_BATCH_WAIT_TIMEOUT: { kind: 'transient', message: 'A batch was still processing when the wait ended: the next run looks it up.' },
  ERR_PLATFORM_FILE_PATH: { kind: 'data', message: "The file's name cannot be a file name on Platform.", contentRejection: true },
  ERR_PLATFORM_UPLOAD_SIZE_MISMATCH: { kind: 'data', message: 'The file had more or fewer bytes than its size said while it was uploaded.' },
  ERR_PLATFORM_UPLOAD_SETTINGS: { kind: 'config', message: 'Invalid large-file upload settings (chunk size, chunks in flight).' },
  ERR_PLATFORM_NO_SCHEMA: { kind: 'config', message: "The Schema Registry has no schema for the target dataset: give mapping.schema." },
  ERR_PLATFORM_REQUEST: { kind: 'internal', message: 'A request to Platform could not be made: a bug, please report it.' },
  ERR_EMULATOR_SCHEMA: { kind: 'config', message: "A dataset's JSON Schema in platform.datasets does not compile." },

  ERR_STORE_URL: { kind: 'config', message: 'state.url is not sqlite:PATH, sqlite::memory: or postgres://USER@HOST:PORT/DB.' },
  ERR_STORE_OPEN: { kind: 'config', message: 'The SQLite state file cannot be opened or created (folder missing or read-only?).' },
  ERR_STORE_UNREACHABLE: { kind: 'transient', message: 'The PostgreSQL state database cannot be reached.' },
  ERR_STORE_BUSY: { kind: 'transient', message: 'The state database stayed locked by another writer: tried again.' },
  ERR_STORE_SCHEMA_NEWER: { kind: 'config', message: 'The state database was written by a newer dataflowd: upgrade this one.' },
  ERR_STORE_SCHEMA_MISMATCH: { kind: 'config', message: "The state database's migrations disagree with this dataflowd's." },
  ERR_STORE_NOT_FOUND: { kind: 'not_found', message: 'A run, batch or file the store was asked about does not exist.' },
  ERR_STORE_CONFLICT: { kind: 'internal', message: 'A row with this id already exists in the state database.' },
  ERR_STORE_CLOSED: { kind: 'internal', message: 'The state database was used after it was closed: a bug, please report it.' },
  ERR_STORE_INVALID_ARGUMENT: { kind: 'internal', message: 'The store was asked something it cannot do: a bug, please report it.' },
  ERR_STORE: { kind: 'internal', message: 'The state database failed; the message says how.' },
  ERR_LEASE_LOST: { kind: 'transient', message: 'Another process took the dataflow over (this one stalled past its lease): this run stops, the other goes on.' },

  ERR_DATAFLOW_BUSY: { kind: 'transient', message: 'Another process is running the dataflow: not run now (run --wait waits for it).' },
  ERR_RUN_DEADLINE: { kind: 'transient', message: 'The run went on past ingestion.runTimeout and was stopped; the next run settles it.' },
  ERR_RUN_INTERRUPTED: { kind: 'transient', message: 'The process running it died or was stopped; the next run settled what it left.' },
  ERR_LEDGER_EMPTY: { kind: 'config', message: "The ledger holds nothing for the dataflow but Platform holds its batches: dataflowd ledger rebuild NAME, or run --accept-empty-ledger." },
  ERR_LEDGER_NOT_EMPTY: { kind: 'config', message: 'ledger rebuild writes only an empty ledger: this one already holds the dataflow’s files.' },
  ERR_CANCELLED: { kind: 'transient', message: 'Stopped by the user (Ctrl-C) or by a stop of dataflowd.' },
  ERR_ABORTED: { kind: 'transient', message: 'An operation was aborted (a stop, a deadline).' },
  ERR_INTERNAL: { kind: 'internal', message: 'An unexpected error: a bug, please report it with the log.' },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The kind a code's errors have. */
export type KindOf<C extends ErrorCode> = (typeof ERROR_CODES)[C]['kind'];

export function isErrorCode(code: string | null | undefined): code is ErrorCode {
  return code !== null && code !== undefined && Object.hasOwn(ERROR_CODES, code);
}

/** What the catalogue says of a code, with whether lib/retry tries it again (its kind is transient). */
export function errorCodeInfo(code: string | null | undefined): (ErrorCodeInfo & { code: ErrorCode; retryable: boolean }) | undefined {
  if (!isErrorCode(code)) return undefined;
  const info: ErrorCodeInfo = ERROR_CODES[code];
  return { ...info, code, retryable: info.kind === 'transient' };
}
