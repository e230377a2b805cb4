import { loadConfig, type LoadedConfig } from '../../src/config';
import { failedInARow, runEvents } from '../../src/notify/events';
import { runLink } from '../../src/notify/links';
import { webhookKey, webhooksOf } from '../../src/notify/webhooks';
import type { RunRecord, RunStatus } from '../../src/store/types';
import { removeTrees, testConnectors, VALID_DAEMON, VALID_DATAFLOW, validTree, writeTree } from '../config/config-fixtures';

async function load(daemonExtra: string, dataflowExtra = ''): Promise<LoadedConfig> {
  const dir = await writeTree(validTree({ 'dataflowd.yaml': `${VALID_DAEMON}${daemonExtra}`, 'dataflows/orders.yaml': `${VALID_DATAFLOW}${dataflowExtra}` }));
  const { config, problems } = await loadConfig(dir, { connectors: testConnectors, env: {} });
  if (!config) throw new Error(problems.map((p) => p.message).join('\n'));
  return config;
}

afterAll(removeTrees);

const run = (status: RunStatus): RunRecord => ({ status }) as RunRecord;

describe('which webhooks, events and links a run gets', () => {
  it('gives a URL named by the dataflow and by dataflowd.yaml each event once, the dataflow’s settings first', async () => {
    const config = await load(
      'notifications:\n  - { url: "https://a.example.com/x", events: [run.succeeded], secret: daemon-secret }\n  - { url: "https://b.example.com/y" }\n',
      'notifications:\n  - { url: "https://a.example.com/x", events: [run.failed], format: slack }\n',
    );
    expect(webhooksOf(config, 'orders')).toEqual([
      { key: webhookKey('https://a.example.com/x'), url: 'https://a.example.com/x', secret: 'daemon-secret', events: ['run.failed', 'run.succeeded'], format: 'slack', endpoint: 'https://a.example.com' },
      {
        key: webhookKey('https://b.example.com/y'),
        url: 'https://b.example.com/y',
        secret: undefined,
        events: ['run.succeeded', 'run.partially_succeeded', 'run.failed', 'dataflow.stopped_ingesting'],
        format: 'json',
        endpoint: 'https://b.example.com',
      },
    ]);
    expect(webhooksOf(config, 'another')).toHaveLength(2);
  });

  it('links a run under http.publicUrl, else under a listen address others can open, else not at all', async () => {
    expect(runLink(await load('http: { publicUrl: "https://d.example.com/base/" }\n'), 'r 1')).toBe('https://d.example.com/base/runs/r%201');
    expect(runLink(await load('http: { listen: "127.0.0.1:8080" }\n'), 'r1')).toBe('http://127.0.0.1:8080/runs/r1');
    expect(runLink(await load('http: { listen: "[::1]:9000" }\n'), 'r1')).toBe('http://[::1]:9000/runs/r1');
    expect(runLink(await load('http: { listen: "0.0.0.0:8080", token: tok-en-12 }\n'), 'r1')).toBeUndefined();
    expect(runLink(await load('http: { listen: "127.0.0.1:0" }\n'), 'r1')).toBeUndefined();
  });

  it.each<[string, RunStatus[], number]>([
    ['no runs', [], 0],
    ['failures up to the last ingestion', ['failed', 'failed', 'succeeded', 'failed'], 2],
    ['skipped and cancelled runs neither count nor break', ['failed', 'skipped', 'cancelled', 'failed', 'partially_succeeded'], 2],
    ['a partial success breaks the streak', ['partially_succeeded', 'failed'], 0],
  ])('counts failed runs in a row: %s', (_, statuses, expected) => {
    expect(failedInARow(statuses.map(run))).toBe(expected);
  });

  it.each<[RunStatus, number, string[]]>([
    ['succeeded', 5, ['run.succeeded']],
    ['partially_succeeded', 5, ['run.partially_succeeded']],
    ['failed', 0, ['run.failed']],
    ['failed', 2, ['run.failed', 'dataflow.stopped_ingesting']],
    ['failed', 3, ['run.failed']],
    ['skipped', 2, []],
    ['cancelled', 2, []],
  ])('a %s run after %i failures in a row (afterFailedRuns 3) raises %j', (status, before, expected) => {
    expect(runEvents(run(status), before, 3)).toEqual(expected);
  });
});
