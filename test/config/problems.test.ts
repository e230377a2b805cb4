import path from 'node:path';
import { formatProblem, loadConfig, Problem } from '../../src/config';
import { removeTrees, SCHEMA_JSON, testConnectors, VALID_DAEMON, validTree, writeTree } from './config-fixtures';

afterAll(removeTrees);

/** `FILE:LINE:COL: path: message` with FILE relative to the config folder. */
function show(p: Problem, dir: string): string {
  return formatProblem({ ...p, file: path.relative(dir, p.file) });
}

async function problemsOf(files: Record<string, string>, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  const dir = await writeTree(files);
  const { config, problems } = await loadConfig(dir, { connectors: testConnectors, env });
  if (problems.length > 0) expect(config).toBeUndefined();
  return problems.map((p) => show(p, dir));
}

/** A tree whose only dataflow is `yaml`. */
const flow = (yaml: string): Record<string, string> => validTree({ 'dataflows/orders.yaml': yaml });
const daemon = (yaml: string): Record<string, string> => validTree({ 'dataflowd.yaml': yaml });

const BASE = 'name: orders\nsource: { connection: inbox }\ntarget: { dataset: orders }\n';

const CASES: [string, Record<string, string>, string[]][] = [
  ['YAML syntax error', flow('name: orders\nsource: [inbox\n'), ['dataflows/orders.yaml:3:1: Flow sequence in block collection must be sufficiently indented and end with a ]']],
  ['duplicate YAML key', flow(`${BASE}name: again\n`), ['dataflows/orders.yaml:4:1: Map keys must be unique']],
  ['unknown key', flow('name: orders\nsource:\n  connection: inbox\n  inclde: ["*.json"]\ntarget: { dataset: orders }\n'), ['dataflows/orders.yaml:4:3: source.inclde: unknown key']],
  ['unknown top-level key', daemon(`${VALID_DAEMON}platfrom: {}\n`), ['dataflowd.yaml:11:1: platfrom: unknown key']],
  ['missing required key: at the parent', flow('name: orders\nsource: { connection: inbox }\n'), ['dataflows/orders.yaml:1:1: target: required (a mapping)']],
  ['missing nested key: at the key holding the parent', flow('name: orders\nsource: { path: /in }\ntarget: { dataset: orders }\n'), ['dataflows/orders.yaml:2:1: source.connection: required (a string)']],
  ['wrong type', flow(`${BASE}enabled: yes\n`), ['dataflows/orders.yaml:4:10: enabled: expected a boolean, got string']],
  ['wrong type in a list', flow('name: orders\nsource:\n  connection: inbox\n  include: ["*.json", 7]\ntarget: { dataset: orders }\n'), ['dataflows/orders.yaml:4:23: source.include[1]: expected a string, got number']],
  ['bad enum', flow('name: orders\nsource: { connection: inbox, afterIngest: archive }\ntarget: { dataset: orders }\n'), ['dataflows/orders.yaml:2:43: source.afterIngest: must be one of: keep, delete, move']],
  ['changedFiles: reingest, renamed', flow('name: orders\nsource: { connection: inbox, changedFiles: reingest }\ntarget: { dataset: orders }\n'), ['dataflows/orders.yaml:2:44: source.changedFiles: reingest was renamed: use append (the new version is added beside the old one, as reingest did) or replace (the default: the new version replaces the old one in Platform)']],
  ['bad changedFiles', flow('name: orders\nsource: { connection: inbox, changedFiles: redo }\ntarget: { dataset: orders }\n'), ['dataflows/orders.yaml:2:44: source.changedFiles: must be one of: replace, append, ignore']],
  ['bad duration', flow('name: orders\nsource: { connection: inbox, minFileAge: 10m30 }\ntarget: { dataset: orders }\n'), ['dataflows/orders.yaml:2:42: source.minFileAge: invalid duration "10m30": expected a number and a unit (ms, s, m, h, d), e.g. 30s, 15m, 2h, 1d']],
  ['duration without a unit', flow('name: orders\nsource: { connection: inbox, minFileAge: 60 }\ntarget: { dataset: orders }\n'), ['dataflows/orders.yaml:2:42: source.minFileAge: invalid duration 60: expected a number and a unit (ms, s, m, h, d), e.g. 30s, 15m, 2h, 1d']],
  ['bad size', flow(`${BASE}ingestion: { maxBatchSize: 12XB }\n`), ['dataflows/orders.yaml:4:28: ingestion.maxBatchSize: invalid size "12XB": expected a number and a unit (B, KB, MB, GB, TB, or KiB, MiB, GiB, TiB), e.g. 256MB']],
  ['size over the batch limit', flow(`${BASE}ingestion: { maxBatchSize: 101GB }\n`), ["dataflows/orders.yaml:4:28: ingestion.maxBatchSize: must be more than 0B and at most 100GB (Platform's limit)"]],
  ['too many files per batch', flow(`${BASE}ingestion: { maxFilesPerBatch: 2000 }\n`), ['dataflows/orders.yaml:4:32: ingestion.maxFilesPerBatch: must be at most 1500']],
  ['bad name', flow('name: Orders_1\nsource: { connection: inbox }\ntarget: { dataset: orders }\n'), ['dataflows/orders.yaml:1:7: name: must be lowercase letters, digits and dashes, not starting with a dash']],
  ['duplicate dataflow names', validTree({ 'dataflows/copy.yaml': BASE }), ['dataflows/orders.yaml:1:7: name: dataflow name "orders" is also used by dataflows/copy.yaml'.replace('dataflows/copy.yaml', '__COPY__')]],
  ['unknown connection', flow('name: orders\nsource: { connection: outbox }\ntarget: { dataset: orders }\n'), ['dataflows/orders.yaml:2:23: source.connection: connection "outbox" is not defined in dataflowd.yaml (known: inbox)']],
  ['dataset not served by the embedded Platform', flow('name: orders\nsource: { connection: inbox }\ntarget: { dataset: returns }\n'), ['dataflows/orders.yaml:3:20: target.dataset: dataset "returns" is not in platform.datasets, which the embedded Platform serves (known: orders, Orders Dataset)']],
  ['mapping required for csv', flow(`${BASE}format: { type: csv }\n`), ['dataflows/orders.yaml:1:1: mapping: required when format.type is csv']],
  ['csv options with json', flow(`${BASE}format: { type: json, csv: { delimiter: ";" } }\n`), ['dataflows/orders.yaml:4:28: format.csv: csv options only apply to type: csv']],
  ['moveTo required for move', flow('name: orders\nsource:\n  connection: inbox\n  afterIngest: move\ntarget: { dataset: orders }\n'), ['dataflows/orders.yaml:2:1: source.moveTo: required when afterIngest is move']],
  ['moveTo without move', flow('name: orders\nsource: { connection: inbox, moveTo: /done }\ntarget: { dataset: orders }\n'), ['dataflows/orders.yaml:2:38: source.moveTo: only applies when afterIngest is move']],
  ['.. in source.path', flow('name: orders\nsource: { connection: inbox, path: in/../../etc }\ntarget: { dataset: orders }\n'), ['dataflows/orders.yaml:2:36: source.path: unsafe path "in/../../etc": has a \'..\' segment (folders stay inside the connection\'s root)']],
  ['.. in an include glob', flow('name: orders\nsource:\n  connection: inbox\n  include: ["*.json", "../*.json"]\ntarget: { dataset: orders }\n'), ['dataflows/orders.yaml:4:23: source.include[1]: invalid glob "../*.json": has a \'..\' segment: globs stay inside the dataflow\'s path']],
  ['.. in moveTo', flow('name: orders\nsource:\n  connection: inbox\n  afterIngest: move\n  moveTo: /done/../../elsewhere\ntarget: { dataset: orders }\n'), ['dataflows/orders.yaml:5:11: source.moveTo: unsafe path "/done/../../elsewhere": has a \'..\' segment (folders stay inside the connection\'s root)']],
  ['bad format limits', flow(`${BASE}format: { maxRecordSize: 1GB, maxInflatedSize: 0B }\n`), ['dataflows/orders.yaml:4:26: format.maxRecordSize: must be more than 0B and less than 512MiB', 'dataflows/orders.yaml:4:48: format.maxInflatedSize: must be more than 0B']],
  ['bad mapping field', flow(`${BASE}mapping:\n  fields:\n    - { source: a }\n    - { value: 1, target: "a..b" }\n`), ['dataflows/orders.yaml:6:7: mapping.fields[0].target: required (a string)', 'dataflows/orders.yaml:7:27: mapping.fields[1].target: expected a field path like a.b[0].c']],
  ['bad cron', flow(`${BASE}schedule: { cron: "61 * * * *" }\n`), ['dataflows/orders.yaml:4:19: schedule.cron: invalid cron expression: 61 is a invalid expression for minute']],
  ['cron with frequency', flow(`${BASE}schedule: { frequency: hour, cron: "* * * * *" }\n`), ['dataflows/orders.yaml:4:36: schedule.cron: cron and frequency are exclusive: keep one']],
  ['bad interval', flow(`${BASE}schedule: { frequency: day, interval: 0 }\n`), ['dataflows/orders.yaml:4:39: schedule.interval: must be at least 1']],
  ['fractional interval', flow(`${BASE}schedule: { frequency: day, interval: 1.5 }\n`), ['dataflows/orders.yaml:4:39: schedule.interval: expected an integer, got number']],
  ['bad time zone', flow(`${BASE}schedule: { timezone: Mars/Olympus }\n`), ['dataflows/orders.yaml:4:23: schedule.timezone: unknown time zone "Mars/Olympus" (expected an IANA name like Europe/Paris)']],
  ['bad startTime', flow(`${BASE}schedule: { startTime: "2026-12-01 00:00" }\n`), ['dataflows/orders.yaml:4:24: schedule.startTime: expected an ISO 8601 date-time with Z or an offset, e.g. 2026-12-01T00:00:00Z']],
  ['notification url', flow(`${BASE}notifications:\n  - url: ftp://hooks.example.com\n    events: [run.done]\n`), ['dataflows/orders.yaml:5:10: notifications[0].url: expected an http:// or https:// URL', 'dataflows/orders.yaml:6:14: notifications[0].events[0]: must be one of: run.succeeded, run.partially_succeeded, run.failed, dataflow.stopped_ingesting']],
  ['notification events no longer accepted', flow(`${BASE}notifications:\n  - { url: "https://h.example.com", events: [run.skipped, batch.failed], format: teams }\n`), ['dataflows/orders.yaml:5:46: notifications[0].events[0]: must be one of: run.succeeded, run.partially_succeeded, run.failed, dataflow.stopped_ingesting', 'dataflows/orders.yaml:5:59: notifications[0].events[1]: must be one of: run.succeeded, run.partially_succeeded, run.failed, dataflow.stopped_ingesting', 'dataflows/orders.yaml:5:82: notifications[0].format: must be one of: json, slack']],
  ['daemon notifications and public url', daemon(`${VALID_DAEMON}http: { publicUrl: dash.example.com }\nnotifications:\n  - { url: "https://h.example.com", stoppedIngesting: 3 }\n`), ['dataflowd.yaml:11:20: http.publicUrl: expected an http:// or https:// URL', 'dataflowd.yaml:13:37: notifications[0].stoppedIngesting: unknown key']],
  ['bad stoppedIngesting', flow(`${BASE}ingestion: { stoppedIngesting: { afterFailedRuns: 0 } }\n`), ['dataflows/orders.yaml:4:51: ingestion.stoppedIngesting.afterFailedRuns: must be at least 1']],
  ['unknown connection type', daemon(VALID_DAEMON.replace('type: folder', 'type: ftp')), ['dataflowd.yaml:10:18: connections.inbox.type: unknown connection type "ftp" (known types: folder, net)']],
  ["connection fails its connector's schema", daemon(`${VALID_DAEMON}  sftp:\n    type: net\n    port: 70000\n    user: luma\n`), ['dataflowd.yaml:11:3: connections.sftp.host: required (a string)', 'dataflowd.yaml:11:3: connections.sftp.username: required (a string)', 'dataflowd.yaml:13:11: connections.sftp.port: must be at most 65535', 'dataflowd.yaml:14:5: connections.sftp.user: unknown key']],
  ['bad connection name', daemon(`${VALID_DAEMON}  My_Inbox: { type: folder, root: /in }\n`), ['dataflowd.yaml:11:3: connections.My_Inbox: invalid name: must be lowercase letters, digits and dashes, not starting with a dash']],
  ['aep mode without credentials', daemon('platform:\n  mode: aep\n  clientId: abc\nconnections:\n  inbox: { type: folder, root: /in }\n'), ['dataflowd.yaml:1:1: platform.clientSecret: required (a string)', 'dataflowd.yaml:1:1: platform.orgId: required (a string)']],
  ['bad platform mode', daemon('platform: { mode: cloud }\nconnections: { inbox: { type: folder, root: /in } }\n'), ['dataflowd.yaml:1:19: platform.mode: must be one of: embedded, aep']],
  ['embedded mode with aep keys', daemon(`${VALID_DAEMON}`.replace('mode: embedded', 'mode: embedded\n  clientId: abc')), ['dataflowd.yaml:3:3: platform.clientId: unknown key']],
  ['token required off loopback', daemon(`${VALID_DAEMON}http: { listen: "0.0.0.0:8080" }\n`), ['dataflowd.yaml:11:1: http.token: required when listen is not a loopback address']],
  ['bad listen', daemon(`${VALID_DAEMON}http: { listen: "localhost" }\n`), ['dataflowd.yaml:11:17: http.listen: expected HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080']],
  ['allowed host with a scheme or port', daemon(`${VALID_DAEMON}http: { allowedHosts: [ok.example.com, "https://dash.example.com", "dash.example.com:8080"] }\n`), ['dataflowd.yaml:11:40: http.allowedHosts[1]: "https://dash.example.com" is not a host name or IP address (no scheme, port or path), e.g. dataflowd.example.com', 'dataflowd.yaml:11:68: http.allowedHosts[2]: "dash.example.com:8080" is not a host name or IP address (no scheme, port or path), e.g. dataflowd.example.com']],
  ['bad session ttl', daemon(`${VALID_DAEMON}http: { sessionTtl: forever }\n`), ['dataflowd.yaml:11:21: http.sessionTtl: invalid duration "forever": expected a number and a unit (ms, s, m, h, d), e.g. 30s, 15m, 2h, 1d']],
  ['bad state url', daemon(VALID_DAEMON.replace('sqlite:../data/state.db', 'mysql://db/x')), ['dataflowd.yaml:8:8: state.url: expected sqlite:PATH or postgres://user@host:5432/db']],
  ['bad limits', daemon(`${VALID_DAEMON}limits: { runs: 0, files: two }\n`), ['dataflowd.yaml:11:17: limits.runs: must be at least 1', 'dataflowd.yaml:11:27: limits.files: expected a number, got string']],
  ['missing dataset schema file', { ...validTree(), 'schemas/orders.schema.json': undefined as unknown as string }, ['dataflowd.yaml:6:15: platform.datasets[0].schema: schema file __SCHEMA__ not found']],
  ['dataset schema not JSON', validTree({ 'schemas/orders.schema.json': '{ nope' }), ['__JSONERR__']],
  ['duplicate dataset ids', daemon(VALID_DAEMON.replace('state:', '    - { id: orders, schema: schemas/orders.schema.json }\nstate:')), ['dataflowd.yaml:7:13: platform.datasets[1].id: duplicate dataset id, also datasets[0]']],
  ['empty dataflow file', flow(''), ['dataflows/orders.yaml:1:1: expected a mapping, got null']],
  ['missing dataflowd.yaml', { 'dataflows/orders.yaml': BASE }, ['dataflowd.yaml:1:1: file not found']],
];

