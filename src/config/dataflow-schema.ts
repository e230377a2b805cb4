import { z } from 'zod';
import {
  encodingSchema,
  EVEN_WITH_ISSUES,
  globSchema,
  nameSchema,
  nonEmptyString,
  remotePathSchema,
} from './common-schemas';
import { scheduleSchema } from './schedule-schema';
import { notificationsSchema, stoppedIngestingSchema } from './notification-schema';
import { durationSchema, parseSize, sizeSchema } from './units';

/** The shape of `dataflows/NAME.yaml` (DESIGN.md §3). */

/** Platform's limits per batch. */
export const MAX_FILES_PER_BATCH = 1500;
export const MAX_BATCH_SIZE = parseSize('100GB');

export const sourceSchema = z
  .strictObject({
    connection: nameSchema.meta({ description: 'A connection named in dataflowd.yaml' }),
    path: remotePathSchema.default('/').meta({ description: "Folder, relative to the connection's root; no '..' segment" }),
    include: z.array(globSchema).min(1).default(['**']).meta({ description: 'Globs of files to take (default: every file)' }),
    exclude: z.array(globSchema).default([]),
    recursive: z.boolean().default(false),
    minFileAge: durationSchema.prefault('0s').meta({ description: 'A younger file waits for a later run (ms when loaded)' }),
    changedFiles: z
      .enum(['replace', 'append', 'ignore'], {
        // `reingest` was renamed (issue 18); refused rather than aliased, since validate has no warnings to say so.
        error: (iss) =>
          iss.input === 'reingest'
            ? 'reingest was renamed: use append (the new version is added beside the old one, as reingest did) or replace (the default: the new version replaces the old one in Platform)'
            : undefined,
      })
      .default('replace')
      .meta({ description: "A known path whose fingerprint changed: replace (default; its new version's batch replays the old version's batch), append (sent beside the old), ignore" }),
    afterIngest: z.enum(['keep', 'delete', 'move']).default('keep'),
    moveTo: remotePathSchema.optional().meta({ description: "Folder for afterIngest: move, relative to the connection's root; no '..' segment" }),
  })
  .superRefine((s, ctx) => {
    if (s.afterIngest === 'move' && s.moveTo === undefined) {
      ctx.addIssue({ code: 'custom', path: ['moveTo'], message: 'required when afterIngest is move' });
    }
    if ((s.afterIngest === 'keep' || s.afterIngest === 'delete') && s.moveTo !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['moveTo'], message: 'only applies when afterIngest is move' });
    }
  }, EVEN_WITH_ISSUES);

const singleChar = z.string().length(1, { error: 'must be a single character' });

export const csvSchema = z.strictObject({
  delimiter: singleChar.default(','),
  quote: singleChar.default('"'),
  escape: singleChar.optional().meta({ description: 'Escapes a quote inside a quoted field (default: the quote itself, doubled)' }),
  header: z.boolean().default(true),
  encoding: encodingSchema.default('utf-8'),
});

/** The longest string V8 holds (2^29 - 24 characters): a record is held as one. */
export const MAX_RECORD_SIZE = parseSize('512MiB');

/** `csv` holds the CSV options (defaults filled in) exactly when `type` is csv. */
export const formatSchema = z
  .strictObject({
    type: z.enum(['json', 'csv', 'parquet']).default('json'),
    compression: z.enum(['auto', 'none', 'gzip']).default('auto'),
    csv: csvSchema.optional(),
    maxRecordSize: sizeSchema
      .refine((b) => b > 0 && b < MAX_RECORD_SIZE, { error: 'must be more than 0B and less than 512MiB' })
      .prefault('64MiB')
      .meta({
        description:
          'A record (a JSON Lines line, an element of a JSON document, a CSV row) longer than this is a rejected row, read past without being held; counted in characters of its text (bytes for CSV converted on worker threads). Default 64MiB (bytes when loaded)',
      }),
    maxInflatedSize: sizeSchema
      .refine((b) => b > 0, { error: 'must be more than 0B' })
      .prefault('100GB')
      .meta({ description: 'A gzip file that inflates to more than this fails, read no further (a gzip bomb). Default 100GB (bytes when loaded)' }),
  })
  .superRefine((f, ctx) => {
    if ((f.type === 'json' || f.type === 'parquet') && f.csv !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['csv'], message: 'csv options only apply to type: csv' });
    }
  }, EVEN_WITH_ISSUES)
  .transform((f) => (f.type === 'csv' ? { ...f, csv: f.csv ?? csvSchema.parse({}) } : f));

const tenantKey = z.string().regex(/^_[A-Za-z0-9_]+$/, { error: 'expected a tenant namespace like _techmarketingdemos' });

