import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PrepWorkspace } from './prep-workspace';

/** The dataset's schema, in the org's namespace (_acme): what the emulator checks. */
const product = (ns: string, extra: Record<string, unknown> = {}) => ({
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: [ns],
  properties: {
    [ns]: {
      type: 'object',
      additionalProperties: false,
      required: ['product'],
      properties: {
        product: {
          type: 'object',
          additionalProperties: false,
          required: ['sku', 'price'],
          properties: {
            sku: { type: 'string', pattern: '^[A-Z]{2}[0-9]{2}' },
            name: { type: 'string' },
            price: { type: 'number', minimum: 0 },
            stock: { type: 'integer' },
            active: { type: 'boolean' },
            updated: { type: 'string', format: 'date-time' },
            ...extra,
          },
        },
      },
    },
  },
});

const dataflow = (folder: string, ingestion = '') =>
  [
    `source: { connection: inbox, path: ${folder}, include: ["*.csv"] }`,
    'format: { type: csv }',
    'target: { dataset: products, tenant: { from: _tmd } }',
    'mapping: { schema: ../mapping.schema.json, auto: true }',
    ingestion,
  ].join('\n');

const CLEAN = 'SKU,Name,Price,Stock,Active,Updated\r\nMJ01-S,"Trail Jacket, Orion",74.5,12,yes,2024-05-01T10:00:00+02:00\r\nMJ02-M,Rain Shell,59,0,no,1714557600000\r\n';
const BAD = 'SKU,Name,Price,Warehouse\nMJ03-L,Fleece,52,north\nMJ04-S,Tee,"1,000",south\nMJ05-M,Pant,48,east\nbad-sku,Short,29,west\n';

