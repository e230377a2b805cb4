import { Client } from 'pg';
import { openStore } from '../../src/store/open-store';
import { PG_MIGRATIONS } from '../../src/store/pg-migrations';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite-migrations';
import type { Store } from '../../src/store/types';
import { createTestDatabase, TestDatabase } from '../support/postgres';
import { storeSuite } from './store.suite';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('store');
});
afterAll(async () => {
  await db?.drop();
});

storeSuite('postgres', (opts) => openStore(db.url, opts));

describe('PostgreSQL store specifics', () => {
  it('keeps the same migrations, by version and name, as SQLite', () => {
    expect(PG_MIGRATIONS.map((m) => [m.version, m.name])).toEqual(SQLITE_MIGRATIONS.map((m) => [m.version, m.name]));
  });

  it('migrates once when several replicas start together', async () => {
    const fresh = await createTestDatabase('migrate');
    try {
      const stores: Store[] = await Promise.all(Array.from({ length: 5 }, () => openStore(fresh.url)));
      await Promise.all(stores.map((s) => s.close()));
      const client = new Client({ connectionString: fresh.url });
      await client.connect();
      const applied = await client.query<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version');
      await client.end();
      expect(applied.rows).toEqual(PG_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    } finally {
      await fresh.drop();
    }
  });

  it('says the database cannot be reached, without repeating its password', async () => {
    const failure = openStore('postgres://dataflowd:s3cret-pw@127.0.0.1:1/state');
    await expect(failure).rejects.toMatchObject({ code: 'ERR_STORE_UNREACHABLE', kind: 'transient' });
    await expect(failure).rejects.not.toMatchObject({ message: expect.stringContaining('s3cret-pw') });
  });

  it('refuses a database written by a newer dataflowd', async () => {
    const fresh = await createTestDatabase('newer');
    try {
      await (await openStore(fresh.url)).close();
      const client = new Client({ connectionString: fresh.url });
      await client.connect();
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [PG_MIGRATIONS.length + 1, 'future', Date.now()]);
      await client.end();
      await expect(openStore(fresh.url)).rejects.toMatchObject({ code: 'ERR_STORE_SCHEMA_NEWER', kind: 'config' });
    } finally {
      await fresh.drop();
    }
  });
});
