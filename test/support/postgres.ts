import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * A PostgreSQL database of its own for a test file: created on the server the machine runs
 * (127.0.0.1:5432, trust auth, as `.ci/run` sets it up; DATAFLOWD_TEST_POSTGRES overrides the
 * admin URL), dropped when the file is done. Without a server the tests that need it fail and say
 * how to get one — they never skip.
 */
export const PG_ADMIN_URL = process.env.DATAFLOWD_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

async function admin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const client = await connected();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * An admin connection; a connection cut during its start-up (seen on a machine busy with the
 * suite's servers) is tried again twice before the tests are told PostgreSQL is missing.
 */
async function connected(): Promise<Client> {
  let last: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    // Generous: on a machine busy with the suite's servers and processes a connection can take seconds.
    const client = new Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 30_000 });
    try {
      await client.connect();
      return client;
    } catch (err) {
      last = err;
      await client.end().catch(() => undefined);
    }
  }
  throw new Error(
    `PostgreSQL is needed by this test and does not answer at ${PG_ADMIN_URL.replace(/:[^:@/]*@/, '@')} (${(last as Error).message}). ` +
      'Install the Debian package postgresql and start a cluster (`bash .ci/run` does both, as root), ' +
      'or point DATAFLOWD_TEST_POSTGRES at a server that lets this user create databases.',
  );
}

export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
  const name = `dataflowd_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => admin(async (c) => void (await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))),
  };
}
