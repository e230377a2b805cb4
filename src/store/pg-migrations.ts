import type { Migration } from './migrations';

/**
 * The PostgreSQL schema: the same versions, names, tables, columns and indexes as
 * sqlite-migrations.ts, in PostgreSQL's types. Times are epoch milliseconds in BIGINT columns, as
 * in SQLite, so that both stores run the same queries. No release ever wrote a PostgreSQL
 * database before version 4, so its `meta` table is always empty when version 4 drops it.
 */
export const PG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'ledger, runs, batches, meta',
    sql: `
      CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        dataflow TEXT NOT NULL,
        triggered_by TEXT NOT NULL,
        status TEXT NOT NULL,
        started_at BIGINT NOT NULL,
        finished_at BIGINT,
        files_taken BIGINT NOT NULL DEFAULT 0,
        files_ingested BIGINT NOT NULL DEFAULT 0,
        files_failed BIGINT NOT NULL DEFAULT 0,
        records_in BIGINT NOT NULL DEFAULT 0,
        records_out BIGINT NOT NULL DEFAULT 0,
        records_failed BIGINT NOT NULL DEFAULT 0,
        bytes BIGINT NOT NULL DEFAULT 0,
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
        records_in BIGINT,
        records_out BIGINT,
        records_failed BIGINT,
        error TEXT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      );
      CREATE INDEX batches_by_run ON batches (run_id, created_at, id);
      CREATE INDEX batches_unsettled ON batches (created_at, id) WHERE state IN ('uploading', 'completing');

      CREATE TABLE files (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        dataflow TEXT NOT NULL,
        path TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        size BIGINT NOT NULL,
        modified_at BIGINT NOT NULL,
        state TEXT NOT NULL,
        run_id TEXT NOT NULL REFERENCES runs (id),
        batch_id TEXT REFERENCES batches (id),
        records BIGINT,
        error TEXT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      );
      CREATE INDEX files_latest ON files (dataflow, path, id);
      CREATE INDEX files_by_run ON files (run_id, id);
      CREATE INDEX files_by_batch ON files (batch_id, id) WHERE batch_id IS NOT NULL;
      CREATE INDEX files_unsettled ON files (id) WHERE state IN ('pending', 'uploading', 'completing');

      CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at BIGINT NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'row errors',
    sql: `
      CREATE TABLE row_errors (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs (id),
        batch_id TEXT REFERENCES batches (id),
        file_id BIGINT REFERENCES files (id),
        file_path TEXT NOT NULL,
        row_number BIGINT,
        line_number BIGINT,
        column_name TEXT,
        field_path TEXT,
        code TEXT NOT NULL,
        message TEXT NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX row_errors_by_run ON row_errors (run_id, id);
      CREATE INDEX row_errors_by_batch ON row_errors (batch_id, id) WHERE batch_id IS NOT NULL;
    `,
  },
  {
    version: 3,
    name: 'run error kind and code',
    sql: `
      ALTER TABLE runs ADD COLUMN error_kind TEXT;
      ALTER TABLE runs ADD COLUMN error_code TEXT;
    `,
  },
  {
    version: 4,
    name: 'leases, tick claims, typed state',
    sql: `
      CREATE TABLE leases (
        dataflow TEXT PRIMARY KEY,
        token BIGINT NOT NULL,
        process_id TEXT NOT NULL,
        host TEXT NOT NULL,
        pid BIGINT NOT NULL,
        acquired_at BIGINT NOT NULL,
        heartbeat_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        released_at BIGINT
      );
      CREATE TABLE tick_claims (
        dataflow TEXT NOT NULL,
        due_at BIGINT NOT NULL,
        process_id TEXT NOT NULL,
        claimed_at BIGINT NOT NULL,
        PRIMARY KEY (dataflow, due_at)
      );

      ALTER TABLE runs ADD COLUMN process_id TEXT;
      ALTER TABLE runs ADD COLUMN host TEXT;
      ALTER TABLE runs ADD COLUMN pid BIGINT;
      ALTER TABLE runs ADD COLUMN files_refused BIGINT NOT NULL DEFAULT 0;
      CREATE INDEX runs_running_by_dataflow ON runs (dataflow, started_at, id) WHERE status = 'running';

      ALTER TABLE files ADD COLUMN supersedes BIGINT NOT NULL DEFAULT 0;
      CREATE UNIQUE INDEX files_chain ON files (dataflow, path, supersedes);
      CREATE UNIQUE INDEX files_one_in_flight ON files (dataflow, path) WHERE state IN ('pending', 'uploading', 'completing');
      DROP INDEX files_unsettled;
      CREATE INDEX files_unsettled ON files (dataflow, id) WHERE state IN ('pending', 'uploading', 'completing');
      DROP INDEX batches_unsettled;
      CREATE INDEX batches_unsettled ON batches (dataflow, created_at, id) WHERE state IN ('uploading', 'completing');

      CREATE TABLE seen_versions (
        dataflow TEXT NOT NULL,
        path TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        seen_at BIGINT NOT NULL,
        PRIMARY KEY (dataflow, path)
      );
      CREATE TABLE backfill_marks (
        dataflow TEXT PRIMARY KEY,
        since BIGINT NOT NULL
      );
      CREATE TABLE once_runs (
        dataflow TEXT PRIMARY KEY,
        definition_hash TEXT NOT NULL,
        run_id TEXT NOT NULL,
        ran_at BIGINT NOT NULL
      );
      CREATE TABLE batch_intents (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        external_id TEXT NOT NULL UNIQUE,
        run_id TEXT NOT NULL REFERENCES runs (id),
        created_at BIGINT NOT NULL
      );
      CREATE INDEX batch_intents_by_run ON batch_intents (run_id, id);
      CREATE TABLE after_ingest_owed (
        batch_id TEXT PRIMARY KEY REFERENCES batches (id),
        dataflow TEXT NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX after_ingest_owed_by_dataflow ON after_ingest_owed (dataflow, created_at);
      DROP TABLE meta;
    `,
  },
  {
    version: 5,
    name: 'notification outbox',
    sql: `
      CREATE TABLE notifications (
        id TEXT PRIMARY KEY,
        dataflow TEXT NOT NULL,
        run_id TEXT REFERENCES runs (id),
        event TEXT NOT NULL,
        webhook TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        body TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts BIGINT NOT NULL DEFAULT 0,
        next_at BIGINT NOT NULL,
        claimed_by TEXT,
        claim_expires_at BIGINT,
        last_status BIGINT,
        last_error TEXT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        delivered_at BIGINT
      );
      CREATE INDEX notifications_due ON notifications (next_at, id) WHERE state = 'pending';
      CREATE INDEX notifications_by_run ON notifications (run_id, id);
      CREATE INDEX notifications_by_created ON notifications (created_at, id);
      CREATE INDEX notifications_by_dataflow ON notifications (dataflow, created_at, id);
    `,
  },
  {
    version: 6,
    name: 'ledger marks',
    sql: `
      -- How a dataflow's ledger began when Platform may already hold its data: checked against
      -- Catalog and found new, rebuilt from Catalog (ledger rebuild), or started empty on
      -- purpose (run --accept-empty-ledger). A dataflow with neither a mark nor a ledger entry
      -- is checked against Catalog before it runs (src/run/ledger-guard.ts).
      CREATE TABLE ledger_marks (
        dataflow TEXT PRIMARY KEY,
        how TEXT NOT NULL,
        detail TEXT,
        marked_at BIGINT NOT NULL
      );
    `,
  },
];
