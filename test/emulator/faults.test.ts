import { request as httpRequest } from 'node:http';
import { FaultInjector, startEmulator } from '../../src/emulator';
import { FakeClock, settle } from '../support/fake-clock';
import { DATASET_ID, goodRecord, Harness, jsonLines } from './emulator-harness';

describe('fault injection', () => {
  test('no rules, no faults; the first matching rule decides', () => {
    const rolls = [0.1, 0.9];
    const faults = new FaultInjector(() => rolls.shift() ?? 0.5);
    expect(faults.decide('GET', '/data/foundation/catalog/batches')).toBeUndefined();
    faults.set({ rules: [{ path: '/data/foundation/import', method: 'put', errorRate: 0.5, status: 500 }, { latencyMs: 5 }] });
    expect(faults.decide('PUT', '/data/foundation/import/batches/x/datasets/y/files/z')).toEqual({
      latencyMs: 0,
      action: { kind: 'status', status: 500, retryAfterSeconds: undefined },
    });
    expect(faults.decide('PUT', '/data/foundation/import/batches/x/datasets/y/files/z')).toBeUndefined();
    expect(faults.decide('GET', '/data/foundation/catalog/batches?x=1')).toEqual({ latencyMs: 5 });
    expect(faults.decide('GET', '/_emulator/faults')).toBeUndefined();
    expect(() => faults.set({ rules: [{ errorRate: 2 }] })).toThrow();
  });

  describe('over HTTP', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await Harness.start();
    });
    afterAll(async () => {
      await h.close();
    });
    afterEach(async () => {
      await h.call('PUT', '/_emulator/faults', { bare: true, body: { rules: [] } });
    });

    const catalog = () => h.call('GET', `/data/foundation/catalog/dataSets/${DATASET_ID}`);

    test('a 429 rule answers like the gateway, with Retry-After', async () => {
      const set = await h.call('PUT', '/_emulator/faults', {
        bare: true,
        body: { rules: [{ path: '/data/foundation/catalog', errorRate: 1, status: 429, retryAfterSeconds: 2 }] },
      });
      expect(set.status).toBe(200);
      expect((await h.call('GET', '/_emulator/faults', { bare: true })).json.rules[0]).toMatchObject({ status: 429, errorRate: 1 });
      const reply = await catalog();
      expect(reply.status).toBe(429);
      expect(reply.headers['retry-after']).toBe('2');
      expect(reply.json).toEqual({ error_code: '429050', message: 'Too many requests' });
    });

    test('a 503 rule answers a problem document', async () => {
      h.emulator.faults.set({ rules: [{ errorRate: 1, status: 503 }] });
      const reply = await catalog();
      expect(reply.status).toBe(503);
      expect(reply.json).toMatchObject({ status: 503, title: 'Injected fault' });
    });

    test('a reset rule drops the connection', async () => {
      h.emulator.faults.set({ rules: [{ resetRate: 1 }] });
      await expect(catalog()).rejects.toThrow();
      h.emulator.faults.set({ rules: [] });
      expect((await catalog()).status).toBe(200);
    });

    test('malformed rules are a 400 and change nothing', async () => {
      const reply = await h.call('PUT', '/_emulator/faults', { bare: true, body: { rules: [{ errorRate: 'often' }] } });
      expect(reply.status).toBe(400);
      expect((await h.call('GET', '/_emulator/faults', { bare: true })).json).toEqual({ rules: [], batchFailureRate: 0, batchStatuses: [] });
    });

    test('several statuses are picked among at random; Retry-After may be an HTTP date', async () => {
      h.emulator.faults.set({ rules: [{ path: '/data/foundation/catalog', errorRate: 1, status: [429, 503], retryAfterSeconds: 3, retryAfterAsDate: true }] });
      const seen = new Set<number>();
      for (let i = 0; i < 40 && seen.size < 2; i++) {
        const reply = await catalog();
        seen.add(reply.status);
        const at = Date.parse(String(reply.headers['retry-after']));
        expect(at - Date.now()).toBeGreaterThan(1000);
        expect(at - Date.now()).toBeLessThanOrEqual(4000);
      }
      expect([...seen].sort()).toEqual([429, 503]);
    });

    test('a mid-upload reset takes half the body, then drops the connection; nothing is stored', async () => {
      const id = await h.createBatch();
      h.emulator.faults.set({ rules: [{ method: 'PUT', midUploadResetRate: 1 }] });
      const body = jsonLines(Array.from({ length: 2000 }, (_, i) => goodRecord(i)));
      await expect(h.upload(id, 'cut.json', body)).rejects.toThrow();
      h.emulator.faults.set({ rules: [] });
      expect((await h.call('HEAD', h.filesUrl(id, 'cut.json'))).status).toBe(404);
      expect((await h.upload(id, 'cut.json', body)).status).toBe(201);
    });

    test('on a request without a body it is a plain reset; the counts say what was injected', async () => {
      h.emulator.faults.set({ rules: [{ path: '/data/foundation/catalog', midUploadResetRate: 0.5, errorRate: 0.5, status: 429, latencyMs: 1 }] });
      let failed = 0;
      for (let i = 0; i < 10; i++) failed += await catalog().then((r) => (r.status === 429 ? 1 : 0), () => 1);
      expect(failed).toBe(10);
      const injected = (await h.call('GET', '/_emulator/faults/injected', { bare: true })).json;
      expect(injected).toMatchObject({ matched: 10, midUploadResets: 0, delayed: 10, failedBatches: 0 });
      expect(injected.resets + (injected.statuses['429'] ?? 0)).toBe(10);
    });

    test('batchFailureRate: a completed batch with good records ends failed, with an error saying why', async () => {
      h.emulator.faults.set({ rules: [], batchFailureRate: 1 });
      const { batch } = await h.ingest({ 'ok.json': jsonLines([goodRecord(1)]) });
      expect(batch.status).toBe('failed');
      expect(batch.errors).toEqual([expect.objectContaining({ code: 'INGEST-EMU-FAULT-500' })]);
      expect(batch.metrics).toMatchObject({ inputRecordCount: 1, outputRecordCount: 0 });
      expect(h.emulator.faults.injected().failedBatches).toBe(1);
      h.emulator.faults.set({ rules: [] });
      expect((await h.ingest({ 'ok.json': jsonLines([goodRecord(1)]) })).batch.status).toBe('success');
    });
  });

  test('added latency holds a request until it runs out, and ends early when the client hangs up', async () => {
    const clock = new FakeClock('2026-11-29T00:00:00Z');
    const h = await Harness.start({ clock, faults: { rules: [{ path: '/data/foundation/catalog', latencyMs: 60_000 }] } });
    // Waits on the event loop (I/O included), not on time, for the clock's sleepers to number n.
    const sleepers = async (n: number) => {
      for (let i = 0; i < 2000 && clock.pending() !== n; i++) await settle(1);
      return clock.pending();
    };
    try {
      const answered = h.call('GET', `/data/foundation/catalog/dataSets/${DATASET_ID}`);
      expect(await sleepers(1)).toBe(1);
      await clock.advance(60_000);
      expect((await answered).status).toBe(200);

      const req = httpRequest(`${h.emulator.url}/data/foundation/catalog/dataSets/${DATASET_ID}`, { headers: h.gatewayHeaders });
      req.on('error', () => undefined);
      req.end();
      expect(await sleepers(1)).toBe(1);
      req.destroy();
      // The hung-up request no longer waits for the clock: nothing is left to keep the process alive.
      expect(await sleepers(0)).toBe(0);
      expect(h.emulator.faults.injected().delayed).toBe(2);
    } finally {
      await h.close();
    }
  });

  test('faults given at start-up are in force from the first request; malformed ones fail the start', async () => {
    const h = await Harness.start({ faults: { rules: [{ path: '/data/foundation/catalog', errorRate: 1, status: 502 }] } });
    try {
      expect((await h.call('GET', `/data/foundation/catalog/dataSets/${DATASET_ID}`)).status).toBe(502);
    } finally {
      await h.close();
    }
    await expect(startEmulator({ dataDir: '/nonexistent/never-created', datasets: [], faults: { rules: [{ errorRate: 0.8, resetRate: 0.8 }] } })).rejects.toThrow(
      /must not exceed 1/,
    );
  });
});
