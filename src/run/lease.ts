import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock } from '../lib/clock';
import { dataflowError, errorMessage, isAbortError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { Fence, LeaseOwner, LeaseRecord, Store } from '../store/types';

/** `state.lease`: how long a lease lasts without a heartbeat, and how often its holder renews it. */
export interface LeaseSettings {
  ttlMs: number;
  heartbeatMs: number;
}

export const DEFAULT_LEASE: LeaseSettings = { ttlMs: 30_000, heartbeatMs: 10_000 };

/** This process, as leases and run records name it. */
export function thisProcess(): LeaseOwner {
  return { processId: randomBytes(6).toString('hex'), host: hostname(), pid: process.pid };
}

/** A lease this process holds: write under `fence`; `signal` aborts if the lease is lost. */
export interface HeldLease {
  fence: Fence;
  lease: LeaseRecord;
  /** The holder before us, when it did not let go cleanly (it died, or stalled past its expiry). */
  tookOverFrom?: LeaseRecord;
  signal: AbortSignal;
  release(): Promise<void>;
}

export type LeaseTake = { held: HeldLease } | { busy: LeaseRecord };

/** "running in pid 4711 on host a since 10:02:11Z" — who holds a dataflow, for people. */
export function describeHolder(holder: LeaseRecord): string {
  const since = holder.acquiredAt.toISOString().replace(/\.\d+Z$/, 'Z').replace('T', ' ');
  return `running in pid ${holder.pid} on host ${holder.host} since ${since}`;
}

/** The error a run refused for a busy dataflow carries (exit status EXIT.busy for `dataflowd run`). */
export const BUSY_CODE = 'ERR_DATAFLOW_BUSY';

/**
 * Takes and keeps dataflow leases for one process (DESIGN.md §6 step 1). A held lease is renewed
 * every heartbeat; a lease whose renewal fails past its expiry, or that another process took over,
 * is lost: its signal aborts, so the run stops, and its writes are refused by the store anyway.
 */
export class LeaseKeeper {
  constructor(
    private readonly store: Store,
    readonly owner: LeaseOwner,
    private readonly settings: LeaseSettings,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /**
   * The dataflow's lease, unless a live process holds it. A holder that is gone (its lease
   * expired, or its pid no longer exists on this host) is taken over. With `wait`, waits for a
   * live holder to finish instead of answering busy.
   */
  async take(dataflow: string, opts: { wait?: boolean; signal?: AbortSignal } = {}): Promise<LeaseTake> {
    for (let pause = 250; ; pause = Math.min(pause * 2, this.settings.heartbeatMs)) {
      let answer = await this.store.acquireLease(dataflow, this.owner, { ttlMs: this.settings.ttlMs });
      if (!answer.granted && this.isDeadHere(answer.holder)) {
        this.logger.warn({ dataflow, holder: answer.holder }, 'the process holding this dataflow is gone: taking its lease over');
        answer = await this.store.acquireLease(dataflow, this.owner, { ttlMs: this.settings.ttlMs, takeOverFrom: answer.holder.processId });
      }
      if (answer.granted) {
        const tookOverFrom = answer.previous && answer.previous.releasedAt === null ? answer.previous : undefined;
        return { held: this.keep(answer.lease, tookOverFrom) };
      }
      if (!opts.wait) return { busy: answer.holder };
      await this.clock.sleep(pause, opts.signal);
    }
  }

  /** A holder on this host whose pid is gone — or is ours, so it was an earlier life of this pid. */
  private isDeadHere(holder: LeaseRecord): boolean {
    if (holder.host !== this.owner.host || holder.processId === this.owner.processId) return false;
    if (holder.pid === this.owner.pid) return true;
    try {
      process.kill(holder.pid, 0);
      return false;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ESRCH';
    }
  }

  private keep(lease: LeaseRecord, tookOverFrom: LeaseRecord | undefined): HeldLease {
    const fence: Fence = { dataflow: lease.dataflow, token: lease.token };
    const lost = new AbortController();
    const stop = new AbortController();
    let expiresAt = lease.expiresAt.getTime();
    const heartbeat = async () => {
      while (!stop.signal.aborted) {
        try {
          await this.clock.sleep(this.settings.heartbeatMs, stop.signal);
        } catch (err) {
          if (isAbortError(err) || stop.signal.aborted) return;
          throw err;
        }
        try {
          if (await this.store.renewLease(fence, this.owner.processId, this.settings.ttlMs)) {
            expiresAt = this.clock.now().getTime() + this.settings.ttlMs;
            continue;
          }
          return this.lose(lost, fence, 'another process took this dataflow over');
        } catch (err) {
          // The store may come back before the lease runs out; past that, a successor may be at work.
          if (this.clock.now().getTime() >= expiresAt) return this.lose(lost, fence, `the lease could not be renewed: ${errorMessage(err)}`);
          this.logger.warn({ dataflow: fence.dataflow, err: errorMessage(err) }, 'lease renewal failed; trying again');
        }
      }
    };
    const beating = heartbeat();
    return {
      fence,
      lease,
      tookOverFrom,
      signal: lost.signal,
      release: async () => {
        stop.abort();
        await beating;
        if (lost.signal.aborted) return;
        try {
          await this.store.releaseLease(fence, this.owner.processId);
        } catch (err) {
          this.logger.warn({ dataflow: fence.dataflow, err: errorMessage(err) }, 'could not release the lease; it expires on its own');
        }
      },
    };
  }

  private lose(lost: AbortController, fence: Fence, why: string): void {
    this.logger.error({ dataflow: fence.dataflow, token: fence.token }, `lease lost: ${why}; stopping this run`);
    lost.abort(dataflowError('ERR_LEASE_LOST', 'transient', `dataflow ${fence.dataflow}: lease lost: ${why}`));
  }
}
