import { definitionHash, LoadedConfig } from './config';
import type { DataflowConfig } from './config';
import { DaemonMetrics } from './http/metrics';
import { startHttp, HttpServer } from './http/server';
import type { Clock } from './lib/clock';
import { errorMessage } from './lib/errors';
import type { Logger } from './lib/logger';
import { Semaphore } from './lib/pool';
import { OutboxDrainer } from './notify/drain';
import { RunNotifier } from './notify/run-notifier';
import { DataflowRunner } from './run/dataflow-runner';
import type { HeldLease } from './run/lease';
import { settleDeadLeases } from './run/recover';
import { closeRun } from './run/run-dataflow';
import { changedDataflows } from './schedule/config-diff';
import { Scheduler, TickTrigger } from './schedule/scheduler';
import type { RunRecord, RunTrigger } from './store/types';
import { openServices, Services } from './services';

export interface DaemonOptions {
  logger: Logger;
  clock: Clock;
  /** How long the first stop signal lets uploads finish before aborting them. */
  shutdownTimeoutMs?: number;
  /** Jitter before claiming a tick, so that idle replicas claim first (tests set 0). */
  claimDelayMs?: (activeRuns: number) => number;
}

/** What `POST /api/dataflows/NAME/runs` answers. */
export type TriggerAnswer = { started: true; runId: string } | { started: false; reason: string; runId?: string };

/** A replica running more runs waits a little longer before claiming a tick: dataflows spread. */
const CLAIM_DELAY = (activeRuns: number) => Math.min(500, activeRuns * 100) + Math.floor(Math.random() * 25);

/**
 * The composition root of `dataflowd start` (DESIGN.md §2): config → connectors → store →
 * platform → recovery → scheduler → http. Each dataflow's failures stay its own; a new config is
 * applied without a restart when it is valid, and refused whole when it is not.
 */
