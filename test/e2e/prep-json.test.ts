import { gzipSync } from 'node:zlib';
import { PrepWorkspace } from './prep-workspace';

const EVENTS = {
  type: 'object',
  additionalProperties: false,
  required: ['_id', '_acme'],
  properties: {
    _id: { type: 'string' },
    _acme: { type: 'object', required: ['loyaltyId'], properties: { loyaltyId: { type: 'string' } } },
  },
};

const event = (i: number) => ({ _id: `e${i}`, _techmarketingdemos: { loyaltyId: `L${i}` } });
const jsonl = (xs: unknown[]) => xs.map((x) => JSON.stringify(x)).join('\n') + '\n';

describe('JSON end to end: layouts, gzip and the tenant rename to the id Platform reports', () => {
  let ws: PrepWorkspace;
  beforeAll(async () => {
    ws = await PrepWorkspace.create({ datasets: [{ id: 'events', name: 'Events', schema: EVENTS }], tenantId: 'acme' });
    await ws.writeDataflow('events', 'source: { connection: inbox }\ntarget: { dataset: events, tenant: { from: _techmarketingdemos } }\n');
  });
  afterAll(() => ws.close());

  it('lands JSON Lines, a gzip file, a top-level array and one pretty object under the org tenant; an empty file is not sent', async () => {
    await ws.put('a.json', jsonl([event(1), event(2)]));
    await ws.put('b.json.gz', gzipSync(jsonl([event(3), event(4)])));
    await ws.put('c.json', JSON.stringify([event(5), event(6)], null, 2));
    await ws.put('d.json', JSON.stringify(event(7), null, 2));
    await ws.put('empty.json', '');
    const run = await ws.cli(['run', 'events', '--json']);
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'succeeded', filesTaken: 5, filesIngested: 5, recordsIn: 7, recordsOut: 7 });
    const landed = await ws.landed('events');
    expect(landed.map((r) => r._id).sort()).toEqual(['e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7']);
    for (const r of landed) {
      expect(r).not.toHaveProperty('_techmarketingdemos');
      expect(r._acme).toEqual({ loyaltyId: `L${String(r._id).slice(1)}` });
    }
  });

  it('rejects a truncated gzip file with a clear reason, still lands its neighbour, leaves it alone until it changes', async () => {
    const whole = gzipSync(jsonl([event(8), event(9)]));
    await ws.put('late.json.gz', whole.subarray(0, whole.length - 10));
    await ws.put('fine.json', jsonl([event(10)]));
    const cut = await ws.cli(['run', 'events', '--json']);
    const first = JSON.parse(cut.stdout);
    expect(first).toMatchObject({ status: 'partially_succeeded', filesTaken: 2, filesIngested: 1, filesFailed: 1, recordsOut: 1 });
    expect(first.error).toContain('late.json.gz: the gzip stream is truncated');
    expect((await ws.landed('events')).map((r) => r._id)).toContain('e10');

    const dry = await ws.cli(['run', 'events', '--dry-run']);
    expect(dry.stdout).toMatch(/late\.json\.gz.*rejected in run .*the gzip stream is truncated.*change the file to send it again/);
    const unchanged = await ws.cli(['run', 'events', '--json']);
    expect(JSON.parse(unchanged.stdout)).toMatchObject({ status: 'skipped', filesTaken: 0 });

    await ws.put('late.json.gz', whole);
    const again = await ws.cli(['run', 'events', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'succeeded', filesTaken: 1, recordsOut: 2 });
  });

  it('fails a .gz file that is not gzip at once with a clear reason, and lands the good file beside it', async () => {
    await ws.put('oops.json.gz', '{"a":1}\n');
    await ws.put('good.json', jsonl([event(11)]));
    const started = Date.now();
    const run = await ws.cli(['run', 'events', '--json'], {}, 30_000);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(run.code).toBe(3);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ status: 'partially_succeeded', filesTaken: 2, filesIngested: 1, filesFailed: 1, recordsOut: 1 });
    expect(result.error).toContain('oops.json.gz: the gzip stream is corrupt: incorrect header check');
    expect((await ws.landed('events')).map((r) => r._id)).toContain('e11');
  });
});
