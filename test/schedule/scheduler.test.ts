import pino from 'pino';
import { Scheduler, SchedulerOptions } from '../../src/schedule/scheduler';
import { FakeClock, settle } from '../support/fake-clock';

/** A scheduler whose runs are recorded and finish when the test says so. */
function harness(over: Partial<SchedulerOptions> = {}) {
  const clock = new FakeClock('2026-11-29T10:00:30Z');
  const logs: Array<{ msg: string; stepMs?: number }> = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const runs: Array<{ name: string; trigger: string; at: string; finish: (failed?: boolean) => void }> = [];
  const overlaps: string[] = [];
  const scheduler = new Scheduler({
    clock,
    logger,
    run: (name, trigger) =>
      new Promise((resolve) => runs.push({ name, trigger, at: clock.now().toISOString(), finish: (failed = false) => resolve({ failed }) })),
    overlapped: async (name) => void overlaps.push(`${name}@${clock.now().toISOString()}`),
    onceDone: async () => false,
    hasRun: async () => true,
    ...over,
  });
  return { clock, scheduler, runs, overlaps, logs };
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

  describe('survives the clock being stepped (NTP corrections, VM snapshots restored)', () => {
    const HOUR = 60 * MINUTE;

    it('a step back of 25 hours: the next run comes within one interval, not 25 hours later', async () => {
      const { clock, scheduler, runs, logs } = harness();
      await scheduler.add({ name: 'a', schedule: { frequency: 'minute', interval: 5 } });
      await clock.advance(5 * MINUTE);
      runs[0].finish();
      await clock.advance(MINUTE);
      clock.step(-25 * HOUR);
      await clock.advance(5 * MINUTE);
      expect(runs.map((r) => r.at)).toEqual(['2026-11-29T10:05:00.000Z', '2026-11-28T09:10:00.000Z']);
      expect(scheduler.nextRun('a')?.toISOString()).toBe('2026-11-28T09:15:00.000Z');
      expect(logs).toContainEqual(expect.objectContaining({ msg: 'the clock stepped back: next run taken from the new time', stepMs: -25 * HOUR }));
      runs[1].finish();
      await clock.advance(5 * MINUTE);
      expect(runs.at(-1)?.at).toBe('2026-11-28T09:15:00.000Z');
      await scheduler.stop();
    });

    it('a step back under a daily cron: the run comes at the next 03:00 of the new time', async () => {
      const { clock, scheduler, runs } = harness();
      await scheduler.add({ name: 'nightly', schedule: { cron: '0 3 * * *' } });
      await clock.advance(17 * HOUR);
      expect(runs.map((r) => r.at)).toEqual(['2026-11-30T03:00:00.000Z']);
      runs[0].finish();
      await clock.advance(HOUR);
      clock.step(-25 * HOUR);
      await clock.advance(24 * HOUR);
      expect(runs.map((r) => r.at)).toEqual(['2026-11-30T03:00:00.000Z', '2026-11-30T03:00:00.000Z']);
      await scheduler.stop();
    });

    it('a step forward of 25 hours: one run for the missed ticks, then the grid again, and a word in the log', async () => {
      const { clock, scheduler, runs, logs } = harness();
      await scheduler.add({ name: 'a', schedule: { frequency: 'minute', interval: 5 } });
      await clock.advance(5 * MINUTE);
      runs[0].finish();
      clock.step(25 * HOUR);
      await clock.advance(MINUTE);
      expect(runs.map((r) => r.at)).toEqual(['2026-11-29T10:05:00.000Z', '2026-11-30T11:06:00.000Z']);
      runs[1].finish();
      await clock.advance(5 * MINUTE);
      expect(runs.map((r) => r.at).slice(2)).toEqual(['2026-11-30T11:10:00.000Z']);
      expect(logs).toContainEqual(expect.objectContaining({ msg: 'the clock stepped forward (or the process was suspended): ticks missed meanwhile are not replayed' }));
      await scheduler.stop();
    });

    it('a small step back before a tick fires it once, at its time', async () => {
      const { clock, scheduler, runs, logs } = harness();
      await scheduler.add({ name: 'a', schedule: { frequency: 'minute', interval: 5 } });
      await clock.advance(4 * MINUTE + 29_000);
      clock.step(-2000);
      await clock.advance(10_000);
      expect(runs.map((r) => r.at)).toEqual(['2026-11-29T10:05:00.000Z']);
      runs[0].finish();
      await clock.advance(5 * MINUTE);
      expect(runs.map((r) => r.at)).toEqual(['2026-11-29T10:05:00.000Z', '2026-11-29T10:10:00.000Z']);
      expect(logs).toEqual([]);
      await scheduler.stop();
    });

    it('the backoff after failures counts elapsed time: a step back does not lengthen it', async () => {
      const { clock, scheduler, runs } = harness();
      await scheduler.add({ name: 'flaky', schedule: { frequency: 'minute' } });
      await clock.advance(MINUTE / 2);
      runs[0].finish(true);
      for (let i = 0; i < 2; i++) {
        await clock.advance(MINUTE);
        runs[runs.length - 1].finish(true);
      }
      // Three failures at 10:01, 10:02, 10:03: the next run waits 2 minutes after the third (10:05).
      await clock.advance(MINUTE / 2);
      clock.step(-25 * HOUR);
      await clock.advance(2 * MINUTE);
      expect(runs.map((r) => r.at.slice(0, 16))).toEqual(['2026-11-29T10:01', '2026-11-29T10:02', '2026-11-29T10:03', '2026-11-28T09:05']);
      await scheduler.stop();
    });
  });
});
