import { readFile, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { goodRecord, Harness, jsonLines } from './emulator-harness';

/** The record's slot files written so far, the newest first (batch-store.ts). */
async function slots(dataDir: string, id: string): Promise<{ file: string; revision: number; text: string }[]> {
  const found = [];
  for (const name of ['batch.a.json', 'batch.b.json']) {
    const file = path.join(dataDir, 'batches', id, name);
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text !== undefined) found.push({ file, text, revision: (JSON.parse(text) as { revision: number }).revision });
  }
  return found.sort((a, b) => b.revision - a.revision);
}

describe('emulator: state survives a restart on the same folder', () => {
  test('batches, their files and their status are there after a restart', async () => {
    const first = await Harness.start();
    const { id: done } = await first.ingest({ 'a.json': jsonLines([goodRecord(1), goodRecord(2)]) }, { externalId: 'persisted' });
    const open = await first.createBatch();
    await first.upload(open, 'half.json', jsonLines([goodRecord(3)]));
    await first.close(false);

    const second = await Harness.start({ dataDir: first.dataDir });
    try {
      const batch = await second.batch(done);
      expect(batch).toMatchObject({ status: 'success', externalId: 'persisted', metrics: { inputRecordCount: 2 } });
      const listed = await second.call('GET', '/data/foundation/catalog/batches?externalId=persisted');
      expect(Object.keys(listed.json)).toEqual([done]);
      const download = await second.call('GET', `/data/foundation/export/files/${done}-1?path=a.json`);
      expect(download.text).toBe(jsonLines([goodRecord(1), goodRecord(2)]));

      // The batch left loading takes more files and completes.
      expect((await second.upload(open, 'rest.json', jsonLines([goodRecord(4)]))).status).toBe(201);
      await second.action(open, 'COMPLETE');
      expect((await second.waitFinal(open)).metrics.inputRecordCount).toBe(2);
    } finally {
      await second.close();
    }
  });

  test('a batch still processing when the emulator stopped is processed after the restart', async () => {
    const first = await Harness.start({ processingDelayMs: 60_000 });
    const id = await first.createBatch();
    await first.upload(id, 'a.json', jsonLines([goodRecord(1)]));
    expect((await first.action(id, 'COMPLETE')).status).toBe(200);
    expect((await first.batch(id)).status).toBe('processing');
    await first.close(false);

    const second = await Harness.start({ dataDir: first.dataDir });
    try {
      const batch = await second.waitFinal(id);
      expect(batch).toMatchObject({ status: 'success', metrics: { inputRecordCount: 1 } });
    } finally {
      await second.close();
    }
  });

  test('a record cut short in its newest slot: the other slot holds the state before, and writing goes on', async () => {
    const first = await Harness.start();
    const id = await first.createBatch();
    await first.upload(id, 'one.json', jsonLines([goodRecord(1)]));
    await first.close(false);
    const [newest, older] = await slots(first.dataDir, id);
    expect(newest.revision).toBe(older.revision + 1);
    expect(newest.text).toContain('one.json');
    expect(older.text).not.toContain('one.json');
    await truncate(newest.file, Math.floor(newest.text.length / 2));

    const second = await Harness.start({ dataDir: first.dataDir });
    try {
      expect((await second.batch(id)).status).toBe('loading');
      expect((await second.call('HEAD', second.filesUrl(id, 'one.json'))).status).toBe(404);
      expect((await second.upload(id, 'two.json', jsonLines([goodRecord(2)]))).status).toBe(201);
    } finally {
      await second.close(false);
    }
    // The next revision went to the slot that was cut short, over it; the good one was kept.
    const after = await slots(first.dataDir, id);
    expect(after[0]).toMatchObject({ file: newest.file, revision: newest.revision });
    expect(after[0].text).toContain('two.json');
    expect(after[1].text).toBe(older.text);

    const third = await Harness.start({ dataDir: first.dataDir });
    try {
      expect((await third.call('HEAD', third.filesUrl(id, 'two.json'))).status).toBe(200);
    } finally {
      await third.close();
    }
  });

  test('a batch.json written by an earlier version is read', async () => {
    const first = await Harness.start();
    const id = await first.createBatch({ externalId: 'from-before' });
    await first.close(false);
    const [newest] = await slots(first.dataDir, id);
    await writeFile(path.join(first.dataDir, 'batches', id, 'batch.json'), JSON.stringify((JSON.parse(newest.text) as { batch: unknown }).batch));
    for (const name of ['batch.a.json', 'batch.b.json']) await rm(path.join(first.dataDir, 'batches', id, name), { force: true });

    const second = await Harness.start({ dataDir: first.dataDir });
    try {
      expect(await second.batch(id)).toMatchObject({ status: 'loading', externalId: 'from-before' });
    } finally {
      await second.close();
    }
  });

  test('tokens do not survive a restart: clients get 401013 and fetch a new one', async () => {
    const first = await Harness.start();
    const stale = first.gatewayHeaders;
    await first.close(false);
    const second = await Harness.start({ dataDir: first.dataDir });
    try {
      const reply = await second.call('GET', '/data/foundation/catalog/dataSets', { bare: true, headers: stale });
      expect(reply.status).toBe(401);
      expect(reply.json.error_code).toBe('401013');
    } finally {
      await second.close();
    }
  });
});
