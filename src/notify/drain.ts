import type { LoadedConfig } from '../config';
import type { Clock } from '../lib/clock';
import { errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { backoffDelay } from '../lib/retry';
import type { NotificationAttempt, NotificationRecord, Store } from '../store/types';
import { postNotification } from './deliver';
import { findWebhook } from './webhooks';

export type AttemptOutcome = 'delivered' | 'retrying' | 'failed';

export interface DrainOptions {
  store: Store;
  /** The config in force (a daemon's changes on reload): where each row's webhook and secret are found. */
  config: () => LoadedConfig;
  /** This process, as it claims rows. */
  processId: string;
  clock: Clock;
  logger: Logger;
  onAttempt?: (event: string, outcome: AttemptOutcome) => void;
  /** Attempts in all before a notification is given up (default 12: retries over 25 to 50 minutes). */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  timeoutMs?: number;
  /** How often the outbox is looked at when nothing is due (rows written by other processes). */
  pollMs?: number;
  random?: () => number;
}

const BATCH = 10;

/**
 * Delivers the outbox, at least once per row: claims due rows (one attempt at a time per row,
 * across every process draining the same store), posts each, and records the answer — delivered,
 * or tried again later with exponential backoff, or given up after maxAttempts. A process that
 * dies mid-attempt leaves a claim that expires: another process tries again.
 */
export class OutboxDrainer {
  private readonly stop = new AbortController();
  private wake = new AbortController();
  private loop?: Promise<void>;
  private readonly timeoutMs: number;
  private readonly claimMs: number;

  constructor(private readonly opts: DrainOptions) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    // Long enough for an attempt to end before anyone else may claim its row.
    this.claimMs = this.timeoutMs + 20_000;
  }

  /** Drains in the background until `close`. */
  start(): void {
    this.loop ??= this.run().catch((err) => this.opts.logger.error({ err: errorMessage(err) }, 'notification outbox drain stopped'));
  }

  /** A run just wrote rows: look now rather than at the next poll. */
  kick(): void {
    this.wake.abort();
  }

  /** Stops draining; an attempt in flight is cut short and its row left due at once, for the next process. */
  async close(): Promise<void> {
    this.stop.abort(new Error('dataflowd is stopping'));
    await this.loop;
  }

  /**
   * `dataflowd run`: delivers one run's notifications, retrying until all are settled or `waitMs`
   * passed; answers how many are left pending in the outbox.
   */
  async drainRun(runId: string, waitMs: number): Promise<number> {
    const { store, clock } = this.opts;
    const until = clock.now().getTime() + waitMs;
    for (;;) {
      this.stop.signal.throwIfAborted();
      const claimed = await this.attemptDue(runId);
      const next = await store.nextNotificationAt(runId);
      if (next === undefined) return 0;
      if (claimed > 0 && next.getTime() <= clock.now().getTime()) continue;
      // Due but claimed by another process (a daemon beside): look again shortly.
      const wait = Math.max(250, next.getTime() - clock.now().getTime());
      if (clock.now().getTime() + wait > until) {
        return (await store.listNotifications({ runId, limit: 1000 })).filter((n) => n.state === 'pending').length;
      }
      await clock.sleep(wait, this.stop.signal);
    }
  }

  private async run(): Promise<void> {
    const { store, clock, logger } = this.opts;
    const poll = this.opts.pollMs ?? 5_000;
    while (!this.stop.signal.aborted) {
      // Before looking: a kick while this pass looks makes its sleep end at once.
      this.wake = new AbortController();
      let wait = poll;
      try {
        if ((await this.attemptDue()) > 0) continue;
        const next = await store.nextNotificationAt();
        if (next !== undefined) wait = Math.min(poll, Math.max(1_000, next.getTime() - clock.now().getTime()));
      } catch (err) {
        if (this.stop.signal.aborted) return;
        logger.warn({ err: errorMessage(err) }, 'notification outbox: could not drain; trying again');
      }
      await clock.sleep(wait, AbortSignal.any([this.stop.signal, this.wake.signal])).catch(() => undefined);
    }
  }

  /** Claims what is due (of one run) and attempts each; answers how many it claimed. */
  private async attemptDue(runId?: string): Promise<number> {
    const claimed = await this.opts.store.claimNotifications(this.opts.processId, { limit: BATCH, claimMs: this.claimMs, runId });
    await Promise.all(claimed.map((n) => this.attempt(n)));
    return claimed.length;
  }

  private async attempt(n: NotificationRecord): Promise<void> {
    const { store, clock, logger, processId } = this.opts;
    const log = logger.child({ dataflow: n.dataflow, runId: n.runId, notification: n.id, event: n.event, endpoint: n.endpoint });
    const webhook = findWebhook(this.opts.config(), n.dataflow, n.webhook);
    let answer: NotificationAttempt;
    if (!webhook) {
      answer = { delivered: false, status: null, error: 'its webhook is no longer in the config', retryAt: null };
    } else {
      try {
        const result = await postNotification(webhook, n, { clock, timeoutMs: this.timeoutMs, signal: this.stop.signal });
        answer = result.ok ? { delivered: true, status: result.status } : { delivered: false, status: result.status, error: result.error, retryAt: this.retryAt(n.attempts, result.retryAfterMs) };
      } catch {
        // Stopping before an answer: due again at once, for whichever process drains next.
        answer = { delivered: false, status: null, error: 'interrupted by a stop of dataflowd', retryAt: clock.now() };
      }
    }
    await store.settleNotification(n.id, processId, answer);
    const outcome: AttemptOutcome = answer.delivered ? 'delivered' : answer.retryAt === null ? 'failed' : 'retrying';
    this.opts.onAttempt?.(n.event, outcome);
    if (answer.delivered) log.info({ status: answer.status, attempts: n.attempts }, 'notification delivered');
    else if (answer.retryAt === null) log.error({ status: answer.status, attempts: n.attempts, error: answer.error }, 'notification given up');
    else log.warn({ status: answer.status, attempts: n.attempts, error: answer.error, retryAt: answer.retryAt.toISOString() }, 'notification delivery failed; will retry');
  }

  /** When to try again after `attempts` attempts, or null to give up. */
  private retryAt(attempts: number, retryAfterMs?: number): Date | null {
    if (attempts >= (this.opts.maxAttempts ?? 12)) return null;
    const delay = backoffDelay(attempts, this.opts.baseDelayMs ?? 2_000, this.opts.maxDelayMs ?? 15 * 60_000, this.opts.random ?? Math.random, retryAfterMs);
    return new Date(this.opts.clock.now().getTime() + delay);
  }
}
