import { groupBatches } from '../../src/run/group-batches';
import type { LedgerEntry } from '../../src/store/types';

const f = (id: number, size: number) => ({ id, size }) as LedgerEntry;

describe('groupBatches', () => {
  it('splits by file count', () => {
    const batches = groupBatches([1, 2, 3, 4, 5].map((i) => f(i, 1)), 2, 100);
    expect(batches.map((b) => b.map((x) => x.id))).toEqual([[1, 2], [3, 4], [5]]);
  });
  it('splits by bytes, giving an oversized file a batch of its own', () => {
    const batches = groupBatches([f(1, 40), f(2, 40), f(3, 500), f(4, 10)], 10, 100);
    expect(batches.map((b) => b.map((x) => x.id))).toEqual([[1, 2], [3], [4]]);
  });
  it('makes no batch of nothing', () => {
    expect(groupBatches([], 10, 10)).toEqual([]);
  });
});
