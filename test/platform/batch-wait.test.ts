import { toBatch } from '../../src/platform/batch-status';
import { pollDelay, waitForBatch } from '../../src/platform/batch-wait';
import type { Batch } from '../../src/platform/types';
import { FakeClock } from './fake-clock';

function statuses(...list: string[]): (signal?: AbortSignal) => Promise<Batch> {
  let i = 0;
  return async () => toBatch({ id: 'b1', status: list[Math.min(i++, list.length - 1)] });
}

describe('pollDelay', () => {
  test('grows by half each poll up to the ceiling', () => {
    expect([1, 2, 3, 4, 5, 20].map((n) => pollDelay(n, 1000, 3000))).toEqual([1000, 1500, 2250, 3000, 3000, 3000]);
  });
});

describe('waitForBatch', () => {
  test('polls until a final status, reporting each change once', async () => {
    const clock = new FakeClock();
    const seen: string[] = [];
    const b = await waitForBatch(statuses('loading', 'processing', 'processing', 'success'), clock, 'b1', {
      pollMs: 100,
      maxPollMs: 150,
      onStatus: (x) => seen.push(x.status),
    });
    expect(b).toMatchObject({ id: 'b1', status: 'success', final: true, succeeded: true });
    expect(seen).toEqual(['loading', 'processing', 'success']);
    expect(clock.sleeps).toEqual([100, 150, 150]);
  });

  test('a failed batch is returned, not thrown', async () => {
    const b = await waitForBatch(statuses('processing', 'failed'), new FakeClock(), 'b1', { pollMs: 10 });
    expect(b).toMatchObject({ final: true, succeeded: false, status: 'failed' });
  });

  test('gives up after timeoutMs with a transient error, having polled once more at the deadline', async () => {
    const clock = new FakeClock();
    const err = await waitForBatch(statuses('processing'), clock, 'b1', { pollMs: 400, maxPollMs: 400, timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_PLATFORM_BATCH_WAIT_TIMEOUT', kind: 'transient', context: { batchId: 'b1', status: 'processing' } });
    expect(clock.sleeps).toEqual([400, 400, 200]);
  });

  test('a status Platform does not document is polled up to its limit, then the wait fails naming it', async () => {
    const clock = new FakeClock();
    const err = await waitForBatch(statuses('processing', 'hibernating'), clock, 'b1', { pollMs: 1000, maxPollMs: 1000, unknownStatusTimeoutMs: 3000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_PLATFORM_BATCH_STATUS_UNKNOWN', kind: 'platform', context: { batchId: 'b1', status: 'hibernating' } });
    expect((err as Error).message).toContain('"hibernating", which Platform does not document');
    // One poll of processing, then hibernating first seen and polled until 3 s had gone by.
    expect(clock.sleeps).toEqual([1000, 1000, 1000, 1000]);
  });

  test('a documented status between unknown ones starts the limit again', async () => {
    const clock = new FakeClock();
    const b = await waitForBatch(statuses('odd', 'odd', 'retrying', 'odd', 'odd', 'success'), clock, 'b1', { pollMs: 1000, maxPollMs: 1000, unknownStatusTimeoutMs: 1500 });
    expect(b.status).toBe('success');
  });

  test('stops when the signal aborts', async () => {
    const ac = new AbortController();
    const get = async () => {
      ac.abort(new Error('shutting down'));
      return toBatch({ id: 'b1', status: 'processing' });
    };
    await expect(waitForBatch(get, new FakeClock(), 'b1', { signal: ac.signal })).rejects.toThrow('shutting down');
  });

  test('an error reading the batch ends the wait', async () => {
    const get = async (): Promise<Batch> => {
      throw new Error('catalog down');
    };
    await expect(waitForBatch(get, new FakeClock(), 'b1')).rejects.toThrow('catalog down');
  });
});
