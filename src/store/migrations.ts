import type { Logger } from '../lib/logger';
import type { Db } from './db';
import { statements } from './queries';
import { STORE_ERRORS, storeError } from './store-errors';

/**
 * Versioned schema migrations. Each database keeps its own ordered list in its own SQL dialect
 * (sqlite-migrations.ts, pg-migrations.ts) with the same versions and names, records what it
 * applied in `schema_migrations(version, name, applied_at)`, and asks `pendingMigrations` what is
 * left to do.
 */
export interface Migration {
  /** 1, 2, 3, … without gaps; never renumbered or edited once released. */
  version: number;
  name: string;
  /** One or more statements, applied in one transaction together with its schema_migrations row. */
  sql: string;
}

export interface AppliedMigration {
  version: number;
  name: string;
}

/** Throws unless versions run 1, 2, 3, … with unique names: a broken list is a programming error. */
export function checkMigrationList(known: readonly Migration[]): void {
  known.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw storeError(STORE_ERRORS.failed, 'internal', `migration list is out of order: #${i} has version ${m.version}, expected ${i + 1}`);
    }
  });
}

/**
 * The known migrations not yet applied, in order. Refuses a database whose history this build
 * cannot explain: a version above the highest known one means a newer dataflowd created or
 * upgraded it, and running old code on a newer schema could break exactly-once.
 */
export function pendingMigrations(known: readonly Migration[], applied: readonly AppliedMigration[]): Migration[] {
  checkMigrationList(known);
  const latestKnown = known.length;
  const latestApplied = applied.reduce((max, m) => Math.max(max, m.version), 0);
  if (latestApplied > latestKnown) {
    throw storeError(
      STORE_ERRORS.schemaNewer,
      'config',
      `the state database has schema version ${latestApplied}, but this dataflowd knows versions up to ${latestKnown}: ` +
        'it was created by a newer dataflowd; upgrade dataflowd or point state.url at another database',
      { context: { schemaVersion: latestApplied, knownVersion: latestKnown } },
    );
  }
  const appliedByVersion = new Map(applied.map((m) => [m.version, m.name]));
  for (const m of known) {
    const name = appliedByVersion.get(m.version);
    if (name !== undefined && name !== m.name) {
      throw storeError(
        STORE_ERRORS.schemaMismatch,
        'config',
        `the state database applied migration ${m.version} as "${name}", but this dataflowd calls it "${m.name}"`,
        { context: { version: m.version, applied: name, expected: m.name } },
      );
    }
    if (name === undefined && m.version < latestApplied) {
      throw storeError(
        STORE_ERRORS.schemaMismatch,
        'config',
        `the state database skipped migration ${m.version} ("${m.name}") but applied ${latestApplied}`,
        { context: { version: m.version, latestApplied } },
      );
    }
  }
  return known.filter((m) => !appliedByVersion.has(m.version));
}

/**
 * Applies what is pending, each migration in one transaction with its schema_migrations row,
 * under the database's migration lock: replicas that start together migrate once.
 */
export async function applyMigrations(db: Db, known: readonly Migration[], opts: { logger: Logger; now: () => number }): Promise<void> {
  const sql = statements(db.dialect);
  await db.migrationLock(async () => {
    await db.exec(sql.createMigrationsTable);
    for (const m of pendingMigrations(known, await db.all<AppliedMigration>(sql.appliedMigrations))) {
      const done = await db.write(async (tx) => {
        // Another process may have applied it since we looked (SQLite has no migration lock).
        if (await tx.get(sql.migrationApplied, [m.version])) return false;
        await tx.exec(m.sql);
        await tx.run(sql.insertMigration, [m.version, m.name, opts.now()]);
        return true;
      });
      if (done) opts.logger.info({ version: m.version, name: m.name }, 'store migration applied');
    }
  });
}
