import type { LedgerEntry } from '../store/types';

/**
 * Splits taken files into batches within the file-count and byte limits, keeping listing order.
 * A single file larger than maxBytes still gets a batch of its own.
 */
export function groupBatches(files: readonly LedgerEntry[], maxFiles: number, maxBytes: number): LedgerEntry[][] {
  const batches: LedgerEntry[][] = [];
  let current: LedgerEntry[] = [];
  let bytes = 0;
  for (const file of files) {
    if (current.length > 0 && (current.length >= maxFiles || bytes + file.size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(file);
    bytes += file.size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
