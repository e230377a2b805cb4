import { addAbortSignal, Readable, Transform, TransformCallback } from 'node:stream';

export interface ObjectStreamOptions {
  /** Content-Length of the response: fewer bytes than this is a failed read, not a short file. */
  length: number | undefined;
  signal: AbortSignal;
  /** Turns a failure of the body (reset, timeout, truncation) into a connector error. */
  fail: (err: unknown) => unknown;
}

/**
 * The bytes of a GetObject body, as the core consumes them: errors are connector errors (a reset
 * connection is `transient`, so the core retries the file), a body cut short is an error rather
 * than a short file, and the HTTP response — its socket — is released when the consumer stops
 * early, fails, or the signal aborts.
 */
export function objectStream(body: Readable, opts: ObjectStreamOptions): Readable {
  const { length, signal, fail } = opts;
  let received = 0;
  const out = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      received += chunk.length;
      done(null, chunk);
    },
    flush(done: TransformCallback) {
      if (length !== undefined && received !== length) done(fail(new Error(`body ended after ${received} of ${length} bytes`)) as Error);
      else done();
    },
  });
  body.once('error', (err) => out.destroy((signal.aborted ? signal.reason : fail(err)) as Error));
  // Destroying an unfinished response closes its socket; a finished one stays in the keep-alive pool.
  out.once('close', () => {
    if (!body.readableEnded) body.destroy();
  });
  body.pipe(out);
  return addAbortSignal(signal, out);
}
