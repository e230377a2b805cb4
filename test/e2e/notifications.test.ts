import { verify } from '../../src/notify/signature';
import { WebhookListener, type Received } from '../support/webhook-listener';
import { DaemonProcess, killAll, type LogLine } from './daemon-process';
import { jsonl, people, STORES, type StoreKind, Workspace } from './workspace';

/*
 * Webhook notifications from the built CLI to a real HTTP listener in the test: `dataflowd run`
 * sends its run's before exiting (or leaves them to a daemon), and the outbox in the store carries
 * a notification across a daemon restart while the receiver is down, delivered once after.
 */

const SECRET = 'e2e-webhook-secret';
const ENV = { HOOK_SECRET: SECRET };

const idOf = (r: Received) => r.headers['x-dataflowd-id'] as string;
const msg = (text: string) => (l: LogLine) => l.msg === text;

interface ListedNotification {
  id: string;
  state: string;
  attempts: number;
  event: string;
  runId: string;
}

/** A workspace whose dataflowd.yaml sends every event to the listener's /hook, signed. */
function withWorkspace(store: StoreKind): { ws: () => Workspace; listener: () => WebhookListener; notifications: () => Promise<ListedNotification[]> } {
  let ws: Workspace;
  let listener: WebhookListener;

  beforeAll(async () => {
    ws = await Workspace.create({ store });
    listener = await WebhookListener.start();
    await ws.writeDaemonConfig(`notifications:\n  - url: ${listener.url}/hook\n    secret: \${env:HOOK_SECRET}\n`, {
      http: ['  listen: 127.0.0.1:0', '  publicUrl: https://dataflowd.example.com'],
    });
  });
  beforeEach(() => {
    listener.received.length = 0;
  });
  afterEach(async () => {
    await killAll();
    listener.answer = () => 200;
  });
  afterAll(async () => {
    await listener?.close();
    await ws?.close();
  });

  return {
    ws: () => ws,
    listener: () => listener,
    async notifications() {
      const cli = DaemonProcess.command(ws, ['notifications', '--json', '--limit', '100'], ENV);
      expect((await cli.exited).code).toBe(0);
      return JSON.parse(cli.stdout);
    },
  };
}

describe('webhook notifications from dataflowd run', () => {
  const ctx = withWorkspace('sqlite');

  it('dataflowd run delivers its run’s notification, signed, before it exits', async () => {
    await ctx.ws().writeDataflow('people', 'source: { connection: inbox, include: ["a*.json"] }\ntarget: { dataset: people }\n');
    await ctx.ws().put('a1.json', jsonl(people(0, 3)));
    const run = DaemonProcess.command(ctx.ws(), ['run', 'people', '--json'], ENV);
    expect((await run.exited).code).toBe(0);
    const runId = JSON.parse(run.stdout).id as string;

    const [got] = ctx.listener().delivered('/hook');
    expect(ctx.listener().received).toHaveLength(1);
    expect(verify(got.raw, SECRET, got.headers['x-dataflowd-signature'] as string)).toBe(true);
    const body = JSON.parse(got.raw);
    expect(body).toMatchObject({
      event_id: idOf(got),
      event_type: 'sources_flow_run_success',
      event: {
        id: runId,
        flowId: 'people',
        metrics: { recordSummary: { inputRecordCount: 3, outputRecordCount: 3, failedRecordCount: 0 }, fileSummary: { inputFileCount: 1, outputFileCount: 1 } },
        _links: { dashboard: { href: `https://dataflowd.example.com/runs/${runId}` } },
      },
    });
    expect(body.event.activities[0].targetInfo.reference.ids).toHaveLength(1);
    expect(await ctx.notifications()).toContainEqual(expect.objectContaining({ id: idOf(got), runId, state: 'delivered', attempts: 1, event: 'run.succeeded' }));
    const history = DaemonProcess.command(ctx.ws(), ['history', 'people', '--run', runId], ENV);
    expect((await history.exited).code).toBe(0);
    expect(history.stdout).toContain(`NOTIFICATIONS\n  run.succeeded to ${ctx.listener().url}: delivered after 1 attempt\n`);
  });

  it('dataflowd run leaves what it could not deliver in the outbox, and a daemon delivers it', async () => {
    ctx.listener().answer = () => 503;
    await ctx.ws().writeDataflow('people', 'source: { connection: inbox, include: ["c*.json"] }\ntarget: { dataset: people }\n');
    await ctx.ws().put('c1.json', jsonl(people(20, 2)));
    const run = DaemonProcess.command(ctx.ws(), ['run', 'people'], ENV);
    const left = await run.waitFor((l) => typeof l.msg === 'string' && l.msg.includes('left in the outbox for a daemon'), 0, 40_000);
    expect(left).toMatchObject({ left: 1 });
    expect((await run.exited).code).toBe(0);
    const id = idOf(ctx.listener().received[ctx.listener().received.length - 1]);
    expect(ctx.listener().delivered().filter((r) => idOf(r) === id)).toEqual([]);

    ctx.listener().answer = () => 200;
    const daemon = DaemonProcess.start(ctx.ws(), ENV);
    await daemon.waitFor(msg('notification delivered'));
    await daemon.kill('SIGTERM');
    expect(ctx.listener().delivered().filter((r) => idOf(r) === id)).toHaveLength(1);
  });

  it('tells of a run killed mid-way, closed as interrupted by the next process to run the dataflow', async () => {
    await ctx.ws().writeDataflow('people', 'source: { connection: inbox, include: ["d*.json"] }\ntarget: { dataset: people }\n');
    await ctx.ws().put('d1.json', jsonl(people(30, 2)));
    const killed = DaemonProcess.command(ctx.ws(), ['run', 'people'], { ...ENV, DATAFLOWD_CRASH_AT: 'mid-upload:1' });
    const started = await killed.waitFor(msg('run started'));
    expect((await killed.exited).signal).toBe('SIGKILL');
    expect(ctx.listener().received).toEqual([]);

    const next = DaemonProcess.command(ctx.ws(), ['run', 'people', '--json'], ENV);
    expect((await next.exited).code).toBe(0);
    const bodies = ctx.listener().delivered('/hook').map((r) => JSON.parse(r.raw));
    expect(bodies).toContainEqual(
      expect.objectContaining({ event_type: 'sources_flow_run_failure', event: expect.objectContaining({ id: started?.runId, flowId: 'people' }) }),
    );
    expect(bodies).toContainEqual(expect.objectContaining({ event_type: 'sources_flow_run_success', event: expect.objectContaining({ id: JSON.parse(next.stdout).id }) }));
  });
});

