import type { Clock } from '../lib/clock';
import { errorMessage, isAbortError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { backoffAfter } from './backoff';
import { Schedule, scheduleOf, ScheduleSpec } from './next-run';

export interface ScheduledDataflow {
  name: string;
  schedule: ScheduleSpec;
}

export type TickTrigger = 'schedule' | 'once';

export interface SchedulerOptions {
  clock: Clock;
  logger: Logger;
  /**
   * Starts a run for the tick due at `due` and resolves with its outcome when it is over;
   * `failed` undefined when it did not run (another replica had the tick, or the dataflow).
   */
  run(name: string, trigger: TickTrigger, due: Date): Promise<{ failed?: boolean }>;
  /** A tick fired while this process's previous run was still going: recorded, not queued. */
  overlapped(name: string, due: Date): Promise<void>;
  /** For `once` dataflows: has this definition already had its run? */
  onceDone(name: string): Promise<boolean>;
  /** Whether the dataflow has ever run: one that never did runs at start-up (its first run). */
  hasRun(name: string): Promise<boolean>;
}

/** The loop looks at the clock at least this often, so a step of the clock is seen within it. */
export const MAX_SLEEP_MS = 60_000;
/** A clock this far behind where a sleep should have left it was stepped back (timers never fire early); this far ahead, stepped forward or the process stalled. */
export const JUMP_TOLERANCE_MS = 5_000;

interface Entry {
  schedule: Schedule;
  spec: ScheduleSpec;
  stop: AbortController;
  next?: Date;
  failures: number;
  lastFailureAt?: Date;
}

/**
 * Fires each dataflow's runs on its schedule, from one timer loop per dataflow on the injected
 * clock. A tick never queues behind a run still going (it is recorded as skipped); ticks missed
 * while the daemon was down are not replayed (the next run takes everything new, because the
 * ledger decides, not the tick); after failures the next tick waits for a growing backoff.
 */
export class Scheduler {
  private readonly entries = new Map<string, Entry>();
  private readonly running = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(private readonly opts: SchedulerOptions) {}

  async add(df: ScheduledDataflow): Promise<void> {
    if (this.stopped) return;
    await this.remove(df.name);
    const entry: Entry = { schedule: scheduleOf(df.schedule), spec: df.schedule, stop: new AbortController(), failures: 0 };
    this.entries.set(df.name, entry);
    const now = this.opts.clock.now();
    const started = !df.schedule.startTime || df.schedule.startTime <= now;
    if (!df.schedule.cron && (df.schedule.frequency ?? 'once') === 'once') {
      if (await this.opts.onceDone(df.name)) {
        this.opts.logger.info({ dataflow: df.name }, 'once: already ran for this definition');
        return;
      }
      void this.loop(df.name, entry, started ? now : df.schedule.startTime, 'once');
      return;
    }
    const first = started && !(await this.opts.hasRun(df.name)) ? now : undefined;
    void this.loop(df.name, entry, first, 'schedule');
  }

  /** The next time the dataflow will run, when known (for history and the API). */
  nextRun(name: string): Date | undefined {
    return this.entries.get(name)?.next;
  }

  async remove(name: string): Promise<void> {
    const entry = this.entries.get(name);
    if (!entry) return;
    entry.stop.abort();
    this.entries.delete(name);
  }

  /** Stops firing; returns the runs still in flight so the caller can wait for them. */
  async stop(): Promise<Promise<void>[]> {
    this.stopped = true;
    for (const name of [...this.entries.keys()]) await this.remove(name);
    return [...this.running.values()];
  }

  /**
   * Waits for each tick in turn; `first` is an extra tick before the schedule's own.
   *
   * Ticks are wall-clock instants, but timers count elapsed time, so the loop wakes at least
   * every MAX_SLEEP_MS and compares the clock with what the sleep should have made it. A step
   * back (an NTP correction, a VM restored from a snapshot) would otherwise leave the loop
   * waiting for a tick that is now that much further away: instead the next tick is taken from
   * the new time, and the backoff, counted in elapsed time, moves with it. A step forward (or
   * a process suspended) fires the tick that fell due once, never the ticks it skipped.
   */
  private async loop(name: string, entry: Entry, first: Date | undefined, trigger: TickTrigger): Promise<void> {
    const { clock, logger } = this.opts;
    const signal = entry.stop.signal;
    try {
      let due = first ?? this.nextTick(entry);
      while (due) {
        entry.next = due;
        const before = clock.now().getTime();
        const wait = due.getTime() - before;
        if (wait > 0) {
          const slept = Math.min(wait, MAX_SLEEP_MS);
          await clock.sleep(slept, signal);
          const step = clock.now().getTime() - (before + slept);
          if (step < -JUMP_TOLERANCE_MS) {
            if (entry.lastFailureAt) entry.lastFailureAt = new Date(entry.lastFailureAt.getTime() + step);
            const sooner = this.nextTick(entry);
            logger.warn({ dataflow: name, stepMs: step, due: due.toISOString(), next: sooner && sooner < due ? sooner.toISOString() : due.toISOString() }, 'the clock stepped back: next run taken from the new time');
            if (sooner && sooner < due) due = sooner;
            continue;
          }
          if (step > JUMP_TOLERANCE_MS) logger.warn({ dataflow: name, stepMs: step }, 'the clock stepped forward (or the process was suspended): ticks missed meanwhile are not replayed');
          if (clock.now() < due) continue;
        }
        const backoffUntil = entry.lastFailureAt ? entry.lastFailureAt.getTime() + backoffAfter(entry.failures) : 0;
        if (due.getTime() >= backoffUntil) {
          this.fire(name, entry, trigger, due);
          if (trigger === 'once') return;
        }
        due = this.nextTick(entry);
      }
    } catch (err) {
      if (!isAbortError(err) && !signal.aborted) logger.error({ dataflow: name, err: errorMessage(err) }, 'schedule loop failed');
    } finally {
      if (this.entries.get(name) === entry) entry.next = undefined;
    }
  }

  /** The schedule's next tick from now, past the backoff after failures; undefined when it has none. */
  private nextTick(entry: Entry): Date | undefined {
    const now = this.opts.clock.now().getTime();
    // A tick exactly at the end of the backoff counts, hence the millisecond before it.
    const from = entry.lastFailureAt ? Math.max(now, entry.lastFailureAt.getTime() + backoffAfter(entry.failures) - 1) : now;
    return entry.schedule.next(new Date(from));
  }

  private fire(name: string, entry: Entry, trigger: TickTrigger, due: Date): void {
    if (this.stopped || entry.stop.signal.aborted) return;
    if (this.running.has(name)) {
      this.opts.logger.warn({ dataflow: name, tick: due.toISOString() }, 'previous run still going; tick skipped');
      this.opts.overlapped(name, due).catch((err) => this.opts.logger.error({ err: errorMessage(err) }, 'could not record skipped tick'));
      return;
    }
    const done = this.opts
      .run(name, trigger, due)
      .then(({ failed }) => {
        if (failed === undefined) return;
        entry.failures = failed ? entry.failures + 1 : 0;
        entry.lastFailureAt = failed ? this.opts.clock.now() : undefined;
        if (entry.failures > 1) this.opts.logger.warn({ dataflow: name, failures: entry.failures, backoffMs: backoffAfter(entry.failures) }, 'failing repeatedly: backing off');
      })
      .catch((err) => this.opts.logger.error({ dataflow: name, err: errorMessage(err) }, 'run crashed'))
      .finally(() => this.running.delete(name));
    this.running.set(name, done);
  }
}
