import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as nodePath from 'node:path';
import { generateSamples, SAMPLE_FILES, SAMPLE_MTIME } from '../scripts/generate-samples';

const SCHEMAS = nodePath.join(__dirname, '..', 'config', 'schemas');

type Json = Record<string, unknown>;

function validator(schemaFile: string): Promise<ValidateFunction> {
  return fsp.readFile(nodePath.join(SCHEMAS, schemaFile), 'utf8').then((text) => {
    const ajv = new Ajv({ allErrors: true });
    addFormats(ajv);
    return ajv.compile(JSON.parse(text) as object);
  });
}

function lines(text: string): Json[] {
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as Json);
}

/** The XDM record that the products CSV mapping makes of one row (price becomes a number). */
function productRecord(header: string[], row: string[]): Json {
  const product: Json = Object.fromEntries(header.map((h, i) => [h, row[i]]));
  product.price = Number(product.price);
  return { _techmarketingdemos: { product } };
}

function core(record: Json): Json {
  return ((record._techmarketingdemos as Json).identification as Json).core as Json;
}

function expectAllValid(validate: ValidateFunction, records: Json[]): void {
  const failures = records.flatMap((r, i) => (validate(r) ? [] : [{ line: i + 1, errors: validate.errors }]));
  expect(failures.slice(0, 3)).toEqual([]);
}

describe('Luma sample data', () => {
  let first = '';
  let second = '';
  const files: Record<string, string> = {};

  beforeAll(async () => {
    first = await fsp.mkdtemp(nodePath.join(os.tmpdir(), 'dataflowd-samples-a-'));
    second = await fsp.mkdtemp(nodePath.join(os.tmpdir(), 'dataflowd-samples-b-'));
    const written = await generateSamples(first);
    expect(written).toEqual(SAMPLE_FILES.map((name) => nodePath.join(first, name)));
    await generateSamples(nodePath.join(second, 'nested', 'out'));
    for (const name of SAMPLE_FILES) files[name] = await fsp.readFile(nodePath.join(first, name), 'utf8');
  });

  afterAll(async () => {
    await fsp.rm(first, { recursive: true, force: true });
    await fsp.rm(second, { recursive: true, force: true });
  });

  test('generation is deterministic: byte-identical files every time', async () => {
    for (const name of SAMPLE_FILES) {
      const a = await fsp.readFile(nodePath.join(first, name));
      const b = await fsp.readFile(nodePath.join(second, 'nested', 'out', name));
      expect(a.equals(b)).toBe(true);
    }
  });

  test('the files carry a fixed modification time, old enough for any minFileAge', async () => {
    for (const name of SAMPLE_FILES) {
      expect((await fsp.stat(nodePath.join(first, name))).mtime).toEqual(SAMPLE_MTIME);
    }
  });

  test('has the expected counts and links between files', () => {
    const loyalty = lines(files['luma-loyalty.json']);
    const crm = lines(files['luma-crm.json']);
    const purchases = lines(files['luma-offline-purchases.json']);
    const csv = files['luma-products.csv'].trimEnd().split('\n');
    expect(loyalty).toHaveLength(1000);
    expect(crm).toHaveLength(1000);
    expect(purchases).toHaveLength(2000);
    expect(csv[0]).toBe('sku,name,category,color,size,price');
    expect(csv.length - 1).toBe(60);

    const loyaltyIds = new Set(loyalty.map((r) => core(r).loyaltyId));
    const crmIds = new Set(loyalty.map((r) => core(r).crmId));
    expect(loyaltyIds.size).toBe(1000);
    expect(new Set(crm.map((r) => core(r).crmId)).size).toBe(1000);
    const shared = crm.filter((r) => crmIds.has(core(r).crmId));
    expect(shared.length).toBeGreaterThan(0);
    expect(shared.length).toBeLessThan(1000);
    for (const r of shared) expect(loyaltyIds.has(core(r).loyaltyId)).toBe(true);

    const skus = new Set(csv.slice(1).map((row) => row.split(',')[0]));
    expect(skus.size).toBe(60);
    for (const event of purchases) {
      expect(loyaltyIds.has(core(event).loyaltyId)).toBe(true);
      for (const item of event.productListItems as Json[]) expect(skus.has(item.SKU as string)).toBe(true);
    }
    expect(new Set(purchases.map((e) => e._id)).size).toBe(2000);
  });

  test('every loyalty record validates, and a malformed one does not', async () => {
    const validate = await validator('luma-loyalty.schema.json');
    const records = lines(files['luma-loyalty.json']);
    expectAllValid(validate, records);
    const broken = structuredClone(records[0]);
    delete core(broken).loyaltyId;
    expect(validate(broken)).toBe(false);
    const badEmail = structuredClone(records[0]);
    (badEmail.personalEmail as Json).address = 'not an email';
    expect(validate(badEmail)).toBe(false);
    const badPoints = structuredClone(records[0]);
    ((badPoints._techmarketingdemos as Json).loyalty as Json).points = '12';
    expect(validate(badPoints)).toBe(false);
    expect(validate({ ...records[0], unknownField: 1 })).toBe(false);
  });

  test('every CRM record validates, and a malformed one does not', async () => {
    const validate = await validator('luma-crm.schema.json');
    const records = lines(files['luma-crm.json']);
    expectAllValid(validate, records);
    const broken = structuredClone(records[0]);
    delete core(broken).crmId;
    expect(validate(broken)).toBe(false);
    const badDate = structuredClone(records[0]);
    (badDate.person as Json).birthDate = '31/12/1980';
    expect(validate(badDate)).toBe(false);
  });

  test('every purchase event validates, and a malformed one does not', async () => {
    const validate = await validator('luma-offline-purchases.schema.json');
    const records = lines(files['luma-offline-purchases.json']);
    expectAllValid(validate, records);
    for (const event of records) {
      const total = (event.productListItems as Json[]).reduce((sum, i) => sum + Math.round((i.priceTotal as number) * 100), 0);
      expect(Math.round((((event.commerce as Json).order as Json).priceTotal as number) * 100)).toBe(total);
    }
    expect(validate({ ...records[0], timestamp: '2024-13-45' })).toBe(false);
    expect(validate({ ...records[0], productListItems: [] })).toBe(false);
    const noIdentity = structuredClone(records[0]);
    delete core(noIdentity).loyaltyId;
    expect(validate(noIdentity)).toBe(false);
  });

  test('every product row, mapped to its XDM record, validates, and a malformed one does not', async () => {
    const validate = await validator('luma-products.schema.json');
    const [header, ...rows] = files['luma-products.csv'].trimEnd().split('\n');
    expect(files['luma-products.csv']).not.toContain('"');
    const columns = header.split(',');
    expectAllValid(
      validate,
      rows.map((row) => productRecord(columns, row.split(','))),
    );
    const record = productRecord(columns, rows[0].split(','));
    expect(validate({ _techmarketingdemos: { product: { ...(record._techmarketingdemos as Json).product as Json, price: '74.00' } } })).toBe(false);
    expect(validate({ _techmarketingdemos: { product: { name: 'no sku', price: 1 } } })).toBe(false);
  });
});
