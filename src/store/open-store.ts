import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
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
import type { Store } from './types';

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

/** What a `state.url` names. */
export type StoreLocation = { kind: 'sqlite'; filename: string } | { kind: 'sqlite-memory' } | { kind: 'postgres'; url: string };

const EXAMPLES = 'e.g. sqlite:./data/state.db, sqlite::memory: or postgres://dataflowd@db:5432/dataflowd';

/**
 * Reads a store URL: `sqlite:PATH` (relative to baseDir unless absolute), `sqlite::memory:`, or
 * `postgres://…` / `postgresql://…`. Errors never repeat a postgres URL, which may hold a password.
 */
export function parseStoreUrl(url: string, baseDir: string = process.cwd()): StoreLocation {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') {
    if (!/^postgres(ql)?:\/\/[^/?#]+/i.test(url)) {
      throw storeError(STORE_ERRORS.url, 'config', `state.url names no PostgreSQL host: use postgres://USER@HOST:PORT/DATABASE (${EXAMPLES})`);
    }
    return { kind: 'postgres', url };
  }
  if (scheme !== 'sqlite') {
    throw storeError(
      STORE_ERRORS.url,
      'config',
      `state.url must start with sqlite: or postgres://, got ${scheme === undefined ? 'no scheme' : `"${scheme}:"`} (${EXAMPLES})`,
      { context: { scheme } },
    );
  }
  const rest = url.slice('sqlite:'.length);
  if (rest === ':memory:') return { kind: 'sqlite-memory' };
  if (rest.trim() === '' || rest.startsWith('//')) {
    throw storeError(STORE_ERRORS.url, 'config', `state.url "${url}" names no SQLite file: use sqlite:PATH, ${EXAMPLES}`, {
      context: { url },
    });
  }
  return { kind: 'sqlite', filename: isAbsolute(rest) ? rest : resolve(baseDir, rest) };
}

/** What to call a store in messages: its file, or a PostgreSQL URL without its password. */
export function describeStore(location: StoreLocation): string {
  if (location.kind === 'sqlite') return location.filename;
  if (location.kind === 'sqlite-memory') return 'sqlite::memory:';
  try {
    const u = new URL(location.url);
    return `postgres://${u.username ? `${u.username}@` : ''}${u.host}${u.pathname}`;
  } catch {
    return 'postgres://…';
  }
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
      throw storeError(STORE_ERRORS.failed, 'config', `cannot open the SQLite state database ${filename}: ${errorMessage(err)}`, {
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
