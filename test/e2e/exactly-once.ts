import type { Batch, PlatformClient } from '../../src/platform';

/*
 * What the exactly-once tests (faults, crashes, source faults) check at the end: every batch
 * Platform holds for the dataset, and the records that landed, compared by content.
 */

/** Every batch of the dataset, walking Catalog's pages. */
export async function allBatches(platform: PlatformClient, dataset: string): Promise<Batch[]> {
  const out: Batch[] = [];
  for (let start = 0; ; start += 100) {
    const page = await platform.listBatches({ dataSet: dataset, limit: 100, start });
    out.push(...page);
    if (page.length < 100) return out;
  }
}

/** Every record that landed in the dataset, read back through Data Access. */
export async function landedRecords(platform: PlatformClient, dataset: string): Promise<unknown[]> {
  const records: unknown[] = [];
  for (const batch of await allBatches(platform, dataset)) {
    if (!batch.succeeded) continue;
    for (const file of await platform.batchFiles(batch.id)) {
      for (const entry of await platform.dataSetFileEntries(file.dataSetFileId)) {
        const chunks: Buffer[] = [];
        for await (const chunk of await platform.downloadFile(file.dataSetFileId, entry.name)) chunks.push(chunk as Buffer);
        const text = Buffer.concat(chunks).toString('utf8');
        for (const line of text.split('\n')) if (line.trim() !== '') records.push(JSON.parse(line) as unknown);
      }
    }
  }
  return records;
}

export interface Tally {
  expected: number;
  landed: number;
  /** Landed records beyond the first copy of each. */
  duplicates: number;
  /** Expected records that never landed. */
  missing: number;
  /** Landed records that were never expected. */
  unexpected: number;
}

/** Compares two multisets of records by their JSON. */
export function tally(expected: readonly unknown[], landed: readonly unknown[]): Tally {
  const want = new Map<string, number>();
  for (const r of expected) want.set(JSON.stringify(r), (want.get(JSON.stringify(r)) ?? 0) + 1);
  const got = new Map<string, number>();
  for (const r of landed) got.set(JSON.stringify(r), (got.get(JSON.stringify(r)) ?? 0) + 1);
  let duplicates = 0;
  let missing = 0;
  let unexpected = 0;
  for (const [key, n] of got) {
    const w = want.get(key) ?? 0;
    if (w === 0) unexpected += n;
    else if (n > w) duplicates += n - w;
  }
  for (const [key, w] of want) missing += Math.max(0, w - (got.get(key) ?? 0));
  return { expected: expected.length, landed: landed.length, duplicates, missing, unexpected };
}

/** Batches by Catalog status, e.g. { success: 12, aborted: 3 }. */
export function statusCounts(batches: readonly Batch[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const b of batches) counts[b.status] = (counts[b.status] ?? 0) + 1;
  return counts;
}
