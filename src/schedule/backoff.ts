/**
 * How long a dataflow that failed `failures` times in a row waits, at least, before its next
 * tick: nothing after one failure (it may be a blip), then 1, 2, 4 … minutes, at most an hour.
 */
export function backoffAfter(failures: number): number {
  if (failures <= 1) return 0;
  return Math.min(60 * 60_000, 60_000 * 2 ** (failures - 2));
}
