import type { RunProgress } from '../../src/http/server';
import { Fixture, HOSTILE_FILE, startFixture } from './dashboard-fixture';
import { rawRequest } from './raw-request';

/* What the dashboard's pages read, from a real SQLite store behind a real HTTP server. */

async function json<T = Record<string, unknown>>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return (await res.json()) as T;
}

type Summary = Record<string, unknown> & { name: string; running: Array<Record<string, unknown>> };

describe('the dashboard API, with what the store knows', () => {
  let fx: Fixture;
  let answer: { started: boolean; reason?: string } | Error = { started: true };

  beforeAll(async () => {
    fx = await startFixture({
      deps: {
        trigger: async () => {
          if (answer instanceof Error) throw answer;
          return answer as { started: false; reason: string };
        },
      },
    });
  });
  afterAll(() => fx?.close());

  it('shows the last ingestion apart from the checks that found nothing new, and the run in flight from its files', async () => {
    const flows = await json<Summary[]>(`${fx.http.url}/api/dataflows`);
    const orders = flows.find((f) => f.name === 'orders')!;
    expect(orders).toMatchObject({
      lastRun: { id: fx.runs.running.id, status: 'running' },
      lastIngestion: { id: fx.runs.lastIngestion.id, status: 'succeeded', recordsOut: 9100 },
      skippedSinceIngestion: 7,
      lastCheck: { result: 'nothing new: 3 listed (3 already ingested)' },
      holderKnown: false,
      holder: null,
    });
    expect(orders.running).toEqual([
      expect.objectContaining({
        runId: fx.runs.running.id,
        phase: 'uploading',
        filesDone: 1,
        filesTotal: 3,
        bytesDone: 40_000_000,
        bytesTotal: 120_000_000,
        records: 120_000,
        source: 'store',
      }),
    ]);
    expect(flows.find((f) => f.name === 'events')).toMatchObject({ lastRun: null, lastIngestion: null, lastCheck: null, running: [] });
  });

  it('leaves out the checks that found nothing new when asked, for the chart', async () => {
    const all = await json<Array<{ status: string }>>(`${fx.http.url}/api/dataflows/orders/runs?limit=500`);
    const ingestions = await json<Array<{ status: string }>>(`${fx.http.url}/api/dataflows/orders/runs?limit=500&skipped=false`);
    expect(all.filter((r) => r.status === 'skipped')).toHaveLength(7);
    expect(ingestions).toHaveLength(all.length - 7);
    expect(ingestions.map((r) => r.status)).not.toContain('skipped');
  });

  it('gives a dataflow its config without secrets, and a run its files, batches with Platform’s status, and row errors', async () => {
    const orders = await json(`${fx.http.url}/api/dataflows/orders`);
    expect(orders).toMatchObject({ source: { connection: 'inbox', connectionType: 'local', path: 'orders', include: ['*.json'], exclude: [] }, format: 'json', maxErrorPercent: 5 });
    const run = await json(`${fx.http.url}/api/runs/${fx.runs.partial.id}`);
    expect(run).toMatchObject({
      status: 'partially_succeeded',
      fileCount: 2,
      fileStates: { ingested: 2 },
      files: [expect.objectContaining({ path: `orders/${HOSTILE_FILE}`, state: 'ingested', records: 4000 }), expect.objectContaining({ path: 'orders/good.json' })],
      batches: [expect.objectContaining({ state: 'succeeded', platformStatus: 'success', files: 2, recordsFailed: 3 })],
      rowErrors: [expect.objectContaining({ file: `orders/${HOSTILE_FILE}`, rowNumber: 10, column: 'price', code: 'MAPPER-3700' }), expect.anything(), expect.anything()],
      moreRowErrors: false,
      progress: null,
    });
    expect(run.notifications).toEqual([]);
    expect((await fetch(`${fx.http.url}/api/runs/nope`)).status).toBe(404);
  });

  it("gives a run the notifications sent about it, without their bodies", async () => {
    const run = await json(`${fx.http.url}/api/runs/${fx.runs.failed.id}`);
    expect(run.notifications).toEqual([
      expect.objectContaining({ event: 'run.failed', endpoint: 'https://hooks.example.com', state: 'pending', attempts: 0, deliveredAt: null }),
    ]);
    expect(JSON.stringify(run.notifications)).not.toMatch(/hash-of-url|"body"/);
  });

  it('says what "run now" did: started, or why not with the run in the way, or what failed', async () => {
    const post = (name: string) => rawRequest(`${fx.http.url}/api/dataflows/${name}/runs`, { method: 'POST' });
    answer = { started: true };
    const started = await post('orders');
    expect(started.status).toBe(202);
    expect(JSON.parse(started.body)).toEqual({ started: true, runId: null, requestedAt: expect.any(String) });

    answer = { started: false, reason: 'a run of orders is already going' };
    const refused = await post('orders');
    expect(refused.status).toBe(409);
    expect(JSON.parse(refused.body)).toMatchObject({ started: false, reason: 'a run of orders is already going', runId: fx.runs.running.id });

    answer = new Error('the scheduler is stopping');
    const failed = await post('orders');
    expect(failed.status).toBe(500);
    expect(JSON.parse(failed.body)).toMatchObject({ started: false, reason: 'the run could not be started: the scheduler is stopping' });

    const unknown = await post('nope');
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toEqual({ started: false, reason: 'there is no dataflow named "nope"' });
  });

  it('serves the pages with a CSP that allows no inline script, and the scripts as files', async () => {
    const page = await rawRequest(`${fx.http.url}/`);
    expect(page.headers['content-security-policy']).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const scripts = [...page.body.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts).toEqual(['<script type="module" src="/assets/app.js">']);
    const app = await rawRequest(`${fx.http.url}/assets/app.js`);
    expect(app.status).toBe(200);
    expect(app.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await rawRequest(`${fx.http.url}/assets/..%2Fserver.ts`)).status).toBe(404);
    expect((await rawRequest(`${fx.http.url}/assets/nope.js`)).status).toBe(404);
    expect((await rawRequest(`${fx.http.url}/dataflows/nope`)).status).toBe(404);
    expect((await rawRequest(`${fx.http.url}/runs/${fx.runs.failed.id}`)).status).toBe(200);
  });
});

