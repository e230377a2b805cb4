import { createHmac } from 'node:crypto';
import path from 'node:path';
import { loadConfig, type LoadedConfig } from '../../src/config';
import { silentLogger } from '../../src/lib/logger';
import { type AttemptOutcome, OutboxDrainer } from '../../src/notify/drain';
import { RunNotifier } from '../../src/notify/run-notifier';
import { verify } from '../../src/notify/signature';
import { closeRun } from '../../src/run/run-dataflow';
import { newRunId } from '../../src/run/run-id';
import { openStore } from '../../src/store/open-store';
import type { RunRecord, RunResult, Store } from '../../src/store/types';
import { removeTrees, testConnectors, VALID_DAEMON, VALID_DATAFLOW, validTree, writeTree } from '../config/config-fixtures';
import { FakeClock } from '../support/fake-clock';
import { WebhookListener } from '../support/webhook-listener';

/*
 * The outbox end to end in one process: a run closed as a run closes writes its notifications,
 * a drainer delivers them to a real HTTP listener on loopback, with the store on SQLite and time
 * on a fake clock (the retries' backoff is waited for by moving it).
 */

const SECRET = 'hook-signing-secret-1';
const owner = { processId: 'test-process', host: 'test-host', pid: 1 };

let listener: WebhookListener;
let config: LoadedConfig;
let bare: LoadedConfig;
let clock: FakeClock;
let store: Store;

async function load(files: Record<string, string>): Promise<LoadedConfig> {
  const { config: loaded, problems } = await loadConfig(await writeTree(files), { connectors: testConnectors, env: { HOOK_SECRET: SECRET } });
  if (!loaded) throw new Error(problems.map((p) => p.message).join('\n'));
  return loaded;
}

beforeAll(async () => {
  listener = await WebhookListener.start();
  config = await load(
    validTree({
      'dataflowd.yaml': `${VALID_DAEMON}http:\n  publicUrl: https://dataflowd.example.com/\nnotifications:\n  - url: ${listener.url}/all\n    secret: \${env:HOOK_SECRET}\n`,
      'dataflows/orders.yaml': `${VALID_DATAFLOW}notifications:\n  - { url: "${listener.url}/slack", format: slack, events: [run.failed, dataflow.stopped_ingesting] }\n`,
    }),
  );
  bare = await load(validTree());
  clock = new FakeClock('2032-03-01T10:00:00.000Z');
  store = await openStore(`sqlite:${path.join(config.dir, 'state.db')}`, { clock });
});

afterAll(async () => {
  await store.close();
  await listener.close();
  await removeTrees();
});

beforeEach(() => {
  listener.received.length = 0;
  listener.answer = () => 200;
});

/** A run of `orders` closed as runDataflow closes one, under its lease, with the runner's notifier. */
async function finish(result: Omit<RunResult, 'finishedAt'>, notifyConfig: LoadedConfig = config): Promise<RunRecord> {
  const lease = await store.acquireLease('orders', owner, { ttlMs: 60_000 });
  if (!lease.granted) throw new Error('lease not granted');
  const fence = { dataflow: 'orders', token: lease.lease.token };
  const begun = await store.createRun({ id: newRunId(clock.now()), dataflow: 'orders', trigger: 'schedule', startedAt: clock.now(), owner }, fence);
  await clock.advance(1_500);
  const run = await closeRun(store, begun, { ...result, finishedAt: clock.now() }, fence, silentLogger, new RunNotifier(notifyConfig, store));
  await store.releaseLease(fence, owner.processId);
  await clock.advance(1_000);
  return run;
}

function drainer(outcomes: string[] = [], opts: { maxAttempts?: number; config?: LoadedConfig; processId?: string; store?: Store } = {}): OutboxDrainer {
  return new OutboxDrainer({
    store: opts.store ?? store,
    config: () => opts.config ?? config,
    processId: opts.processId ?? 'drainer',
    clock,
    logger: silentLogger,
    onAttempt: (event: string, outcome: AttemptOutcome) => outcomes.push(`${event}:${outcome}`),
    maxAttempts: opts.maxAttempts,
    random: () => 1,
  });
}

/** Until the drainer sleeps on the fake clock (waiting for a retry). */
async function sleeping(): Promise<void> {
  while (clock.pending() === 0) await new Promise((r) => setTimeout(r, 5));
}

const events = async (run: RunRecord) => (await store.listNotifications({ runId: run.id })).map((n) => n.event).sort();

