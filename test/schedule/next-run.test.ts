import { nextGridTick, periodMs } from '../../src/schedule/next-run';

describe('nextGridTick', () => {
  const anchor = new Date('2026-12-01T00:00:00Z');
  const twoHours = periodMs('hour', 2);
  it.each([
    ['before the anchor: the anchor', '2026-11-30T10:00:00Z', '2026-12-01T00:00:00Z'],
    ['on the anchor: the next tick', '2026-12-01T00:00:00Z', '2026-12-01T02:00:00Z'],
    ['between ticks', '2026-12-01T03:59:59Z', '2026-12-01T04:00:00Z'],
    ['long after', '2026-12-31T23:00:00Z', '2027-01-01T00:00:00Z'],
  ])('%s', (_n, after, expected) => {
    expect(nextGridTick(anchor, twoHours, new Date(after)).toISOString()).toBe(new Date(expected).toISOString());
  });
  it('knows its units', () => {
    expect(periodMs('minute', 15)).toBe(15 * 60_000);
    expect(periodMs('week', 1)).toBe(604_800_000);
    expect(periodMs('day', 0)).toBe(86_400_000);
  });
});
