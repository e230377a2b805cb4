import { formatTable } from '../../src/cli/history';
import { formatDetail } from '../../src/cli/history-detail';
import { painter } from '../../src/cli/style';
import { runJson } from '../../src/store/run-json';
import type { RunRecord } from '../../src/store/types';
import { SGR } from './terminal-screen';

function run(over: Partial<RunRecord>): RunRecord {
  return {
    id: '20260301T100000Z-3f9a1c',
    dataflow: 'luma-offline-purchases',
    trigger: 'schedule',
    status: 'succeeded',
    startedAt: new Date('2026-03-01T10:00:00Z'),
    finishedAt: new Date('2026-03-01T10:00:25Z'),
    batchIds: ['01JBATCH0000000000000000001'],
    filesTaken: 3,
    filesIngested: 3,
    filesFailed: 0,
    filesRefused: 0,
    recordsIn: 1_234_567,
    recordsOut: 1_234_567,
    recordsFailed: 0,
    bytes: 312_456_789,
    error: null,
    errorKind: null,
    errorCode: null,
    owner: null,
    ...over,
  };
}

const RUNS = [
  run({
    id: '20260301T120000Z-aaaaaa',
    status: 'failed',
    filesIngested: 0,
    filesFailed: 3,
    recordsOut: 0,
    recordsFailed: 1_234_567,
    error: 'INGEST-1212-400: Encountered 50 errors in the data. 5.00% of rows failed, more than the partial ingestion threshold of 0%; no rows were ingested.',
    errorKind: 'platform',
    errorCode: 'INGEST-1212-400',
  }),
  run({ id: '20260301T110000Z-bbbbbb', status: 'skipped', batchIds: [], filesTaken: 0, filesIngested: 0, recordsIn: 0, recordsOut: 0, bytes: 0, error: 'nothing new: 12 listed (12 already ingested)' }),
  run({ id: '20260301T100000Z-cccccc', status: 'partially_succeeded', recordsOut: 1_230_000, recordsFailed: 4_567 }),
  run({ id: '20260301T090000Z-dddddd', status: 'running', finishedAt: null }),
].map(runJson);

const plain = (width: number) => ({ width, wrap: true, paint: painter(false) });

describe('history as a table', () => {
  it.each([40, 60, 80, 100, 120, 200])('never writes a row wider than %i columns', (width) => {
    const text = formatTable(RUNS, { layout: plain(width) });
    for (const line of text.trimEnd().split('\n')) expect([...line].length).toBeLessThanOrEqual(width);
    // The run id and its status stay, whatever the width: `history --run ID` needs the id.
    expect(text).toMatch(/^20260301T120000Z-aaaaaa {2}\S* *failed/m);
  });

  it('shows sizes, counts and durations in human units', () => {
    const text = formatTable(RUNS, { layout: plain(200) });
    expect(text.split('\n')[0]).toMatch(/^RUN +DATAFLOW +STATUS +STARTED +TOOK +FILES +RECORDS +BYTES +TRIGGER +BATCHES +BY +ERROR$/);
    const partial = text.split('\n').find((l) => l.startsWith('20260301T100000Z-cccccc'))!;
    expect(partial).toMatch(/partial .* 25s +3 +1\.2M\/1\.2M +312 MB +schedule +1 +-$/);
    const failed = text.split('\n').find((l) => l.startsWith('20260301T120000Z-aaaaaa'))!;
    expect(failed).toMatch(/failed .* 0\/3 +0\/1\.2M +312 MB .* \[platform\] INGEST-1212-400: Encountered 50 errors/);
    expect(failed).not.toContain('[platform INGEST-1212-400] INGEST-1212-400');
    const running = text.split('\n').find((l) => l.startsWith('20260301T090000Z-dddddd'))!;
    expect(running).toMatch(/running .* - +3 /);
  });

  it('gives up the least needed columns first, and cuts the error to the width left', () => {
    const narrow = formatTable(RUNS, { layout: plain(80) }).split('\n');
    expect(narrow[0]).toMatch(/^RUN +DATAFLOW +STATUS +ERROR$/);
    expect(narrow[1]).toMatch(/failed +\[platform\] INGEST-121…$/);
    const one = formatTable(RUNS, { layout: plain(80), oneDataflow: true }).split('\n');
    expect(one[0]).toMatch(/^RUN +STATUS +TOOK +FILES +RECORDS +ERROR$/);
  });

  it('colours statuses only when asked', () => {
    expect(formatTable(RUNS, { layout: plain(120) })).not.toMatch(SGR);
    const coloured = formatTable(RUNS, { layout: { width: 120, wrap: true, paint: painter(true) } });
    expect(coloured).toContain('\x1b[31mfailed\x1b[39m');
    expect(coloured).toContain('\x1b[33mpartial\x1b[39m');
    for (const line of coloured.trimEnd().split('\n')) expect([...line.replace(SGR, '')].length).toBeLessThanOrEqual(120);
  });

  it('says when no run matches a filter', () => {
    expect(formatTable([], { layout: plain(80), filtered: true })).toBe('no runs match\n');
    expect(formatTable([], { layout: plain(80) })).toBe('no runs yet\n');
  });
});

describe('history --run ID (formatDetail)', () => {
  const detail = (over: Partial<RunRecord>) => ({ ...runJson(run(over)), files: [], batches: [], rowErrors: [], notifications: [] });
  const layout = { width: 200, wrap: false, paint: painter(false) };

  it("says what the run's error code means, from the catalogue", () => {
    const text = formatDetail(detail({ status: 'failed', error: 'listing sftp://h/in: denied', errorKind: 'auth', errorCode: 'ERR_SOURCE_AUTH' }), layout);
    expect(text).toMatch(/^ {2}error {5}\[auth ERR_SOURCE_AUTH\] listing sftp:\/\/h\/in: denied$/m);
    expect(text).toMatch(/^ {2}means {5}The storage refused the credentials of the connection\.$/m);
  });

  it("leaves a code of Platform's own, and a run without error, unexplained", () => {
    expect(formatDetail(detail({ status: 'failed', error: 'INGEST-1212-400: 50 errors', errorKind: 'platform', errorCode: 'INGEST-1212-400' }), layout)).not.toMatch(/means/);
    expect(formatDetail(detail({}), layout)).not.toMatch(/^ {2}(means|error) /m);
  });
});
