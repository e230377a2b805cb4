import { SingleBar, Presets } from 'cli-progress';
import type { RunCallbacks } from '../run/dataflow-runner';

/** A progress bar of bytes uploaded, on a terminal only; undefined elsewhere (logs suffice). */
export function startProgress(): { callbacks: RunCallbacks; stop(): void } | undefined {
  if (!process.stderr.isTTY) return undefined;
  const bar = new SingleBar(
    { format: ' {bar} {percentage}% | {value}/{total} MB | {files} files', stream: process.stderr, hideCursor: true, clearOnComplete: true },
    Presets.shades_classic,
  );
  let started = false;
  let bytes = 0;
  const mb = (n: number) => Math.round(n / 1e5) / 10;
  return {
    callbacks: {
      onTaken: (files, total) => {
        bar.start(mb(total), 0, { files });
        started = true;
      },
      onBytes: (n) => {
        bytes += n;
        if (started) bar.update(mb(bytes));
      },
    },
    stop: () => started && bar.stop(),
  };
}
