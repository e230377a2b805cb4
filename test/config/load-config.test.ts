import path from 'node:path';
import { definitionHash, formatProblem, loadConfig, LoadedConfig } from '../../src/config';
import { removeTrees, testConnectors, validTree, writeTree } from './config-fixtures';

afterAll(removeTrees);

async function loadValid(files: Record<string, string>): Promise<LoadedConfig> {
  const dir = await writeTree(files);
  const { config, problems } = await loadConfig(dir, { connectors: testConnectors, env: {} });
  expect(problems.map(formatProblem)).toEqual([]);
  if (!config) throw new Error('no config');
  return config;
}

describe('loadConfig on a valid config', () => {
  it('fills in the defaults of DESIGN.md §3', async () => {
    const dir = await writeTree(validTree());
    const { config, problems } = await loadConfig(dir, { connectors: testConnectors, env: {} });
    expect(problems).toEqual([]);
    expect(config).toBeDefined();
    const c = config as LoadedConfig;
    expect(c.dir).toBe(dir);
    expect(c.files).toEqual([path.join(dir, 'dataflowd.yaml'), path.join(dir, 'dataflows/orders.yaml')]);
    expect(c.daemon.platform).toEqual({
      mode: 'embedded',
      datasets: [{ id: 'orders', name: 'Orders Dataset', schema: path.join(dir, 'schemas/orders.schema.json') }],
    });
    expect(c.schemas[path.join(dir, 'schemas/orders.schema.json')]).toMatchObject({ type: 'object' });
    expect(c.daemon.state.url).toBe(`sqlite:${path.resolve(dir, '../data/state.db')}`);
    expect(c.daemon.http).toEqual({ listen: '127.0.0.1:8080', host: '127.0.0.1', port: 8080, allowedHosts: [], sessionTtl: 12 * 3600_000 });
    expect(c.daemon.limits).toEqual({ runs: 2, files: 4 });
    // Connection paths stay as written; connectors resolve them from `dir` (ConnectorContext.baseDir).
    expect(c.daemon.connections).toEqual({ inbox: { type: 'folder', root: '../data/inbox' } });

    const [df] = c.dataflows;
    expect(df.file).toBe(path.join(dir, 'dataflows/orders.yaml'));
    expect(df).toMatchObject({
      name: 'orders',
      enabled: true,
      source: {
        connection: 'inbox',
        path: '/',
        include: ['orders*.json'],
        exclude: [],
        recursive: false,
        minFileAge: 0,
        changedFiles: 'replace',
        afterIngest: 'keep',
      },
      format: { type: 'json', compression: 'auto' },
      target: { dataset: 'orders' },
      schedule: { frequency: 'once', interval: 1, timezone: 'UTC', backfill: true },
      ingestion: { errorDiagnostics: true, maxFilesPerBatch: 1500, maxBatchSize: 100e9 },
      notifications: [],
    });
    expect(df.mapping).toBeUndefined();
    expect(df.format.csv).toBeUndefined();
  });

  it('returns a deep-frozen config', async () => {
    const c = await loadValid(validTree());
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.daemon.platform.datasets[0])).toBe(true);
    expect(Object.isFrozen(c.dataflows[0].source.include)).toBe(true);
    expect(Object.isFrozen(Object.values(c.schemas)[0])).toBe(true);
  });

  it('accepts an empty dataflowd.yaml and no dataflows folder: every default', async () => {
    const c = await loadValid({ 'dataflowd.yaml': '' });
    expect(c.daemon.platform).toEqual({ mode: 'embedded', datasets: [] });
    // In the working directory's data folder, never in the config folder (which may be read-only).
    expect(c.daemon.state.url).toBe(`sqlite:${path.resolve('data/state.db')}`);
    expect(c.daemon.state.url.startsWith(`sqlite:${c.dir}`)).toBe(false);
    expect(c.daemon.connections).toEqual({});
    expect(c.dataflows).toEqual([]);
  });

  it('puts the default state in $DATAFLOWD_DATA when it is set, as the image does (/data)', async () => {
    const dir = await writeTree({ 'dataflowd.yaml': 'platform: { mode: embedded }\n' });
    const { config } = await loadConfig(dir, { connectors: testConnectors, env: { DATAFLOWD_DATA: '/data' } });
    expect(config?.daemon.state.url).toBe('sqlite:/data/state.db');
    const relative = await loadConfig(dir, { connectors: testConnectors, env: { DATAFLOWD_DATA: 'var/dataflowd' } });
    expect(relative.config?.daemon.state.url).toBe(`sqlite:${path.resolve('var/dataflowd/state.db')}`);
    // A state.url in the file still wins, relative to the file.
    const named = await loadConfig(await writeTree({ 'dataflowd.yaml': 'state: { url: "sqlite:db/s.db" }\n' }), { connectors: testConnectors, env: { DATAFLOWD_DATA: '/data' } });
    expect(named.config?.daemon.state.url).toBe(`sqlite:${path.join(named.config!.dir, 'db/s.db')}`);
  });

  it('reads .yml too, in name order, and ignores hidden and other files', async () => {
    const flow = (name: string): string => `name: ${name}\nsource: { connection: inbox }\ntarget: { dataset: orders }\n`;
    const c = await loadValid(
      validTree({ 'dataflows/b.yml': flow('b'), 'dataflows/a.yaml': flow('a'), 'dataflows/.x.yaml': 'bad: [', 'dataflows/README.md': '#' }),
    );
    expect(c.dataflows.map((d) => d.name)).toEqual(['a', 'b', 'orders']);
  });

  it('reads every shape of DESIGN.md §3', async () => {
    const c = await loadValid({
      'dataflowd.yaml': `platform:
  mode: aep
  clientId: abc
  clientSecret: s3cr3t-value
  orgId: 0123456789ABCDEF@AdobeOrg
state:
  url: postgres://dataflowd@db:5432/dataflowd
http:
  listen: 0.0.0.0:9000
  token: a-long-api-token
  allowedHosts: [DataflowD.example.com, 10.0.0.7, "[2001:db8::7]"]
  sessionTtl: 30m
limits: { runs: 8, files: 16 }
connections:
  sftp: { type: net, host: sftp.example.com, port: 2222, username: luma, password: pw-123456 }
`,
      'dataflows/products.yaml': `name: products
description: Products from the PIM
enabled: false
source:
  connection: sftp
  path: /outbound/products
  include: ["*.csv", "*.csv.gz"]
  exclude: ["*.tmp", ".*"]
  recursive: true
  minFileAge: 1m30s
  changedFiles: ignore
  afterIngest: move
  moveTo: /outbound/done
format:
  type: csv
  compression: gzip
  csv: { delimiter: ";", header: false, encoding: latin1 }
target:
  dataset: any-dataset-in-aep-mode
  tenant: { from: _techmarketingdemos }
mapping:
  schema: ../products.schema.json
  fields:
    - { source: product_sku, target: "productListItems[0].SKU" }
    - { source: price, target: _tenant.product.price, type: number }
    - { source: purchased, target: timestamp, type: date-time, format: yyyy-MM-dd }
    - { value: POS, target: channel._type }
schedule:
  frequency: hour
  interval: 2
  timezone: Europe/Paris
  startTime: 2026-12-01T01:00:00+01:00
  backfill: false
ingestion:
  errorDiagnostics: false
  partialIngestion: { maxErrorPercent: 5 }
  maxFilesPerBatch: 100
  maxBatchSize: 1.5GiB
notifications:
  - url: https://hooks.example.com/dataflowd/
    secret: hook-secret
    events: [run.failed]
`,
      'products.schema.json': '{"type":"object"}',
    });
    expect(c.daemon.platform).toEqual({
      mode: 'aep',
      endpoint: 'https://platform.adobe.io',
      imsEndpoint: 'https://ims-na1.adobelogin.com',
      clientId: 'abc',
      clientSecret: 's3cr3t-value',
      orgId: '0123456789ABCDEF@AdobeOrg',
      sandbox: 'prod',
      scopes: ['openid', 'AdobeID', 'read_organizations', 'additional_info.projectedProductContext', 'session'],
      datasets: [],
    });
    expect(c.daemon.state.url).toBe('postgres://dataflowd@db:5432/dataflowd');
    expect(c.daemon.http).toEqual({ listen: '0.0.0.0:9000', host: '0.0.0.0', port: 9000, token: 'a-long-api-token', allowedHosts: ['dataflowd.example.com', '10.0.0.7', '2001:db8::7'], sessionTtl: 30 * 60_000 });
    expect(c.daemon.connections.sftp).toEqual({
      type: 'net',
      host: 'sftp.example.com',
      port: 2222,
      username: 'luma',
      password: 'pw-123456',
      secure: false,
    });
    const df = c.dataflows[0];
    expect(df.source.minFileAge).toBe(90_000);
    expect(df.format.csv).toEqual({ delimiter: ';', quote: '"', header: false, encoding: 'latin1' });
    // Relative to the dataflow's own file, in dataflows/.
    expect(df.mapping?.schema).toBe(path.join(c.dir, 'products.schema.json'));
    expect(df.mapping?.auto).toBe(true);
    expect(df.mapping?.fields).toHaveLength(4);
    expect(df.schedule).toMatchObject({ frequency: 'hour', interval: 2, startTime: '2026-12-01T00:00:00.000Z', backfill: false });
    expect(df.ingestion).toEqual({
      errorDiagnostics: false,
      partialIngestion: { maxErrorPercent: 5 },
      maxFilesPerBatch: 100,
      maxBatchSize: 1610612736,
      runTimeout: 12 * 3600 * 1000,
      stoppedIngesting: { afterFailedRuns: 3 },
    });
    expect(df.notifications).toEqual([{ url: 'https://hooks.example.com/dataflowd', secret: 'hook-secret', events: ['run.failed'], format: 'json' }]);
  });

  it('fills in csv options when format.type is csv', async () => {
    const c = await loadValid(
      validTree({
        'dataflows/orders.yaml': `name: orders
source: { connection: inbox }
format: { type: csv }
target: { dataset: orders }
mapping: { fields: [{ source: id, target: _id }] }
`,
      }),
    );
    expect(c.dataflows[0].format.csv).toEqual({ delimiter: ',', quote: '"', header: true, encoding: 'utf-8' });
  });

  it('accepts a cron schedule, leaving frequency unset', async () => {
    const c = await loadValid(
      validTree({ 'dataflows/orders.yaml': `${'name: orders\nsource: { connection: inbox }\ntarget: { dataset: orders }\n'}schedule: { cron: "0 */2 * * *" }\n` }),
    );
    expect(c.dataflows[0].schedule).toMatchObject({ cron: '0 */2 * * *', frequency: undefined, timezone: 'UTC' });
  });

  it('matches a target dataset by name as well as by id', async () => {
    const c = await loadValid(
      validTree({ 'dataflows/orders.yaml': 'name: orders\nsource: { connection: inbox }\ntarget: { dataset: Orders Dataset }\n' }),
    );
    expect(c.dataflows[0].target.dataset).toBe('Orders Dataset');
  });
});

describe('definitionHash', () => {
  const flow = (extra: string): Record<string, string> =>
    validTree({ 'dataflows/orders.yaml': `name: orders\nsource: { connection: inbox }\ntarget: { dataset: orders }\n${extra}` });

  it('is stable, and changes with what is ingested but not with when', async () => {
    const base = definitionHash((await loadValid(flow(''))).dataflows[0]);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(definitionHash((await loadValid(flow(''))).dataflows[0])).toBe(base);
    expect(definitionHash((await loadValid(flow('schedule: { cron: "* * * * *" }\nenabled: false\n'))).dataflows[0])).toBe(base);
    expect(definitionHash((await loadValid(flow('format: { compression: gzip }\n'))).dataflows[0])).not.toBe(base);
    expect(definitionHash((await loadValid(flow('mapping: { auto: false }\n'))).dataflows[0])).not.toBe(base);
  });
});
