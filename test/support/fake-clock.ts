import type { Clock } from '../../src/lib/clock';

interface Timer {
  at: number;
  resolve: () => void;
}

/** Lets the event loop run what became ready (promise chains, I/O-free callbacks). */
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

/** A clock that moves only when a test says so; sleepers wake in time order. */
export class FakeClock implements Clock {
  private t: number;
  private timers: Timer[] = [];

  constructor(start: string | Date) {
    this.t = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.t);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      // Like systemClock: a sleep that ends lets go of its signal (a loop sleeps on one signal many times).
      const onAbort = () => {
        this.timers = this.timers.filter((x) => x !== timer);
        reject(signal?.reason);
      };
      const timer: Timer = {
        at: this.t + Math.max(0, ms),
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.timers.push(timer);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Moves time forward, waking each sleeper at its own moment and letting it run. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle();
    for (;;) {
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.t = Math.max(this.t, due.at);
      this.timers = this.timers.filter((x) => x !== due);
      due.resolve();
      await settle();
    }
    this.t = end;
    await settle();
  }

  /**
   * Steps the wall clock (an NTP correction, a VM restored from a snapshot), back when ms < 0.
   * Sleepers still wake after the time they asked for, as real timers count elapsed time.
   */
  step(ms: number): void {
    this.t += ms;
    for (const timer of this.timers) timer.at += ms;
  }

  pending(): number {
    return this.timers.length;
  }
}
