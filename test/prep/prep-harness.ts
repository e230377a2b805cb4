import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { dataflowSchema } from '../../src/config/dataflow-schema';
import type { DataflowConfig, JsonSchema } from '../../src/config';
import { buildPrepPlan, type PrepInputs, type PrepPlan } from '../../src/prep/prep-plan';
import type { ParallelOptions } from '../../src/prep/ordered-workers';
import { prepareFile, type PrepStats } from '../../src/prep/prepare';
import { REJECTED_ROW_PREFIX } from '../../src/prep/row-errors';

/** A dataflow as its YAML would state it (source and target filled in), parsed by the real schema. */
export function dataflow(spec: Record<string, unknown>): DataflowConfig {
  const parsed = dataflowSchema.parse({ name: 'test', source: { connection: 'inbox' }, target: { dataset: 'ds' }, ...spec });
  return { ...parsed, file: '/config/dataflows/test.yaml' };
}

export function plan(spec: Record<string, unknown>, inputs: PrepInputs = {}): PrepPlan {
  return buildPrepPlan(dataflow(spec), inputs);
}

/** A source that hands out the bytes in chunks of `chunkSize`, as a connector's stream would. */
export function source(content: Buffer | string, chunkSize = 64 * 1024): Readable {
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  return Readable.from(chunks, { objectMode: false });
}

export interface Prepped {
  text: string;
  /** The output lines that are records, parsed. */
  records: Record<string, unknown>[];
  /** The output lines that stand for rejected rows. */
  rejected: string[];
  size?: number;
  empty: boolean;
  stats: PrepStats;
}

export async function prep(content: Buffer | string, prepPlan: PrepPlan, name = 'file.csv', chunkSize?: number, parallel?: ParallelOptions): Promise<Prepped> {
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
  const prepared = await prepareFile(source(bytes, chunkSize), { path: name, size: bytes.length }, { prep: prepPlan }, { parallel });
  const chunks: Buffer[] = [];
  for await (const chunk of prepared.body) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return {
    text,
    records: lines.filter((l) => !l.startsWith(REJECTED_ROW_PREFIX)).flatMap((l) => parsed(l)),
    rejected: lines.filter((l) => l.startsWith(REJECTED_ROW_PREFIX)),
    size: prepared.size,
    empty: prepared.empty,
    stats: prepared.stats(),
  };
}

function parsed(line: string): Record<string, unknown>[] {
  try {
    return [JSON.parse(line) as Record<string, unknown>];
  } catch {
    return [];
  }
}

export const gzip = (s: string | Buffer): Buffer => gzipSync(s);

/** The people schema of the JSON tests: a tenant namespace, a required field, a date-time, nothing else allowed. */
export const PEOPLE_SCHEMA: JsonSchema = {
  $schema: 'http://json-schema.org/draft-06/schema#',
  type: 'object',
  required: ['id', '_acme'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    points: { type: 'integer' },
    joined: { type: 'string', format: 'date-time' },
    _acme: { type: 'object', properties: { tier: { type: 'string' } }, required: ['tier'] },
  },
};

/** The products schema of the tests: a tenant namespace, nested fields, every type. */
export const PRODUCT_SCHEMA: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['_acme'],
  properties: {
    _id: { type: 'string' },
    _acme: {
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
            launched: { type: 'string', format: 'date' },
            updated: { type: 'string', format: 'date-time' },
            note: { type: 'string' },
          },
        },
      },
    },
  },
};
