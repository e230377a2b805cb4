import { FaultInjector } from '../../src/emulator';
import { DATASET_ID, Harness } from './emulator-harness';

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
      expect((await h.call('GET', '/_emulator/faults', { bare: true })).json).toEqual({ rules: [] });
    });
  });
});
