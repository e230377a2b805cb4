import type { Connections } from '../connector/connection';
import type { DaemonConfig } from './daemon-schema';
import type { DataflowConfig } from './load-dataflows';
import type { JsonSchema } from './schema-files';

// Its own module so that the loader and secret-values.ts (which keys on it) import no cycle.

export interface LoadedConfig {
  /**
   * The config folder, absolute. Connections' relative paths (local's `root`) are kept as
   * written and resolve from here: pass it as ConnectorContext.baseDir.
   */
  dir: string;
  daemon: DaemonConfig;
  /** `daemon.connections`, each bound to its connector: open one with connector/connection's openConnection. */
  connections: Connections;
  /** In file-name order. */
  dataflows: DataflowConfig[];
  /**
   * Parsed JSON Schemas by absolute path, as `daemon.platform.datasets[].schema` and
   * `dataflows[].mapping.schema` name them (both absolute once loaded).
   */
  schemas: Record<string, JsonSchema>;
  /** The YAML files read, absolute: dataflowd.yaml, then dataflows/* in name order. */
  files: string[];
}
