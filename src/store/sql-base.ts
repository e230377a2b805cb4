import type { Clock } from '../lib/clock';
import type { Db } from './db';
import { checkFence } from './sql-leases';
import { fromDbError, storeClosed } from './store-errors';
import type { Fence } from './types';

/** What every part of the SQL store shares: the database, the clock, and how calls are wrapped. */
export abstract class SqlBase {
  protected closed = false;

  constructor(
    protected readonly db: Db,
    protected readonly clock: Clock,
  ) {}

  protected now(): number {
    return this.clock.now().getTime();
  }

  /** One write transaction that first checks the fencing token (sql-leases.ts). */
  protected fenced<T>(op: string, fence: Fence, fn: (tx: Db) => Promise<T>): Promise<T> {
    return this.guard(op, () =>
      this.db.write(async (tx) => {
        await checkFence(tx, fence);
        return fn(tx);
      }),
    );
  }

  /** Runs fn with the store open, and reports any failure as a store error naming the operation. */
  protected async guard<T>(op: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw storeClosed(op);
    try {
      return await fn();
    } catch (err) {
      throw fromDbError(err, op);
    }
  }
}
