import type { Clock } from '../lib/clock';
import { dataflowError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { Batch, PlatformClient } from '../platform';
import type { Fence, Store } from '../store/types';

/*
 * An emptied ledger must not silently ingest everything again (issue 21 item 7). Every batch a
 * dataflow creates carries its name in its externalId (run-id.ts), so when the ledger holds
 * nothing for a dataflow, Catalog says whether Platform already holds its data. If it does, the
 * run is refused until the ledger is rebuilt from Catalog (`dataflowd ledger rebuild`) or the
 * operator accepts an empty ledger (`run --accept-empty-ledger`). Either, or a Catalog without
 * such batches, leaves a mark in the store, so the question is asked once per ledger.
 */

export const LEDGER_EMPTY_CODE = 'ERR_LEDGER_EMPTY';

/** Catalog batches looked at, newest first, before the answer is "none found". */
export const MAX_SCANNED_BATCHES = 10_000;
const PAGE = 100;

/** The externalId prefix of every batch a dataflow creates. */
export function externalIdPrefix(dataflow: string): string {
  return `dataflowd:${dataflow}:`;
}

/**
 * The dataset's batches this dataflow created, newest first, up to MAX_SCANNED_BATCHES of the
 * dataset's batches (Catalog cannot filter on an externalId prefix).
 */
export async function* dataflowBatches(platform: PlatformClient, datasetId: string, dataflow: string, signal: AbortSignal): AsyncGenerator<Batch> {
  const prefix = externalIdPrefix(dataflow);
  for (let start = 0; start < MAX_SCANNED_BATCHES; start += PAGE) {
    const page = await platform.listBatches({ dataSet: datasetId, orderBy: 'desc:created', limit: PAGE, start }, signal);
    for (const b of page) if (b.externalId?.startsWith(prefix)) yield b;
    if (page.length < PAGE) return;
  }
}

export interface GuardContext {
  store: Store;
  platform: PlatformClient;
  fence: Fence;
  datasetId: string;
  clock: Clock;
  logger: Logger;
  signal: AbortSignal;
  /** `run --accept-empty-ledger`: start empty on purpose. */
  acceptEmpty?: boolean;
}

/** Throws ERR_LEDGER_EMPTY when the ledger holds nothing for the dataflow and Catalog holds its ingested batches. */
export async function guardEmptyLedger(ctx: GuardContext): Promise<void> {
  const { store, fence } = ctx;
  const dataflow = fence.dataflow;
  if ((await store.ledgerMark(dataflow)) !== undefined || !(await store.ledgerIsEmpty(dataflow))) return;
  const at = ctx.clock.now();
  if (ctx.acceptEmpty) {
    await store.markLedger(fence, { how: 'accepted_empty', detail: 'run --accept-empty-ledger', at });
    ctx.logger.warn({ dataflow }, 'the ledger starts empty on purpose (--accept-empty-ledger): files Platform already holds are sent again');
    return;
  }
  for await (const batch of dataflowBatches(ctx.platform, ctx.datasetId, dataflow, ctx.signal)) {
    if (!batch.succeeded) continue;
    throw dataflowError(
      LEDGER_EMPTY_CODE,
      'config',
      `the ledger holds nothing for ${dataflow}, but Platform already holds data it sent (batch ${batch.id}, externalId ${batch.externalId}): ` +
        `a run now would send every file again. Rebuild the ledger from Platform with 'dataflowd ledger rebuild ${dataflow}', ` +
        `or start it empty on purpose with 'dataflowd run ${dataflow} --accept-empty-ledger'`,
      { context: { dataflow, batchId: batch.id, datasetId: ctx.datasetId } },
    );
  }
  await store.markLedger(fence, { how: 'checked', detail: `Catalog held no ingested batch of ${dataflow} in dataset ${ctx.datasetId}`, at });
}
