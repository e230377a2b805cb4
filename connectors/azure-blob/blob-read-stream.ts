import { addAbortSignal, Readable } from 'node:stream';

/**
 * A blob download as the Readable that `open` hands to the core. It adds what the SDK's stream
 * lacks: errors are mapped to connector errors (a connection dropped mid-blob is `transient`, so
 * the core's retry loop reads the file again), destroying it destroys the SDK's stream (which
 * releases the HTTP response and its socket), and the signal destroys it with an AbortError.
 */
export function blobReadStream(source: Readable, signal: AbortSignal, mapError: (err: unknown) => unknown): Readable {
  return addAbortSignal(signal, new BlobReadStream(source, mapError));
}

/** Chunks from the HTTP response pass through by reference; 1 MiB of read-ahead keeps the
 *  socket busy while the consumer parses, without holding more than that per open file. */
const READ_AHEAD = 1 << 20;

class BlobReadStream extends Readable {
  constructor(
    private readonly source: Readable,
    private readonly mapError: (err: unknown) => unknown,
  ) {
    super({ highWaterMark: READ_AHEAD });
    source.on('data', this.onData);
    source.once('end', this.onEnd);
    source.once('error', this.onError);
  }

  override _read(): void {
    this.source.resume();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.detach();
    this.source.destroy();
    callback(err);
  }

  private readonly onData = (chunk: Buffer): void => {
    if (!this.push(chunk)) this.source.pause();
  };

  private readonly onEnd = (): void => {
    this.detach();
    this.push(null);
  };

  private readonly onError = (err: unknown): void => {
    this.destroy(this.mapError(err) as Error);
  };

  private detach(): void {
    this.source.off('data', this.onData);
    this.source.off('end', this.onEnd);
    this.source.off('error', this.onError);
    // A late error from the source after we let go must not crash the process.
    this.source.on('error', () => undefined);
  }
}
