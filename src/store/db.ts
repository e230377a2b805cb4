/**
 * What the store needs of a SQL database, so that one Store (sql-store.ts) runs on SQLite and on
 * PostgreSQL. Queries are written once with `?` placeholders; the dialect supplies the few
 * fragments that differ (lists bound as one JSON parameter, row locks).
 */
export type SqlParam = string | number | null;

export interface Dialect {
  name: 'sqlite' | 'postgres';
  /** A FROM item of the text values of a JSON array parameter, as `alias.value`. */
  textList(alias: string): string;
  /** A subquery of the ids in one parameter, bound as `ids(...)`. */
  idList: string;
  ids(values: readonly number[]): string;
  /** Appended to a SELECT inside a write: locks the rows read until the transaction ends. */
  forUpdate: string;
  /** Like forUpdate, but lets other readers lock the same rows for share too. */
  forShare: string;
}

export interface Db {
  readonly dialect: Dialect;
  all<R>(sql: string, params?: readonly SqlParam[]): Promise<R[]>;
  get<R>(sql: string, params?: readonly SqlParam[]): Promise<R | undefined>;
  /** A statement that changes rows; answers how many. */
  run(sql: string, params?: readonly SqlParam[]): Promise<number>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** One write transaction around fn; its queries go through `tx`. All or nothing. */
  write<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /** Runs fn while no other process migrates the same database. */
  migrationLock<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export const SQLITE_DIALECT: Dialect = {
  name: 'sqlite',
  textList: (alias) => `json_each(?) AS ${alias}`,
  idList: 'SELECT value FROM json_each(?)',
  ids: (values) => JSON.stringify(values),
  forUpdate: '',
  forShare: '',
};

export const POSTGRES_DIALECT: Dialect = {
  name: 'postgres',
  textList: (alias) => `jsonb_array_elements_text(?::jsonb) AS ${alias}(value)`,
  // An array parameter plans as a hash of known size; a JSON set-returning function does not.
  idList: 'SELECT unnest(?::bigint[])',
  ids: (values) => `{${values.join(',')}}`,
  forUpdate: ' FOR UPDATE',
  forShare: ' FOR SHARE',
};
