import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Clock } from '../lib/clock';
import { errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { SqliteStore } from './sqlite-store';
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
}

/** What a `state.url` names. PostgreSQL URLs are recognised so that they fail clearly. */
export type StoreLocation = { kind: 'sqlite'; filename: string } | { kind: 'sqlite-memory' } | { kind: 'postgres' };

const SQLITE_EXAMPLES = 'e.g. sqlite:./data/state.db, sqlite:/var/lib/dataflowd/state.db or sqlite::memory:';

/**
 * Reads a store URL: `sqlite:PATH` (relative to baseDir unless absolute), `sqlite::memory:`, or
 * `postgres://…` / `postgresql://…`. Errors never repeat a postgres URL, which may hold a password.
 */
export function parseStoreUrl(url: string, baseDir: string = process.cwd()): StoreLocation {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return { kind: 'postgres' };
  if (scheme !== 'sqlite') {
    throw storeError(
      STORE_ERRORS.url,
      'config',
      `state.url must start with sqlite: or postgres://, got ${scheme === undefined ? 'no scheme' : `"${scheme}:"`} (${SQLITE_EXAMPLES})`,
      { context: { scheme } },
    );
  }
  const rest = url.slice('sqlite:'.length);
  if (rest === ':memory:') return { kind: 'sqlite-memory' };
  if (rest.trim() === '' || rest.startsWith('//')) {
    throw storeError(STORE_ERRORS.url, 'config', `state.url "${url}" names no SQLite file: use sqlite:PATH, ${SQLITE_EXAMPLES}`, {
      context: { url },
    });
  }
  return { kind: 'sqlite', filename: isAbsolute(rest) ? rest : resolve(baseDir, rest) };
}

/** Opens (creating if needed) the store a `state.url` names, migrated unless opts.migrate is false. */
export async function openStore(url: string, opts: OpenStoreOptions = {}): Promise<Store> {
  const location = parseStoreUrl(url, opts.baseDir);
  if (location.kind === 'postgres') {
    throw storeError(
      STORE_ERRORS.url,
      'config',
      `PostgreSQL store is not built yet: set state.url to a SQLite file (${SQLITE_EXAMPLES})`,
    );
  }
  const filename = location.kind === 'sqlite' ? location.filename : ':memory:';
  let store: SqliteStore;
  try {
    if (location.kind === 'sqlite') mkdirSync(dirname(filename), { recursive: true });
    store = new SqliteStore(filename, { logger: opts.logger, clock: opts.clock, busyTimeoutMs: opts.busyTimeoutMs });
  } catch (err) {
    throw storeError(STORE_ERRORS.failed, 'config', `cannot open the SQLite state database ${filename}: ${errorMessage(err)}`, {
      context: { filename },
      cause: err,
    });
  }
  if (opts.migrate ?? true) {
    try {
      await store.migrate();
    } catch (err) {
      await store.close();
      throw err;
    }
  }
  opts.logger?.debug({ filename }, 'store opened');
  return store;
}
