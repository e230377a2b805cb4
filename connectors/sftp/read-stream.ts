import { Readable } from 'node:stream';

/** Reads up to `target.length` bytes at `position` into `target`; 0 bytes means end of file. */
export type ReadAt = (position: number, target: Buffer, cb: (err: unknown, bytes: number) => void) => void;

export interface PipelinedReadOptions {
  readAt: ReadAt;
  /** Bytes per request; at most what the server answers in one packet. */
  chunkSize: number;
  /** Requests in flight at once. */
  depth: number;
  /** Size of the file when it was opened: past it, only one request at a time looks for more. */
  sizeHint: number;
  /** Maps a read error to what the stream emits. */
  mapError: (err: unknown) => Error;
  /** Called once, at the end of the file (error null) or when the stream is destroyed, to
   *  release the file handle. */
  onClose: (error: Error | null) => void;
}

interface Slot {
  position: number;
  /** Where the bytes go: a part of a block, at the slot's place in the file. */
  target: Buffer;
  done: boolean;
  bytes: number;
  error?: unknown;
}

/**
 * A file's bytes in order, read with several requests in flight. One SFTP read at a time waits a
 * round trip per chunk (ssh2's createReadStream: ~25 MiB/s on loopback); keeping `depth` reads
 * outstanding, as rclone and ssh2's fastGet do, fills the pipe. Requests read straight into
 * blocks of `depth` chunks, and the stream hands on whole blocks: everything downstream (prep,
 * upload chunks) then works on large pieces (the connector's 2 MiB) instead of 64 KiB ones,
 * which cost a third of a local run's CPU (see connectors/local). Backpressure: no new request is
 * sent while the consumer is behind, so memory stays within a few blocks.
 */
export class PipelinedReadStream extends Readable {
  private readonly slots: Slot[] = [];
  private next = 0;
  private eof = false;
  private wanted = false;
  private released = false;
  private readonly blockBytes: number;
  /** The block requests are being placed in, and the first byte of it that is not yet. */
  private block?: Buffer;
  private blockUsed = 0;
  /** Bytes read in order that wait for the rest of their block. */
  private held?: Buffer;

  constructor(private readonly opts: PipelinedReadOptions) {
    // Two blocks: one being consumed while the next fills.
    super({ highWaterMark: 2 * opts.chunkSize * opts.depth });
    this.blockBytes = opts.chunkSize * opts.depth;
  }

  override _read(): void {
    this.wanted = true;
    this.fill();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.release(err);
    callback(err);
  }

  private fill(): void {
    while (this.wanted && !this.eof && !this.destroyed && this.slots.length < this.opts.depth) {
      const { sizeHint, chunkSize } = this.opts;
      // Reads end exactly at the size seen at open, and one probe past it goes out with them: it
      // finds the end in the same round trip, or bytes appended since (then the next probe).
      const last = this.slots[this.slots.length - 1];
      if (this.next >= sizeHint && last !== undefined && last.position >= sizeHint) return;
      const length = this.next < sizeHint ? Math.min(chunkSize, sizeHint - this.next) : chunkSize;
      const slot: Slot = { position: this.next, target: this.place(length), done: false, bytes: 0 };
      this.next += length;
      this.slots.push(slot);
      this.send(slot);
    }
  }

  /**
   * Room for `length` bytes right after the previous request's, in the current block or a new one.
   * A new block holds at most the rest of the file as seen at open and the probe past its end:
   * a 100 KB file no longer takes a whole 2 MiB block, which made 1000 small files cost 2 GB of
   * garbage.
   */
  private place(length: number): Buffer {
    if (!this.block || this.blockUsed + length > this.block.length) {
      const rest = Math.max(0, this.opts.sizeHint - this.next) + this.opts.chunkSize;
      this.block = Buffer.allocUnsafeSlow(Math.max(length, Math.min(this.blockBytes, rest)));
      this.blockUsed = 0;
    }
    const target = this.block.subarray(this.blockUsed, this.blockUsed + length);
    this.blockUsed += length;
    return target;
  }

  private send(slot: Slot): void {
    try {
      this.opts.readAt(slot.position, slot.target, (err, bytes) => {
        slot.done = true;
        slot.error = err ?? undefined;
        slot.bytes = err ? 0 : bytes;
        this.deliver();
      });
    } catch (err) {
      slot.done = true;
      slot.error = err;
      queueMicrotask(() => this.deliver());
    }
  }

  /** Takes the completed requests at the head of the queue, in file order, and hands on whole blocks. */
  private deliver(): void {
    while (!this.destroyed && this.slots.length > 0 && this.slots[0].done) {
      const slot = this.slots.shift()!;
      if (slot.error !== undefined) {
        this.destroy(this.opts.mapError(slot.error));
        return;
      }
      if (slot.bytes === 0) {
        this.eof = true;
        this.slots.length = 0;
        this.release(null);
        this.handOn();
        this.push(null);
        return;
      }
      if (slot.bytes < slot.target.length) {
        // A short read (allowed anywhere by SFTP): the rest of the range comes before what
        // follows, into the rest of the same place.
        const rest: Slot = { position: slot.position + slot.bytes, target: slot.target.subarray(slot.bytes), done: false, bytes: 0 };
        this.slots.unshift(rest);
        this.send(rest);
      }
      this.hold(slot.target.subarray(0, slot.bytes));
    }
    // Nothing more is on its way soon: what is held goes now rather than waiting for its block.
    if (this.slots.length === 0 || !this.wanted) this.handOn();
    this.fill();
  }

  /** Adds bytes that follow the held ones; a block is handed on once it is full. */
  private hold(bytes: Buffer): void {
    const held = this.held;
    if (held && held.buffer === bytes.buffer && held.byteOffset + held.length === bytes.byteOffset) {
      this.held = Buffer.from(held.buffer, held.byteOffset, held.length + bytes.length);
    } else {
      this.handOn();
      this.held = bytes;
    }
    if (this.held.byteOffset + this.held.length === this.held.buffer.byteLength) this.handOn();
  }

  private handOn(): void {
    const held = this.held;
    this.held = undefined;
    if (held && held.length > 0 && !this.push(held)) this.wanted = false;
  }

  private release(error: Error | null): void {
    if (this.released) return;
    this.released = true;
    this.opts.onClose(error);
  }
}
