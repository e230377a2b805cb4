import type { LoadedConfig } from '../config';
import type { Clock } from '../lib/clock';
import type { Logger } from '../lib/logger';
import type { Store } from '../store/types';
import type { DaemonMetrics } from './metrics';

/**
 * What the HTTP server needs from the daemon. The store is read directly (read-only); what only
 * the daemon knows comes through these members, and the optional ones are shown by the
 * dashboard when the daemon gives them.
 */

/** What `POST /api/dataflows/NAME/runs` did. */
export type TriggerResult =
  /** runId: the new run, when the daemon knows it at once; without it the dashboard finds the run in history. */
  | { started: true; runId?: string }
  /** reason: said to the user as it is ("a run of orders is already going", "held by replica b since …"). */
  | { started: false; reason: string; runId?: string };

/** Where a run in flight is, as the daemon sees it (finer than the store, which changes per file). */
export interface RunProgress {
  runId: string;
  dataflow: string;
  startedAt: Date;
  /** What it is doing now, in a few words: listing, uploading, waiting for Platform, … */
  phase: string;
  filesDone: number;
  /** Undefined while the folder is still being listed. */
  filesTotal?: number;
  bytesDone: number;
  bytesTotal?: number;
  records: number;
}

/** Who holds a dataflow's lease (DESIGN.md §6). */
export interface LeaseHolder {
  owner: string;
  host: string;
  pid: number;
  since: Date;
}

export interface HttpDeps {
  store: Store;
  /** The config in force (it changes on reload). */
  config(): LoadedConfig;
  logger: Logger;
  /** Session expiry and "requested at" stamps; the daemon's clock. Default: the system clock. */
  clock?: Clock;
  /** Starts a run of a dataflow of the config now, without waiting for it to end. */
  trigger(name: string): Promise<TriggerResult>;
  nextRun(name: string): Date | undefined;
  metrics: DaemonMetrics;
  /** Runs in flight in this process. Without it, progress is read from the store, file by file. */
  progress?(): RunProgress[];
  /** Who holds the dataflow now, if anyone. */
  holder?(name: string): Promise<LeaseHolder | undefined>;
}
