/**
 * `dataflowd history | head -1`: the reader leaves, and the next write to the pipe fails with
 * EPIPE. Node reports that as an 'error' event on process.stdout which, unhandled, ends the
 * process with a stack trace. Output nobody reads any more is dropped instead: the command
 * finishes what it was doing (a run still records how it ended) and exits with its own code, as
 * `git log | head` does. Any other write error stays fatal.
 */
export function dropOutputOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    stream.write = droppingWrite as typeof stream.write;
  });
}

function droppingWrite(_chunk: unknown, encodingOrCallback?: unknown, callback?: unknown): boolean {
  const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
  if (typeof done === 'function') process.nextTick(done as () => void);
  return true;
}

/** Both standard streams, once, before any command writes. */
export function surviveClosedPipes(): void {
  dropOutputOnClosedPipe(process.stdout);
  dropOutputOnClosedPipe(process.stderr);
}
