import { connectorDefinitions } from '../connectors';
import { definitionHash, LoadedConfig } from './config';
import type { DataflowConfig } from './config';
import { DaemonMetrics } from './http/metrics';
import { startHttp, HttpServer } from './http/server';
import type { Clock } from './lib/clock';
import { errorMessage } from './lib/errors';
import type { Logger } from './lib/logger';
import { Semaphore } from './lib/pool';
import { DataflowRunner } from './run/dataflow-runner';
import { recover } from './run/recover';
import { newRunId } from './run/run-id';
import { changedDataflows } from './schedule/config-diff';
import { onceKey, OnceRecord } from './schedule/once';
import { Scheduler, TickTrigger } from './schedule/scheduler';
import type { RunRecord } from './store/types';
import { openServices, Services } from './services';

export interface DaemonOptions {
  logger: Logger;
  clock: Clock;
  /** How long the first stop signal lets uploads finish before aborting them. */
  shutdownTimeoutMs?: number;
}

/**
 * The composition root of `dataflowd start` (DESIGN.md §2): config → connectors → store →
 * platform → recovery → scheduler → http. Each dataflow's failures stay its own; a new config is
 * applied without a restart when it is valid, and refused whole when it is not.
 */
export class Daemon {
  private readonly abort = new AbortController();
  private readonly runs: Semaphore;
  private readonly active = new Set<string>();
  private readonly scheduler: Scheduler;
  private readonly metrics: DaemonMetrics;
  private http?: HttpServer;
  private stopping?: Promise<void>;
  private runner: DataflowRunner;

  private constructor(
    private readonly services: Services,
    private current: LoadedConfig,
    private readonly opts: DaemonOptions,
  ) {
    const { store } = services;
    this.runs = new Semaphore(current.daemon.limits.runs);
    this.runner = this.makeRunner(current);
    this.scheduler = new Scheduler({
      clock: opts.clock,
      logger: opts.logger,
      run: (name, trigger) => this.runNow(name, trigger),
      overlapped: (name) => this.recordOverlap(name),
      onceDone: async (name) => {
        const df = this.dataflow(name);
        const raw = await store.getMeta(onceKey(name));
        return df !== undefined && raw !== undefined && (JSON.parse(raw) as OnceRecord).hash === definitionHash(df);
      },
      hasRun: async (name) => (await store.listRuns({ dataflow: name, limit: 1 })).length > 0,
    });
    this.metrics = new DaemonMetrics({
      store,
      dataflows: () => this.current.dataflows.map((d) => d.name),
      nextRun: (name) => this.scheduler.nextRun(name),
    });
  }

  static async start(config: LoadedConfig, opts: DaemonOptions): Promise<Daemon> {
    const { logger, clock } = opts;
    const services = await openServices(config, connectorDefinitions, logger, clock);
    const daemon = new Daemon(services, config, opts);
    try {
      await recover(services.store, services.platform, logger, clock, daemon.abort.signal);
      daemon.http = await startHttp({
        store: services.store,
        config: () => daemon.current,
        logger,
        // Interim, until the daemon answers with the run's id (TriggerResult in src/http/http-deps.ts).
        trigger: async (name) => {
          if (daemon.active.has(name)) return { started: false, reason: `a run of ${name} is already going` };
          return daemon.trigger(name) ? { started: true } : { started: false, reason: `there is no dataflow named "${name}"` };
        },
        nextRun: (name) => daemon.scheduler.nextRun(name),
        metrics: daemon.metrics,
      });
      for (const df of config.dataflows) await daemon.schedule(df);
      logger.info({ dataflows: config.dataflows.filter((d) => d.enabled).map((d) => d.name), http: daemon.http.url }, 'dataflowd started');
      return daemon;
    } catch (err) {
      await daemon.scheduler.stop();
      await daemon.http?.close();
      await services.close();
      throw err;
    }
  }

  get config(): LoadedConfig {
    return this.current;
  }

