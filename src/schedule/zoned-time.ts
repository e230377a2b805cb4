/**
 * Wall-clock time in an IANA time zone, with nothing but Intl: what a date looks like on a clock
 * in `timezone`, and which instant a wall-clock time means there — including the two awkward
 * cases of daylight-saving changes.
 */
export interface WallTime {
  year: number;
  month: number; // 1–12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timezone, f);
  }
  return f;
}

export function toWallTime(date: Date, timezone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(timezone).formatToParts(date)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour, minute: parts.minute, second: parts.second };
}

/** Minutes the zone is ahead of UTC at that instant. */
function offsetMs(instant: number, timezone: string): number {
  const w = toWallTime(new Date(instant), timezone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

function sameWall(a: WallTime, b: WallTime): boolean {
  return a.year === b.year && a.month === b.month && a.day === b.day && a.hour === b.hour && a.minute === b.minute && a.second === b.second;
}

/**
 * The instant a wall-clock time means in `timezone`. When the clocks go back, a time happens
 * twice: the first one is meant. When they go forward, a time in the gap does not exist: it is
 * moved forward by the length of the gap (02:30 on a spring-forward night → 03:30), so a daily
 * job still runs that day.
 */
export function fromWallTime(w: WallTime, timezone: string): Date {
  const naive = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  const before = offsetMs(naive - 86_400_000, timezone);
  const after = offsetMs(naive + 86_400_000, timezone);
  const candidates = [naive - before, naive - after].filter((t) => sameWall(toWallTime(new Date(t), timezone), w));
  if (candidates.length > 0) return new Date(Math.min(...candidates));
  return new Date(naive - before);
}

/** The calendar day `days` after the wall time's day (no time-zone arithmetic involved). */
export function addDays(w: Pick<WallTime, 'year' | 'month' | 'day'>, days: number): { year: number; month: number; day: number } {
  const d = new Date(Date.UTC(w.year, w.month - 1, w.day + days, 12));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}