describe('notifications through the outbox', () => {
  it('delivers a succeeded run to its subscribers, signed with the webhook secret, with the run’s metrics and link', async () => {
    const outcomes: string[] = [];
    const run = await finish({ status: 'succeeded', filesTaken: 2, filesIngested: 2, recordsIn: 10, recordsOut: 10, bytes: 1234 });
    expect(await drainer(outcomes).drainRun(run.id, 10_000)).toBe(0);

    // The Slack webhook subscribes to failures only.
    expect(listener.received.map((r) => r.path)).toEqual(['/all']);
    const [got] = listener.received;
    expect(got.headers['x-dataflowd-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(got.raw).digest('hex')}`);
    expect(verify(got.raw, SECRET, got.headers['x-dataflowd-signature'] as string)).toBe(true);
    expect(verify(`${got.raw} `, SECRET, got.headers['x-dataflowd-signature'] as string)).toBe(false);
    const body = JSON.parse(got.raw);
    expect(got.headers['x-dataflowd-id']).toBe(body.event_id);
    expect(got.headers['x-dataflowd-event']).toBe('run.succeeded');
    expect(got.headers['x-dataflowd-timestamp']).toBe(String(Math.floor(clock.now().getTime() / 1000)));
    expect(body).toMatchObject({
      event_type: 'sources_flow_run_success',
      event_name: 'run.succeeded',
      event: {
        id: run.id,
        flowId: 'orders',
        status: 'succeeded',
        metrics: {
          durationSummary: { startedAtUTC: run.startedAt.getTime(), completedAtUTC: run.finishedAt?.getTime(), durationMs: 1_500 },
          sizeSummary: { inputBytes: 1234 },
          recordSummary: { inputRecordCount: 10, outputRecordCount: 10, failedRecordCount: 0 },
          fileSummary: { inputFileCount: 2, outputFileCount: 2, failedFileCount: 0 },
          statusSummary: { status: 'success', errors: [] },
        },
        _links: { dashboard: { href: `https://dataflowd.example.com/runs/${run.id}` } },
      },
    });
    expect(await store.listNotifications({ runId: run.id })).toEqual([expect.objectContaining({ state: 'delivered', attempts: 1, lastStatus: 200, deliveredAt: clock.now() })]);
    expect(outcomes).toEqual(['run.succeeded:delivered']);
  });

  it('retries a receiver that fails, after a backoff, with the same id and body, until it answers', async () => {
    let failures = 1;
    listener.answer = (p) => (p === '/all' && failures-- > 0 ? 500 : 200);
    const outcomes: string[] = [];
    const run = await finish({ status: 'failed', error: 'connecting to sftp://h: <refused> & gone', errorKind: 'transient', errorCode: 'ERR_SFTP_CONNECT' });
    const draining = drainer(outcomes).drainRun(run.id, 60_000);
    await sleeping();
    const [first] = listener.received.filter((r) => r.path === '/all');
    expect(first.status).toBe(500);
    expect(await store.listNotifications({ runId: run.id })).toContainEqual(
      expect.objectContaining({ event: 'run.failed', state: 'pending', attempts: 1, lastStatus: 500, lastError: 'HTTP 500: receiver down for maintenance' }),
    );
    await clock.advance(2_000);
    expect(await draining).toBe(0);

    const all = listener.received.filter((r) => r.path === '/all');
    expect(all.map((r) => r.status)).toEqual([500, 200]);
    expect(all[1].headers['x-dataflowd-id']).toBe(all[0].headers['x-dataflowd-id']);
    expect(all[1].raw).toBe(all[0].raw);
    expect(JSON.parse(all[1].raw)).toMatchObject({
      event_type: 'sources_flow_run_failure',
      event: { metrics: { statusSummary: { status: 'failed', errors: [{ code: 'ERR_SFTP_CONNECT', kind: 'transient', message: 'connecting to sftp://h: <refused> & gone' }] } } },
    });
    expect(outcomes.sort()).toEqual(['run.failed:delivered', 'run.failed:delivered', 'run.failed:retrying']);
    expect((await store.listNotifications({ runId: run.id })).map((n) => [n.event, n.state, n.attempts])).toContainEqual(['run.failed', 'delivered', 2]);
  });

  it('sends the Slack form to a slack webhook: text and blocks, escaped, unsigned without a secret', async () => {
    const run = await finish({ status: 'failed', filesTaken: 3, filesFailed: 3, error: 'bad <b>file</b> & more', errorKind: 'data', errorCode: 'ERR_X' });
    expect(await drainer().drainRun(run.id, 10_000)).toBe(0);
    const [slack] = listener.received.filter((r) => r.path === '/slack');
    expect(slack.headers['x-dataflowd-signature']).toBeUndefined();
    expect(slack.headers['content-type']).toBe('application/json');
    const body = JSON.parse(slack.raw);
    expect(Object.keys(body).sort()).toEqual(['blocks', 'text']);
    expect(body.text).toBe(`:x: orders: run failed: 0 of 3 files ingested, 0 records in, 0 failed (run ${run.id})`);
    expect(body.blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: `*:x: orders: run failed*\n<https://dataflowd.example.com/runs/${run.id}|run ${run.id}>` } });
    expect(body.blocks[1].fields[0]).toEqual({ type: 'mrkdwn', text: '*Files*\n3 taken, 0 ingested, 3 failed' });
    expect(body.blocks[2]).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: '`ERR_X` bad &lt;b&gt;file&lt;/b&gt; &amp; more' }] });
  });

  it('gives a notification up after its last attempt, and one whose webhook left the config at once', async () => {
    listener.answer = (p) => (p === '/all' ? 500 : 200);
    await finish({ status: 'succeeded' }); // ends the streak of failures of the tests before
    listener.received.length = 0;
    const outcomes: string[] = [];
    const run = await finish({ status: 'partially_succeeded', recordsIn: 10, recordsOut: 9, recordsFailed: 1 });
    const draining = drainer(outcomes, { maxAttempts: 2 }).drainRun(run.id, 60_000);
    await sleeping();
    await clock.advance(2_000);
    expect(await draining).toBe(0);
    expect(outcomes).toEqual(['run.partially_succeeded:retrying', 'run.partially_succeeded:failed']);
    expect(JSON.parse(listener.received[0].raw)).toMatchObject({ event_type: 'sources_flow_run_partial_success', event: { metrics: { statusSummary: { status: 'partialSuccess' } } } });
    expect(await store.listNotifications({ runId: run.id })).toEqual([expect.objectContaining({ state: 'failed', attempts: 2, lastStatus: 500 })]);

    const orphan = await finish({ status: 'succeeded' });
    const gone: string[] = [];
    expect(await drainer(gone, { config: bare }).drainRun(orphan.id, 10_000)).toBe(0);
    expect(gone).toEqual(['run.succeeded:failed']);
    expect(await store.listNotifications({ runId: orphan.id })).toEqual([expect.objectContaining({ state: 'failed', lastError: 'its webhook is no longer in the config' })]);
  });

  it('stops waiting when closed (Ctrl-C on dataflowd run), leaving the notification due for another process', async () => {
    listener.answer = () => 500;
    const run = await finish({ status: 'succeeded' });
    const d = drainer();
    const draining = d.drainRun(run.id, 60_000);
    await sleeping();
    await d.close();
    await expect(draining).rejects.toThrow('dataflowd is stopping');
    expect(await store.listNotifications({ runId: run.id })).toEqual([expect.objectContaining({ state: 'pending', attempts: 1, lastStatus: 500 })]);
    listener.answer = () => 200;
    await clock.advance(2_000);
    expect(await drainer().drainRun(run.id, 10_000)).toBe(0);
    expect(await store.listNotifications({ runId: run.id })).toEqual([expect.objectContaining({ state: 'delivered', attempts: 2 })]);
  });

  it('says a dataflow stopped ingesting once, on the failed run that makes afterFailedRuns in a row', async () => {
    await finish({ status: 'succeeded' });
    const f1 = await finish({ status: 'failed', error: 'e1' });
    const skipped = await finish({ status: 'skipped', error: 'nothing new' });
    const f2 = await finish({ status: 'failed', error: 'e2' });
    const f3 = await finish({ status: 'failed', error: 'e3' });
    const f4 = await finish({ status: 'failed', error: 'e4' });
    expect(await events(f1)).toEqual(['run.failed', 'run.failed']);
    expect(await events(skipped)).toEqual([]);
    expect(await events(f2)).toEqual(['run.failed', 'run.failed']);
    expect(await events(f3)).toEqual(['dataflow.stopped_ingesting', 'dataflow.stopped_ingesting', 'run.failed', 'run.failed']);
    expect(await events(f4)).toEqual(['run.failed', 'run.failed']);
    const stopped = (await store.listNotifications({ runId: f3.id })).map((n) => JSON.parse(n.body)).find((b) => b.event_name === 'dataflow.stopped_ingesting');
    expect(stopped).toMatchObject({ event_type: 'sources_flow_stopped_ingesting', event: { id: f3.id, stoppedIngesting: { failedRunsInARow: 3 } } });
    // A run that ingests ends the streak: the next three failures say it again.
    await finish({ status: 'partially_succeeded' });
    await finish({ status: 'failed' });
    await finish({ status: 'failed' });
    expect(await events(await finish({ status: 'failed' }))).toContain('dataflow.stopped_ingesting');
    for (const r of await store.listRuns({ dataflow: 'orders', limit: 100 })) await drainer().drainRun(r.id, 10_000);
  });

  it('has two processes draining one store deliver each notification once', async () => {
    const replica = await openStore(`sqlite:${path.join(config.dir, 'state.db')}`, { clock });
    const a = drainer([], { processId: 'replica-a' });
    const b = drainer([], { processId: 'replica-b', store: replica });
    a.start();
    b.start();
    try {
      const runs: RunRecord[] = [];
      for (let i = 0; i < 5; i++) runs.push(await finish({ status: 'succeeded' }));
      a.kick();
      b.kick();
      const mine = new Set<unknown>();
      for (const run of runs) for (const n of await store.listNotifications({ runId: run.id })) mine.add(n.id);
      expect(mine.size).toBe(5);
      const received = () => listener.received.filter((r) => mine.has(r.headers['x-dataflowd-id']));
      await listener.until('five deliveries', () => received().length >= 5);
      await clock.advance(10_000);
      for (const run of runs) expect(await store.listNotifications({ runId: run.id })).toEqual([expect.objectContaining({ state: 'delivered', attempts: 1 })]);
      expect(received()).toHaveLength(5);
      expect(new Set(received().map((r) => r.headers['x-dataflowd-id'])).size).toBe(5);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await replica.close();
    }
  });
});
