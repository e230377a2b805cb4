import { z } from 'zod';
import { httpUrlSchema } from './common-schemas';
import { secret } from './secret-fields';

/**
 * Webhooks (README "Notifications"): in a dataflow's file for that dataflow, in dataflowd.yaml
 * for every dataflow. The events are those of Platform's own flow-run notifications, plus the
 * two it has no code for (partial success, a dataflow that stopped ingesting).
 */
export const NOTIFICATION_EVENTS = ['run.succeeded', 'run.partially_succeeded', 'run.failed', 'dataflow.stopped_ingesting'] as const;

export const notificationSchema = z.strictObject({
  // A webhook URL is often a credential itself (a Slack hook's is): scrubbed from logs like one.
  url: secret(httpUrlSchema.meta({ description: 'Where to POST; kept out of logs and of the state database (which keeps its origin and a hash)' })),
  secret: secret(z.string().min(1))
    .optional()
    .meta({ description: 'Key of the X-Dataflowd-Signature header (HMAC-SHA256 of the body); use ${env:NAME} or ${file:PATH}. Without it deliveries are unsigned' }),
  events: z
    .array(z.enum(NOTIFICATION_EVENTS))
    .min(1)
    .default([...NOTIFICATION_EVENTS])
    .meta({ description: 'Default: every event' }),
  format: z
    .enum(['json', 'slack'])
    .default('json')
    .meta({ description: "json: the flow-run payload, modelled on Platform's; slack: {text, blocks} for a Slack incoming webhook" }),
});

export const notificationsSchema = z.array(notificationSchema).default([]);

/** ingestion.stoppedIngesting: when a dataflow counts as no longer ingesting. */
export const stoppedIngestingSchema = z.strictObject({
  afterFailedRuns: z
    .int()
    .min(1)
    .default(3)
    .meta({ description: 'Failed runs in a row (skipped and cancelled runs not counted) that make dataflow.stopped_ingesting, once per streak' }),
});

export type NotificationConfig = z.output<typeof notificationSchema>;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];
