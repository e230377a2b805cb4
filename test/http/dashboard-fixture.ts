import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectorDefinitions } from '../../connectors';
import { loadConfig, type LoadedConfig } from '../../src/config';
import { DaemonMetrics } from '../../src/http/metrics';
import { HttpDeps, HttpServer, startHttp } from '../../src/http/server';
import { silentLogger } from '../../src/lib/logger';
import { newRunId } from '../../src/run/run-id';
import { openStore } from '../../src/store/open-store';
import type { Fence, RunRecord, Store, TakenVersion } from '../../src/store/types';

/*
 * A dataflowd HTTP server over a real SQLite store holding a history the dashboard must show
 * well: ingestions with checks that found nothing new between them, a partial run with row
 * errors and a file whose name is HTML, a failed run, and a run in flight.
 */

export const HOSTILE_FILE = '<img src=x onerror=alert(1)>.json';
export const HOSTILE_DESCRIPTION = '<script>alert(2)</script> POS "exports"';
const HOUR = 3_600_000;

export interface Fixture {
  dir: string;
  store: Store;
  config: LoadedConfig;
  http: HttpServer;
  runs: { partial: RunRecord; failed: RunRecord; running: RunRecord; lastIngestion: RunRecord };
  close(): Promise<void>;
}

export async function loadFixtureConfig(dir: string, http: string, env: Record<string, string> = {}): Promise<LoadedConfig> {
  await mkdir(path.join(dir, 'dataflows'), { recursive: true });
  await mkdir(path.join(dir, 'inbox'), { recursive: true });
  await writeFile(path.join(dir, 'any.schema.json'), '{"type":"object"}');
  const datasets = ['orders-ds', 'events-ds', 'archive-ds'].map((id) => `{ id: ${id}, schema: any.schema.json }`).join(', ');
  await writeFile(
    path.join(dir, 'dataflowd.yaml'),
    `platform: { mode: embedded, datasets: [${datasets}] }\nstate: { url: "sqlite:./state.db" }\nhttp: ${http}\nconnections:\n  inbox: { type: local, root: ./inbox }\n`,
  );
  await writeFile(
    path.join(dir, 'dataflows', 'orders.yaml'),
    `name: orders\ndescription: ${JSON.stringify(HOSTILE_DESCRIPTION)}\nsource: { connection: inbox, path: orders, include: ["*.json"] }\ntarget: { dataset: orders-ds }\nschedule: { frequency: hour, interval: 2 }\ningestion: { partialIngestion: { maxErrorPercent: 5 } }\n`,
  );
  await writeFile(path.join(dir, 'dataflows', 'events.yaml'), 'name: events\nsource: { connection: inbox, path: events }\ntarget: { dataset: events-ds }\nschedule: { cron: "*/15 * * * *" }\n');
  await writeFile(path.join(dir, 'dataflows', 'archive.yaml'), 'name: archive\nenabled: false\nsource: { connection: inbox, path: archive }\ntarget: { dataset: archive-ds }\n');
  const { config, problems } = await loadConfig(dir, { connectors: connectorDefinitions, env });
  if (!config) throw new Error(`fixture config invalid: ${JSON.stringify(problems)}`);
  return config;
}

const version = (p: string, size: number, at: Date): TakenVersion => ({ path: p, fingerprint: `${size}:${at.getTime()}`, size, modifiedAt: at, supersedes: null });

const fences = new WeakMap<Store, Fence>();

/** The fixture's lease on `orders`, taken once per store: the history is written as a run would. */
export async function ordersFence(store: Store): Promise<Fence> {
  let fence = fences.get(store);
  if (!fence) {
    const answer = await store.acquireLease('orders', { processId: 'dashboard-fixture', host: 'fixture', pid: 1 }, { ttlMs: 24 * HOUR });
    if (!answer.granted) throw new Error('the fixture could not take the lease of orders');
    fence = { dataflow: 'orders', token: answer.lease.token };
    fences.set(store, fence);
  }
  return fence;
}

async function ingestion(store: Store, startedAt: Date, opts: { files: Array<[string, number, number]>; status: 'succeeded' | 'partially_succeeded'; rejected?: number }): Promise<RunRecord> {
  const id = newRunId(startedAt);
  const fence = await ordersFence(store);
  await store.createRun({ id, dataflow: 'orders', trigger: 'schedule', startedAt });
  const entries = await store.addPending(fence, id, opts.files.map(([p, size]) => version(p, size, startedAt)));
  const batchId = `batch-${id}`;
  const records = opts.files.reduce((n, [, , r]) => n + r, 0);
  const rejected = opts.rejected ?? 0;
  await store.createBatch(fence, { id: batchId, runId: id, dataset: 'orders-ds', externalId: `dataflowd:orders:${id}:0` }, [{ ids: entries.map((e) => e.id), state: 'uploading', patch: { batchId } }]);
  await store.updateBatch(
    fence,
    batchId,
    { state: 'succeeded', platformStatus: 'success', recordsIn: records, recordsOut: records - rejected, recordsFailed: rejected },
    entries.map((e, i) => ({ ids: [e.id], state: 'ingested', patch: { records: opts.files[i][2] } })),
  );
  if (rejected > 0) {
    await store.addRowErrors(
      fence,
      Array.from({ length: rejected }, (_, i) => ({
        runId: id,
        batchId,
        fileId: entries[0].id,
        file: entries[0].path,
        rowNumber: 10 + i,
        lineNumber: 11 + i,
        column: 'price',
        field: '_acme.price',
        code: 'MAPPER-3700',
        message: `column price: "<b>${i}</b>" is not a number`,
      })),
    );
  }
  const bytes = opts.files.reduce((n, [, size]) => n + size, 0);
  return store.finishRun(id, {
    status: opts.status,
    finishedAt: new Date(startedAt.getTime() + 95_000),
    filesTaken: entries.length,
    filesIngested: entries.length,
    recordsIn: records,
    recordsOut: records - rejected,
    recordsFailed: rejected,
    bytes,
    batchIds: [batchId],
  });
}

