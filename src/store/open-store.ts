import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Clock } from '../lib/clock';
import { errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { Redact } from '../lib/redact';
import { PG_MIGRATIONS } from './pg-migrations';
import { PgDb } from './pg-db';
import { SQLITE_MIGRATIONS } from './sqlite-migrations';
import { SqliteDb } from './sqlite-db';
import { SqlStore } from './sql-store';
import { STORE_ERRORS, storeError } from './store-errors';
import { describeStore, parseStoreUrl } from './store-url';
import type { Store } from './types';

export { describeStore, parseStoreUrl, type StoreLocation } from './store-url';

export interface OpenStoreOptions {
  logger?: Logger;
  clock?: Clock;
  /** Where a relative `sqlite:PATH` resolves from; default the process's working directory. */
  baseDir?: string;
  /** Apply pending migrations before returning (default true). */
  migrate?: boolean;
  busyTimeoutMs?: number;
  /** Applied to error texts before they are kept (the config's secret values). */
  redact?: Redact;
}

/** Opens (creating if needed) the store a `state.url` names, migrated unless opts.migrate is false. */
export async function openStore(url: string, opts: OpenStoreOptions = {}): Promise<Store> {
  const location = parseStoreUrl(url, opts.baseDir);
  const storeOpts = { logger: opts.logger, clock: opts.clock, redact: opts.redact };
  let store: SqlStore;
  if (location.kind === 'postgres') {
    store = new SqlStore(new PgDb(location.url, { logger: opts.logger }), PG_MIGRATIONS, storeOpts);
  } else {
    const filename = location.kind === 'sqlite' ? location.filename : ':memory:';
    try {
      if (location.kind === 'sqlite') mkdirSync(dirname(filename), { recursive: true });
      store = new SqlStore(new SqliteDb(filename, { busyTimeoutMs: opts.busyTimeoutMs }), SQLITE_MIGRATIONS, storeOpts);
    } catch (err) {
      throw storeError(STORE_ERRORS.open, 'config', `cannot open the SQLite state database ${filename}: ${errorMessage(err)}`, {
        context: { filename },
        cause: err,
      });
    }
  }
  if (opts.migrate ?? true) {
    try {
      await store.migrate();
    } catch (err) {
      await store.close();
      throw err;
    }
  }
  opts.logger?.debug({ store: describeStore(location) }, 'store opened');
  return store;
}
