import type { Readable } from 'node:stream';
import type { z } from 'zod';
import type { Logger } from '../lib/logger';

/** One file as a connector sees it. `path` is relative to the connection's root, '/'-separated. */
export interface RemoteFile {
  path: string;
  size: number;
  modifiedAt: Date;
  /** A content tag that changes whenever the content does (S3/Azure etag). */
  etag?: string;
}

export interface SignalOpts {
  signal: AbortSignal;
}

export interface ListOpts extends SignalOpts {
  recursive: boolean;
}

/**
 * The contract every storage protocol implements (DESIGN.md §5). Connectors enumerate and read;
 * globs, ages, fingerprints, batching and retries belong to the core.
 */
export interface SourceConnector {
  /** Every file under folder. Throws if any part of the listing fails: a partial listing must
   *  never look like "no new files". */
  list(folder: string, opts: ListOpts): AsyncIterable<RemoteFile>;
  stat(path: string, opts: SignalOpts): Promise<RemoteFile | undefined>;
  /** A stream of the file's bytes; destroyed and its session released when signal aborts. */
  open(path: string, opts: SignalOpts): Promise<Readable>;
  remove?(path: string, opts: SignalOpts): Promise<void>;
  move?(from: string, to: string, opts: SignalOpts): Promise<void>;
  /** Reach + authenticate + list permission. */
  check?(opts: SignalOpts): Promise<void>;
  /** Idempotent. */
  close(): Promise<void>;
  /**
   * Traits that depend on the server reached (an FTP server with MLSD reports seconds, one with
   * only LIST reports minutes). Valid after the first `list`; overrides the definition's traits.
   */
  traits?(): ConnectorTraits;
}

/** What a connector declares about itself, so the core can fingerprint files correctly. */
export interface ConnectorTraits {
  /** Whether `etag` tracks content; if so it is the fingerprint. */
  etagTracksContent: boolean;
  /** Resolution of modifiedAt in milliseconds (1000 for whole seconds, 60000 for FTP LIST). */
  mtimePrecisionMs: number;
}

export interface ConnectorContext {
  logger: Logger;
  /** Folder that relative paths in the connection config resolve from. */
  baseDir: string;
}

export interface ConnectorDefinition<S extends z.ZodType = z.ZodType> {
  type: string;
  /** Zod schema of the connection's keys, `type` included as a literal. */
  configSchema: S;
  /** Keys of the config that hold secrets: redacted from logs and errors. */
  secretFields: readonly string[];
  traits(config: z.infer<S>): ConnectorTraits;
  /** Async so that a definition can load its protocol's library (an SDK of tens of MB) only when
   *  a connection of its type is opened, not in every process. */
  create(config: z.infer<S>, ctx: ConnectorContext): Promise<SourceConnector>;
}
