import { DaemonMetrics } from '../../src/http/metrics';
import { openStore } from '../../src/store/open-store';
import type { RunResult, Store } from '../../src/store/types';

/** The value of one sample in Prometheus' text format, or undefined when there is none. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if (m[2].split(',').sort().join(',') === wanted) return Number(m[3]);
  }
  return undefined;
}

describe('GET /metrics (DaemonMetrics)', () => {
  let store: Store;
  let n = 0;
  const t0 = new Date('2026-11-29T10:00:00Z');

  beforeEach(async () => {
    store = await openStore('sqlite::memory:');
  });
  afterEach(() => store.close());

  async function run(dataflow: string, result: Omit<RunResult, 'finishedAt'>, seconds: number) {
    const id = `run-${++n}`;
    await store.createRun({ id, dataflow, trigger: 'schedule', startedAt: t0 });
    return store.finishRun(id, { ...result, finishedAt: new Date(t0.getTime() + seconds * 1000) });
  }

  const metricsOf = (dataflows: string[], next: Record<string, Date> = {}) => new DaemonMetrics({ store, dataflows: () => dataflows, nextRun: (name) => next[name] });

  it('counts finished runs by status, with their files, records, bytes and durations', async () => {
    const metrics = metricsOf(['luma', 'crm']);
    const finished = metrics.runStarted('luma');
    let text = (await metrics.render()).body;
    expect(sample(text, 'dataflowd_runs_in_progress', { dataflow: 'luma' })).toBe(1);

    finished(await run('luma', { status: 'succeeded', filesIngested: 2, recordsOut: 65, bytes: 4096 }, 3));
    metrics.runFinished(await run('luma', { status: 'partially_succeeded', filesIngested: 1, filesFailed: 1, recordsOut: 10, recordsFailed: 2, bytes: 1000 }, 30));
    metrics.runFinished(await run('crm', { status: 'failed', error: 'listing sftp://host/in: auth', errorKind: 'auth', errorCode: 'ERR_SOURCE_AUTH' }, 0.2));
    metrics.runFinished(await run('crm', { status: 'failed', error: 'INGEST-1212-400: 50 errors', errorKind: 'platform', errorCode: 'INGEST-1212-400' }, 0.2));
    text = (await metrics.render()).body;

    expect(sample(text, 'dataflowd_runs_in_progress', { dataflow: 'luma' })).toBe(0);
    expect(sample(text, 'dataflowd_runs_total', { dataflow: 'luma', status: 'succeeded' })).toBe(1);
    expect(sample(text, 'dataflowd_runs_total', { dataflow: 'luma', status: 'partially_succeeded' })).toBe(1);
    expect(sample(text, 'dataflowd_runs_total', { dataflow: 'luma', status: 'failed' })).toBe(0);
    expect(sample(text, 'dataflowd_runs_total', { dataflow: 'crm', status: 'failed' })).toBe(2);
    // Errors by the catalogue's code and kind; Platform's own codes together, as "other".
    expect(sample(text, 'dataflowd_run_errors_total', { dataflow: 'crm', code: 'ERR_SOURCE_AUTH', kind: 'auth' })).toBe(1);
    expect(sample(text, 'dataflowd_run_errors_total', { dataflow: 'crm', code: 'other', kind: 'other' })).toBe(1);
    expect(sample(text, 'dataflowd_run_errors_total', { dataflow: 'luma', code: 'other', kind: 'other' })).toBeUndefined();
    expect(sample(text, 'dataflowd_files_total', { dataflow: 'luma', outcome: 'ingested' })).toBe(3);
    expect(sample(text, 'dataflowd_files_total', { dataflow: 'luma', outcome: 'failed' })).toBe(1);
    expect(sample(text, 'dataflowd_records_total', { dataflow: 'luma', outcome: 'ingested' })).toBe(75);
    expect(sample(text, 'dataflowd_records_total', { dataflow: 'luma', outcome: 'failed' })).toBe(2);
    expect(sample(text, 'dataflowd_bytes_total', { dataflow: 'luma' })).toBe(5096);
    expect(sample(text, 'dataflowd_run_duration_seconds_count', { dataflow: 'luma' })).toBe(2);
    expect(sample(text, 'dataflowd_run_duration_seconds_sum', { dataflow: 'luma' })).toBe(33);
    expect(sample(text, 'dataflowd_run_duration_seconds_bucket', { dataflow: 'luma', le: '5' })).toBe(1);
    // Node's own figures come along, under the same prefix.
    expect(text).toMatch(/^dataflowd_process_resident_memory_bytes \d+/m);
  });

  it('reads the last run and the next one when scraped, so they hold across restarts', async () => {
    await run('luma', { status: 'succeeded' }, 1);
    await run('crm', { status: 'failed' }, 1);
    const next = new Date('2026-11-29T11:00:00Z');
    // A fresh process: nothing counted yet, the store still knows how each dataflow last ended.
    const text = (await metricsOf(['luma', 'crm', 'new'], { luma: next }).render()).body;

    expect(sample(text, 'dataflowd_last_run_status', { dataflow: 'luma', status: 'succeeded' })).toBe(1);
    expect(sample(text, 'dataflowd_last_run_status', { dataflow: 'luma', status: 'failed' })).toBe(0);
    expect(sample(text, 'dataflowd_last_run_status', { dataflow: 'crm', status: 'failed' })).toBe(1);
    expect(sample(text, 'dataflowd_last_run_status', { dataflow: 'new', status: 'succeeded' })).toBeUndefined();
    expect(sample(text, 'dataflowd_last_run_started_timestamp_seconds', { dataflow: 'crm' })).toBe(t0.getTime() / 1000);
    expect(sample(text, 'dataflowd_next_run_timestamp_seconds', { dataflow: 'luma' })).toBe(next.getTime() / 1000);
    expect(sample(text, 'dataflowd_next_run_timestamp_seconds', { dataflow: 'crm' })).toBeUndefined();
    expect(sample(text, 'dataflowd_runs_total', { dataflow: 'luma', status: 'succeeded' })).toBeUndefined();
  });

  it('keeps each daemon\'s figures apart: no global registry', async () => {
    const a = metricsOf(['luma']);
    const b = metricsOf(['luma']);
    a.runFinished(await run('luma', { status: 'succeeded' }, 1));
    expect(sample((await a.render()).body, 'dataflowd_runs_total', { dataflow: 'luma', status: 'succeeded' })).toBe(1);
    expect(sample((await b.render()).body, 'dataflowd_runs_total', { dataflow: 'luma', status: 'succeeded' })).toBeUndefined();
    expect((await a.render()).contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });
});
