import { nextGridTick, periodMs, scheduleOf } from '../../src/schedule/next-run';

const iso = (d: Date | undefined) => d?.toISOString();
const at = (s: string) => new Date(s);

/** Follows a schedule from `from` for n ticks. */
function ticks(spec: Parameters<typeof scheduleOf>[0], from: string, n: number): string[] {
  const s = scheduleOf(spec);
  const out: string[] = [];
  let t = at(from);
  for (let i = 0; i < n; i++) {
    const next = s.next(t);
    if (!next) break;
    out.push(next.toISOString());
    t = next;
  }
  return out;
}

describe('nextGridTick', () => {
  const anchor = at('2026-12-01T00:00:00Z');
  const twoHours = periodMs('hour', 2);
  it.each([
    ['before the anchor: the anchor', '2026-11-30T10:00:00Z', '2026-12-01T00:00:00.000Z'],
    ['on the anchor: the next tick', '2026-12-01T00:00:00Z', '2026-12-01T02:00:00.000Z'],
    ['between ticks', '2026-12-01T03:59:59Z', '2026-12-01T04:00:00.000Z'],
    ['long after', '2026-12-31T23:00:00Z', '2027-01-01T00:00:00.000Z'],
  ])('%s', (_n, after, expected) => {
    expect(iso(nextGridTick(anchor, twoHours, at(after)))).toBe(expected);
  });
  it('knows its units', () => {
    expect(periodMs('minute', 15)).toBe(15 * 60_000);
    expect(periodMs('week', 1)).toBe(604_800_000);
    expect(periodMs('day', 0)).toBe(86_400_000);
  });
});

describe('frequency schedules', () => {
  it('once has no ticks', () => {
    expect(scheduleOf({ frequency: 'once' }).next(at('2026-01-01T00:00:00Z'))).toBeUndefined();
  });
  it('every 15 minutes, on the quarter hour without startTime', () => {
    expect(ticks({ frequency: 'minute', interval: 15 }, '2026-11-29T10:07:13Z', 3)).toEqual(['2026-11-29T10:15:00.000Z', '2026-11-29T10:30:00.000Z', '2026-11-29T10:45:00.000Z']);
  });
  it('every 2 hours from startTime, nothing before it', () => {
    expect(ticks({ frequency: 'hour', interval: 2, startTime: at('2026-12-01T00:30:00Z') }, '2026-11-29T00:00:00Z', 3)).toEqual([
      '2026-12-01T00:30:00.000Z',
      '2026-12-01T02:30:00.000Z',
      '2026-12-01T04:30:00.000Z',
    ]);
  });
  it('hourly runs keep elapsed time across a DST change (Europe/Paris, spring)', () => {
    expect(ticks({ frequency: 'hour', timezone: 'Europe/Paris' }, '2026-03-29T00:30:00Z', 3)).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-29T02:00:00.000Z', '2026-03-29T03:00:00.000Z']);
  });
  it('daily at 06:00 Paris time stays at 06:00 across both DST changes', () => {
    const start = at('2026-03-27T05:00:00Z'); // 06:00 CET
    expect(ticks({ frequency: 'day', timezone: 'Europe/Paris', startTime: start }, '2026-03-27T05:00:00Z', 3)).toEqual([
      '2026-03-28T05:00:00.000Z', // 06:00 CET
      '2026-03-29T04:00:00.000Z', // 06:00 CEST: a 23-hour day
      '2026-03-30T04:00:00.000Z',
    ]);
    expect(ticks({ frequency: 'day', timezone: 'Europe/Paris', startTime: start }, '2026-10-24T04:00:00Z', 2)).toEqual([
      '2026-10-25T05:00:00.000Z', // 06:00 CET again: a 25-hour day
      '2026-10-26T05:00:00.000Z',
    ]);
  });
  it('weekly in New York keeps the local time across DST (America/New_York)', () => {
    const start = at('2026-03-02T14:00:00Z'); // Monday 09:00 EST
    expect(ticks({ frequency: 'week', timezone: 'America/New_York', startTime: start }, '2026-03-02T14:00:00Z', 2)).toEqual([
      '2026-03-09T13:00:00.000Z', // Monday 09:00 EDT (DST began 8 March)
      '2026-03-16T13:00:00.000Z',
    ]);
  });
  it('every 3 days from local midnight without startTime', () => {
    const [first, second] = ticks({ frequency: 'day', interval: 3, timezone: 'UTC' }, '2026-11-29T12:00:00Z', 2);
    expect(Date.parse(second) - Date.parse(first)).toBe(3 * 86_400_000);
    expect(first.endsWith('T00:00:00.000Z')).toBe(true);
  });
});

describe('cron schedules', () => {
  it('every weekday at 09:00 in Paris, across the spring change', () => {
    expect(ticks({ cron: '0 9 * * 1-5', timezone: 'Europe/Paris' }, '2026-03-26T12:00:00Z', 3)).toEqual([
      '2026-03-27T08:00:00.000Z', // Friday 09:00 CET
      '2026-03-30T07:00:00.000Z', // Monday 09:00 CEST
      '2026-03-31T07:00:00.000Z',
    ]);
  });
  it('a time that the spring change skips runs after the gap (02:30 → 03:30)', () => {
    expect(ticks({ cron: '30 2 * * *', timezone: 'Europe/Paris' }, '2026-03-28T12:00:00Z', 2)).toEqual([
      '2026-03-29T01:30:00.000Z', // 03:30 CEST: 02:30 does not exist that night
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
    ]);
  });
  it('a time that the autumn change repeats runs once (America/New_York 01:30)', () => {
    expect(ticks({ cron: '30 1 * * *', timezone: 'America/New_York' }, '2026-10-31T12:00:00Z', 2)).toEqual([
      '2026-11-01T05:30:00.000Z', // 01:30 EDT, the first of the two
      '2026-11-02T06:30:00.000Z', // 01:30 EST
    ]);
  });
  it('six fields: every 10 seconds', () => {
    expect(ticks({ cron: '*/10 * * * * *' }, '2026-11-29T10:00:05Z', 3)).toEqual(['2026-11-29T10:00:10.000Z', '2026-11-29T10:00:20.000Z', '2026-11-29T10:00:30.000Z']);
  });
  it('the last day of the month', () => {
    expect(ticks({ cron: '0 0 L * *' }, '2026-02-10T00:00:00Z', 2)).toEqual(['2026-02-28T00:00:00.000Z', '2026-03-31T00:00:00.000Z']);
  });
  it('respects startTime', () => {
    expect(ticks({ cron: '0 * * * *', startTime: at('2026-12-01T00:00:00Z') }, '2026-11-29T00:00:00Z', 1)).toEqual(['2026-12-01T00:00:00.000Z']);
  });
});
