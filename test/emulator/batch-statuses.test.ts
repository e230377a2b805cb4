import { goodRecord, Harness, jsonLines } from './emulator-harness';

/*
 * Every status Catalog documents (aep-api.md §3.2) can be reached through the fault rules, one
 * step per read of the batch; and replay takes a batch's place in the dataset.
 */

describe('emulator: Catalog statuses through fault rules', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h.close());

  /** Completes a batch of one good record and reads it `reads` times. */
  async function statusesSeen(sequence: string[], reads: number): Promise<string[]> {
    h.emulator.faults.set({ batchStatuses: [{ sequence, times: 1 }] });
    const id = await h.createBatch();
    await h.upload(id, 'a.json', jsonLines([goodRecord(1)]));
    expect((await h.action(id, 'COMPLETE')).status).toBe(200);
    const seen: string[] = [];
    for (let i = 0; i < reads; i++) seen.push((await h.batch(id)).status);
    return seen;
  }

  test.each([
    [['staging', 'retrying', 'stalled'], ['staging', 'retrying', 'stalled', 'stalled']],
    [['queued', 'loaded', 'staged', 'abandoned'], ['queued', 'loaded', 'staged', 'abandoned', 'abandoned']],
    [['failure'], ['failure', 'failure']],
    [['active'], ['active', 'active']],
    [['deleted'], ['deleted']],
    [['archiving'], ['archiving', 'archiving']],
  ])('%j is shown one step per read, the last one kept', async (sequence, expected) => {
    expect(await statusesSeen(sequence, expected.length)).toEqual(expected);
  });

  test('`outcome` is the real processing; a later step follows at once once it is in (promoted, then inactive)', async () => {
    h.emulator.faults.set({ batchStatuses: [{ sequence: ['retrying', 'outcome', 'inactive'], times: 1 }] });
    const id = await h.createBatch();
    await h.upload(id, 'a.json', jsonLines([goodRecord(1)]));
    await h.action(id, 'COMPLETE');
    const seen = [(await h.batch(id)).status];
    let batch = await h.batch(id);
    for (seen.push(batch.status); batch.status === 'processing'; seen.push(batch.status)) batch = await h.batch(id);
    expect(seen[0]).toBe('retrying');
    expect(seen.slice(1, -1).every((s) => s === 'processing')).toBe(true);
    expect(seen.at(-1)).toBe('inactive');
    expect(batch.metrics).toMatchObject({ inputRecordCount: 1, outputRecordCount: 1 });
    // An inactive batch's data is no longer in the dataset.
    expect((await h.call('GET', `/data/foundation/export/batches/${id}/files`)).json.data).toEqual([]);
  });

  test('`outcome` last: the real result is shown', async () => {
    h.emulator.faults.set({ batchStatuses: [{ sequence: ['queued', 'outcome'], times: 1 }] });
    const { batch } = await h.ingest({ 'a.json': jsonLines([goodRecord(1)]) });
    expect(batch.status).toBe('success');
  });

  test('a rule takes at most `times` batches, then batches are processed as usual', async () => {
    h.emulator.faults.set({ batchStatuses: [{ sequence: ['stalled'], times: 1 }] });
    h.emulator.faults.resetCounts();
    const first = await h.ingest({ 'a.json': jsonLines([goodRecord(1)]) });
    const second = await h.ingest({ 'a.json': jsonLines([goodRecord(2)]) });
    expect([first.batch.status, second.batch.status]).toEqual(['stalled', 'success']);
    expect(h.emulator.faults.injected().scriptedBatches).toBe(1);
  });
});

describe('emulator: replay', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h.close());

  test('a successful batch naming a predecessor makes it inactive; the dataset no longer returns its records', async () => {
    const old = await h.ingest({ 'people.json': jsonLines([goodRecord(1), goodRecord(2)]) });
    expect(old.batch.status).toBe('success');
    const replacement = await h.ingest({ 'people.json': jsonLines([goodRecord(3)]) }, { replay: { predecessors: [old.id], reason: 'replace' } });
    expect(replacement.batch).toMatchObject({ status: 'success', replay: { predecessors: [old.id], reason: 'replace' } });
    expect((await h.batch(old.id)).status).toBe('inactive');
    expect((await h.call('GET', `/data/foundation/export/batches/${old.id}/files`)).json.data).toEqual([]);
    const [file] = (await h.call('GET', `/data/foundation/export/batches/${replacement.id}/files`)).json.data;
    expect(file.dataSetFileId).toBe(`${replacement.id}-1`);
  });

  test('a failed replacement leaves its predecessor in place', async () => {
    const old = await h.ingest({ 'p.json': jsonLines([goodRecord(1)]) });
    const failed = await h.ingest({ 'p.json': '{"_id": "x"}\n' }, { replay: { predecessors: [old.id] } });
    expect(failed.batch.status).toBe('failed');
    expect((await h.batch(old.id)).status).toBe('success');
  });
});