describe('CSV → XDM end to end: auto-mapping, types, tenant rename, partial ingestion, row errors', () => {
  let ws: PrepWorkspace;
  beforeAll(async () => {
    ws = await PrepWorkspace.create({ datasets: [{ id: 'products', name: 'Products', schema: product('_acme') }], tenantId: 'acme' });
    await writeFile(path.join(ws.configDir, 'mapping.schema.json'), JSON.stringify(product('_tmd')));
    await ws.writeDataflow('products', dataflow('clean'));
    await ws.writeDataflow('partial', dataflow('partial', 'ingestion: { errorDiagnostics: true, partialIngestion: { maxErrorPercent: 50 } }'));
    await ws.writeDataflow('strict', dataflow('strict', 'ingestion: { errorDiagnostics: true }'));
    await ws.writeDataflow('big', dataflow('big', 'ingestion: { errorDiagnostics: true, partialIngestion: { maxErrorPercent: 5 } }'));
  });
  afterAll(() => ws.close());

  it('maps, converts, renames the tenant and lands every row; a header-only file is not sent', async () => {
    await ws.put('clean/products.csv', CLEAN);
    await ws.put('clean/empty-export.csv', 'SKU,Name,Price\n');
    const run = await ws.cli(['run', 'products', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'succeeded', filesTaken: 2, filesIngested: 2, recordsIn: 2, recordsOut: 2, recordsFailed: 0 });
    expect(await ws.landed('products')).toEqual([
      { _acme: { product: { sku: 'MJ01-S', name: 'Trail Jacket, Orion', price: 74.5, stock: 12, active: true, updated: '2024-05-01T08:00:00.000Z' } } },
      { _acme: { product: { sku: 'MJ02-M', name: 'Rain Shell', price: 59, stock: 0, active: false, updated: '2024-05-01T10:00:00.000Z' } } },
    ]);
  });

  it('shows in a dry run the mapping, the first records and the first row errors, and creates no batch', async () => {
    await ws.put('partial/bad.csv', BAD);
    const before = (await ws.platform.listBatches({ dataSet: 'products', limit: 100 })).length;
    const dry = await ws.cli(['run', 'partial', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/TAKE\s+partial\/bad\.csv/);
    expect(dry.stdout).toContain('auto-mapped: SKU → _tmd.product.sku, Name → _tmd.product.name, Price → _tmd.product.price');
    expect(dry.stdout).toContain('UNMAPPED columns (not sent): Warehouse');
    expect(dry.stdout).toContain('record 1: {"_acme":{"product":{"sku":"MJ03-L","name":"Fleece","price":52}}}');
    expect(dry.stdout).toContain('row error: row 2, line 3 column Price: column Price: the value is not a number: thousands separators are not accepted [MAPPER-3700]');
    expect(dry.stdout).toMatch(/row error: row 4, line 5 column SKU: _acme\.product\.sku must match pattern .* \[XDM\]/);
    expect(dry.stdout).toContain('4 records read (whole file), 2 rejected');
    const json = JSON.parse((await ws.cli(['run', 'partial', '--dry-run', '--json'])).stdout);
    expect(json[0].sample).toMatchObject({ rowsRead: 4, rejected: 2, complete: true, mapping: { unmapped: ['Warehouse'] } });
    expect((await ws.platform.listBatches({ dataSet: 'products', limit: 100 })).length).toBe(before);
  });

  it('drops bad rows within the partial-ingestion threshold, counts them, and keeps them for history --run', async () => {
    const run = await ws.cli(['run', 'partial', '--json']);
    expect(run.code).toBe(3);
    const record = JSON.parse(run.stdout);
    expect(record).toMatchObject({ status: 'partially_succeeded', recordsIn: 4, recordsOut: 2, recordsFailed: 2, filesIngested: 1 });
    const skus = (await ws.landed('products')).map((r) => (r._acme as { product: { sku: string } }).product.sku);
    expect(skus).toEqual(expect.arrayContaining(['MJ03-L', 'MJ05-M']));
    expect(skus).not.toContain('MJ04-S');

    const detail = JSON.parse((await ws.cli(['history', 'partial', '--run', record.id, '--json'])).stdout);
    expect(detail).toMatchObject({ id: record.id, status: 'partially_succeeded', files: [{ path: 'partial/bad.csv', state: 'ingested', records: 4 }] });
    expect(detail.rowErrors).toEqual([
      expect.objectContaining({ file: 'partial/bad.csv', rowNumber: 2, lineNumber: 3, column: 'Price', field: '_acme.product.price', code: 'MAPPER-3700' }),
      expect.objectContaining({ file: 'partial/bad.csv', rowNumber: 4, lineNumber: 5, column: 'SKU', field: '_acme.product.sku', code: 'XDM' }),
    ]);
    const text = await ws.cli(['history', 'partial', '--run', record.id]);
    // The local row-error store (errorDiagnostics) is the one place that keeps the value.
    expect(text.stdout).toContain('partial/bad.csv row 2, line 3 column Price: column Price: the value is not a number: thousands separators are not accepted (value: "1,000") [MAPPER-3700]');
    expect(text.stdout).toContain('(value: "bad-sku")');
    // Nothing else does: not Platform, not the run's record, not the logs.
    for (const batchId of record.batchIds as string[]) {
      const platformRowErrors = JSON.stringify(await ws.platform.rowErrors(batchId));
      expect(platformRowErrors).toContain('the value is not a number');
      expect(platformRowErrors).not.toMatch(/1,000|bad-sku/);
    }
    expect(run.stdout).not.toMatch(/1,000|bad-sku/);
    expect(run.stderr).not.toMatch(/1,000|bad-sku/);
  });

  it('fails the batch whole when bad rows are over the threshold (none allowed by default), keeping the row errors', async () => {
    await ws.put('strict/bad.csv', BAD);
    const run = await ws.cli(['run', 'strict', '--json']);
    expect(run.code).toBe(1);
    const record = JSON.parse(run.stdout);
    expect(record).toMatchObject({ status: 'failed', filesFailed: 1, recordsOut: 0 });
    const detail = JSON.parse((await ws.cli(['history', '--run', record.id, '--json'])).stdout);
    expect(detail.rowErrors).toHaveLength(2);
    expect(detail.files[0]).toMatchObject({ state: 'failed' });
  });

  it('validate names a mapping target that mapping.schema lacks', async () => {
    await ws.writeDataflow('typo', dataflow('typo').replace('auto: true }', 'auto: true, fields: [{ source: cost, target: _tmd.product.prize }] }'));
    const out = await ws.cli(['validate']);
    expect(out.code).toBe(2);
    expect(out.stdout).toMatch(/typo\.yaml:\d+:\d+: mapping\.fields\[0\]\.target: _tmd\.product\.prize is not a field of mapping\.schema\.json$/m);
    await rm(path.join(ws.configDir, 'dataflows', 'typo.yaml'));
  });

  it('validate --check maps the newest CSV header of each CSV dataflow and names the columns left out', async () => {
    // --check also lists every dataflow's folder: each must exist, as it would in production.
    for (const folder of ['clean', 'partial', 'strict', 'big']) await mkdir(path.join(ws.inbox, folder), { recursive: true });
    const out = await ws.cli(['validate', '--check']);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^dataflow partial: header of partial\/bad\.csv: 4 columns\n {2}auto-mapped: SKU → _tmd\.product\.sku, Name → _tmd\.product\.name, Price → _tmd\.product\.price\n {2}UNMAPPED columns \(not sent\): Warehouse$/m);
    expect(out.stdout).toMatch(/^dataflow products: header of clean\/\S+\.csv: \d+ columns$/m);
  });

  it('converts a CSV of 16 MB and more on worker threads in a real run: every row, absolute row and line numbers', async () => {
    const rows: string[] = ['SKU,Name,Price,Stock,Active,Updated'];
    for (let i = 1; i <= 200_000; i++) {
      const price = i % 40_000 === 0 ? '"1,000"' : String(i % 997);
      rows.push(`MJ${String(i % 100).padStart(2, '0')}-${i},"Jacket ${i}, with a comma and\na line break",${price},${i % 50},yes,2024-05-01T10:00:00.000Z`);
    }
    const csv = `${rows.join('\n')}\n`;
    expect(csv.length).toBeGreaterThan(16 * 1024 * 1024);
    await ws.put('big/products.csv', csv);
    const run = await ws.cli(['run', 'big', '--json'], { DATAFLOWD_PREP_WORKERS: '2', DATAFLOWD_LOG_LEVEL: 'debug' });
    expect(run.stderr).toMatch(/"path":"big\/products\.csv".*"workers":2.*"msg":"file uploaded"/);
    const record = JSON.parse(run.stdout);
    expect(record).toMatchObject({ status: 'partially_succeeded', recordsIn: 200_000, recordsOut: 199_995, recordsFailed: 5 });
    const detail = JSON.parse((await ws.cli(['history', 'big', '--run', record.id, '--json'])).stdout);
    // Each row spans two lines: row n starts on line 2n.
    expect(detail.rowErrors.map((e: { rowNumber: number; lineNumber: number }) => [e.rowNumber, e.lineNumber])).toEqual(
      [40_000, 80_000, 120_000, 160_000, 200_000].map((n) => [n, 2 * n]),
    );
  }, 120_000);
});
