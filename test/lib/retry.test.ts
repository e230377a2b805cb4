import type { Clock } from '../../src/lib/clock';
import { dataflowError } from '../../src/lib/errors';
import { retry, RETRY_POLICIES, retriesSpent } from '../../src/lib/retry';

/** A clock whose sleeps pass at once, adding up how long was waited. */
function instantClock(): Clock & { waited: number } {
  const clock = {
    waited: 0,
    now: () => new Date(clock.waited),
    sleep: async (ms: number) => {
      clock.waited += ms;
    },
  };
  return clock;
}

const transient = (code: 'ERR_PLATFORM_UNAVAILABLE' | 'ERR_PLATFORM_UPLOAD_INTERRUPTED' | 'ERR_PLATFORM_THROTTLED' = 'ERR_PLATFORM_UNAVAILABLE', retryAfterMs?: number) => dataflowError(code, 'transient', 'unavailable', { retryAfterMs });

describe('retry', () => {
  it('does not retry what a loop inside it already gave up on: one policy per call, not their product', async () => {
    const clock = instantClock();
    let calls = 0;
    const inner = () => retry(async () => {
      calls++;
      throw transient();
    }, { ...RETRY_POLICIES.platformCall, clock, random: () => 1 });
    const err = await retry(inner, { ...RETRY_POLICIES.fileUpload, clock, random: () => 1 }).catch((e: unknown) => e);
    expect(calls).toBe(RETRY_POLICIES.platformCall.attempts);
    expect(retriesSpent(err)).toBe(true);
  });

  it('retries outside what the loop inside could not retry (a body already sent), within its own policy', async () => {
    const clock = instantClock();
    let calls = 0;
    const inner = () => retry(async () => {
      calls++;
      throw transient('ERR_PLATFORM_UPLOAD_INTERRUPTED');
    }, { ...RETRY_POLICIES.platformCall, clock, retryable: () => false });
    await expect(retry(inner, { ...RETRY_POLICIES.fileUpload, clock })).rejects.toMatchObject({ code: 'ERR_PLATFORM_UPLOAD_INTERRUPTED' });
    expect(calls).toBe(RETRY_POLICIES.fileUpload.attempts);
  });

  it('stops when the next wait would pass its budget of time, Retry-After included', async () => {
    const clock = instantClock();
    let calls = 0;
    const err = await retry(async () => {
      calls++;
      throw transient('ERR_PLATFORM_THROTTLED', 4 * 60_000);
    }, { ...RETRY_POLICIES.platformCall, clock }).catch((e: unknown) => e);
    // 10 minutes allow two waits of 4 minutes, not a third.
    expect(calls).toBe(3);
    expect(clock.waited).toBe(8 * 60_000);
    expect(retriesSpent(err)).toBe(true);
  });

  it('passes on at once an error that is not worth another attempt, unmarked', async () => {
    let calls = 0;
    const err = await retry(async () => {
      calls++;
      throw dataflowError('ERR_SOURCE_AUTH', 'auth', 'denied');
    }, { clock: instantClock() }).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(retriesSpent(err)).toBe(false);
  });
});
