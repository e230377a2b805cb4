import type { Clock } from '../lib/clock';

const SAMPLE_EVERY_MS = 100;

/**
 * Bytes per second over the last few seconds: an average since the start would keep a stall at
 * the start (listing, a slow first file) in the rate, and in the ETA, long after it ended.
 */
export class RateMeter {
  private samples: Array<{ at: number; total: number }> = [];

  constructor(
    private readonly clock: Clock,
    private readonly windowMs = 5_000,
    /** Below this much history the rate is not said: it would jump about. */
    private readonly minSpanMs = 1_000,
  ) {}

  reset(total: number): void {
    this.samples = [{ at: this.clock.now().getTime(), total }];
  }

  add(total: number): void {
    const at = this.clock.now().getTime();
    if (this.samples.length === 0) this.samples.push({ at, total: 0 });
    const last = this.samples[this.samples.length - 1];
    // Thousands of chunks a second: one sample per tenth of a second is plenty.
    if (this.samples.length > 1 && at - last.at < SAMPLE_EVERY_MS) last.total = total;
    else this.samples.push({ at, total });
    while (this.samples.length > 2 && at - this.samples[1].at >= this.windowMs) this.samples.shift();
  }

  /** Undefined until there is enough history to say. */
  perSecond(): number | undefined {
    const now = this.clock.now().getTime();
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last) return undefined;
    const span = now - first.at;
    if (span < this.minSpanMs) return undefined;
    return ((last.total - first.total) / span) * 1000;
  }
}
