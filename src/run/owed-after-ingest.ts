import type { Store } from '../store/types';

/*
 * afterIngest (delete / move) comes after Platform accepted a batch, in a step of its own: a
 * process that dies in between, or a batch settled by crash recovery, would leave accepted files
 * in the source for good. So a dataflow that deletes or moves notes each batch as owing its
 * afterIngest before COMPLETE is sent, and clears the note once done; the next run of the
 * dataflow pays what an earlier one could not. One meta row per dataflow: runs of a dataflow
 * never overlap, and recovery runs before any run, so nothing else writes it meanwhile.
 */

const key = (dataflow: string) => `after-ingest-owed:${dataflow}`;

export async function owedAfterIngest(store: Store, dataflow: string): Promise<string[]> {
  const raw = await store.getMeta(key(dataflow));
  if (raw === undefined) return [];
  const parsed: unknown = JSON.parse(raw);
  return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
}

export async function oweAfterIngest(store: Store, dataflow: string, batchId: string): Promise<void> {
  const owed = await owedAfterIngest(store, dataflow);
  if (!owed.includes(batchId)) await store.setMeta(key(dataflow), JSON.stringify([...owed, batchId]));
}

export async function paidAfterIngest(store: Store, dataflow: string, batchIds: readonly string[]): Promise<void> {
  const owed = await owedAfterIngest(store, dataflow);
  const left = owed.filter((id) => !batchIds.includes(id));
  if (left.length !== owed.length) await store.setMeta(key(dataflow), JSON.stringify(left));
}
