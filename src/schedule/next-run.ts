/** Pure schedule arithmetic (STYLE.md rule 4): functions of the schedule and a given instant. */

export type Frequency = 'once' | 'minute' | 'hour' | 'day' | 'week';

const UNIT_MS: Record<Exclude<Frequency, 'once'>, number> = {
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 7 * 86_400_000,
};

export function periodMs(frequency: Exclude<Frequency, 'once'>, interval: number): number {
  return UNIT_MS[frequency] * Math.max(1, interval);
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
