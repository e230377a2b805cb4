import type { Migration } from './migrations';

/**
 * The SQLite schema, as an ordered list of migrations (see migrations.ts). The PostgreSQL list
 * (pg-migrations.ts) keeps the same versions, names, tables, columns and indexes; only types
 * differ (INTEGER → BIGINT, AUTOINCREMENT → GENERATED ALWAYS AS IDENTITY).
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
  {
    version: 4,
    name: 'leases, tick claims, typed state',
    sql: `
      -- Who runs each dataflow now: one row per dataflow, kept after release so that the token
      -- only grows. Every write of a run checks its token against this row (the fence).
      CREATE TABLE leases (
        dataflow TEXT PRIMARY KEY,
        token INTEGER NOT NULL,
        process_id TEXT NOT NULL,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        acquired_at INTEGER NOT NULL,
        heartbeat_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        released_at INTEGER
      );

      -- A scheduled tick runs once across replicas: the replica whose insert succeeds runs it.
      CREATE TABLE tick_claims (
        dataflow TEXT NOT NULL,
        due_at INTEGER NOT NULL,
        process_id TEXT NOT NULL,
        claimed_at INTEGER NOT NULL,
        PRIMARY KEY (dataflow, due_at)
      );

      -- Which process ran each run (null for runs recorded before this migration), and the files it
      -- could not take for their names.
      ALTER TABLE runs ADD COLUMN process_id TEXT;
      ALTER TABLE runs ADD COLUMN host TEXT;
      ALTER TABLE runs ADD COLUMN pid INTEGER;
      ALTER TABLE runs ADD COLUMN files_refused INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX runs_running_by_dataflow ON runs (dataflow, started_at, id) WHERE status = 'running';

      -- Each ledger entry names the entry of its path it succeeds (0: none), and the database
      -- refuses a second successor: two processes that read the same ledger cannot both take a
      -- file. Existing entries succeed the entry before them.
      ALTER TABLE files ADD COLUMN supersedes INTEGER NOT NULL DEFAULT 0;
      UPDATE files SET supersedes = coalesce(
        (SELECT max(p.id) FROM files p WHERE p.dataflow = files.dataflow AND p.path = files.path AND p.id < files.id), 0);
      UPDATE files SET state = 'error', error = 'superseded by a newer version while in progress (state migration 4)'
        WHERE state IN ('pending', 'uploading', 'completing') AND EXISTS (
          SELECT 1 FROM files n WHERE n.dataflow = files.dataflow AND n.path = files.path AND n.id > files.id
            AND n.state IN ('pending', 'uploading', 'completing'));
      CREATE UNIQUE INDEX files_chain ON files (dataflow, path, supersedes);
      CREATE UNIQUE INDEX files_one_in_flight ON files (dataflow, path) WHERE state IN ('pending', 'uploading', 'completing');
      DROP INDEX files_unsettled;
      CREATE INDEX files_unsettled ON files (dataflow, id) WHERE state IN ('pending', 'uploading', 'completing');
      DROP INDEX batches_unsettled;
      CREATE INDEX batches_unsettled ON batches (dataflow, created_at, id) WHERE state IN ('uploading', 'completing');

      -- The small facts that lived in meta under key prefixes, each in a table of its own.
      CREATE TABLE seen_versions (
        dataflow TEXT NOT NULL,
        path TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        seen_at INTEGER NOT NULL,
        PRIMARY KEY (dataflow, path)
      );
      CREATE TABLE backfill_marks (
        dataflow TEXT PRIMARY KEY,
        since INTEGER NOT NULL
      );
      CREATE TABLE once_runs (
        dataflow TEXT PRIMARY KEY,
        definition_hash TEXT NOT NULL,
        run_id TEXT NOT NULL,
        ran_at INTEGER NOT NULL
      );
      CREATE TABLE batch_intents (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        external_id TEXT NOT NULL UNIQUE,
        run_id TEXT NOT NULL REFERENCES runs (id),
        created_at INTEGER NOT NULL
      );
      CREATE INDEX batch_intents_by_run ON batch_intents (run_id, id);
      CREATE TABLE after_ingest_owed (
        batch_id TEXT PRIMARY KEY REFERENCES batches (id),
        dataflow TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX after_ingest_owed_by_dataflow ON after_ingest_owed (dataflow, created_at);

      -- seen:DATAFLOW:PATH → {fingerprint, at}; dataflow names have no colon, paths may.
      INSERT INTO seen_versions (dataflow, path, fingerprint, seen_at)
        SELECT substr(key, 6, instr(substr(key, 6), ':') - 1), substr(key, 6 + instr(substr(key, 6), ':')),
               json_extract(value, '$.fingerprint'), json_extract(value, '$.at')
        FROM meta WHERE substr(key, 1, 5) = 'seen:' AND instr(substr(key, 6), ':') > 1;
      -- backfill-from:DATAFLOW → ISO instant
      INSERT INTO backfill_marks (dataflow, since)
        SELECT substr(key, 15), CAST(round(unixepoch(value, 'subsec') * 1000) AS INTEGER)
        FROM meta WHERE substr(key, 1, 14) = 'backfill-from:' AND unixepoch(value) IS NOT NULL;
      -- once:DATAFLOW → {hash, runId, at}
      INSERT INTO once_runs (dataflow, definition_hash, run_id, ran_at)
        SELECT substr(key, 6), json_extract(value, '$.hash'), json_extract(value, '$.runId'),
               CAST(round(unixepoch(json_extract(value, '$.at'), 'subsec') * 1000) AS INTEGER)
        FROM meta WHERE substr(key, 1, 5) = 'once:';
      -- batch-intents:RUN → [externalId, …] in the order the run wrote them
      INSERT OR IGNORE INTO batch_intents (external_id, run_id, created_at)
        SELECT j.value, substr(m.key, 15), m.updated_at
        FROM meta m, json_each(m.value) j
        WHERE substr(m.key, 1, 14) = 'batch-intents:' AND EXISTS (SELECT 1 FROM runs r WHERE r.id = substr(m.key, 15))
        ORDER BY m.key, j.key;
      -- after-ingest-owed:DATAFLOW → [batchId, …]
      INSERT OR IGNORE INTO after_ingest_owed (batch_id, dataflow, created_at)
        SELECT j.value, substr(m.key, 19), m.updated_at
        FROM meta m, json_each(m.value) j
        WHERE substr(m.key, 1, 18) = 'after-ingest-owed:' AND EXISTS (SELECT 1 FROM batches b WHERE b.id = j.value);
      DROP TABLE meta;
    `,
  },
  {
    version: 5,
    name: 'notification outbox',
    sql: `
      -- Webhook notifications waiting to be delivered, written in the transaction that closes their
      -- run: a crash cannot lose one. Any process drains it; claimed_by/claim_expires_at make one
      -- delivery attempt at a time per row. The webhook is named by a hash of its URL (a URL may be
      -- a secret, a Slack hook's is), found again in the config when delivering; its secret is never
      -- kept here.
      CREATE TABLE notifications (
        id TEXT PRIMARY KEY,
        dataflow TEXT NOT NULL,
        run_id TEXT REFERENCES runs (id),
        event TEXT NOT NULL,
        webhook TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        body TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at INTEGER NOT NULL,
        claimed_by TEXT,
        claim_expires_at INTEGER,
        last_status INTEGER,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        delivered_at INTEGER
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
        marked_at INTEGER NOT NULL
      );
    `,
  },
];
