import { hotQueries, statements } from './queries';
import { SqlBase } from './sql-base';
import type { Fence, LedgerMark, OnceRecord, SeenVersion } from './types';

/**
 * The small typed facts of a dataflow beside the ledger (each in a table of its own since state
 * migration 4): batch intents, afterIngest owed, versions seen by the stability gate, the
 * backfill mark and `once` runs.
 */
export abstract class TypedState extends SqlBase {
  private get st() {
    return statements(this.db.dialect);
  }

  async addBatchIntent(fence: Fence, runId: string, externalId: string): Promise<void> {
    await this.fenced('addBatchIntent', fence, (tx) => tx.run(this.st.insertIntent, [externalId, runId, this.now()]));
  }

  batchIntents(runId: string): Promise<string[]> {
    return this.guard('batchIntents', async () =>
      (await this.db.all<{ external_id: string }>(hotQueries(this.db.dialect).batchIntents, [runId])).map((r) => r.external_id),
    );
  }

  async oweAfterIngest(fence: Fence, batchId: string): Promise<void> {
    await this.fenced('oweAfterIngest', fence, (tx) => tx.run(this.st.oweAfterIngest, [batchId, fence.dataflow, this.now()]));
  }

  owedAfterIngest(dataflow: string): Promise<string[]> {
    return this.guard('owedAfterIngest', async () =>
      (await this.db.all<{ batch_id: string }>(hotQueries(this.db.dialect).owedAfterIngest, [dataflow])).map(
        (r) => r.batch_id,
      ),
    );
  }

  async paidAfterIngest(fence: Fence, batchIds: readonly string[]): Promise<void> {
    if (batchIds.length === 0) return;
    await this.fenced('paidAfterIngest', fence, (tx) => tx.run(this.st.payAfterIngest, [fence.dataflow, JSON.stringify(batchIds)]));
  }

  seenVersion(dataflow: string, path: string): Promise<SeenVersion | undefined> {
    return this.guard('seenVersion', async () => {
      const row = await this.db.get<{ fingerprint: string; seen_at: number }>(this.st.seenVersion, [dataflow, path]);
      return row && { fingerprint: row.fingerprint, seenAt: new Date(row.seen_at) };
    });
  }

  async recordSeen(fence: Fence, path: string, seen: SeenVersion): Promise<void> {
    await this.fenced('recordSeen', fence, (tx) => tx.run(this.st.recordSeen, [fence.dataflow, path, seen.fingerprint, seen.seenAt.getTime()]));
  }

  backfillFrom(dataflow: string): Promise<Date | undefined> {
    return this.guard('backfillFrom', async () => {
      const row = await this.db.get<{ since: number }>(this.st.backfillFrom, [dataflow]);
      return row && new Date(row.since);
    });
  }

  markBackfillFrom(fence: Fence, at: Date): Promise<Date> {
    return this.fenced('markBackfillFrom', fence, async (tx) => {
      await tx.run(this.st.markBackfill, [fence.dataflow, at.getTime()]);
      return new Date(((await tx.get<{ since: number }>(this.st.backfillFrom, [fence.dataflow])) as { since: number }).since);
    });
  }

  ledgerIsEmpty(dataflow: string): Promise<boolean> {
    return this.guard('ledgerIsEmpty', async () => (await this.db.get(this.st.anyFileOf, [dataflow])) === undefined);
  }

  ledgerMark(dataflow: string): Promise<LedgerMark | undefined> {
    return this.guard('ledgerMark', async () => {
      const row = await this.db.get<{ how: LedgerMark['how']; detail: string | null; marked_at: number }>(this.st.ledgerMark, [dataflow]);
      return row && { how: row.how, detail: row.detail, at: new Date(Number(row.marked_at)) };
    });
  }

  async markLedger(fence: Fence, mark: LedgerMark): Promise<void> {
    await this.fenced('markLedger', fence, (tx) => tx.run(this.st.markLedger, [fence.dataflow, mark.how, mark.detail, mark.at.getTime()]));
  }

  onceRun(dataflow: string): Promise<OnceRecord | undefined> {
    return this.guard('onceRun', async () => {
      const row = await this.db.get<{ definition_hash: string; run_id: string; ran_at: number }>(this.st.onceRun, [dataflow]);
      return row && { hash: row.definition_hash, runId: row.run_id, at: new Date(row.ran_at) };
    });
  }

  async recordOnceRun(fence: Fence, record: OnceRecord): Promise<void> {
    await this.fenced('recordOnceRun', fence, (tx) => tx.run(this.st.recordOnce, [fence.dataflow, record.hash, record.runId, record.at.getTime()]));
  }
}
