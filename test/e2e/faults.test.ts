import { existsSync } from 'node:fs';
import path from 'node:path';
import type { FaultConfigInput } from '../../src/emulator';
import { allBatches, landedRecords, statusCounts, tally } from './exactly-once';
import { jsonl, people, STORES, Workspace } from './workspace';

/*
 * Exactly-once under Platform faults: with one Platform call in five failing at random (429 with
 * Retry-After, 5xx, connections reset before an answer and in the middle of an upload, on every
 * route including IMS), 200 files go through the real CLI into the emulator. Runs are repeated
 * until one finds nothing new; then every record has landed exactly once, and no batch is left
 * open. A batch Platform fails is separately shown to leave its files in the source.
 */

const FILES = 200;
const RECORDS_PER_FILE = 5;
const MAX_RUNS = 8;

/** 20 % of every call: uploads are also cut off half-way; other calls also throttled (Retry-After: 1). */
const TWENTY_PERCENT: FaultConfigInput = {
  rules: [
    { method: 'PUT', errorRate: 0.1, status: [500, 502, 503], resetRate: 0.05, midUploadResetRate: 0.05 },
    { errorRate: 0.14, status: [429, 500, 502, 504], retryAfterSeconds: 1, resetRate: 0.06 },
  ],
};

interface RunJson {
  status: string;
  filesTaken: number;
  filesIngested: number;
  error: string | null;
}

describe.each(STORES)('exactly once with 20% of Platform calls failing (%s store)', (store) => {
  let ws: Workspace;
  const expected = Array.from({ length: FILES }, (_, i) => people(i * RECORDS_PER_FILE, RECORDS_PER_FILE)).flat();

  beforeAll(async () => {
    ws = await Workspace.create({ store });
    await ws.writeDataflow(
      'people',
      ['source:', '  connection: inbox', '  include: ["*.json"]', 'target:', '  dataset: people', 'ingestion:', '  maxFilesPerBatch: 20'].join('\n'),
    );
    for (let i = 0; i < FILES; i++) await ws.put(`f${String(i).padStart(3, '0')}.json`, jsonl(expected.slice(i * RECORDS_PER_FILE, (i + 1) * RECORDS_PER_FILE)));
  });
  afterAll(() => ws?.close());

  test('200 files all land, each exactly once', async () => {
    ws.emulator.faults.set(TWENTY_PERCENT);
    const runs: RunJson[] = [];
    for (let i = 0; i < MAX_RUNS; i++) {
      const out = await ws.cli(['run', 'people', '--json']);
      const run = JSON.parse(out.stdout) as RunJson;
      runs.push(run);
      if (run.status === 'skipped') break;
    }
    const injected = ws.emulator.faults.injected();
    ws.emulator.faults.set({ rules: [] });

    expect(runs.at(-1)).toMatchObject({ status: 'skipped', error: expect.stringMatching(/^nothing new: 200 listed \(200 already ingested\)/) });
    const landed = await landedRecords(ws.platform, 'people');
    const figures = tally(expected, landed);
    const batches = statusCounts(await allBatches(ws.platform, 'people'));
    const faults = injected.resets + injected.midUploadResets + Object.values(injected.statuses).reduce((a, b) => a + b, 0);
    process.stdout.write(
      `faults test: ${faults} faults injected in ${injected.matched} Platform calls (${JSON.stringify(injected)}); ` +
        `runs ${runs.map((r) => `${r.status}:${r.filesIngested}/${r.filesTaken}`).join(', ')}; batches ${JSON.stringify(batches)}; ` +
        `records expected ${figures.expected}, landed ${figures.landed}, duplicates ${figures.duplicates}, missing ${figures.missing}\n`,
    );
    expect(faults / injected.matched).toBeGreaterThan(0.12);
    expect(figures).toEqual({ expected: FILES * RECORDS_PER_FILE, landed: FILES * RECORDS_PER_FILE, duplicates: 0, missing: 0, unexpected: 0 });
    // Nothing left half-way: every batch is final (the aborted ones hold nothing).
    expect(Object.keys(batches).filter((s) => !['success', 'aborted'].includes(s))).toEqual([]);
  }, 240_000);

  test('a batch Platform fails for its own reason leaves its files in the source, with Platform’s reason, retryable', async () => {
    await ws.writeDataflow(
      'doomed',
      ['source:', '  connection: inbox', '  path: doomed', '  afterIngest: delete', 'target:', '  dataset: people'].join('\n'),
    );
    await ws.put('doomed/d1.json', jsonl(people(5000, 3)));
    ws.emulator.faults.set({ rules: [], batchFailureRate: 1 });
    const out = await ws.cli(['run', 'doomed', '--json']);
    ws.emulator.faults.set({ rules: [] });
    expect(out.code).toBe(1);
    expect(JSON.parse(out.stdout)).toMatchObject({ status: 'failed', filesFailed: 1, filesIngested: 0, error: expect.stringContaining('INGEST-EMU-FAULT-500') });
    const dry = JSON.parse((await ws.cli(['run', 'doomed', '--dry-run', '--json'])).stdout) as Array<{ path: string; reason: string }>;
    // Not about the data (batch-fault.ts): never "rejected before", the next run takes it again.
    expect(dry).toEqual([expect.objectContaining({ path: 'doomed/d1.json', reason: 'retry' })]);
    expect(existsSync(path.join(ws.inbox, 'doomed', 'd1.json'))).toBe(true);
  });
});
