import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { errorCodeInfo } from '../lib/error-codes';
import type { RunRecord, RunStatus, Store } from '../store/types';

/*
 * GET /metrics (DESIGN.md §8), in Prometheus' text format. Counters and the duration histogram
 * count the runs this process finished (they start at zero with the process, as Prometheus
 * expects of counters); the last-run and next-run gauges are read when scraped, from the store
 * and the scheduler, so they hold across restarts. One registry per daemon, never the library's
 * global one.
 */

export interface MetricsSources {
  store: Pick<Store, 'listRuns'>;
  /** The dataflows of the config in force. */
  dataflows(): readonly string[];
  nextRun(name: string): Date | undefined;
}

/** Every state a run ends in, so that a dashboard sees 0 rather than nothing. */
const FINAL_STATUSES: readonly RunStatus[] = ['succeeded', 'partially_succeeded', 'failed', 'skipped', 'cancelled'];

const seconds = (at: Date) => at.getTime() / 1000;

export class DaemonMetrics {
  readonly registry = new Registry();
  private readonly runs: Counter<'dataflow' | 'status'>;
  private readonly duration: Histogram<'dataflow'>;
  private readonly files: Counter<'dataflow' | 'outcome'>;
  private readonly records: Counter<'dataflow' | 'outcome'>;
  private readonly bytes: Counter<'dataflow'>;
  private readonly inProgress: Gauge<'dataflow'>;
  private readonly notifications: Counter<'event' | 'outcome'>;
  private readonly errors: Counter<'dataflow' | 'code' | 'kind'>;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'dataflowd_' });
    this.runs = new Counter({ name: 'dataflowd_runs_total', help: 'Runs finished, by how they ended', labelNames: ['dataflow', 'status'], registers });
    this.duration = new Histogram({
      name: 'dataflowd_run_duration_seconds',
      help: 'How long runs took, start to finish',
      labelNames: ['dataflow'],
      buckets: [0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600],
      registers,
    });
    this.files = new Counter({ name: 'dataflowd_files_total', help: 'Files of runs, by outcome (ingested, failed; refused: listed but not takeable for their name)', labelNames: ['dataflow', 'outcome'], registers });
    this.records = new Counter({
      name: 'dataflowd_records_total',
      help: 'Records of the files taken, by outcome (ingested: accepted by Platform; failed: rejected rows)',
      labelNames: ['dataflow', 'outcome'],
      registers,
    });
    this.bytes = new Counter({ name: 'dataflowd_bytes_total', help: 'Bytes read from the sources', labelNames: ['dataflow'], registers });
    this.inProgress = new Gauge({ name: 'dataflowd_runs_in_progress', help: 'Runs going on now', labelNames: ['dataflow'], registers });
    this.notifications = new Counter({
      name: 'dataflowd_notifications_total',
      help: 'Webhook notification attempts by this process, by event and outcome (delivered; retrying: failed, tried again later; failed: given up)',
      labelNames: ['event', 'outcome'],
      registers,
    });
    this.errors = new Counter({
      name: 'dataflowd_run_errors_total',
      help: "Runs that failed or partially succeeded, by their error's code and kind (README, Errors; code \"other\" for a code of Platform's own)",
      labelNames: ['dataflow', 'code', 'kind'],
      registers,
    });

    new Gauge({
      name: 'dataflowd_next_run_timestamp_seconds',
      help: 'When each enabled dataflow runs next (Unix time)',
      labelNames: ['dataflow'],
      registers,
      collect() {
        this.reset();
        for (const name of sources.dataflows()) {
          const next = sources.nextRun(name);
          if (next) this.set({ dataflow: name }, seconds(next));
        }
      },
    });
    const lastRuns = async () => {
      const found: RunRecord[] = [];
      for (const dataflow of sources.dataflows()) found.push(...(await sources.store.listRuns({ dataflow, limit: 1 })));
      return found;
    };
    new Gauge({
      name: 'dataflowd_last_run_started_timestamp_seconds',
      help: 'When the last run of each dataflow started (Unix time)',
      labelNames: ['dataflow'],
      registers,
      async collect() {
        this.reset();
        for (const run of await lastRuns()) this.set({ dataflow: run.dataflow }, seconds(run.startedAt));
      },
    });
    new Gauge({
      name: 'dataflowd_last_run_status',
      help: 'How the last run of each dataflow ended: 1 for its status, 0 for the others (running while it goes on)',
      labelNames: ['dataflow', 'status'],
      registers,
      async collect() {
        this.reset();
        for (const run of await lastRuns()) {
          for (const status of ['running', ...FINAL_STATUSES]) this.set({ dataflow: run.dataflow, status }, run.status === status ? 1 : 0);
        }
      },
    });
  }

  /** A run begins; the function returned records how it ended (nothing when it threw). */
  runStarted(dataflow: string): (run: RunRecord | undefined) => void {
    this.inProgress.inc({ dataflow });
    return (run) => {
      this.inProgress.dec({ dataflow });
      if (run) this.runFinished(run);
    };
  }

  /** A run that ended (also one skipped without starting: an overlap). */
  runFinished(run: RunRecord): void {
    const dataflow = run.dataflow;
    for (const status of FINAL_STATUSES) this.runs.inc({ dataflow, status }, status === run.status ? 1 : 0);
    if (run.finishedAt) this.duration.observe({ dataflow }, (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000);
    this.files.inc({ dataflow, outcome: 'ingested' }, run.filesIngested);
    this.files.inc({ dataflow, outcome: 'failed' }, run.filesFailed);
    this.files.inc({ dataflow, outcome: 'refused' }, run.filesRefused);
    this.records.inc({ dataflow, outcome: 'ingested' }, run.recordsOut);
    this.records.inc({ dataflow, outcome: 'failed' }, run.recordsFailed);
    this.bytes.inc({ dataflow }, run.bytes);
    if ((run.status === 'failed' || run.status === 'partially_succeeded') && run.error !== null) {
      // Labels from the catalogue only, so that their number stays bounded.
      const info = errorCodeInfo(run.errorCode);
      this.errors.inc({ dataflow, code: info?.code ?? 'other', kind: info?.kind ?? 'other' });
    }
  }

  /** One attempt to deliver a notification (src/notify/drain.ts). */
  notificationAttempt(event: string, outcome: 'delivered' | 'retrying' | 'failed'): void {
    this.notifications.inc({ event, outcome });
  }

  /** The text a scrape gets, and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