async function skipped(store: Store, startedAt: Date): Promise<void> {
  const id = newRunId(startedAt);
  await store.createRun({ id, dataflow: 'orders', trigger: 'schedule', startedAt });
  await store.finishRun(id, { status: 'skipped', finishedAt: new Date(startedAt.getTime() + 300), error: 'nothing new: 3 listed (3 already ingested)' });
}

/** The history, oldest first, ending `now`. */
export async function writeHistory(store: Store, now: Date): Promise<Fixture['runs']> {
  const at = (hoursAgo: number) => new Date(now.getTime() - hoursAgo * HOUR);
  for (let i = 0; i < 6; i++) await ingestion(store, at(48 - i * 6), { files: [[`orders/day-${i}.json`, 2_000_000 + i * 300_000, 5000 + i * 700]], status: 'succeeded' });
  const partial = await ingestion(store, at(12), {
    files: [
      [`orders/${HOSTILE_FILE}`, 1_250_000, 4000],
      ['orders/good.json', 800_000, 2500],
    ],
    status: 'partially_succeeded',
    rejected: 3,
  });
  const failedId = newRunId(at(10));
  await store.createRun({ id: failedId, dataflow: 'orders', trigger: 'api', startedAt: at(10) });
  const failed = await store.finishRun(failedId, {
    status: 'failed',
    finishedAt: new Date(at(10).getTime() + 4000),
    error: 'listing local://orders: permission denied <b>bold</b>',
    errorKind: 'permission',
    errorCode: 'ERR_SOURCE_PERMISSION',
  }, undefined, (run) => [
    // A webhook was told, and its receiver has not answered yet.
    { id: `note-${run.id}`, dataflow: 'orders', runId: run.id, event: 'run.failed', webhook: 'hash-of-url', endpoint: 'https://hooks.example.com', body: '{}' },
  ]);
  const lastIngestion = await ingestion(store, at(8), { files: [['orders/late.json', 3_100_000, 9100]], status: 'succeeded' });
  for (let i = 7; i >= 1; i--) await skipped(store, at(i));
  // In flight: one file uploaded, one uploading, one waiting.
  const runningId = newRunId(at(0.05));
  await store.createRun({ id: runningId, dataflow: 'orders', trigger: 'schedule', startedAt: at(0.05) });
  const fence = await ordersFence(store);
  const files = await store.addPending(fence, runningId, [version('orders/now-1.json', 40_000_000, now), version('orders/now-2.json', 60_000_000, now), version('orders/now-3.json', 20_000_000, now)]);
  const batchId = `batch-${runningId}`;
  await store.createBatch(fence, { id: batchId, runId: runningId, dataset: 'orders-ds', externalId: `dataflowd:orders:${runningId}:0` }, [
    { ids: [files[0].id], state: 'completing', patch: { batchId, records: 120_000 } },
    { ids: [files[1].id], state: 'uploading', patch: { batchId } },
  ]);
  const running = (await store.getRun(runningId))!;
  return { partial, failed, running, lastIngestion };
}

export async function startFixture(opts: { http?: string; env?: Record<string, string>; deps?: Partial<HttpDeps>; now?: Date } = {}): Promise<Fixture> {
  const dir = await mkdtemp(path.join(tmpdir(), 'dataflowd-dashboard-'));
  const config = await loadFixtureConfig(dir, opts.http ?? '{ listen: "127.0.0.1:0" }', opts.env);
  const store = await openStore(config.daemon.state.url);
  const runs = await writeHistory(store, opts.now ?? new Date());
  const http = await startHttp({
    store,
    config: () => config,
    logger: silentLogger,
    trigger: async () => ({ started: false, reason: 'not in this test' }),
    nextRun: (name) => (name === 'archive' ? undefined : new Date(Date.now() + 40 * 60_000)),
    metrics: new DaemonMetrics({ store, dataflows: () => config.dataflows.map((d) => d.name), nextRun: () => undefined }),
    ...opts.deps,
  });
  return {
    dir,
    store,
    config,
    http,
    runs,
    async close() {
      await http.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
