import { existsSync } from 'node:fs';
import path from 'node:path';
import { jsonl, people, Workspace } from './workspace';

/*
 * afterIngest after a partly successful file (issue 21 item 10): a file some of whose rows were
 * refused is never deleted (its refused rows exist nowhere else): `delete` keeps it in place,
 * `move` puts it in moveTo/rejected/. Files that got in whole are deleted or moved as before.
 */

describe('afterIngest and partly ingested files, through the real CLI', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await Workspace.create();
  });
  afterAll(() => ws?.close());

  const mixed = jsonl([...people(10, 3), { id: 'bad', email: 'not-an-email', points: 1 }]);
  const dataflow = (name: string, extra: string[]) =>
    ws.writeDataflow(name, ['source:', '  connection: inbox', `  path: ${name}`, ...extra, 'target:', '  dataset: people', 'ingestion:', '  partialIngestion: { maxErrorPercent: 50 }'].join('\n'));

  test('delete: the file that got in whole is deleted, the partly ingested one kept', async () => {
    await dataflow('del', ['  afterIngest: delete']);
    await ws.put('del/good.json', jsonl(people(0, 3)));
    await ws.put('del/mixed.json', mixed);
    const out = await ws.cli(['run', 'del', '--json']);
    expect(out.code).toBe(3);
    expect(JSON.parse(out.stdout)).toMatchObject({ status: 'partially_succeeded', filesIngested: 2, recordsFailed: 1 });
    expect(existsSync(path.join(ws.inbox, 'del', 'good.json'))).toBe(false);
    expect(existsSync(path.join(ws.inbox, 'del', 'mixed.json'))).toBe(true);
    expect(out.stderr).toMatch(/some rows of the file did not get in: kept in place, not deleted/);
  });

  test('move: the partly ingested file goes to moveTo/rejected/', async () => {
    await dataflow('mv', ['  afterIngest: move', '  moveTo: done']);
    await ws.put('mv/good.json', jsonl(people(20, 3)));
    await ws.put('mv/mixed.json', mixed);
    const out = await ws.cli(['run', 'mv', '--json']);
    expect(out.code).toBe(3);
    expect(existsSync(path.join(ws.inbox, 'done', 'good.json'))).toBe(true);
    expect(existsSync(path.join(ws.inbox, 'done', 'rejected', 'mixed.json'))).toBe(true);
    expect(existsSync(path.join(ws.inbox, 'mv', 'mixed.json'))).toBe(false);
  });
});
