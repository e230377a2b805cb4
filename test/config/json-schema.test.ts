import { configJsonSchema } from '../../src/config';
import { testConnectors } from './config-fixtures';

type Json = Record<string, unknown>;

function at(schema: unknown, ...keys: string[]): Json {
  let v = schema as Json;
  for (const k of keys) v = v[k] as Json;
  return v;
}

describe('configJsonSchema', () => {
  const { daemon, dataflow } = configJsonSchema(testConnectors);

  it('describes dataflowd.yaml, connections by every connector schema', () => {
    expect(daemon).toMatchObject({ $schema: 'http://json-schema.org/draft-07/schema#', title: 'dataflowd.yaml', type: 'object', additionalProperties: false });
    expect(Object.keys(at(daemon, 'properties'))).toEqual(['platform', 'state', 'http', 'limits', 'connections', 'notifications']);
    const connection = at(daemon, 'properties', 'connections', 'additionalProperties');
    const types = (connection.anyOf as Json[]).map((s) => at(s, 'properties', 'type').const);
    expect(types).toEqual(['folder', 'net']);
    expect(at(daemon, 'properties', 'http', 'properties', 'listen').default).toBe('127.0.0.1:8080');
  });

  it('describes a dataflow file as written (durations and sizes as strings, defaults optional)', () => {
    expect(dataflow).toMatchObject({ title: 'dataflows/*.yaml', type: 'object', additionalProperties: false, required: ['name', 'source', 'target'] });
    const source = at(dataflow, 'properties', 'source');
    expect(source.required).toEqual(['connection']);
    expect(at(source, 'properties', 'minFileAge')).toMatchObject({ type: 'string', default: '0s' });
    expect(at(dataflow, 'properties', 'ingestion', 'properties', 'maxBatchSize')).toMatchObject({ type: 'string', default: '100GB' });
    expect(at(dataflow, 'properties', 'schedule', 'properties', 'frequency').enum).toEqual(['once', 'minute', 'hour', 'day', 'week']);
  });

  it('knows the format limits, with their defaults and what they mean', () => {
    const format = at(dataflow, 'properties', 'format', 'properties');
    expect(format.maxRecordSize).toMatchObject({ type: 'string', default: '64MiB', description: expect.stringContaining('rejected row') });
    expect(format.maxInflatedSize).toMatchObject({ type: 'string', default: '100GB', description: expect.stringContaining('gzip') });
  });

  it('still describes connections without any connector', () => {
    const { daemon: bare } = configJsonSchema([]);
    expect(at(bare, 'properties', 'connections', 'additionalProperties')).toMatchObject({ type: 'object', required: ['type'] });
  });
});
