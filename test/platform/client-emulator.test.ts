import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Clock } from '../../src/lib/clock';
import { systemClock } from '../../src/lib/clock';
import { Emulator, startEmulator } from '../../src/emulator';
import { Batch, PlatformClient, type PlatformClientOptions } from '../../src/platform';

/*
 * The client against the project's own Platform emulator, over HTTP: the whole life of a batch,
 * Catalog look-ups, and reading back what landed through Data Access.
 */

const DATASET = 'luma-loyalty';
const DATASET_NAME = 'Luma Loyalty Dataset';
const schema = {
  type: 'object',
  required: ['id', 'points'],
  properties: { id: { type: 'string' }, points: { type: 'integer' }, tier: { type: 'string' } },
};

let dataDir: string;
let emulator: Emulator;
let client: PlatformClient;
let clientOptions: PlatformClientOptions;
/** The emulator's notion of time, moved on to make its tokens expire. */
let emulatorOffsetMs = 0;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'platform-client-'));
  emulator = await startEmulator({
    dataDir,
    datasets: [
      { id: DATASET, name: DATASET_NAME, schema },
      { id: 'other', name: 'Other Dataset' },
    ],
    port: 0,
    tenantId: 'acmecorp',
    clock: { now: () => new Date(Date.now() + emulatorOffsetMs), sleep: systemClock.sleep },
  });
  clientOptions = {
    endpoint: emulator.url,
    imsEndpoint: emulator.url,
    clientId: 'dataflowd-test',
    clientSecret: 'emulator-secret',
    orgId: 'TEST@AdobeOrg',
    sandbox: 'prod',
    scopes: ['openid', 'AdobeID', 'read_organizations'],
    retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 },
  };
  client = new PlatformClient(clientOptions);
});

