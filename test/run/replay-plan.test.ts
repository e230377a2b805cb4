import { planBatches, type ReplayFacts, replaysFor } from '../../src/run/replay-plan';
import type { LedgerEntry } from '../../src/store/types';

/** Which batches a run's changed files replay, and which are appended with a reason (pure). */

let id = 0;
function entry(path: string, size = 10): LedgerEntry {
  const at = new Date(0);
  return { id: ++id, dataflow: 'df', path, fingerprint: `f${id}`, size, modifiedAt: at, state: 'pending', runId: 'r', batchId: null, records: null, error: null, createdAt: at, updatedAt: at };
}

function facts(predecessor: Record<string, string>, holdings: Record<string, string[]>, unusable: Record<string, string> = {}): ReplayFacts {
  return { predecessor: new Map(Object.entries(predecessor)), holdings: new Map(Object.entries(holdings)), unusable: new Map(Object.entries(unusable)) };
}

test('a batch whose every held file is replaced is replayed; one still holding others is not, with the reason', () => {
  const [a, b, c, n] = [entry('a'), entry('b'), entry('c'), entry('new')];
  const f = facts({ a: 'B1', b: 'B1', c: 'B2' }, { B1: ['a', 'b'], B2: ['c', 'd'] });
  expect(replaysFor([a, b, c, n], f)).toEqual({ replaces: ['B1'], appended: [{ path: 'c', reason: expect.stringContaining('also holds 1 file(s) not replaced with it (d)') }] });
  // After a split (batch-fault.ts), a half holding only a cannot replay B1 any more.
  expect(replaysFor([a], f)).toEqual({ replaces: [], appended: [{ path: 'a', reason: expect.stringContaining('(b)') }] });
});

test('a predecessor in another dataset is never replayed', () => {
  const f = facts({ a: 'B1' }, { B1: ['a'] }, { B1: 'its batch B1 is in dataset other' });
  expect(replaysFor([entry('a')], f)).toEqual({ replaces: [], appended: [{ path: 'a', reason: 'its batch B1 is in dataset other' }] });
});

test('replaying groups share batches within the limits; other files are grouped apart', () => {
  const files = [entry('a'), entry('b'), entry('c'), entry('x'), entry('y'), entry('z')];
  const f = facts({ a: 'B1', b: 'B1', c: 'B2' }, { B1: ['a', 'b'], B2: ['c'] });
  const { batches } = planBatches(files, f, 2, 1_000);
  expect(batches.map((b) => [b.files.map((x) => x.path), b.replaces])).toEqual([
    [['a', 'b'], ['B1']],
    [['c'], ['B2']],
    [['x', 'y'], []],
    [['z'], []],
  ]);
  expect(planBatches(files, f, 10, 1_000).batches.map((b) => b.replaces)).toEqual([['B1', 'B2'], []]);
});
