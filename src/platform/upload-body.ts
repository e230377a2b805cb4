import { Readable } from 'node:stream';
import { crashPoint } from '../lib/crash-points';

/*
 * A request body can be sent only once, and when an upload fails the caller must know whether
 * its source failed (its own error, unchanged) or the upload did (ours, classified). undici
 * destroys a body with its own errors too (socket resets, length mismatches), so listening for
 * 'error' on the source cannot tell the two apart. Reading the source through this wrapper can:
 * only a failure to read the next chunk is the source's.
 */

export interface GuardedBody {
  /** What to hand to undici. Nothing is read from the source before undici reads this. */
  stream: Readable;
  /** Whether any byte has been taken from the source: from then on, it cannot be sent again. */
  consumed(): boolean;
  /** The source's own error, if reading it failed. */
  sourceError(): unknown;
  /** Releases the source (without an error of ours on it). */
  destroy(): void;
}

export function guardBody(source: Readable): GuardedBody {
  let failure: { err: unknown } | undefined;
  let started = false;
  async function* chunks(): AsyncGenerator<Buffer | string> {
    started = true;
    let yielding = false;
    try {
      let first = true;
      for await (const chunk of source) {
        yielding = true;
        yield chunk as Buffer | string;
        yielding = false;
        if (first) crashPoint('mid-upload');
        first = false;
      }
    } catch (err) {
      // An error thrown at the yield was put there by whoever destroyed the wrapper, not by the source.
      if (!yielding) failure = { err };
      throw err;
    }
  }
  const stream = Readable.from(chunks(), { objectMode: false });
  return {
    stream,
    consumed: () => started || source.readableDidRead || source.destroyed || stream.destroyed,
    sourceError: () => failure?.err,
    destroy: () => {
      if (!source.destroyed) source.destroy();
      if (!stream.destroyed) stream.destroy();
    },
  };
}
