import { cronSchedule } from './cron-next';
import { addDays, fromWallTime, toWallTime } from './zoned-time';

/** Pure schedule arithmetic (STYLE.md rule 4): functions of the schedule and a given instant. */

export type Frequency = 'once' | 'minute' | 'hour' | 'day' | 'week';

export interface ScheduleSpec {
  frequency?: Frequency;
  interval?: number;
  cron?: string;
  timezone?: string;
  startTime?: Date;
}

export interface Schedule {
  /** The first tick strictly after `after`; undefined for `once` (it has no ticks). */
  next(after: Date): Date | undefined;
}

const UNIT_MS = { minute: 60_000, hour: 3_600_000 } as const;

export function periodMs(frequency: 'minute' | 'hour' | 'day' | 'week', interval: number): number {
  const days = frequency === 'day' ? 1 : 7;
  return (frequency === 'minute' || frequency === 'hour' ? UNIT_MS[frequency] : days * 86_400_000) * Math.max(1, interval);
}

/**
 * The first tick strictly after `after`, on the grid `anchor + k·period`. Before the anchor the
 * anchor itself is the next tick (no run before startTime).
 */
export function nextGridTick(anchor: Date, period: number, after: Date): Date {
  const a = anchor.getTime();
  const t = after.getTime();
  if (t < a) return new Date(a);
  const k = Math.floor((t - a) / period) + 1;
  return new Date(a + k * period);
}

/**
 * Days and weeks are calendar steps on the wall clock of the time zone: "every day at 06:00
 * Paris time" stays at 06:00 across daylight-saving changes, although that day is 23 or 25
 * hours long.
 */
function nextCalendarTick(anchor: Date, stepDays: number, timezone: string, after: Date): Date {
  if (after.getTime() < anchor.getTime()) return anchor;
  const wall = toWallTime(anchor, timezone);
  const approx = Math.floor((after.getTime() - anchor.getTime()) / (stepDays * 86_400_000));
  for (let k = Math.max(0, approx - 1); ; k++) {
    const day = addDays(wall, k * stepDays);
    const at = fromWallTime({ ...day, hour: wall.hour, minute: wall.minute, second: wall.second }, timezone);
    if (at.getTime() > after.getTime()) return at;
  }
}

/** Midnight of the day of `at` in the zone: the anchor of day/week schedules without startTime. */
function localMidnight(at: Date, timezone: string): Date {
  const w = toWallTime(at, timezone);
  return fromWallTime({ year: w.year, month: w.month, day: w.day, hour: 0, minute: 0, second: 0 }, timezone);
}

export function scheduleOf(spec: ScheduleSpec): Schedule {
  const timezone = spec.timezone ?? 'UTC';
  if (spec.cron) {
    const cron = cronSchedule(spec.cron, timezone);
    const start = spec.startTime;
    return { next: (after) => cron.next(start && after.getTime() < start.getTime() ? new Date(start.getTime() - 1) : after) };
  }
  const frequency = spec.frequency ?? 'once';
  const interval = Math.max(1, spec.interval ?? 1);
  switch (frequency) {
    case 'once':
      return { next: () => undefined };
    case 'minute':
    case 'hour':
      // Without startTime the grid starts at the Unix epoch: every hour means on the hour (UTC
      // offsets are whole or half hours), whatever moment the daemon started.
      return { next: (after) => nextGridTick(spec.startTime ?? new Date(0), periodMs(frequency, interval), after) };
    case 'day':
    case 'week': {
      const step = (frequency === 'day' ? 1 : 7) * interval;
      return { next: (after) => nextCalendarTick(spec.startTime ?? localMidnight(new Date(0), timezone), step, timezone, after) };
    }
  }
}