describe.each(STORES)('webhook notifications across a daemon restart (%s)', (store) => {
  const ctx = withWorkspace(store);

  it('keeps a notification across a daemon restart while the receiver is down, and delivers it once after', async () => {
    ctx.listener().answer = () => 503;
    await ctx.ws().writeDataflow('people', 'source: { connection: inbox, include: ["b*.json"] }\ntarget: { dataset: people }\nschedule: { frequency: once }\n');
    await ctx.ws().put('b1.json', jsonl(people(10, 2)));
    const first = DaemonProcess.start(ctx.ws(), ENV);
    await first.waitFor(msg('notification delivery failed; will retry'));
    expect((await first.kill('SIGTERM')).code).toBe(0);
    const failed = ctx.listener().received.filter((r) => r.status === 503);
    const id = idOf(failed[failed.length - 1]);
    expect(JSON.parse(failed[0].raw)).toMatchObject({ event_type: 'sources_flow_run_success', event: { flowId: 'people' } });

    ctx.listener().answer = () => 200;
    const again = DaemonProcess.start(ctx.ws(), ENV);
    const started = await again.waitFor(msg('dataflowd started'));
    await again.waitFor(msg('notification delivered'));
    const metrics = await (await fetch(`${started?.http as string}/metrics`)).text();
    expect(metrics).toContain('dataflowd_notifications_total{event="run.succeeded",outcome="delivered"} 1');
    expect((await again.kill('SIGTERM')).code).toBe(0);

    const delivered = ctx.listener().delivered().filter((r) => idOf(r) === id);
    expect(delivered).toHaveLength(1);
    expect(delivered[0].raw).toBe(failed[0].raw);
    // The restart ran nothing new (the once run was done): its only delivery is the one kept in the outbox.
    expect(new Set(ctx.listener().received.map(idOf))).toEqual(new Set([id]));
    const history = DaemonProcess.command(ctx.ws(), ['history', '--json'], ENV);
    expect((await history.exited).code).toBe(0);
    const runId = (JSON.parse(history.stdout) as Array<{ id: string; dataflow: string }>)[0].id;
    const detail = DaemonProcess.command(ctx.ws(), ['history', '--run', runId, '--json'], ENV);
    expect((await detail.exited).code).toBe(0);
    expect(JSON.parse(detail.stdout).notifications).toEqual([expect.objectContaining({ id, event: 'run.succeeded', state: 'delivered', lastStatus: 200 })]);
    const row = (await ctx.notifications()).find((n) => n.id === id);
    expect(row).toMatchObject({ state: 'delivered', event: 'run.succeeded' });
    expect(row!.attempts).toBeGreaterThanOrEqual(2);
  });
});
