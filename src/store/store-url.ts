import { isAbsolute, resolve } from 'node:path';
import { STORE_ERRORS, storeError } from './store-errors';

// The one reader of a `state.url` (STYLE.md rule 14). Kept apart from open-store.ts, with no
// driver behind it, so that config (which makes the url absolute) and the CLI can read a url
// without loading SQLite or PostgreSQL.

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


/**
 * The url with a relative `sqlite:PATH` made absolute from baseDir, so that the store opens the
 * same file whatever the working directory. A url that does not parse is left as it is: opening
 * it reports the problem.
 */
export function absoluteStoreUrl(url: string, baseDir: string): string {
  let location: StoreLocation;
  try {
    location = parseStoreUrl(url, baseDir);
  } catch {
    return url;
  }
  return location.kind === 'sqlite' ? `sqlite:${location.filename}` : url;
}
