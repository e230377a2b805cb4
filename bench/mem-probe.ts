import { writeFileSync } from 'node:fs';
import { writeHeapSnapshot } from 'node:v8';

/*
 * Preloaded into a measured process (NODE_OPTIONS=--require=…/mem-probe.js, BENCH_MEM_OUT=FILE):
 * samples process.memoryUsage() every 50 ms and writes each figure's peak, in MB, at exit. It
 * says where a peak RSS goes: the V8 heap, memory outside it (external), or Buffers (arrayBuffers).
 * With BENCH_HEAP_SNAPSHOT=FILE and BENCH_HEAP_SNAPSHOT_MB=N it also writes one heap snapshot to
 * FILE the first time the heap in use passes N MB, to see what holds it.
 */
const out = process.env.BENCH_MEM_OUT;
if (out) {
  const peak = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
  let snapshotAt = Number(process.env.BENCH_HEAP_SNAPSHOT_MB) || Infinity;
  const sample = () => {
    const m = process.memoryUsage();
    if (m.heapUsed / 2 ** 20 > snapshotAt) {
      snapshotAt = Infinity;
      writeHeapSnapshot(process.env.BENCH_HEAP_SNAPSHOT);
    }
    for (const k of Object.keys(peak) as Array<keyof typeof peak>) peak[k] = Math.max(peak[k], m[k] / 2 ** 20);
  };
  setInterval(sample, 50).unref();
  process.on('exit', () => {
    sample();
    writeFileSync(out, JSON.stringify(peak));
  });
}

export interface MemoryPeaks {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** The environment that makes a node process write its memory peaks to `file`. */
export function memProbeEnv(file: string): NodeJS.ProcessEnv {
  return { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require=${__filename}`.trim(), BENCH_MEM_OUT: file };
}

export function formatPeaks(p: MemoryPeaks): string {
  return `heap ${p.heapUsed.toFixed(0)} used / ${p.heapTotal.toFixed(0)} total, external ${p.external.toFixed(0)} (of which arrayBuffers ${p.arrayBuffers.toFixed(0)}) MB; rss by the process's own count ${p.rss.toFixed(0)} MB`;
}
