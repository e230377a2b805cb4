import type { NewNotification, RunRecord, Store } from '../../src/store/types';
import { FakeClock } from '../support/fake-clock';
import type { SuiteContext } from './store-suite-context';

/** The notification outbox half of the store suite: written with the run's end, claimed once at a time, settled. */
export function outboxSuite(ctx: SuiteContext): void {
  const { uid } = ctx;

  describe('notification outbox', () => {
    let clock: FakeClock;
    let store: Store;
    let other: Store;

    beforeAll(async () => {
      clock = new FakeClock('2031-01-01T00:00:00.000Z');
      store = await ctx.open({ clock });
      other = await ctx.open({ clock });
    });

    const note = (run: RunRecord, event = 'run.failed'): NewNotification => ({
      id: uid('ntf'),
      dataflow: run.dataflow,
      runId: run.id,
      event,
      webhook: 'hash-of-url',
      endpoint: 'https://hooks.example.com',
      body: JSON.stringify({ run: run.id, status: run.status }),
    });

    async function finished(notes = 1): Promise<{ run: RunRecord; ids: string[] }> {
      const begun = await ctx.newRun();
      const ids: string[] = [];
      const run = await store.finishRun(begun.id, { status: 'failed', finishedAt: clock.now(), error: 'boom' }, await ctx.fence(begun.dataflow), (r) =>
        Array.from({ length: notes }, () => {
          const n = note(r);
          ids.push(n.id);
          return n;
        }),
      );
      return { run, ids };
    }

    it('writes the notifications built from the final run record in the run’s closing transaction', async () => {
      const begun = await ctx.newRun();
      let seen: RunRecord | undefined;
      const run = await store.finishRun(begun.id, { status: 'failed', finishedAt: clock.now(), error: 'boom' }, await ctx.fence(begun.dataflow), (r) => {
        seen = r;
        return [note(r)];
      });
      expect(seen).toEqual(run);
      const [n] = await store.listNotifications({ runId: run.id });
      expect(n).toMatchObject({ runId: run.id, dataflow: run.dataflow, state: 'pending', attempts: 0, nextAt: clock.now(), deliveredAt: null, lastError: null });
      expect(JSON.parse(n.body)).toEqual({ run: run.id, status: 'failed' });
    });

    it('keeps neither the run’s end nor its notifications when the transaction fails', async () => {
      const begun = await ctx.newRun();
      const dup = note(begun);
      await expect(
        store.finishRun(begun.id, { status: 'succeeded', finishedAt: clock.now() }, await ctx.fence(begun.dataflow), () => [dup, dup]),
      ).rejects.toThrow();
      expect((await store.getRun(begun.id))?.status).toBe('running');
      expect(await store.listNotifications({ runId: begun.id })).toEqual([]);
    });

    it('lets one process claim a row at a time until its claim expires', async () => {
      const { run, ids } = await finished(3);
      const [a, b] = await Promise.all([
        store.claimNotifications('process-a', { limit: 10, claimMs: 30_000, runId: run.id }),
        other.claimNotifications('process-b', { limit: 10, claimMs: 30_000, runId: run.id }),
      ]);
      expect([...a, ...b].map((n) => n.id).sort()).toEqual([...ids].sort());
      expect([...a, ...b].every((n) => n.attempts === 1)).toBe(true);
      expect(await store.claimNotifications('process-c', { limit: 10, claimMs: 30_000, runId: run.id })).toEqual([]);
      await clock.advance(30_000);
      const again = await store.claimNotifications('process-c', { limit: 10, claimMs: 30_000, runId: run.id });
      expect(again.map((n) => [n.id, n.attempts]).sort()).toEqual([...ids].sort().map((id) => [id, 2]));
    });

    it('settles a delivery, and a failure either to retry later or for good', async () => {
      const { run, ids } = await finished(3);
      const claimed = await store.claimNotifications('p', { limit: 10, claimMs: 30_000, runId: run.id });
      expect(claimed).toHaveLength(3);
      const [ok, retry, dead] = ids;
      await store.settleNotification(ok, 'p', { delivered: true, status: 204 });
      await store.settleNotification(retry, 'p', { delivered: false, status: 500, error: 'HTTP 500', retryAt: new Date(clock.now().getTime() + 5_000) });
      await store.settleNotification(dead, 'p', { delivered: false, status: null, error: 'connection refused', retryAt: null });
      // A process whose claim was not the row's cannot settle it.
      await store.settleNotification(retry, 'someone-else', { delivered: true, status: 200 });

      const byId = new Map((await store.listNotifications({ runId: run.id })).map((n) => [n.id, n]));
      expect(byId.get(ok)).toMatchObject({ state: 'delivered', lastStatus: 204, deliveredAt: clock.now(), attempts: 1 });
      expect(byId.get(retry)).toMatchObject({ state: 'pending', lastStatus: 500, lastError: 'HTTP 500', nextAt: new Date(clock.now().getTime() + 5_000) });
      expect(byId.get(dead)).toMatchObject({ state: 'failed', lastStatus: null, lastError: 'connection refused' });

      expect(await store.nextNotificationAt(run.id)).toEqual(new Date(clock.now().getTime() + 5_000));
      expect(await store.claimNotifications('p', { limit: 10, claimMs: 30_000, runId: run.id })).toEqual([]);
      await clock.advance(5_000);
      expect((await store.claimNotifications('p', { limit: 10, claimMs: 30_000, runId: run.id })).map((n) => n.id)).toEqual([retry]);
      await store.settleNotification(retry, 'p', { delivered: true, status: 200 });
      expect(await store.nextNotificationAt(run.id)).toBeUndefined();
    });

    it('lists notifications newest first, by dataflow or run, and keeps them across a reopen', async () => {
      const first = await finished(1);
      await clock.advance(1_000);
      const second = await finished(2);
      const reopened = await ctx.open({ clock });
      expect((await reopened.listNotifications({ runId: second.run.id })).map((n) => n.id).sort()).toEqual([...second.ids].sort());
      expect((await reopened.listNotifications({ dataflow: first.run.dataflow })).map((n) => n.id)).toEqual(first.ids);
      const all = await reopened.listNotifications({ limit: 3 });
      expect(all.slice(0, 2).map((n) => n.id).sort()).toEqual([...second.ids].sort());
    });

    it('scrubs secrets from bodies and errors it keeps', async () => {
      const scrubbing = await ctx.open({ clock, redact: (t) => t.replaceAll('hunter22', '[secret]') });
      const begun = await ctx.newRun();
      const n = { ...note(begun), body: '{"error":"password hunter22 refused"}' };
      await scrubbing.finishRun(begun.id, { status: 'failed', finishedAt: clock.now() }, await ctx.fence(begun.dataflow), () => [n]);
      await scrubbing.claimNotifications('p', { limit: 1, claimMs: 1_000, runId: begun.id });
      await scrubbing.settleNotification(n.id, 'p', { delivered: false, status: null, error: 'refused with hunter22', retryAt: null });
      const [kept] = await scrubbing.listNotifications({ runId: begun.id });
      expect(kept.body).toBe('{"error":"password [secret] refused"}');
      expect(kept.lastError).toBe('refused with [secret]');
    });
  });
}