afterAll(async () => {
  await client?.close();
  await emulator?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const lines = (records: unknown[]) => records.map((r) => `${JSON.stringify(r)}\n`).join('');

async function ingest(records: unknown[][], batchOpts: { partialIngestionPercent?: number; externalId?: string } = {}): Promise<Batch> {
  const batch = await client.createBatch({ datasetId: DATASET, format: 'json', enableErrorDiagnostics: true, ...batchOpts });
  for (const [i, file] of records.entries()) {
    const text = lines(file);
    await client.uploadFile(batch.id, DATASET, `in/file ${i}.json`, Readable.from([Buffer.from(text)]), { size: Buffer.byteLength(text) });
  }
  await client.completeBatch(batch.id);
  return client.waitForBatch(batch.id, { pollMs: 20, maxPollMs: 100, timeoutMs: 30_000 });
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

test('tenant id from the schema registry', async () => {
  await expect(client.tenantId()).resolves.toBe('acmecorp');
});

test('datasets by id and by name', async () => {
  await expect(client.getDataset(DATASET)).resolves.toMatchObject({ id: DATASET, name: DATASET_NAME });
  await expect(client.getDataset('no-such-dataset')).resolves.toBeUndefined();
  await expect(client.findDatasetByName(DATASET_NAME)).resolves.toMatchObject({ id: DATASET, name: DATASET_NAME });
  await expect(client.findDatasetByName('Luma')).resolves.toBeUndefined();
});

test('findDataset: by id, else by Catalog\'s name filter', async () => {
  await expect(client.findDataset(DATASET)).resolves.toMatchObject({ id: DATASET, name: DATASET_NAME });
  await expect(client.findDataset(DATASET_NAME)).resolves.toMatchObject({ id: DATASET, name: DATASET_NAME });
  await expect(client.findDataset('Nothing Like It')).resolves.toBeUndefined();
});

test('a dataset\'s schema from the Schema Registry, full and resolved, as JSON Schema without XDM\'s meta fields', async () => {
  const dataset = await client.findDataset(DATASET);
  const got = await client.datasetSchema(dataset!);
  expect(got).toMatchObject({ type: 'object', required: ['id', 'points'], properties: schema.properties, title: DATASET_NAME });
  expect(Object.keys(got ?? {}).filter((k) => k.startsWith("meta:") || k === "$id")).toEqual([]);
  // The emulator's free-form dataset names no schema in Catalog.
  const other = await client.findDataset('other');
  expect(other?.schemaRef).toBeUndefined();
  await expect(client.datasetSchema(other!)).resolves.toBeUndefined();
  await expect(client.datasetSchema({ ...other!, schemaRef: { id: 'https://ns.adobe.com/acmecorp/schemas/gone' } })).rejects.toMatchObject({ code: 'ERR_PLATFORM_NO_SCHEMA', kind: 'config' });
});

test('replay: a batch naming a predecessor replaces it; the inactive predecessor finds its successor', async () => {
  const old = await ingest([[{ id: 'r1', points: 1 }]]);
  const replacement = await client.createBatch({ datasetId: DATASET, format: 'json', replay: { predecessors: [old.id] } });
  expect(replacement.replaces).toEqual([old.id]);
  const text = lines([{ id: 'r1', points: 2 }]);
  await client.uploadFile(replacement.id, DATASET, 'r.json', Readable.from([Buffer.from(text)]), { size: text.length });
  await client.completeBatch(replacement.id);
  await client.waitForBatch(replacement.id, { pollMs: 20 });
  const inactive = await client.getBatch(old.id);
  expect(inactive).toMatchObject({ status: 'inactive', handling: 'look-up', final: true, succeeded: false });
  await expect(client.findSuccessor(inactive)).resolves.toMatchObject({ id: replacement.id, status: 'success', replaces: [old.id] });
  const lone = await ingest([[{ id: 'r9', points: 9 }]]);
  await expect(client.findSuccessor(lone)).resolves.toBeUndefined();
});

test('a batch from create to success, then read back through Data Access', async () => {
  const records = [
    [{ id: 'a', points: 1 }, { id: 'b', points: 2 }],
    [{ id: 'c', points: 3, tier: 'gold' }],
  ];
  const seen: string[] = [];
  const created = await client.createBatch({ datasetId: DATASET, format: 'json', externalId: 'run-1-batch-0' });
  expect(created).toMatchObject({ status: 'loading', final: false, datasetId: DATASET });
  for (const [i, file] of records.entries()) {
    const text = lines(file);
    await client.uploadFile(created.id, DATASET, `in/file ${i}.json`, Readable.from([Buffer.from(text)]), { size: Buffer.byteLength(text) });
  }
  await client.completeBatch(created.id);
  await client.completeBatch(created.id); // idempotent, as on Platform
  const done = await client.waitForBatch(created.id, { pollMs: 20, maxPollMs: 100, onStatus: (b) => seen.push(b.status) });

  expect(done).toMatchObject({ id: created.id, status: 'success', final: true, succeeded: true, datasetId: DATASET, externalId: 'run-1-batch-0' });
  expect(done.metrics).toMatchObject({ inputRecordCount: 3, outputRecordCount: 3, failedRecordCount: 0 });
  expect(seen[seen.length - 1]).toBe('success');

  const byDataset = await client.listBatches({ dataSet: DATASET, limit: 100 });
  expect(byDataset.map((b) => b.id)).toContain(created.id);
  const byExternal = await client.listBatches({ externalId: 'run-1-batch-0' });
  expect(byExternal.map((b) => b.id)).toEqual([created.id]);

  const files = await client.batchFiles(created.id);
  expect(files.length).toBeGreaterThan(0);
  // Data Access gives these as strings of digits; the client reads them as numbers.
  expect(files[0]).toMatchObject({ created: expect.any(Number), updated: expect.any(Number) });
  expect(files[0].created).toBeGreaterThan(1_600_000_000_000);
  let landed = '';
  for (const f of files) {
    for (const entry of await client.dataSetFileEntries(f.dataSetFileId)) {
      expect(entry.length).toBeGreaterThan(0);
      landed += await readAll(await client.downloadFile(f.dataSetFileId, entry.name));
    }
  }
  for (const id of ['"a"', '"b"', '"c"']) expect(landed).toContain(id);
});

test('rows that fail validation: within the threshold the batch succeeds, and row errors can be read', async () => {
  const b = await ingest([[{ id: 'a', points: 1 }, { id: 'b', points: 'many' }, { id: 'c', points: 3 }, { id: 'd', points: 4 }]], { partialIngestionPercent: 50 });
  expect(b).toMatchObject({ status: 'success', succeeded: true });
  expect(b.metrics).toMatchObject({ inputRecordCount: 4, outputRecordCount: 3, failedRecordCount: 1 });
  const errors = await client.rowErrors(b.id);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatchObject({ _errors: [expect.objectContaining({ code: expect.any(String) })] });
  await expect(client.rowErrors(b.id, { limit: 0 })).resolves.toEqual([]);
});

test('rows that fail validation beyond the threshold fail the batch, with errors', async () => {
  const b = await ingest([[{ id: 'a', points: 'x' }, { points: 2 }]]);
  expect(b).toMatchObject({ status: 'failed', final: true, succeeded: false });
  expect(b.errors.length).toBeGreaterThan(0);
  expect(b.errors[0].code).toEqual(expect.any(String));
});

test('an aborted batch is final and not successful', async () => {
  const b = await client.createBatch({ datasetId: DATASET, format: 'json' });
  await client.abortBatch(b.id);
  await expect(client.getBatch(b.id)).resolves.toMatchObject({ id: b.id, status: 'aborted', final: true, succeeded: false });
});

test('unknown batch: not found, not retried into a transient error', async () => {
  await expect(client.getBatch('0000000000000000000000000000dead')).rejects.toMatchObject({ code: 'ERR_PLATFORM_NOT_FOUND', kind: 'platform' });
  const upload = client.uploadFile('0000000000000000000000000000dead', DATASET, 'x.json', Readable.from([Buffer.from('{}\n')]), { size: 3 });
  await expect(upload).rejects.toMatchObject({ kind: 'platform', context: { status: 404 } });
});

test('a batch for an unknown dataset is refused with Platform’s words', async () => {
  const err = await client.createBatch({ datasetId: 'no-such-dataset', format: 'json' }).catch((e: unknown) => e);
  expect(err).toMatchObject({ kind: 'platform', context: { status: 400 } });
  expect((err as Error).message).toContain('no-such-dataset');
});

test('a token the emulator no longer accepts is replaced and the call goes through', async () => {
  await client.tenantId();
  emulatorOffsetMs = 25 * 3600_000; // the emulator's clock is a day on: the client's cached token has expired there
  try {
    await expect(client.getDataset(DATASET)).resolves.toMatchObject({ id: DATASET });
  } finally {
    emulatorOffsetMs = 0;
  }
});

describe('faults injected by the emulator', () => {
  let faulty: PlatformClient;
  const sleeps: number[] = [];
  /** Time stands still; a retry's pause clears the faults, so the next attempt goes through. */
  const healingClock: Clock = {
    now: () => new Date(),
    sleep: async (ms) => {
      sleeps.push(ms);
      emulator.faults.set({ rules: [] });
    },
  };

  beforeEach(() => {
    sleeps.length = 0;
    faulty = new PlatformClient({
      endpoint: emulator.url,
      imsEndpoint: emulator.url,
      clientId: 'dataflowd-faults',
      clientSecret: 'emulator-secret',
      orgId: 'TEST@AdobeOrg',
      sandbox: 'prod',
      scopes: ['openid'],
      clock: healingClock,
      retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 },
    });
  });

  afterEach(async () => {
    emulator.faults.set({ rules: [] });
    await faulty.close();
  });

  test('429 with Retry-After: waits as asked, then goes through', async () => {
    await faulty.tenantId();
    emulator.faults.set({ rules: [{ path: '/data/foundation/catalog', errorRate: 1, status: 429, retryAfterSeconds: 2 }] });
    await expect(faulty.getDataset(DATASET)).resolves.toMatchObject({ id: DATASET });
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(2000);
  });

  test('503 with Retry-After in seconds: waits at least that long, then goes through', async () => {
    await faulty.tenantId();
    emulator.faults.set({ rules: [{ path: '/data/foundation/catalog', errorRate: 1, status: 503, retryAfterSeconds: 3 }] });
    await expect(faulty.getDataset(DATASET)).resolves.toMatchObject({ id: DATASET });
    expect(sleeps).toEqual([3000]);
  });

  test('429 with Retry-After as an HTTP date: waits until then', async () => {
    await faulty.tenantId();
    emulator.faults.set({ rules: [{ path: '/data/foundation/catalog', errorRate: 1, status: 429, retryAfterSeconds: 20, retryAfterAsDate: true }] });
    await expect(faulty.getDataset(DATASET)).resolves.toMatchObject({ id: DATASET });
    expect(sleeps).toHaveLength(1);
    // An HTTP date has whole seconds: the emulator names the second at least 20 s ahead.
    expect(sleeps[0]).toBeGreaterThan(19_000);
    expect(sleeps[0]).toBeLessThanOrEqual(21_000);
  });

  test('a lasting 5xx gives up after the configured attempts with a transient error', async () => {
    const waits: number[] = [];
    const stubborn = new PlatformClient({ ...clientOptions, clock: { now: () => new Date(), sleep: async (ms) => void waits.push(ms) } });
    try {
      await stubborn.tenantId();
      emulator.faults.set({ rules: [{ path: '/data/foundation/catalog', errorRate: 1, status: 502 }] });
      emulator.faults.resetCounts();
      await expect(stubborn.getDataset(DATASET)).rejects.toMatchObject({ code: 'ERR_PLATFORM_UNAVAILABLE', kind: 'transient', context: { status: 502 } });
      expect(emulator.faults.injected().statuses).toEqual({ 502: 3 });
      expect(waits).toHaveLength(2);
      waits.forEach((ms) => expect(ms).toBeLessThanOrEqual(50));
    } finally {
      await stubborn.close();
    }
  });

  test('a connection reset is retried', async () => {
    await faulty.tenantId();
    emulator.faults.set({ rules: [{ path: '/data/foundation/catalog', method: 'GET', resetRate: 1 }] });
    emulator.faults.resetCounts();
    await expect(faulty.getDataset(DATASET)).resolves.toMatchObject({ id: DATASET });
    expect(sleeps).toHaveLength(1);
  });

  test('a call Platform holds is given up at once when aborted', async () => {
    await faulty.tenantId();
    emulator.faults.set({ rules: [{ path: '/data/foundation/catalog', hold: true }] });
    emulator.faults.resetCounts();
    const ac = new AbortController();
    const pending = faulty.getDataset(DATASET, ac.signal);
    // Aborted once the emulator holds the request, not before it is sent.
    while (emulator.faults.injected().matched === 0) await new Promise((resolve) => setImmediate(resolve));
    ac.abort(new Error('stop now'));
    await expect(pending).rejects.toThrow('stop now');
    expect(sleeps).toHaveLength(0);
  });

  test('trouble before an upload body is read (the token) is retried inside', async () => {
    const b = await client.createBatch({ datasetId: DATASET, format: 'json' });
    const text = lines([{ id: 't', points: 3 }]);
    emulator.faults.set({ rules: [{ path: '/ims/token/v3', errorRate: 1, status: 503 }] });
    await faulty.uploadFile(b.id, DATASET, 't.json', Readable.from([Buffer.from(text)]), { size: text.length });
    expect(sleeps).toHaveLength(1);
    await client.completeBatch(b.id);
    await expect(client.waitForBatch(b.id, { pollMs: 20 })).resolves.toMatchObject({ status: 'success', metrics: { inputRecordCount: 1 } });
  });

  test('a reset connection on create is retried without making two batches', async () => {
    await faulty.tenantId();
    emulator.faults.set({ rules: [{ path: '/data/foundation/import/batches', method: 'POST', resetRate: 1 }] });
    const b = await faulty.createBatch({ datasetId: DATASET, format: 'json', externalId: 'reset-run-0' });
    expect(sleeps).toHaveLength(1);
    const same = await faulty.listBatches({ externalId: 'reset-run-0' });
    expect(same.map((x) => x.id)).toEqual([b.id]);
  });

  test('an upload answered 503 is handed back to the caller, who reopens the source and succeeds', async () => {
    const b = await faulty.createBatch({ datasetId: DATASET, format: 'json' });
    const text = lines([{ id: 'r', points: 1 }]);
    const open = () => Readable.from([Buffer.from(text)]);
    emulator.faults.set({ rules: [{ path: '/data/foundation/import/batches', method: 'PUT', errorRate: 1, status: 503, retryAfterSeconds: 1 }] });
    emulator.faults.resetCounts();
    const body = open();
    const err = await faulty.uploadFile(b.id, DATASET, 'r.json', body, { size: text.length }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_PLATFORM_UPLOAD_INTERRUPTED', kind: 'transient', retryAfterMs: 1000, context: { status: 503, causeCode: 'ERR_PLATFORM_UNAVAILABLE' } });
    // Not retried here: the body was sent, and only the caller can read its source again.
    expect(sleeps).toHaveLength(0);
    expect(emulator.faults.injected().statuses).toEqual({ 503: 1 });
    expect(body.destroyed).toBe(true);
    emulator.faults.set({ rules: [] });
    await faulty.uploadFile(b.id, DATASET, 'r.json', open(), { size: text.length });
    await faulty.completeBatch(b.id);
    await expect(faulty.waitForBatch(b.id, { pollMs: 20 })).resolves.toMatchObject({ status: 'success', metrics: { inputRecordCount: 1 } });
  });

  test('COMPLETE failing for longer than the attempts: a transient error, and completing later works', async () => {
    const b = await faulty.createBatch({ datasetId: DATASET, format: 'json' });
    const text = lines([{ id: 'q', points: 2 }]);
    await faulty.uploadFile(b.id, DATASET, 'q.json', Readable.from([Buffer.from(text)]), { size: text.length });
    const stubborn = new PlatformClient({
      endpoint: emulator.url,
      imsEndpoint: emulator.url,
      clientId: 'dataflowd-faults',
      clientSecret: 'emulator-secret',
      orgId: 'TEST@AdobeOrg',
      sandbox: 'prod',
      scopes: ['openid'],
      clock: { now: () => new Date(), sleep: async () => undefined },
      retry: { attempts: 2 },
    });
    try {
      emulator.faults.set({ rules: [{ path: '/data/foundation/import/batches', method: 'POST', errorRate: 1, status: 500 }] });
      await expect(stubborn.completeBatch(b.id)).rejects.toMatchObject({ code: 'ERR_PLATFORM_UNAVAILABLE', kind: 'transient', context: { status: 500 } });
      emulator.faults.set({ rules: [] });
      await stubborn.completeBatch(b.id);
      await expect(stubborn.waitForBatch(b.id, { pollMs: 20 })).resolves.toMatchObject({ status: 'success' });
    } finally {
      await stubborn.close();
    }
  });
});
