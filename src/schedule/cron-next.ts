import { createTask, parse } from 'node-cron';
import { addDays, fromWallTime, toWallTime } from './zoned-time';

/** How far ahead to look for a matching day: past this an expression is taken to never match. */
const HORIZON_DAYS = 5 * 366;

export interface CronSchedule {
  /** The first run strictly after `after`, or undefined when none within five years. */
  next(after: Date): Date | undefined;
}

/**
 * A cron expression (node-cron's syntax and day rules) evaluated purely, as a function of an
 * instant, so that next-run times can be computed for any moment and tested with an injected
 * clock. Days are matched by node-cron itself; times within a matching day come from the
 * expression's fields, turned into instants in the time zone (see fromWallTime for DST).
 */
export function cronSchedule(expression: string, timezone: string): CronSchedule {
  const fields = parse(expression);
  // Whether a calendar day matches does not depend on the zone: asking node-cron in UTC about
  // that day's first allowed time avoids the times that DST changes skip.
  const dayMatcher = createTask(expression, () => undefined, { timezone: 'UTC' });
  const hours = [...fields.hour].sort((a, b) => a - b);
  const minutes = [...fields.minute].sort((a, b) => a - b);
  const seconds = [...fields.second].sort((a, b) => a - b);

  const dayMatches = (day: { year: number; month: number; day: number }): boolean =>
    dayMatcher.match(new Date(Date.UTC(day.year, day.month - 1, day.day, hours[0], minutes[0], seconds[0])));

  return {
    next(after: Date): Date | undefined {
      const start = toWallTime(after, timezone);
      for (let offset = 0; offset <= HORIZON_DAYS; offset++) {
        const day = addDays(start, offset);
        if (!dayMatches(day)) continue;
        // On the first day, times earlier on the clock than `after` cannot come after it.
        const floor = offset === 0 ? start.hour * 3600 + start.minute * 60 + start.second : -1;
        for (const hour of hours) {
          if (hour * 3600 + 3599 < floor) continue;
          for (const minute of minutes) {
            if (hour * 3600 + minute * 60 + 59 < floor) continue;
            for (const second of seconds) {
              if (hour * 3600 + minute * 60 + second < floor) continue;
              const at = fromWallTime({ ...day, hour, minute, second }, timezone);
              if (at.getTime() > after.getTime()) return at;
            }
          }
        }
      }
      return undefined;
    },
  };
}
