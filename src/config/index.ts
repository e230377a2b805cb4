/**
 * The configuration (DESIGN.md §3): load YAML with positions, resolve ${env:} / ${file:}
 * references, validate everything against the zod schemas, report every problem, then freeze.
 * No raw YAML key is read outside this folder.
 */
export { formatProblem } from './problem';
export type { Problem } from './problem';
export { loadConfig } from './load-config';
export type { LoadedConfig, LoadOptions } from './load-config';
export type { DataflowConfig } from './load-dataflows';
export { configJsonSchema } from './json-schema';
export { secretValues } from './secret-values';
export { definitionHash } from './definition-hash';
export { formatDuration, parseDuration, parseSize } from './units';
export { dataDir, defaultStateUrl } from './data-dir';
export type { JsonSchema } from './schema-files';
export { isLoopback } from './daemon-schema';
export type {
  AepPlatformConfig,
  ConnectionConfig,
  DaemonConfig,
  DatasetConfig,
  EmbeddedPlatformConfig,
  HttpConfig,
  LimitsConfig,
  PlatformConfig,
  StateConfig,
} from './daemon-schema';
export { MAX_BATCH_SIZE, MAX_FILES_PER_BATCH, NOTIFICATION_EVENTS } from './dataflow-schema';
export type {
  CsvConfig,
  DataflowSpec,
  FormatConfig,
  IngestionConfig,
  MappingConfig,
  MappingField,
  NotificationConfig,
  NotificationEvent,
  SourceConfig,
  TargetConfig,
} from './dataflow-schema';
export type { Frequency, ScheduleConfig } from './schedule-schema';