export const targetSchema = z.strictObject({
  dataset: nonEmptyString.meta({ description: 'A dataset id, or a dataset name looked up through Catalog' }),
  tenant: z
    .strictObject({
      from: tenantKey,
      to: tenantKey.optional().meta({ description: "Default: the org's tenant id from Platform" }),
    })
    .optional()
    .meta({ description: 'Renames the tenant namespace key in every record' }),
});

const FIELD_TYPES = ['string', 'number', 'integer', 'boolean', 'date', 'date-time'] as const;
const targetPath = z
  .string()
  .regex(/^[^.[\]\s]+(\[\d+\])*(\.[^.[\]\s]+(\[\d+\])*)*$/, { error: 'expected a field path like a.b[0].c' });

export const mappingFieldSchema = z.union([
  z.strictObject({
    source: nonEmptyString.meta({ description: 'Column or field of the source record' }),
    target: targetPath,
    type: z.enum(FIELD_TYPES).optional(),
    format: nonEmptyString.optional().meta({ description: 'How to read the source value (a date format, say)' }),
  }),
  z.strictObject({
    value: z.union([z.string(), z.number(), z.boolean(), z.null()]).meta({ description: 'A constant' }),
    target: targetPath,
  }),
]);

export const mappingSchema = z
  .strictObject({
    schema: nonEmptyString.optional().meta({ description: 'JSON Schema of the target, relative to this file' }),
    auto: z.boolean().default(true).meta({ description: 'Columns whose names match a schema field map themselves' }),
    fields: z.array(mappingFieldSchema).default([]),
  })
  .superRefine((m, ctx) => {
    const seen = new Map<string, number>();
    (Array.isArray(m.fields) ? m.fields : []).forEach((f, i) => {
      const t = (f as { target?: unknown } | null)?.target;
      if (typeof t !== 'string') return;
      const first = seen.get(t);
      if (first === undefined) seen.set(t, i);
      else ctx.addIssue({ code: 'custom', path: ['fields', i, 'target'], message: `already mapped by fields[${first}]` });
    });
  }, EVEN_WITH_ISSUES);

export const ingestionSchema = z.strictObject({
  errorDiagnostics: z.boolean().default(true).meta({ description: 'Keep row-level errors, viewable per run' }),
  partialIngestion: z
    .strictObject({ maxErrorPercent: z.number().min(0).max(100) })
    .optional()
    .meta({ description: 'A batch with more failed rows than this fails whole' }),
  maxFilesPerBatch: z.int().min(1).max(MAX_FILES_PER_BATCH).default(MAX_FILES_PER_BATCH),
  maxBatchSize: sizeSchema
    .refine((b) => b > 0 && b <= MAX_BATCH_SIZE, { error: "must be more than 0B and at most 100GB (Platform's limit)" })
    .prefault('100GB')
    .meta({ description: 'At most 100GB (bytes when loaded)' }),
  runTimeout: durationSchema
    .refine((ms) => ms > 0, { error: 'must be more than 0s' })
    .prefault('12h')
    .meta({ description: 'A run still going after this long is aborted and recorded as failed, so that nothing stalls a dataflow for good (ms when loaded)' }),
  stoppedIngesting: stoppedIngestingSchema.prefault({}).meta({ description: 'When the dataflow.stopped_ingesting notification fires' }),
});

export const dataflowSchema = z
  .strictObject({
    name: nameSchema.meta({ description: 'Unique among dataflows' }),
    description: z.string().optional(),
    enabled: z.boolean().default(true),
    source: sourceSchema,
    format: formatSchema.prefault({}),
    target: targetSchema,
    mapping: mappingSchema.optional().meta({ description: 'Required for csv; optional for json' }),
    schedule: scheduleSchema.prefault({}).meta({ description: 'Default: frequency once' }),
    ingestion: ingestionSchema.prefault({}),
    notifications: notificationsSchema.meta({ description: 'Webhooks for this dataflow (besides those of dataflowd.yaml)' }),
  })
  .superRefine((d, ctx) => {
    const type = (d.format as { type?: unknown } | undefined)?.type;
    if (type === 'csv' && d.mapping === undefined) {
      ctx.addIssue({ code: 'custom', path: ['mapping'], message: 'required when format.type is csv' });
    }
  }, EVEN_WITH_ISSUES);

export type SourceConfig = z.output<typeof sourceSchema>;
export type FormatConfig = z.output<typeof formatSchema>;
export type CsvConfig = z.output<typeof csvSchema>;
export type TargetConfig = z.output<typeof targetSchema>;
export type MappingConfig = z.output<typeof mappingSchema>;
export type MappingField = z.output<typeof mappingFieldSchema>;
export type IngestionConfig = z.output<typeof ingestionSchema>;
export type { NotificationConfig, NotificationEvent } from './notification-schema';
export { NOTIFICATION_EVENTS } from './notification-schema';
/** A dataflow as its file states it, validated and with defaults filled in. */
export type DataflowSpec = z.output<typeof dataflowSchema>;
