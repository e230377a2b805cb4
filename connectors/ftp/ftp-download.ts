import type { Client, FTPContext } from 'basic-ftp';
import { OnReadOpts, Socket, SocketConstructorOpts } from 'node:net';
import { addAbortSignal, Readable, Writable } from 'node:stream';
import { replyCode } from './errors';

/** Bytes buffered ahead of the reader: large enough to keep a fast data connection streaming
 *  while the consumer works on the previous chunk, small enough to keep memory flat. */
const READ_AHEAD = 1024 * 1024;
/** Plain data connections read straight into slabs of this size, at least MIN_READ at a time. */
const SLAB = 1024 * 1024;
const MIN_READ = 128 * 1024;

export interface DownloadOptions {
  client: Client;
  /** Absolute path on the server. */
  remotePath: string;
  signal: AbortSignal;
  /** Called once, when the transfer has ended: whether the session can serve another command. */
  done(reusable: boolean): void;
  /** Turns a transfer error into the error the reader sees. */
  mapError(err: unknown): unknown;
}

/**
 * RETR as a Readable, with backpressure: the data connection pauses when the reader does.
 *
 * basic-ftp pipes the data connection into a Writable, which this bridges to the Readable handed
 * out (a write is acknowledged once the reader has room). On a plain (non-TLS) data connection
 * the socket instead reads straight into large slabs handed out as chunks (`onread`): no copy, no
 * 64 KiB buffer per read, about half the CPU per byte, which is what keeps up with rclone. The
 * Writable then sees no bytes, only the end of the data, and basic-ftp's bookkeeping (watchdog,
 * 226 after the end of data) is the same either way.
 *
 * Resolves once the server has started sending (first byte) or has finished (an empty file), and
 * rejects with the server's answer when it refuses (550: not found). The stream ends only when the
 * control connection confirmed the transfer (226): a connection that drops mid-file makes the
 * stream fail, never end early. Aborting the signal or destroying the stream closes the session,
 * which stops the transfer at once.
 */
export function download(opts: DownloadOptions): Promise<Readable> {
  const { client, signal } = opts;
  return new Promise<Readable>((resolve, reject) => {
    /** Lets the data connection go on once the reader wants more. */
    let resumeSource: (() => void) | undefined;
    let started = false;
    let settled = false;

    const out = new Readable({
      highWaterMark: READ_AHEAD,
      read() {
        const resume = resumeSource;
        resumeSource = undefined;
        resume?.();
      },
      destroy(err, callback) {
        // Mid-transfer, the control connection is in an unknown state: end it, the pool drops it.
        if (!settled) client.close();
        callback(err);
      },
    });
    const start = () => {
      if (started) return;
      started = true;
      resolve(out);
    };
    /** Hands a chunk to the reader; false when the reader's buffer is full. */
    const deliver = (chunk: Buffer): boolean => {
      start();
      return out.push(chunk);
    };

    const sink = new Writable({
      highWaterMark: READ_AHEAD,
      write(chunk: Buffer, _encoding, callback) {
        if (out.destroyed || deliver(chunk)) callback();
        else resumeSource = callback;
      },
    });
    // basic-ftp's pipeline reports sink errors through the transfer's promise.
    sink.on('error', () => undefined);

    const restoreSockets = client.ftp.hasTLS
      ? () => undefined
      : readIntoSlabs(client.ftp, (chunk, socket) => {
          if (out.destroyed || deliver(chunk)) return;
          // pause() also tells basic-ftp's watchdog that we, not the server, hold the transfer up.
          socket.pause();
          resumeSource = () => socket.resume();
        });

    addAbortSignal(signal, out);
    client.downloadTo(sink, opts.remotePath).then(
      () => {
        settled = true;
        restoreSockets();
        opts.done(true);
        start();
        out.push(null);
      },
      (err: unknown) => {
        settled = true;
        restoreSockets();
        // A refusal before any byte (550) leaves the session as it was; anything else does not.
        opts.done(!started && replyCode(err) !== undefined && !client.closed);
        const failure = signal.aborted ? signal.reason : opts.mapError(err);
        if (started) {
          out.destroy(failure as Error);
        } else {
          out.destroy(); // never handed out; detaches it from the signal
          reject(failure);
        }
      },
    );
  });
}

/** Where a session's data connections read to: the unused end of its current slab. */
interface Slab {
  buffer: Buffer;
  used: number;
}

/**
 * A session's downloads run one after another, so they share its slab: a file of 100 KB uses
 * the next 100 KB of it rather than a fresh megabyte (allocating one per file doubled the CPU
 * time of many small files). Regions handed out are never read into again.
 */
const slabs = new WeakMap<FTPContext, Slab>();

/**
 * Until the returned function is called, the data connections basic-ftp opens on this control
 * connection read into the session's slab and pass each chunk to onChunk instead of emitting
 * 'data'. The session is borrowed by one download, so no listing can open a socket meanwhile.
 */
function readIntoSlabs(ftp: FTPContext, onChunk: (chunk: Buffer, socket: Socket) => void): () => void {
  const slab = slabs.get(ftp) ?? { buffer: Buffer.allocUnsafe(SLAB), used: 0 };
  slabs.set(ftp, slab);
  const onread: OnReadOpts = {
    buffer: () => {
      if (SLAB - slab.used < MIN_READ) {
        slab.buffer = Buffer.allocUnsafe(SLAB);
        slab.used = 0;
      }
      return slab.buffer.subarray(slab.used);
    },
    callback: (bytes, buffer) => {
      slab.used += bytes;
      onChunk(Buffer.from(buffer.buffer, buffer.byteOffset, bytes), socket);
      return true; // backpressure goes through socket.pause(), which basic-ftp's watchdog sees
    },
  };
  let socket: Socket;
  ftp._newSocket = () => {
    // Node takes `onread` in the constructor too (net.Socket docs); @types/node lists it for connect() only.
    socket = new Socket({ onread } as SocketConstructorOpts);
    return socket;
  };
  // The own property shadowed the class's method; removing it brings the method back.
  return () => void Reflect.deleteProperty(ftp, '_newSocket');
}
