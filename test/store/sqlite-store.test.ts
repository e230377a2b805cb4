import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SQLITE_DIALECT } from '../../src/store/db';
import { openStore, parseStoreUrl } from '../../src/store/open-store';
import { absoluteStoreUrl } from '../../src/store/store-url';
import { hotQueries } from '../../src/store/queries';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite-migrations';
import { storeSuite } from './store.suite';

const dir = mkdtempSync(join(tmpdir(), 'dataflowd-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

storeSuite('sqlite', (opts) => openStore(`sqlite:${join(dir, 'suite', 'state.db')}`, opts));

describe('SQLite store specifics', () => {
  const fresh = (name: string) => join(dir, name, 'state.db');

  it('creates parent folders, resolves relative paths from baseDir, and uses WAL', async () => {
    const store = await openStore('sqlite:./nested/deeper/state.db', { baseDir: join(dir, 'relative') });
    await store.close();
    const file = join(dir, 'relative', 'nested', 'deeper', 'state.db');
    expect(existsSync(file)).toBe(true);
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare('SELECT version, name, applied_at FROM schema_migrations').all()).toEqual(
      SQLITE_MIGRATIONS.map((m) => ({ version: m.version, name: m.name, applied_at: expect.any(Number) })),
    );
    db.close();
  });

  it('reads store URLs', () => {
    expect(parseStoreUrl('sqlite:./data/state.db')).toEqual({ kind: 'sqlite', filename: resolve('data/state.db') });
    expect(parseStoreUrl('sqlite:/var/lib/d/state.db', '/elsewhere')).toEqual({ kind: 'sqlite', filename: '/var/lib/d/state.db' });
    expect(parseStoreUrl('sqlite::memory:')).toEqual({ kind: 'sqlite-memory' });
    expect(parseStoreUrl('postgresql://u:p@h/db')).toEqual({ kind: 'postgres', url: 'postgresql://u:p@h/db' });
    for (const bad of ['state.db', 'mysql://h/db', 'sqlite:', 'sqlite://data/state.db', 'postgres://', 'postgres:///db']) {
      expect(() => parseStoreUrl(bad)).toThrow(expect.objectContaining({ code: 'ERR_STORE_URL', kind: 'config' }));
    }
  });

  it('makes a relative SQLite url absolute from the config folder, and leaves every other url as it is', () => {
    expect(absoluteStoreUrl('sqlite:./data/state.db', '/etc/d')).toBe('sqlite:/etc/d/data/state.db');
    expect(absoluteStoreUrl('sqlite:/var/lib/d/state.db', '/etc/d')).toBe('sqlite:/var/lib/d/state.db');
    for (const same of ['sqlite::memory:', 'postgres://u:p@h/db', 'sqlite://data/state.db']) expect(absoluteStoreUrl(same, '/etc/d')).toBe(same);
  });

  it('keeps separate in-memory stores apart', async () => {
    const one = await openStore('sqlite::memory:');
    const two = await openStore('sqlite::memory:');
    const owner = { processId: 'p', host: 'h', pid: 1 };
    expect((await one.acquireLease('df', owner, { ttlMs: 1000 })).granted).toBe(true);
    expect(await one.getLease('df')).toBeDefined();
    expect(await two.getLease('df')).toBeUndefined();
    await Promise.all([one.close(), two.close()]);
  });

  it('refuses a database written by a newer dataflowd', async () => {
    const file = fresh('newer');
    await (await openStore(`sqlite:${file}`)).close();
    const db = new Database(file);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(SQLITE_MIGRATIONS.length + 1, 'future', Date.now());
    db.close();

    const newer = { code: 'ERR_STORE_SCHEMA_NEWER', kind: 'config', message: expect.stringContaining('newer dataflowd') };
    await expect(openStore(`sqlite:${file}`)).rejects.toMatchObject(newer);
    const unmigrated = await openStore(`sqlite:${file}`, { migrate: false });
    await expect(unmigrated.migrate()).rejects.toMatchObject(newer);
    await unmigrated.close();
  });

  it('reports a file it cannot open as a config error', async () => {
    const blocker = join(dir, 'blocker');
    writeFileSync(blocker, 'not a folder');
    await expect(openStore(`sqlite:${join(blocker, 'state.db')}`)).rejects.toMatchObject({ code: 'ERR_STORE_OPEN', kind: 'config' });
  });

  it('answers every hot query from an index', async () => {
    const file = fresh('plans');
    await (await openStore(`sqlite:${file}`)).close();
    const db = new Database(file, { readonly: true });
    for (const [name, sql] of Object.entries(hotQueries(SQLITE_DIALECT))) {
      const params = name === 'latestVersions' ? ['df', '["a"]'] : (sql.match(/\?/g) ?? []).map(() => 'x');
      const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[];
      const fullScans = plan.map((p) => p.detail).filter((d) => /^SCAN (files|runs|batches|row_errors|batch_intents|after_ingest_owed)\b/.test(d) && !d.includes('INDEX'));
      expect({ name, fullScans }).toEqual({ name, fullScans: [] });
      if (name === 'latestVersions') expect(plan.map((p) => p.detail).join('\n')).toContain('files_latest');
    }
    db.close();
  });
});
