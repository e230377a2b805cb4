import { formatProblem, loadConfig } from '../../src/config';
import { removeTrees, testConnectors, writeTree } from '../config/config-fixtures';

const DAEMON = `platform:
  datasets: [{ id: products, schema: schemas/products.json }]
connections:
  inbox: { type: folder, root: ./inbox }
`;

const SCHEMA = JSON.stringify({
  type: 'object',
  properties: { _acme: { type: 'object', properties: { product: { type: 'object', additionalProperties: false, properties: { sku: { type: 'string' }, price: { type: 'number' } } } } } },
});

afterAll(removeTrees);

async function problems(dataflow: string): Promise<string[]> {
  const dir = await writeTree({ 'dataflowd.yaml': DAEMON, 'schemas/products.json': SCHEMA, 'dataflows/products.yaml': dataflow });
  const { problems } = await loadConfig(dir, { connectors: testConnectors, env: {} });
  return problems.map((p) => formatProblem(p).replace(/^.*?dataflows\//, 'dataflows/'));
}

describe('validate: what can be said of a mapping without reading a file', () => {
  it('accepts a mapping whose targets are fields of mapping.schema', async () => {
    const ok = `name: products
source: { connection: inbox }
format: { type: csv, csv: { escape: "\\\\" } }
target: { dataset: products }
mapping:
  schema: ../schemas/products.json
  fields:
    - { source: code, target: _acme.product.sku }
    - { source: when, target: _acme.product.price, type: number }
`;
    expect(await problems(ok)).toEqual([]);
  });

  it('names targets the schema lacks, targets inside other targets, bad date formats, and Parquet rewrites', async () => {
    const bad = `name: products
source: { connection: inbox }
format: { type: parquet }
target: { dataset: products, tenant: { from: _tmd } }
mapping:
  schema: ../schemas/products.json
  fields:
    - { source: code, target: _acme.product.SKUs }
    - { source: p, target: _acme.product }
    - { source: d, target: _acme.product.price, type: date-time, format: "dd/QQ" }
`;
    expect(await problems(bad)).toEqual([
      expect.stringMatching(/^dataflows\/products\.yaml:4:\d+: target\.tenant: a tenant rename rewrites records; Parquet files are sent to Platform as they are$/),
      expect.stringMatching(/mapping\.fields: Parquet files are sent to Platform as they are: they cannot be mapped$/),
      expect.stringMatching(/mapping\.fields\[0\]\.target: _acme\.product\.SKUs is not a field of products\.json$/),
      expect.stringMatching(/mapping\.fields\[0\]\.target: lies inside the target of fields\[1\]$/),
      expect.stringMatching(/mapping\.fields\[2\]\.target: lies inside the target of fields\[1\]$/),
      expect.stringMatching(/mapping\.fields\[2\]\.format: unknown letter Q in date format "dd\/QQ"$/),
    ]);
  });
});
