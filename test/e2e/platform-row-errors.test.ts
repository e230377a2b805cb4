import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { jsonl, people, Workspace } from './workspace';

/*
 * Rows refused within the partial-ingestion threshold: the run says so (partially succeeded,
 * failed record count, Platform's batch error), and with error diagnostics on the rows themselves
 * are kept with the run. With the dataset's schema from the Schema Registry, dataflowd refuses a
 * bad row before upload, with its file and row; a row only Platform refuses comes back through
 * Data Access in Adobe's shape, which names no file or row: the file is known when the batch had
 * one.
 */

describe('rows Platform refuses, through the real CLI', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await Workspace.create();
    await ws.writeDataflow(
      'people',
      [
        'source:',
        '  connection: inbox',
        '  include: ["*.json"]',
        'target:',
        '  dataset: people',
        'ingestion:',
        '  errorDiagnostics: true',
        '  partialIngestion: { maxErrorPercent: 50 }',
      ].join('\n'),
    );
  });
  afterAll(() => ws?.close());

  test('a bad row within the threshold: partially succeeded, failedRecordCount and the row error recorded', async () => {
    const good = people(0, 3);
    await ws.put('mixed.json', jsonl([...good, { id: 'bad', email: 'not-an-email', points: 1 }]));
    const run = await ws.cli(['run', 'people', '--json']);
    expect(run.code).toBe(3);
    const record = JSON.parse(run.stdout) as { id: string; status: string; recordsIn: number; recordsOut: number; recordsFailed: number };
    expect(record).toMatchObject({ status: 'partially_succeeded', recordsIn: 4, recordsOut: 3, recordsFailed: 1 });

    const detail = JSON.parse((await ws.cli(['history', '--run', record.id, '--json'])).stdout) as {
      batches: Array<{ recordsFailed: number; error: string }>;
      rowErrors: Array<{ file: string; rowNumber: number; field: string | null; code: string; message: string; batchId: string }>;
    };
    expect(detail.batches).toEqual([expect.objectContaining({ recordsFailed: 1, error: expect.stringMatching(/INGEST-/) })]);
    expect(detail.rowErrors).toEqual([
      expect.objectContaining({ file: 'mixed.json', rowNumber: 4, lineNumber: 4, field: 'email', code: 'XDM', message: expect.stringMatching(/email/), batchId: expect.any(String) }),
    ]);
  });

  test('a row only Platform refuses (mapping.schema looser than the dataset\'s): Adobe\'s row error, the batch\'s one file named', async () => {
    await writeFile(path.join(ws.configDir, 'schemas', 'loose.schema.json'), JSON.stringify({ type: 'object', properties: { id: { type: 'string' } } }));
    await ws.writeDataflow(
      'loose',
      [
        'source:',
        '  connection: inbox',
        '  include: ["loose-*.json"]',
        'target:',
        '  dataset: People',
        'mapping:',
        '  schema: ../schemas/loose.schema.json',
        'ingestion:',
        '  errorDiagnostics: true',
        '  partialIngestion: { maxErrorPercent: 50 }',
      ].join('\n'),
    );
    await ws.put('loose-1.json', jsonl([...people(10, 2), { id: 'bad', email: 'x@example.com', points: -1 }]));
    const run = await ws.cli(['run', 'loose', '--json']);
    expect(run.code).toBe(3);
    const record = JSON.parse(run.stdout) as { id: string };
    const detail = JSON.parse((await ws.cli(['history', '--run', record.id, '--json'])).stdout) as {
      rowErrors: Array<{ file: string; rowNumber: number | null; field: string | null; code: string; message: string }>;
    };
    expect(detail.rowErrors).toEqual([expect.objectContaining({ file: 'loose-1.json', rowNumber: null, field: null, code: 'XDM', message: '/points must be >= 0' })]);
  });
});
