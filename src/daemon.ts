import { connectorDefinitions } from '../connectors';
import { definitionHash, LoadedConfig } from './config';
import type { DataflowConfig } from './config';
import { startHttp, HttpServer } from './http/server';
import type { Clock } from './lib/clock';
import { errorMessage } from './lib/errors';
import type { Logger } from './lib/logger';
import { Semaphore } from './lib/pool';
import { recover } from './run/recover';
import { newRunId } from './run/run-id';
import { Scheduler, TickTrigger } from './schedule/scheduler';
import { openServices, Services } from './services';

export interface DaemonOptions {
  logger: Logger;
  clock: Clock;
  /** How long the first stop signal lets uploads finish before aborting them. */
  shutdownTimeoutMs?: number;
}

const onceKey = (df: DataflowConfig) => `once:${df.name}`;

/**
 * The composition root of `dataflowd start` (DESIGN.md §2): config → connectors → store →
 * platform → recovery → scheduler → http. Each dataflow's failures stay its own.
 */
export class Daemon {
  private readonly abort = new AbortController();
  private readonly runs: Semaphore;
  private readonly scheduler: Scheduler;
  private http?: HttpServer;
  private stopping?: Promise<void>;

  private constructor(
    readonly services: Services,
    private readonly opts: DaemonOptions,
  ) {
    const { config, store } = services;
    this.runs = new Semaphore(config.daemon.limits.runs);
    this.scheduler = new Scheduler({
      clock: opts.clock,
      logger: opts.logger,
      run: (name, trigger) => this.runNow(name, trigger),
      overlapped: (name) => this.recordOverlap(name),
      onceDone: async (name) => {
        const df = config.dataflows.find((d) => d.name === name);
        return df !== undefined && (await store.getMeta(onceKey(df))) === definitionHash(df);
      },
    });
  }

  static async start(config: LoadedConfig, opts: DaemonOptions): Promise<Daemon> {
    const { logger, clock } = opts;
    const services = await openServices(config, connectorDefinitions, logger, clock);
    const daemon = new Daemon(services, opts);
    try {
      await recover(services.store, services.platform, logger, clock, daemon.abort.signal);
      daemon.http = await startHttp({ services, logger, trigger: (name) => daemon.trigger(name), nextRun: (name) => daemon.scheduler.nextRun(name) });
      const enabled = config.dataflows.filter((d) => d.enabled);
      for (const df of enabled) {
        const { startTime, ...schedule } = df.schedule;
        await daemon.scheduler.add({ name: df.name, schedule: { ...schedule, startTime: startTime === undefined ? undefined : new Date(startTime) } });
      }
      logger.info({ dataflows: enabled.map((d) => d.name), http: daemon.http.url }, 'dataflowd started');
      return daemon;
    } catch (err) {
      await daemon.scheduler.stop();
      await daemon.http?.close();
      await services.close();
      throw err;
    }
  }
  /** Runs a dataflow now, within limits.runs; resolves when the run is over. */
  async runNow(name: string, trigger: TickTrigger | 'api'): Promise<void> {
    const df = this.services.config.dataflows.find((d) => d.name === name);
    if (!df) return;
    await this.runs.use(async () => {
      if (this.abort.signal.aborted) return;
      await this.services.runner.run(df, trigger, this.abort.signal);
      if (trigger === 'once') await this.services.store.setMeta(onceKey(df), definitionHash(df));
    });
  }

  /** `POST /api/dataflows/NAME/runs`: starts a run, does not wait for it. */
  trigger(name: string): boolean {
    if (!this.services.config.dataflows.some((d) => d.name === name)) return false;
    this.runNow(name, 'api').catch((err) => this.opts.logger.error({ dataflow: name, err: errorMessage(err) }, 'triggered run crashed'));
    return true;
  }

  private async recordOverlap(name: string): Promise<void> {
    const { store } = this.services;
    const now = this.opts.clock.now();
    const id = newRunId(now);
    await store.createRun({ id, dataflow: name, trigger: 'schedule', startedAt: now });
    await store.finishRun(id, { status: 'skipped', finishedAt: now, error: 'previous run still going' });
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
}
