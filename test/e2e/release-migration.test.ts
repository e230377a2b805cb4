import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStore } from '../../src/store/open-store';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite-migrations';
import type { Store } from '../../src/store/types';
import { MAIN } from './workspace';

/*
 * A state.db written by release 0.1 (test/fixtures/release-0.1/README.md) is carried forward by
 * state migration 4: every run, batch, file version and row error stays as it was, each meta key
 * becomes a row of its typed table, and the daemon then behaves on it as the old one would have:
 * only the file the killed run left pending is taken again, afterIngest owed is paid, the once
 * dataflow stays done.
 */

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'release-0.1');
type Row = Record<string, unknown>;

let dir: string;
let before: { runs: Row[]; batches: Row[]; files: Row[]; rowErrors: Row[]; meta: Array<{ key: string; value: string }> };

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args, '--config', path.join(dir, 'config')], { env: { ...process.env, DATAFLOWD_LOG_LEVEL: 'warn' } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** A file of the size and modified time the ledger recorded, so that its fingerprint is the one ingested. */
async function restore(file: string, size: number, modifiedAt: number): Promise<void> {
  const target = path.join(dir, 'inbox', file);
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, `{"id":"${'x'.repeat(size - 10)}"}\n`);
  await utimes(target, new Date(modifiedAt), new Date(modifiedAt));
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dataflowd-release-'));
  await cp(FIXTURE, dir, { recursive: true });
  const db = new Database(path.join(dir, 'state.db'), { readonly: true });
  before = {
    runs: db.prepare('SELECT * FROM runs ORDER BY id').all() as Row[],
    batches: db.prepare('SELECT * FROM batches ORDER BY id').all() as Row[],
    files: db.prepare('SELECT * FROM files ORDER BY id').all() as Row[],
    rowErrors: db.prepare('SELECT * FROM row_errors ORDER BY id').all() as Row[],
    meta: db.prepare('SELECT key, value FROM meta ORDER BY key').all() as Array<{ key: string; value: string }>,
  };
  db.close();
  expect(before.meta.map((m) => m.key.split(':')[0]).sort()).toEqual(expect.arrayContaining(['after-ingest-owed', 'backfill-from', 'batch-intents', 'once', 'seen']));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('migration 4 keeps every run, batch, file version and row error, and moves each meta key to its table', async () => {
  const store: Store = await openStore(`sqlite:${path.join(dir, 'state.db')}`);
  try {
    const db = new Database(path.join(dir, 'state.db'), { readonly: true });
    const keep = (rows: Row[], columns: string[]) => rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c]])));
    const runs = db.prepare('SELECT * FROM runs ORDER BY id').all() as Row[];
    expect(keep(runs, Object.keys(before.runs[0]))).toEqual(before.runs);
    expect(runs.every((r) => r.process_id === null)).toBe(true);
    expect(db.prepare('SELECT * FROM batches ORDER BY id').all()).toEqual(before.batches);
    expect(db.prepare('SELECT * FROM row_errors ORDER BY id').all()).toEqual(before.rowErrors);
    const files = db.prepare('SELECT * FROM files ORDER BY id').all() as Row[];
    expect(keep(files, Object.keys(before.files[0]))).toEqual(before.files);
    // Each entry succeeds the entry of its path before it.
    for (const f of files) {
      const earlier = files.filter((g) => g.dataflow === f.dataflow && g.path === f.path && (g.id as number) < (f.id as number));
      expect({ id: f.id, supersedes: f.supersedes }).toEqual({ id: f.id, supersedes: earlier.length ? earlier[earlier.length - 1].id : 0 });
    }
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'meta'").all()).toEqual([]);
    expect(db.prepare('SELECT max(version) AS v FROM schema_migrations').get()).toEqual({ v: SQLITE_MIGRATIONS.length });
    db.close();

    for (const { key, value } of before.meta) {
      const [kind, dataflow, ...rest] = key.split(':');
      const parsed: unknown = kind === 'backfill-from' ? value : JSON.parse(value);
      if (kind === 'seen') {
        const v = parsed as { fingerprint: string; at: number };
        expect(await store.seenVersion(dataflow, rest.join(':'))).toEqual({ fingerprint: v.fingerprint, seenAt: new Date(v.at) });
      } else if (kind === 'backfill-from') {
        expect(await store.backfillFrom(dataflow)).toEqual(new Date(value));
      } else if (kind === 'once') {
        const v = parsed as { hash: string; runId: string; at: string };
        expect(await store.onceRun(dataflow)).toEqual({ hash: v.hash, runId: v.runId, at: new Date(v.at) });
      } else if (kind === 'after-ingest-owed') {
        expect(await store.owedAfterIngest(dataflow)).toEqual(parsed);
      } else if (kind === 'batch-intents') {
        expect(await store.batchIntents(dataflow)).toEqual(parsed);
      } else {
        throw new Error(`a meta key the test does not know: ${key}`);
      }
    }
  } finally {
    await store.close();
  }
});

test('and runs on it as release 0.1 would: only the file the killed run left pending is taken again', async () => {
  const db = new Database(path.join(dir, 'state.db'), { readonly: true });
  const latest = db
    .prepare("SELECT path, size, modified_at FROM files WHERE id IN (SELECT max(id) FROM files WHERE dataflow IN ('taken', 'moving') GROUP BY dataflow, path)")
    .all() as Array<{ path: string; size: number; modified_at: number }>;
  const once = db.prepare("SELECT run_id FROM once_runs WHERE dataflow = 'single'").get() as { run_id: string };
  db.close();
  for (const f of latest) await restore(f.path, f.size, f.modified_at);

  const validate = await cli(['validate']);
  expect(validate.stdout).toContain(`note: single (once) already ran in run ${once.run_id}`);

  const taken = await cli(['run', 'taken', '--json']);
  expect({ code: taken.code, stderr: taken.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  const run = JSON.parse(taken.stdout) as { status: string; filesTaken: number; filesIngested: number };
  expect(run).toMatchObject({ status: 'succeeded', filesTaken: 1, filesIngested: 1 });
  const files = JSON.parse((await cli(['history', 'taken', '--run', JSON.parse(taken.stdout).id, '--json'])).stdout) as { files: Array<{ path: string }> };
  expect(files.files.map((f) => f.path)).toEqual(['a/f7.json']);

  // moving owed its afterIngest (killed before it): the next run pays it, and takes nothing.
  const moving = await cli(['run', 'moving', '--json']);
  expect(JSON.parse(moving.stdout)).toMatchObject({ status: 'skipped', filesTaken: 0 });
  for (const name of ['f1.json', 'f2.json', 'f3.json']) {
    await expect(stat(path.join(dir, 'inbox', 'done', name))).resolves.toBeDefined();
    await expect(stat(path.join(dir, 'inbox', 'e', name))).rejects.toMatchObject({ code: 'ENOENT' });
  }
});
