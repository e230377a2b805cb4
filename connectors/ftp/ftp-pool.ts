import { Client } from 'basic-ftp';
import type { ConnectionOptions } from 'node:tls';
import { connectorError } from '../../src/connector/errors';
import { ftpError } from './errors';
import { parseMlsdListing, parseUnixListing } from './ftp-listing';

/** What the first session learnt about the server; the same for every session of a connection. */
export interface FtpServerInfo {
  /** The login folder (PWD): the connection's root, that dataflow paths are relative to. */
  home: string;
  /** MLST/MLSD offered (FEAT): exact listings. Otherwise LIST, with times to the minute. */
  mlst: boolean;
  mdtm: boolean;
  size: boolean;
}

export interface FtpPoolOptions {
  host: string;
  port: number;
  username: string;
  password: string;
  secure: false | 'explicit' | 'implicit';
  /** TLS options for secure connections (CA, verification). */
  tls: ConnectionOptions;
  timeoutMs: number;
  maxConnections: number;
  /** `ftp://host:port`, for messages. */
  where: string;
}

interface Waiter {
  wake(): void;
}

/**
 * A bounded set of logged-in FTP sessions. An FTP control connection does one thing at a time,
 * so every operation borrows a session for its whole duration (a download until its stream has
 * ended) and gives it back; a session whose state is unknown (closed, aborted, failed mid-way)
 * is closed instead of being reused.
 */
export class FtpPool {
  private readonly idle: Client[] = [];
  private readonly busy = new Set<Client>();
  private readonly waiters: Waiter[] = [];
  private connecting = 0;
  private closed = false;
  private serverInfo: FtpServerInfo | undefined;

  constructor(private readonly opts: FtpPoolOptions) {}

  /** Known once a session has logged in. */
  get server(): FtpServerInfo | undefined {
    return this.serverInfo;
  }

  async acquire(signal: AbortSignal): Promise<Client> {
    for (;;) {
      signal.throwIfAborted();
      if (this.closed) throw connectorError('transient', `${this.opts.where}: the connection has been closed`);
      const client = this.idle.pop();
      if (client !== undefined) {
        // The server may have dropped an idle session (its idle timeout): take another.
        if (client.closed) continue;
        this.busy.add(client);
        return client;
      }
      if (this.busy.size + this.connecting < this.opts.maxConnections) return this.connect(signal);
      await this.slotFreed(signal);
    }
  }

  /** Gives a session back; it is closed instead when it cannot be trusted for another command. */
  release(client: Client, reusable = true): void {
    if (!this.busy.delete(client)) return;
    if (this.closed || !reusable || client.closed) client.close();
    else this.idle.push(client);
    this.waiters.shift()?.wake();
  }

  /** Runs fn on a borrowed session; an abort closes the session, which ends whatever it was doing. */
  async use<T>(signal: AbortSignal, fn: (client: Client, server: FtpServerInfo) => Promise<T>): Promise<T> {
    const client = await this.acquire(signal);
    const onAbort = () => client.close();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await fn(client, this.serverInfo!);
    } catch (err) {
      signal.throwIfAborted();
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.release(client);
    }
  }

  /** Idempotent. Closes every session, also those lent out (their operations then fail). */
  async close(): Promise<void> {
    this.closed = true;
    for (const client of [...this.idle, ...this.busy]) client.close();
    this.idle.length = 0;
    this.busy.clear();
    for (const waiter of this.waiters.splice(0)) waiter.wake();
  }

  private slotFreed(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        wake: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private async connect(signal: AbortSignal): Promise<Client> {
    const { host, port, username, password, secure, timeoutMs, where } = this.opts;
    const client = new Client(timeoutMs);
    const onAbort = () => client.close();
    signal.addEventListener('abort', onAbort, { once: true });
    this.connecting++;
    try {
      // basic-ftp writes into secureOptions (the host, for TLS session reuse): a fresh object each time.
      await client.access({
        host,
        port,
        user: username,
        password,
        secure: secure === 'implicit' ? 'implicit' : secure === 'explicit',
        secureOptions: secure === false ? undefined : { ...this.opts.tls },
      });
      const server = this.serverInfo ?? (await detect(client));
      this.serverInfo = server;
      // Our strict parsers and exactly one listing format per server: the precision the core
      // was told must hold for every listing.
      client.availableListCommands = server.mlst ? ['MLSD'] : ['LIST -a', 'LIST'];
      client.parseList = server.mlst ? parseMlsdListing : (text) => parseUnixListing(text, new Date());
      signal.throwIfAborted();
      if (this.closed) throw connectorError('transient', `${where}: the connection has been closed`);
    } catch (err) {
      client.close();
      this.waiters.shift()?.wake(); // the slot this session would have taken is free again
      signal.throwIfAborted();
      throw ftpError(err, `connecting to`, `${where} as ${username}`, { secrets: [password] });
    } finally {
      this.connecting--;
      signal.removeEventListener('abort', onAbort);
    }
    this.busy.add(client);
    return client;
  }
}

async function detect(client: Client): Promise<FtpServerInfo> {
  const features = await client.features();
  // PWD doubles quotes inside the quoted path (RFC 959 appendix II).
  const home = (await client.pwd()).replace(/""/g, '"');
  return { home, mlst: features.has('MLST'), mdtm: features.has('MDTM'), size: features.has('SIZE') };
}
