import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';

/**
 * Text written to a file in order, waiting when the stream's buffer is full so that processing
 * a large file never piles its output up in memory. The file is created on the first write.
 */
export class LineSink {
  private stream: WriteStream | undefined;
  private bytes = 0;

  constructor(readonly file: string) {}

  get bytesWritten(): number {
    return this.bytes;
  }

  async write(text: string): Promise<void> {
    if (!this.stream) {
      await mkdir(path.dirname(this.file), { recursive: true });
      this.stream = createWriteStream(this.file);
    }
    this.bytes += Buffer.byteLength(text);
    if (!this.stream.write(text)) await once(this.stream, 'drain');
  }

  /** Flushes and closes; a sink never written to leaves no file. */
  async close(): Promise<void> {
    const stream = this.stream;
    if (!stream) return;
    this.stream = undefined;
    stream.end();
    await once(stream, 'close');
  }
}
