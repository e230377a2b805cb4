import type { Clock } from '../../src/lib/clock';

/** A clock whose sleeps return at once, moving time forward and remembering how long they were. */
export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  private t: number;

  constructor(start = '2026-12-01T00:00:00Z') {
    this.t = Date.parse(start);
  }

  now(): Date {
    return new Date(this.t);
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.sleeps.push(ms);
    this.t += ms;
  }

  advance(ms: number): void {
    this.t += ms;
  }
}