describe('the dashboard API, with what the daemon knows', () => {
  let fx: Fixture;
  const since = new Date('2026-03-01T08:00:00Z');

  beforeAll(async () => {
    fx = await startFixture({
      deps: {
        progress: (): RunProgress[] => [
          { runId: fx.runs.running.id, dataflow: 'orders', startedAt: fx.runs.running.startedAt, phase: 'uploading', filesDone: 2, filesTotal: 3, bytesDone: 75_500_000, bytesTotal: 120_000_000, records: 180_250 },
        ],
        holder: async (name) => (name === 'orders' ? { owner: 'replica-b', host: 'node-7', pid: 4242, since } : undefined),
      },
    });
  });
  afterAll(() => fx?.close());

  it('shows the daemon’s progress of a run in flight, and who holds each dataflow', async () => {
    const flows = await json<Summary[]>(`${fx.http.url}/api/dataflows`);
    const orders = flows.find((f) => f.name === 'orders')!;
    expect(orders.running).toEqual([expect.objectContaining({ runId: fx.runs.running.id, filesDone: 2, bytesDone: 75_500_000, records: 180_250, source: 'daemon' })]);
    expect(orders.running[0].bytesPerSecond).toBeGreaterThan(0);
    expect(orders).toMatchObject({ holderKnown: true, holder: { owner: 'replica-b', host: 'node-7', pid: 4242, since: since.toISOString() } });
    expect(flows.find((f) => f.name === 'events')).toMatchObject({ holderKnown: true, holder: null });
    const run = await json(`${fx.http.url}/api/runs/${fx.runs.running.id}`);
    expect(run.progress).toMatchObject({ filesDone: 2, records: 180_250, source: 'daemon' });
    expect(await json(`${fx.http.url}/api/progress`)).toEqual([expect.objectContaining({ runId: fx.runs.running.id, phase: 'uploading', filesTotal: 3, source: 'daemon' })]);
  });
});
