import { createTask, ScheduledTask } from 'node-cron';
import type { Clock } from '../lib/clock';
import { errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { Frequency, nextGridTick, periodMs } from './next-run';

export interface ScheduleSpec {
  frequency?: Frequency;
  interval?: number;
  cron?: string;
  timezone?: string;
  startTime?: Date;
}

export interface ScheduledDataflow {
  name: string;
  schedule: ScheduleSpec;
}

export type TickTrigger = 'schedule' | 'once';

export interface SchedulerOptions {
  clock: Clock;
  logger: Logger;
  /** Starts a run; resolves when it is over. The scheduler never overlaps one dataflow's runs. */
  run(name: string, trigger: TickTrigger): Promise<void>;
  /** A tick fired while the previous run was still going: recorded, not queued. */
  overlapped(name: string): Promise<void>;
  /** For `once` dataflows: has this definition already had its run? */
  onceDone(name: string): Promise<boolean>;
}

/**
 * Fires each dataflow's runs on its schedule: `once` at start-up (or at startTime), cron through
 * node-cron, and frequency/interval on a grid anchored at startTime. Stopping cancels every
 * timer; runs in flight are the caller's to wait for.
 */
export class Scheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly tasks = new Map<string, ScheduledTask>();
  private readonly running = new Map<string, Promise<void>>();
  private stopped = false;
  private readonly startedAt: Date;

  constructor(private readonly opts: SchedulerOptions) {
    this.startedAt = opts.clock.now();
  }

  async add(df: ScheduledDataflow): Promise<void> {
    const { schedule } = df;
    if (schedule.cron) {
      const task = createTask(schedule.cron, () => this.fire(df.name, 'schedule'), { timezone: schedule.timezone, name: df.name });
      this.tasks.set(df.name, task);
      await task.start();
      return;
    }
    const frequency = schedule.frequency ?? 'once';
    if (frequency === 'once') {
      if (await this.opts.onceDone(df.name)) {
        this.opts.logger.info({ dataflow: df.name }, 'once: already ran for this definition');
        return;
      }
      this.at(df.name, schedule.startTime ?? this.opts.clock.now(), () => this.fire(df.name, 'once'));
      return;
    }
    const period = periodMs(frequency, schedule.interval ?? 1);
    const anchor = schedule.startTime ?? this.startedAt;
    const arm = () => this.at(df.name, nextGridTick(anchor, period, this.opts.clock.now()), () => {
      arm();
      this.fire(df.name, 'schedule');
    });
    // A dataflow whose startTime has passed runs at start-up: missed ticks are caught up by one
    // run, because detection depends on the ledger, not on which tick fired.
    if (schedule.startTime === undefined || schedule.startTime <= this.opts.clock.now()) this.fire(df.name, 'schedule');
    arm();
  }

  /** The next time each dataflow will run, when known. */
  nextRun(name: string): Date | undefined {
    const task = this.tasks.get(name);
    if (task) return task.getNextRun() ?? undefined;
    return this.nextAt.get(name);
  }

  async remove(name: string): Promise<void> {
    clearTimeout(this.timers.get(name));
    this.timers.delete(name);
    this.nextAt.delete(name);
    const task = this.tasks.get(name);
    this.tasks.delete(name);
    if (task) await task.destroy();
  }

  /** Stops firing; returns the runs still in flight so the caller can wait for them. */
  async stop(): Promise<Promise<void>[]> {
    this.stopped = true;
    for (const name of [...this.timers.keys(), ...this.tasks.keys()]) await this.remove(name);
    return [...this.running.values()];
  }

  private readonly nextAt = new Map<string, Date>();

  private at(name: string, when: Date, fn: () => void): void {
    const delay = Math.max(0, when.getTime() - this.opts.clock.now().getTime());
    clearTimeout(this.timers.get(name));
    this.nextAt.set(name, when);
    // setTimeout takes at most 2^31-1 ms; longer waits re-arm on the way.
    const step = Math.min(delay, 2 ** 31 - 1);
    this.timers.set(name, setTimeout(() => (step < delay ? this.at(name, when, fn) : fn()), step));
  }

  private fire(name: string, trigger: TickTrigger): void {
    if (this.stopped) return;
    if (this.running.has(name)) {
      this.opts.logger.warn({ dataflow: name }, 'previous run still going; tick skipped');
      this.opts.overlapped(name).catch((err) => this.opts.logger.error({ err: errorMessage(err) }, 'could not record skipped tick'));
      return;
    }
    const done = this.opts
      .run(name, trigger)
      .catch((err) => this.opts.logger.error({ dataflow: name, err: errorMessage(err) }, 'run crashed'))
      .finally(() => this.running.delete(name));
    this.running.set(name, done);
  }
}
