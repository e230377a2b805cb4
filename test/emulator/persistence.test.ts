import { goodRecord, Harness, jsonLines } from './emulator-harness';

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