export class Daemon {
  private readonly abort = new AbortController();
  private readonly runs: Semaphore;
  private activeRuns = 0;
  private readonly scheduler: Scheduler;
  private readonly metrics: DaemonMetrics;
  /** Delivers the notification outbox (written by this process's runs and any other's). */
  private readonly notifications: OutboxDrainer;
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
      run: (name, trigger, due) => this.tick(name, trigger, due),
      overlapped: (name, due) => this.recordOverlap(name, due),
      onceDone: (name) => this.onceDone(name),
      hasRun: async (name) => (await store.listRuns({ dataflow: name, limit: 1 })).length > 0,
    });
    this.metrics = new DaemonMetrics({
      store,
      dataflows: () => this.current.dataflows.map((d) => d.name),
      nextRun: (name) => this.scheduler.nextRun(name),
    });
    this.notifications = new OutboxDrainer({
      store,
      config: () => this.current,
      processId: services.leases.owner.processId,
      clock: opts.clock,
      logger: opts.logger,
      onAttempt: (event, outcome) => this.metrics.notificationAttempt(event, outcome),
    });
  }

  static async start(config: LoadedConfig, opts: DaemonOptions): Promise<Daemon> {
    const { logger, clock } = opts;
    const services = await openServices(config, logger, clock);
    const daemon = new Daemon(services, config, opts);
    try {
      const { store, platform, leases } = services;
      await settleDeadLeases(leases, { store, platform, logger, clock, signal: daemon.abort.signal, notifier: new RunNotifier(config, store) });
      daemon.http = await startHttp({
        store: services.store,
        config: () => daemon.current,
        logger,
        clock,
        trigger: async (name) => (await daemon.trigger(name)) ?? { started: false, reason: `there is no dataflow named "${name}"` },
        holder: async (name) => {
          const lease = await store.getLease(name);
          const live = lease && lease.releasedAt === null && lease.expiresAt > clock.now();
          return live ? { owner: lease.processId, host: lease.host, pid: lease.pid, since: lease.acquiredAt } : undefined;
        },
        nextRun: (name) => daemon.scheduler.nextRun(name),
        metrics: daemon.metrics,
      });
      daemon.notifications.start();
      for (const df of config.dataflows) await daemon.schedule(df);
      logger.info(
        { dataflows: config.dataflows.filter((d) => d.enabled).map((d) => d.name), http: daemon.http.url, store: store.kind, process: leases.owner },
        'dataflowd started',
      );
      return daemon;
    } catch (err) {
      await daemon.scheduler.stop();
      await daemon.notifications.close();
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
    this.services.redactSecretsOf(next);
    this.runner = this.makeRunner(next);
    for (const name of [...diff.removed, ...diff.changed]) await this.scheduler.remove(name);
    for (const name of [...diff.added, ...diff.changed]) await this.schedule(next.dataflows.find((d) => d.name === name)!);
    log.info(diff, 'config reloaded');
  }

  /**
   * A scheduled tick: claimed once across replicas (the replica whose claim the store accepts
   * runs it), then run like any other. `once` ticks are not claimed: their lease is waited for
   * and the once record read again under it, so that a replica that died half-way is taken over.
   */
  private async tick(name: string, trigger: TickTrigger, due: Date): Promise<{ failed?: boolean }> {
    if (trigger === 'schedule' && !(await this.claim(name, due))) return {};
    return this.runNow(name, trigger);
  }

  /** Runs a dataflow now, within limits.runs; resolves when the run is over. */
  async runNow(name: string, trigger: RunTrigger): Promise<{ failed?: boolean; run?: RunRecord }> {
    const held = await this.hold(name, trigger);
    if (!('lease' in held)) return held.run ? { run: held.run } : {};
    return this.execute(name, trigger, held.lease);
  }

  /**
   * `POST /api/dataflows/NAME/runs`: starts a run, or says why not; does not wait for it to end.
   * The run's record exists when this answers, so the run's page can be opened at once.
   */
  async trigger(name: string): Promise<TriggerAnswer | undefined> {
    const df = this.dataflow(name);
    if (!df) return undefined;
    const held = await this.hold(name, 'api');
    if (!('lease' in held)) return { started: false, reason: held.run?.error ?? 'dataflowd is stopping' };
    let begun: RunRecord;
    try {
      begun = await this.runner.begin(df, 'api', held.lease);
    } catch (err) {
      await held.lease.release();
      throw err;
    }
    this.execute(name, 'api', held.lease, begun).catch((err) => this.opts.logger.error({ dataflow: name, err: errorMessage(err) }, 'triggered run crashed'));
    return { started: true, runId: begun.id };
  }

  /** The dataflow's lease, or the skipped run that names the live process holding it. */
  private async hold(name: string, trigger: RunTrigger): Promise<{ lease: HeldLease } | { run?: RunRecord }> {
    if (this.abort.signal.aborted) return {};
    const { leases } = this.services;
    const taken = await leases.take(name, { wait: trigger === 'once', signal: this.abort.signal });
    if ('held' in taken) return { lease: taken.held };
    const run = await this.runner.busyRun(name, trigger, taken.busy);
    this.metrics.runFinished(run);
    return { run };
  }

  /** A run under a held lease, within limits.runs, in `begun` when it has a record already; lets the lease go when it is over. */
  private async execute(name: string, trigger: RunTrigger, lease: HeldLease, begun?: RunRecord): Promise<{ failed?: boolean; run?: RunRecord }> {
    const { store } = this.services;
    const abandon = async (why: string) => {
      if (begun) await closeRun(store, begun, { status: 'skipped', finishedAt: this.opts.clock.now(), error: why }, lease.fence, this.opts.logger);
      return {};
    };
    try {
      const df = this.dataflow(name);
      if (!df) return await abandon('the dataflow was removed from the config before its run could start');
      if (trigger === 'once' && (await this.onceDone(name))) return {};
      return await this.runs.use(async () => {
        if (this.abort.signal.aborted) return abandon('dataflowd stopped before the run could start');
        this.activeRuns++;
        const finished = this.metrics.runStarted(name);
        let run: RunRecord | undefined;
        try {
          run = await this.runner.runHeld(df, trigger, lease, this.abort.signal, { begun });
        } finally {
          finished(run);
          this.activeRuns--;
          this.notifications.kick();
        }
        // A once run cut short by a stop has not had its chance: it runs again at the next start.
        if (trigger === 'once' && !this.abort.signal.aborted && !lease.signal.aborted) {
          await store.recordOnceRun(lease.fence, { hash: definitionHash(df), runId: run.id, at: run.startedAt });
        }
        return { failed: run.status === 'failed', run };
      });
    } finally {
      await lease.release();
    }
  }

  private async claim(name: string, due: Date): Promise<boolean> {
    const delay = (this.opts.claimDelayMs ?? CLAIM_DELAY)(this.activeRuns);
    if (delay > 0) await this.opts.clock.sleep(delay, this.abort.signal);
    const claimed = await this.services.store.claimTick(name, due, this.services.leases.owner.processId);
    this.opts.logger.debug({ dataflow: name, due: due.toISOString(), claimed }, claimed ? 'tick claimed' : 'tick claimed by another replica');
    return claimed;
  }

  private async onceDone(name: string): Promise<boolean> {
    const df = this.dataflow(name);
    const record = await this.services.store.onceRun(name);
    return df !== undefined && record !== undefined && record.hash === definitionHash(df);
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
      await this.notifications.close();
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
    const { store, platform, leases } = this.services;
    return new DataflowRunner({ config, store, leases, platform, logger: this.opts.logger, clock: this.opts.clock });
  }

  /** This process is still running the dataflow when its next tick comes: skipped, once across replicas. */
  private async recordOverlap(name: string, due: Date): Promise<void> {
    if (!(await this.claim(name, due))) return;
    const holder = await this.services.store.getLease(name);
    const run = holder && holder.releasedAt === null
      ? await this.runner.busyRun(name, 'schedule', holder)
      : await this.runNow(name, 'schedule').then((r) => r.run);
    if (run) this.opts.logger.debug({ dataflow: name, error: run.error }, 'tick during a run');
  }
}
