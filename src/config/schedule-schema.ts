import { validateDetailed } from 'node-cron';
import { z } from 'zod';
import { EVEN_WITH_ISSUES, isoDateTimeSchema, timezoneSchema } from './common-schemas';

export const FREQUENCIES = ['once', 'minute', 'hour', 'day', 'week'] as const;

/** node-cron's own check (5 fields, or 6 with seconds first), with its reason on failure. */
const cronSchema = z
  .string()
  .check((ctx) => {
    const r = validateDetailed(ctx.value);
    if (r.valid) return;
    const why = r.errors.map((e) => e.message).join('; ');
    ctx.issues.push({ code: 'custom', message: `invalid cron expression: ${why}`, input: ctx.value });
  })
  .meta({ description: 'A cron expression: 5 fields (minute hour day month weekday), or 6 with seconds first' });

/**
 * When a dataflow runs. Either `frequency` (+ `interval`) or `cron`; neither means `once`.
 * In the loaded config exactly one of `frequency` and `cron` is set, and `interval` is 1 unless
 * given.
 */
export const scheduleSchema = z
  .strictObject({
    frequency: z
      .enum(FREQUENCIES)
      .optional()
      .meta({ description: 'once: a single run at start-up (or at startTime); else every `interval` of these' }),
    interval: z.int().min(1).optional().meta({ description: 'Every N minutes/hours/days/weeks (default 1)' }),
    cron: cronSchema.optional(),
    timezone: timezoneSchema.default('UTC').meta({ description: 'Time zone of cron and of day/week boundaries' }),
    startTime: isoDateTimeSchema.optional().meta({ description: 'No run before this ISO 8601 date-time' }),
    backfill: z
      .boolean()
      .default(true)
      .meta({ description: 'First run takes files already there; false: only files modified after startTime' }),
  })
  .superRefine((s, ctx) => {
    const hasCron = typeof s.cron === 'string';
    if (hasCron && s.frequency !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['cron'], message: 'cron and frequency are exclusive: keep one' });
    }
    if (hasCron && s.interval !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['interval'], message: 'interval goes with frequency, not with cron' });
    }
    if (!hasCron && (s.frequency ?? 'once') === 'once' && s.interval !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['interval'], message: 'interval does not apply to frequency once' });
    }
  }, EVEN_WITH_ISSUES)
  .transform(({ frequency, interval, cron, ...rest }) =>
    cron === undefined
      ? { ...rest, frequency: frequency ?? 'once', interval: interval ?? 1, cron: undefined }
      : { ...rest, frequency: undefined, interval: 1, cron },
  );

export type ScheduleConfig = z.output<typeof scheduleSchema>;
export type Frequency = (typeof FREQUENCIES)[number];
