import type { SftpSession } from './sftp-session';

/** A borrowed session; `release` gives it back, once (later calls do nothing). */
export interface Lease {
  session: SftpSession;
  /** `reusable: false` closes the connection instead, e.g. after an error of unknown effect. */
  release(opts?: { reusable?: boolean }): void;
}

interface Waiter {
  signal: AbortSignal;
  resolve(lease: Lease): void;
  reject(err: unknown): void;
}

/**
 * At most `max` SSH connections, each lent to one user at a time (a file being read, a listing
 * being walked). Connections are opened on demand, kept while the connector lives, and dropped
 * when they die. A borrower waiting for a free connection can be aborted.
 */
export class SessionPool {
  private readonly idle: SftpSession[] = [];
  private readonly lent = new Set<SftpSession>();
  private readonly waiters: Waiter[] = [];
  /** Connections open or being opened. */
  private size = 0;
  private closed = false;

  constructor(
    private readonly max: number,
    private readonly connect: (signal: AbortSignal) => Promise<SftpSession>,
  ) {}

  async acquire(signal: AbortSignal): Promise<Lease> {
    signal.throwIfAborted();
    if (this.closed) throw new Error('the SFTP connector is closed');
    for (let session = this.idle.pop(); session; session = this.idle.pop()) {
      if (session.alive) return this.lend(session);
      this.size--;
    }
    if (this.size < this.max) return this.open(signal);
    return new Promise<Lease>((resolve, reject) => {
      const waiter: Waiter = {
        signal,
        resolve: (lease) => {
          signal.removeEventListener('abort', onAbort);
          resolve(lease);
        },
        reject: (err) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      const onAbort = () => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Ends every connection, lent ones included; waiting borrowers are rejected. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter.reject(new Error('the SFTP connector was closed'));
    const sessions = [...this.idle.splice(0), ...this.lent];
    this.lent.clear();
    await Promise.all(sessions.map((s) => s.end()));
  }

  private async open(signal: AbortSignal): Promise<Lease> {
    this.size++;
    let session: SftpSession;
    try {
      session = await this.connect(signal);
    } catch (err) {
      this.size--;
      this.serveWaiter();
      throw err;
    }
    if (this.closed) {
      this.size--;
      await session.end();
      throw new Error('the SFTP connector was closed');
    }
    return this.lend(session);
  }

  private lend(session: SftpSession): Lease {
    this.lent.add(session);
    let released = false;
    return {
      session,
      release: ({ reusable = true } = {}) => {
        if (released) return;
        released = true;
        this.giveBack(session, reusable);
      },
    };
  }

  private giveBack(session: SftpSession, reusable: boolean): void {
    if (!this.lent.delete(session)) return; // closed meanwhile: already ended
    if (!reusable || !session.alive) {
      this.size--;
      void session.end();
      this.serveWaiter();
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(this.lend(session));
    else this.idle.push(session);
  }

  /** A connection slot came free: the first waiter opens a connection of its own in it. */
  private serveWaiter(): void {
    if (this.closed || this.size >= this.max) return;
    const waiter = this.waiters.shift();
    if (waiter) this.open(waiter.signal).then(waiter.resolve, waiter.reject);
  }
}
