import { createHash } from 'node:crypto';
import { Pool, PoolClient, QueryResultRow, types } from 'pg';
import type { Logger } from '../lib/logger';
import { Db, POSTGRES_DIALECT, SqlParam } from './db';

export interface PgDbOptions {
  logger?: Logger;
  /** Connections the process keeps open at most. */
  maxConnections?: number;
}

/** Any number that fits the key space: the advisory lock dataflowd's migrations take. */
const MIGRATION_LOCK = 7_240_517_301;

/** BIGINT (oid 20) as a number: ids, counts and epoch milliseconds stay below 2^53. */
const TYPES = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === 20 ? (value: string) => Number(value) : (types.getTypeParser as (o: number, f?: string) => unknown)(oid, format),
};

const numbered = new Map<string, { text: string; name: string }>();

/** `?` → `$1, $2, …` (the store's SQL has no `?` inside literals), and a statement name per text. */
function prepared(sql: string): { text: string; name: string } {
  let found = numbered.get(sql);
  if (!found) {
    let n = 0;
    const text = sql.replace(/\?/g, () => `$${++n}`);
    found = { text, name: `dataflowd-${createHash('sha1').update(text).digest('hex').slice(0, 20)}` };
    numbered.set(sql, found);
  }
  return found;
}

type Queryable = Pool | PoolClient;

async function query<R extends QueryResultRow>(on: Queryable, sql: string, params: readonly SqlParam[]): Promise<{ rows: R[]; rowCount: number }> {
  const { text, name } = prepared(sql);
  const result = await on.query<R>({ name, text, values: [...params] });
  return { rows: result.rows, rowCount: result.rowCount ?? 0 };
}

function over(on: Queryable, write: Db['write'], migrationLock: Db['migrationLock']): Db {
  return {
    dialect: POSTGRES_DIALECT,
    all: async <R>(sql: string, params: readonly SqlParam[] = []) => (await query<QueryResultRow>(on, sql, params)).rows as R[],
    get: async <R>(sql: string, params: readonly SqlParam[] = []) => (await query<QueryResultRow>(on, sql, params)).rows[0] as R | undefined,
    run: async (sql: string, params: readonly SqlParam[] = []) => (await query(on, sql, params)).rowCount,
    exec: async (sql: string) => void (await on.query(sql)),
    write,
    migrationLock,
    close: async () => undefined,
  };
}

/**
 * PostgreSQL through a pg connection pool, for several replicas on one database. Reads go to any
 * pooled connection; a write transaction holds one connection from BEGIN to COMMIT.
 */
export class PgDb implements Db {
  readonly dialect = POSTGRES_DIALECT;
  private readonly pool: Pool;
  private readonly pooled: Db;

  constructor(url: string, opts: PgDbOptions = {}) {
    this.pool = new Pool({ connectionString: url, max: opts.maxConnections ?? 8, connectionTimeoutMillis: 10_000, types: TYPES });
    // An idle connection that breaks (the server restarted) must not crash the process.
    this.pool.on('error', (err) => opts.logger?.warn({ err: err.message }, 'PostgreSQL connection lost; it will be replaced'));
    this.pooled = over(this.pool, (fn) => this.write(fn), (fn) => this.migrationLock(fn));
  }

  all<R>(sql: string, params?: readonly SqlParam[]): Promise<R[]> {
    return this.pooled.all<R>(sql, params);
  }

  get<R>(sql: string, params?: readonly SqlParam[]): Promise<R | undefined> {
    return this.pooled.get<R>(sql, params);
  }

  run(sql: string, params?: readonly SqlParam[]): Promise<number> {
    return this.pooled.run(sql, params);
  }

  exec(sql: string): Promise<void> {
    return this.pooled.exec(sql);
  }

  async write<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const tx = over(client, (inner) => inner(tx), (inner) => inner());
      const result = await fn(tx);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: Error) => (broken = rollbackErr));
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /** A session advisory lock: replicas that start together migrate one after the other. */
  async migrationLock<T>(fn: () => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      try {
        return await fn();
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
      }
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }
}