describe('each kind of problem names FILE:LINE:COL and the YAML path', () => {
  it.each(CASES)('%s', async (_name, files, expected) => {
    const clean = Object.fromEntries(Object.entries(files).filter(([, v]) => v !== undefined));
    const dir = await writeTree(clean);
    const { config, problems } = await loadConfig(dir, { connectors: testConnectors, env: {} });
    expect(config).toBeUndefined();
    const got = problems.map((p) => show(p, dir));
    const want = expected.map((e) =>
      e
        .replace('__COPY__', path.join(dir, 'dataflows/copy.yaml'))
        .replace('__SCHEMA__', path.join(dir, 'schemas/orders.schema.json')),
    );
    if (want[0] === '__JSONERR__') {
      expect(got).toHaveLength(1);
      expect(got[0]).toContain(`dataflowd.yaml:6:15: platform.datasets[0].schema: schema file ${path.join(dir, 'schemas/orders.schema.json')} is not valid JSON: `);
    } else {
      expect(got).toEqual(want);
    }
  });
});

describe('every problem at once', () => {
  it('reports all problems across all files, in file order then position', async () => {
    const got = await problemsOf({
      'dataflowd.yaml': 'platform:\n  mode: embedded\n  datasets: []\nhttp: { listen: "0.0.0.0:80" }\nlimits: { runs: 0 }\nconnections:\n  inbox: { type: floppy }\n',
      'dataflows/a.yaml': 'name: a\nsource: { connection: nowhere, minFileAge: soon }\ntarget: { dataset: a }\nschedule: { cron: "bad" }\n',
      'dataflows/b.yaml': 'name: b\nsource: [\n',
      'dataflows/c.yaml': 'name: C\nsource: { connection: inbox, bogus: 1 }\ntarget: { dataset: c }\nformat: { type: csv }\n',
    });
    expect(got.map((g) => g.replace(/^([^:]+:\d+:\d+: [^:]*): .*$/, '$1'))).toEqual([
      'dataflowd.yaml:4:1: http.token',
      'dataflowd.yaml:5:17: limits.runs',
      'dataflowd.yaml:7:18: connections.inbox.type',
      'dataflows/a.yaml:2:23: source.connection',
      'dataflows/a.yaml:2:44: source.minFileAge',
      'dataflows/a.yaml:3:20: target.dataset',
      'dataflows/a.yaml:4:19: schedule.cron',
      'dataflows/b.yaml:3:1: Flow sequence in block collection must be sufficiently indented and end with a ]',
      'dataflows/c.yaml:1:1: mapping',
      'dataflows/c.yaml:1:7: name',
      'dataflows/c.yaml:2:30: source.bogus',
      'dataflows/c.yaml:3:20: target.dataset',
    ]);
  });
});

describe('formatProblem', () => {
  it('prints FILE:LINE:COL: path: message, FILE relative to the working directory when inside it', () => {
    const inside = path.join(process.cwd(), 'config/dataflows/x.yaml');
    expect(formatProblem({ file: inside, line: 3, col: 5, path: 'source.include[1]', message: 'bad' })).toBe(
      'config/dataflows/x.yaml:3:5: source.include[1]: bad',
    );
    expect(formatProblem({ file: '/elsewhere/dataflowd.yaml', line: 1, col: 1, path: '', message: 'file not found' })).toBe(
      '/elsewhere/dataflowd.yaml:1:1: file not found',
    );
  });
});

it('in aep mode, a target dataset is not checked: it is looked up at run time', async () => {
  const got = await problemsOf({
    'dataflowd.yaml': 'platform:\n  mode: aep\n  clientId: a\n  clientSecret: b\n  orgId: c\nconnections: { inbox: { type: folder, root: /in } }\n',
    'dataflows/orders.yaml': 'name: orders\nsource: { connection: inbox }\ntarget: { dataset: looked-up-at-run-time }\n',
    'schemas/unused.json': SCHEMA_JSON,
  });
  expect(got).toEqual([]);
});
