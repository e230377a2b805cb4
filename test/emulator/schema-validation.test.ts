import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmulator } from '../../src/emulator';
import { goodRecord, Harness, jsonLines, type Json } from './emulator-harness';

describe('emulator: schema validation', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({
      datasets: [
        {
          id: 'events-2020',
          name: 'Events (2020-12 schema)',
          schema: {
            $schema: 'https://json-schema.org/draft/2020-12/schema',
            type: 'object',
            required: ['eventType'],
            properties: { eventType: { type: 'string' }, tags: { type: 'array', prefixItems: [{ type: 'string' }] } },
          },
        },
      ],
    });
  });
  afterAll(async () => {
    await h.close();
  });

  const rowErrors = async (id: string): Promise<Json[]> => {
    const reply = await h.call('GET', `/data/foundation/export/batches/${id}/meta?path=${encodeURIComponent('row_errors/conversion_errors_0.json')}`);
    return reply.text.trim().split('\n').map((l) => JSON.parse(l));
  };

  test('format, enum and null are checked, each with its code', async () => {
    const records = [
      { ...goodRecord(1), timestamp: '2018-00-10T22:07:56Z' },
      { ...goodRecord(2), _techmarketingdemos: { loyalty: { level: 'platinum' } } },
      { ...goodRecord(3), timestamp: null },
      goodRecord(4),
    ];
    const { id, batch } = await h.ingest({ 'r.json': jsonLines(records) }, { enableErrorDiagnostics: true, partialIngestionPercent: 100 });
    expect(batch.metrics).toMatchObject({ inputRecordCount: 4, outputRecordCount: 1 });
    const errors = await rowErrors(id);
    expect(errors.map((e) => [e._errors[0].code, e._errors[0].message])).toEqual([
      ['XDM', expect.stringMatching(/^\/timestamp must match format/)],
      ['XDM', expect.stringMatching(/^\/_techmarketingdemos\/loyalty\/level must be equal to one of the allowed values/)],
      ['1555', 'Field /timestamp is null.'],
    ]);
  });

  test('2020-12 schemas are understood', async () => {
    const ok = await h.ingest({ 'e.json': jsonLines([{ eventType: 'x', tags: ['a'] }]) }, { datasetId: 'events-2020' });
    expect(ok.batch.status).toBe('success');
    const bad = await h.ingest({ 'e.json': jsonLines([{ eventType: 'x', tags: [1] }]) }, { datasetId: 'events-2020' });
    expect(bad.batch.status).toBe('failed');
  });

  test('a dataset without schema takes any object, but not other JSON values', async () => {
    const id = await h.createBatch({ datasetId: 'free-form' });
    await h.upload(id, 'f.json', '{"anything": [1, 2]}\n42\n', 'free-form');
    await h.action(id, 'COMPLETE');
    const batch = await h.waitFinal(id);
    expect(batch.metrics).toMatchObject({ inputRecordCount: 2 });
    expect(batch.errors.map((e: Json) => e.code)).toContain('INGEST-1401-400');
  });

  test('a schema that does not compile fails start-up with a config error', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'dataflowd-emulator-'));
    try {
      await expect(
        startEmulator({ dataDir, datasets: [{ id: 'broken', name: 'Broken', schema: { type: 'object', properties: { a: { $ref: '#/nowhere' } } } }] }),
      ).rejects.toMatchObject({ code: 'ERR_EMULATOR_SCHEMA', kind: 'config' });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
