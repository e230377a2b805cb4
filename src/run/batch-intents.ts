import type { Store } from '../store/types';

/*
 * Platform creates a batch before the ledger can record it: a process that dies in between
 * leaves a `loading` batch that no ledger row names. So before asking for a batch, a run writes
 * the batch's externalId down (one meta row per run, kept with the run's history); recovery
 * looks those externalIds up in Catalog for runs that never finished, and aborts what it finds
 * that the ledger does not know (recover.ts). The meta table serves, so no migration is needed.
 */

const key = (runId: string) => `batch-intents:${runId}`;

/** Durably notes that the run is about to create the batch with this externalId. */
export async function recordBatchIntent(store: Store, runId: string, externalId: string): Promise<void> {
  const known = await batchIntents(store, runId);
  if (known.includes(externalId)) return;
  // One run writes its own key, one batch at a time: no other writer to race with.
  await store.setMeta(key(runId), JSON.stringify([...known, externalId]));
}

/** The externalIds a run meant to create batches with, oldest first. */
export async function batchIntents(store: Store, runId: string): Promise<string[]> {
  const raw = await store.getMeta(key(runId));
  if (raw === undefined) return [];
  const parsed: unknown = JSON.parse(raw);
  return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
}
