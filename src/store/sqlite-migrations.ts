import type { Migration } from './migrations';

/**
 * The SQLite schema, as an ordered list of migrations (see migrations.ts). The PostgreSQL list
 * must keep the same versions, names, tables, columns and indexes; only types differ
 * (INTEGER → BIGINT, AUTOINCREMENT → GENERATED ALWAYS AS IDENTITY).
 *
 * Conventions:
 * - Times are epoch milliseconds in INTEGER columns, the same in every table.
 * - Enumerated states are plain TEXT without CHECK constraints: the TypeScript types guard them,
 *   and a new state must not force SQLite to rebuild a ledger of millions of rows.
 * - Nothing is ever deleted: history has no cap.
 */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'ledger, runs, batches, meta',
    sql: `
      CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        dataflow TEXT NOT NULL,
        triggered_by TEXT NOT NULL,
        status TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        finished_at INTEGER,
        files_taken INTEGER NOT NULL DEFAULT 0,
        files_ingested INTEGER NOT NULL DEFAULT 0,
        files_failed INTEGER NOT NULL DEFAULT 0,
        records_in INTEGER NOT NULL DEFAULT 0,
        records_out INTEGER NOT NULL DEFAULT 0,
        records_failed INTEGER NOT NULL DEFAULT 0,
        bytes INTEGER NOT NULL DEFAULT 0,
        batch_ids TEXT NOT NULL DEFAULT '[]',
        error TEXT
      );
      CREATE INDEX runs_by_dataflow ON runs (dataflow, started_at, id);
      CREATE INDEX runs_by_start ON runs (started_at, id);
      CREATE INDEX runs_running ON runs (started_at, id) WHERE status = 'running';

      CREATE TABLE batches (
        id TEXT PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs (id),
        dataflow TEXT NOT NULL,
        dataset TEXT NOT NULL,
        external_id TEXT NOT NULL,
        state TEXT NOT NULL,
        platform_status TEXT,
        records_in INTEGER,
        records_out INTEGER,
        records_failed INTEGER,
        error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX batches_by_run ON batches (run_id, created_at, id);
      CREATE INDEX batches_unsettled ON batches (created_at, id) WHERE state IN ('uploading', 'completing');

      -- The ledger: one row per file version. AUTOINCREMENT keeps ids strictly increasing even
      -- if rows were ever removed, because "newest version of a path" means "highest id".
      CREATE TABLE files (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        dataflow TEXT NOT NULL,
        path TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        size INTEGER NOT NULL,
        modified_at INTEGER NOT NULL,
        state TEXT NOT NULL,
        run_id TEXT NOT NULL REFERENCES runs (id),
        batch_id TEXT REFERENCES batches (id),
        records INTEGER,
        error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX files_latest ON files (dataflow, path, id);
      CREATE INDEX files_by_run ON files (run_id, id);
      CREATE INDEX files_by_batch ON files (batch_id, id) WHERE batch_id IS NOT NULL;
      CREATE INDEX files_unsettled ON files (id) WHERE state IN ('pending', 'uploading', 'completing');

      CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'row errors',
    sql: `
      -- Rows rejected before upload (mapping, conversion, schema), kept when the dataflow has
      -- ingestion.errorDiagnostics: history --run ID shows them.
      CREATE TABLE row_errors (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL REFERENCES runs (id),
        batch_id TEXT REFERENCES batches (id),
        file_id INTEGER REFERENCES files (id),
        file_path TEXT NOT NULL,
        row_number INTEGER,
        line_number INTEGER,
        column_name TEXT,
        field_path TEXT,
        code TEXT NOT NULL,
        message TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX row_errors_by_run ON row_errors (run_id, id);
      CREATE INDEX row_errors_by_batch ON row_errors (batch_id, id) WHERE batch_id IS NOT NULL;
    `,
  },
  {
    version: 3,
    name: 'run error kind and code',
    sql: `
      -- What kind of trouble ended a run (auth, not_found, permission, transient, data, …) and
      -- its stable code, next to the message: what alerting and the dashboard filter on.
      ALTER TABLE runs ADD COLUMN error_kind TEXT;
      ALTER TABLE runs ADD COLUMN error_code TEXT;
    `,
  },
];
