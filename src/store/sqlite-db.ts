import Database from 'better-sqlite3';
import { Semaphore } from '../lib/pool';
import { Db, SQLITE_DIALECT, SqlParam } from './db';

export interface SqliteDbOptions {
  /** How long a write waits for another process's write lock before failing as busy. */
  busyTimeoutMs?: number;
}

interface Connection {
  db: Database.Database;
  turn: Semaphore;
  statements: Map<string, Database.Statement<unknown[]>>;
  handles: number;
}

/** One connection per database file and process (see SqliteDb). */
const connections = new Map<string, Connection>();

/**
 * better-sqlite3 behind the async Db interface. Its calls are synchronous; a write transaction
 * is BEGIN IMMEDIATE … COMMIT around an async function, so one connection must not run anything
 * else meanwhile: every operation takes the connection's turn (a semaphore of one). Across
 * processes, BEGIN IMMEDIATE queues writers on busy_timeout instead of failing on a read-to-write
 * lock upgrade. Within a process, every store on one file shares one connection: a second
 * connection's BEGIN IMMEDIATE would block the only thread in SQLite's busy handler while the
 * first connection's transaction waits for that thread to finish.
 */
export class SqliteDb implements Db {
  readonly dialect = SQLITE_DIALECT;
  private readonly conn: Connection;
  private closed = false;

  constructor(filename: string, opts: SqliteDbOptions = {}) {
    const shared = filename === ':memory:' ? undefined : connections.get(filename);
    if (shared) {
      shared.handles++;
      this.conn = shared;
      return;
    }
    this.conn = { db: SqliteDb.connect(filename, opts), turn: new Semaphore(1), statements: new Map(), handles: 1 };
    if (filename !== ':memory:') connections.set(filename, this.conn);
  }

  private static connect(filename: string, opts: SqliteDbOptions): Database.Database {
    const db = new Database(filename, { timeout: opts.busyTimeoutMs ?? 5000 });
    try {
      db.pragma('journal_mode = WAL');
      // Exactly-once needs every state change durable before the next Platform call: if a
      // `completing` mark were lost after COMPLETE was sent, recovery would abort a batch Platform
      // accepted and ingest its files twice. WAL + NORMAL survives a process crash but may lose
      // the last commits on power loss or an OS crash; FULL fsyncs the WAL at each commit. Commits
      // happen per batch step, not per record, so that fsync is cheap.
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
    } catch (err) {
      db.close();
      throw err;
    }
    return db;
  }

  private get db(): Database.Database {
    return this.conn.db;
  }

  private get turn(): Semaphore {
    return this.conn.turn;
  }

  all<R>(sql: string, params: readonly SqlParam[] = []): Promise<R[]> {
    return this.turn.use(async () => this.direct.all<R>(sql, params));
  }

  get<R>(sql: string, params: readonly SqlParam[] = []): Promise<R | undefined> {
    return this.turn.use(async () => this.direct.get<R>(sql, params));
  }

  run(sql: string, params: readonly SqlParam[] = []): Promise<number> {
    return this.turn.use(async () => this.direct.run(sql, params));
  }

  exec(sql: string): Promise<void> {
    return this.turn.use(async () => this.direct.exec(sql));
  }

  write<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return this.turn.use(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.direct);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  /** BEGIN IMMEDIATE already serialises migrations across processes. */
  migrationLock<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.turn.use(async () => {
      if (--this.conn.handles > 0) return;
      for (const [name, c] of connections) if (c === this.conn) connections.delete(name);
      if (this.db.open) this.db.close();
    });
  }

  /** The connection without taking a turn: for code that already holds it (inside write). */
  private readonly direct: Db = {
    dialect: SQLITE_DIALECT,
    all: async <R>(sql: string, params: readonly SqlParam[] = []) => this.statement(sql).all(...params) as R[],
    get: async <R>(sql: string, params: readonly SqlParam[] = []) => this.statement(sql).get(...params) as R | undefined,
    run: async (sql: string, params: readonly SqlParam[] = []) => this.statement(sql).run(...params).changes,
    exec: async (sql: string) => void this.db.exec(sql),
    write: (fn) => fn(this.direct),
    migrationLock: (fn) => fn(),
    close: async () => undefined,
  };

  private statement(sql: string): Database.Statement<unknown[]> {
    let stmt = this.conn.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.conn.statements.set(sql, stmt);
    }
    return stmt;
  }
}
