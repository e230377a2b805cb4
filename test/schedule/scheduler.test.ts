import { silentLogger } from '../../src/lib/logger';
import { Scheduler, SchedulerOptions } from '../../src/schedule/scheduler';
import { FakeClock, settle } from '../support/fake-clock';

/** A scheduler whose runs are recorded and finish when the test says so. */
function harness(over: Partial<SchedulerOptions> = {}) {
  const clock = new FakeClock('2026-11-29T10:00:30Z');
  const runs: Array<{ name: string; trigger: string; at: string; finish: (failed?: boolean) => void }> = [];
  const overlaps: string[] = [];
  const scheduler = new Scheduler({
    clock,
    logger: silentLogger,
    run: (name, trigger) =>
      new Promise((resolve) => runs.push({ name, trigger, at: clock.now().toISOString(), finish: (failed = false) => resolve({ failed }) })),
    overlapped: async (name) => void overlaps.push(`${name}@${clock.now().toISOString()}`),
    onceDone: async () => false,
    hasRun: async () => true,
    ...over,
  });
  return { clock, scheduler, runs, overlaps };
}

const MINUTE = 60_000;

describe('Scheduler', () => {
  it('fires a frequency schedule on its grid and shows the next run', async () => {
    const { clock, scheduler, runs } = harness();
    await scheduler.add({ name: 'a', schedule: { frequency: 'minute', interval: 5 } });
    await settle();
    expect(scheduler.nextRun('a')?.toISOString()).toBe('2026-11-29T10:05:00.000Z');
    await clock.advance(5 * MINUTE);
    expect(runs.map((r) => r.at)).toEqual(['2026-11-29T10:05:00.000Z']);
    runs[0].finish();
    await clock.advance(5 * MINUTE);
    expect(runs.map((r) => r.at)).toEqual(['2026-11-29T10:05:00.000Z', '2026-11-29T10:10:00.000Z']);
    await scheduler.stop();
  });

  it('runs a dataflow that never ran at once, then on its schedule', async () => {
    const { clock, scheduler, runs } = harness({ hasRun: async () => false });
    await scheduler.add({ name: 'a', schedule: { cron: '0 * * * *' } });
    await settle();
    expect(runs.map((r) => r.at)).toEqual(['2026-11-29T10:00:30.000Z']);
    runs[0].finish();
    await clock.advance(60 * MINUTE);
    expect(runs.map((r) => r.at)).toEqual(['2026-11-29T10:00:30.000Z', '2026-11-29T11:00:00.000Z']);
    await scheduler.stop();
  });

  it('never overlaps a dataflow with itself: a tick during a run is recorded, not queued', async () => {
    const { clock, scheduler, runs, overlaps } = harness();
    await scheduler.add({ name: 'slow', schedule: { frequency: 'minute' } });
    await clock.advance(3 * MINUTE);
    expect(runs).toHaveLength(1);
    expect(overlaps).toEqual(['slow@2026-11-29T10:02:00.000Z', 'slow@2026-11-29T10:03:00.000Z']);
    runs[0].finish();
    await clock.advance(MINUTE);
    expect(runs).toHaveLength(2);
    await scheduler.stop();
  });

  it('does not replay missed ticks: one run catches up', async () => {
    const { clock, scheduler, runs } = harness();
    await scheduler.add({ name: 'a', schedule: { frequency: 'minute' } });
    // The process is stalled for ten minutes (a laptop asleep, a long GC): the clock jumps.
    (clock as unknown as { t: number }).t += 10 * MINUTE;
    await clock.advance(0);
    expect(runs).toHaveLength(1);
    runs[0].finish();
    await clock.advance(MINUTE);
    expect(runs).toHaveLength(2);
    await scheduler.stop();
  });

  it('backs off after repeated failures', async () => {
    const { clock, scheduler, runs } = harness();
    await scheduler.add({ name: 'flaky', schedule: { frequency: 'minute' } });
    await clock.advance(MINUTE / 2);
    runs[0].finish(true);
    for (let i = 0; i < 2; i++) {
      await clock.advance(MINUTE);
      runs[runs.length - 1].finish(true);
      await settle();
    }
    // Three failures at 10:01, 10:02, 10:03 → wait at least 2 minutes after the third.
    expect(runs.map((r) => r.at.slice(11, 16))).toEqual(['10:01', '10:02', '10:03']);
    await clock.advance(MINUTE);
    expect(runs).toHaveLength(3);
    await clock.advance(MINUTE);
    expect(runs.map((r) => r.at.slice(11, 16))).toEqual(['10:01', '10:02', '10:03', '10:05']);
    runs[3].finish(false);
    await clock.advance(MINUTE);
    expect(runs.map((r) => r.at.slice(11, 16)).at(-1)).toBe('10:06');
    await scheduler.stop();
  });

  it('runs once at startTime, and not at all when that definition already ran', async () => {
    const first = harness();
    await first.scheduler.add({ name: 'o', schedule: { frequency: 'once', startTime: new Date('2026-11-29T12:00:00Z') } });
    await first.clock.advance(60 * MINUTE);
    expect(first.runs).toHaveLength(0);
    await first.clock.advance(60 * MINUTE);
    expect(first.runs.map((r) => [r.trigger, r.at])).toEqual([['once', '2026-11-29T12:00:00.000Z']]);
    first.runs[0].finish();
    await first.clock.advance(24 * 60 * MINUTE);
    expect(first.runs).toHaveLength(1);

    const again = harness({ onceDone: async () => true });
    await again.scheduler.add({ name: 'o', schedule: { frequency: 'once' } });
    await again.clock.advance(60 * MINUTE);
    expect(again.runs).toHaveLength(0);
  });

  it('stops firing a removed dataflow and hands back the runs in flight on stop', async () => {
    const { clock, scheduler, runs } = harness();
    await scheduler.add({ name: 'a', schedule: { frequency: 'minute' } });
    await scheduler.add({ name: 'b', schedule: { frequency: 'minute' } });
    await scheduler.remove('b');
    await clock.advance(MINUTE);
    expect(runs.map((r) => r.name)).toEqual(['a']);
    const inFlight = await scheduler.stop();
    expect(inFlight).toHaveLength(1);
    runs[0].finish();
    await Promise.all(inFlight);
    await clock.advance(10 * MINUTE);
    expect(runs).toHaveLength(1);
    expect(clock.pending()).toBe(0);
  });
});