  /**
   * Applies a new, valid config: added dataflows start, removed ones stop, edited ones restart
   * their schedule (a run in flight finishes with the definition it started with). Platform,
   * state and HTTP settings need a restart; a change to them is logged and otherwise ignored.
   */
  async apply(next: LoadedConfig): Promise<void> {
    const log = this.opts.logger;
    for (const key of ['platform', 'state', 'http', 'limits'] as const) {
      if (JSON.stringify(next.daemon[key]) !== JSON.stringify(this.current.daemon[key])) log.warn({ key }, `${key} changed: restart dataflowd to apply it`);
    }
    const diff = changedDataflows(this.current, next);
    this.current = next;
    this.runner = this.makeRunner(next);
    for (const name of [...diff.removed, ...diff.changed]) await this.scheduler.remove(name);
    for (const name of [...diff.added, ...diff.changed]) await this.schedule(next.dataflows.find((d) => d.name === name)!);
    log.info(diff, 'config reloaded');
  }

  /** Runs a dataflow now, within limits.runs; resolves when the run is over. */
  async runNow(name: string, trigger: TickTrigger | 'api'): Promise<{ failed: boolean }> {
    const df = this.dataflow(name);
    if (!df) return { failed: false };
    // One run per dataflow at a time, whoever asks (a tick, the API): two runs would race for
    // the same files.
    if (this.active.has(name)) {
      await this.recordOverlap(name);
      return { failed: false };
    }
    this.active.add(name);
    return this.runs.use(async () => {
      if (this.abort.signal.aborted) return { failed: false };
      const finished = this.metrics.runStarted(name);
      let run: RunRecord | undefined;
      try {
        run = await this.runner.run(df, trigger, this.abort.signal);
      } finally {
        finished(run);
      }
      // A once run cut short by a stop has not had its chance: it runs again at the next start.
      if (trigger === 'once' && !this.abort.signal.aborted) {
        const record: OnceRecord = { hash: definitionHash(df), runId: run.id, at: run.startedAt.toISOString() };
        await this.services.store.setMeta(onceKey(df.name), JSON.stringify(record));
      }
      return { failed: run.status === 'failed' };
    }).finally(() => this.active.delete(name));
  }

  /** `POST /api/dataflows/NAME/runs`: starts a run, does not wait for it. */
  trigger(name: string): boolean {
    if (!this.dataflow(name)) return false;
    this.runNow(name, 'api').catch((err) => this.opts.logger.error({ dataflow: name, err: errorMessage(err) }, 'triggered run crashed'));
    return true;
  }

  /**
   * First call: stop scheduling and let runs in flight finish up to the timeout, then abort
   * them. Later calls (a second signal) abort at once.
   */
  stop(): Promise<void> {
    if (this.stopping) {
      this.abort.abort(new Error('stopped by a second signal'));
      return this.stopping;
    }
    this.stopping = (async () => {
      const timeout = this.opts.shutdownTimeoutMs ?? 30_000;
      const inFlight = await this.scheduler.stop();
      this.opts.logger.info({ runs: inFlight.length, timeoutMs: timeout }, 'stopping: letting runs in flight finish');
      const timer = setTimeout(() => this.abort.abort(new Error('shutdown timeout')), timeout);
      await Promise.allSettled(inFlight);
      clearTimeout(timer);
      await this.http?.close();
      await this.services.close();
      this.opts.logger.info('dataflowd stopped');
    })();
    return this.stopping;
  }

  private dataflow(name: string): DataflowConfig | undefined {
    return this.current.dataflows.find((d) => d.name === name);
  }

  private async schedule(df: DataflowConfig): Promise<void> {
    if (!df.enabled) return;
    const { startTime, ...schedule } = df.schedule;
    await this.scheduler.add({ name: df.name, schedule: { ...schedule, startTime: startTime === undefined ? undefined : new Date(startTime) } });
  }

  private makeRunner(config: LoadedConfig): DataflowRunner {
    const { store, platform } = this.services;
    return new DataflowRunner({ config, connectors: connectorDefinitions, store, platform, logger: this.opts.logger, clock: this.opts.clock });
  }

  private async recordOverlap(name: string): Promise<void> {
    const { store } = this.services;
    const now = this.opts.clock.now();
    const id = newRunId(now);
    await store.createRun({ id, dataflow: name, trigger: 'schedule', startedAt: now });
    this.metrics.runFinished(await store.finishRun(id, { status: 'skipped', finishedAt: now, error: 'previous run still going' }));
  }
}
