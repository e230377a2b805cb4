import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';

/*
 * Prepared output whose length is known only at its end (a converted CSV, renamed JSON) is
 * written to a local file first, so that it can be uploaded as Platform documents uploads: a PUT
 * stating its Content-Length, or for 256 MB and more the large-file calls naming its size in
 * every Content-Range (aep-api.md §2.2, §2.3). The file also makes the upload resendable without
 * preparing the source again. Disk use is the output of the files being uploaded at once.
 */

export interface Spooled {
  file: string;
  size: number;
  /** Removes the file; idempotent. */
  dispose(): Promise<void>;
}

/** Writes every chunk to a new file under `dir`; each chunk is handed to `done` once written. */
export async function spool(chunks: AsyncIterable<Buffer>, dir: string, done: (chunk: Buffer) => void, signal?: AbortSignal): Promise<Spooled> {
  const folder = await mkdtemp(path.join(dir, 'dataflowd-spool-'));
  const file = path.join(folder, 'output');
  const dispose = () => rm(folder, { recursive: true, force: true });
  const sink = createWriteStream(file);
  let size = 0;
  try {
    for await (const chunk of chunks) {
      signal?.throwIfAborted();
      size += chunk.length;
      // Only once the write is done may the chunk's buffer be reused for the next one.
      await new Promise<void>((resolve, reject) => sink.write(chunk, (err) => (err ? reject(err) : resolve())));
      done(chunk);
    }
    sink.end();
    await once(sink, 'finish', { signal });
    return { file, size, dispose };
  } catch (err) {
    sink.destroy();
    await dispose();
    throw err;
  }
}
