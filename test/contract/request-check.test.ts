import { checkRequest } from '../../src/emulator/contract/request-check';

/* Requests against Adobe's vendored API descriptions, one rule at a time. */

const GATEWAY = { authorization: 'Bearer t', 'x-api-key': 'k', 'x-gw-ims-org-id': 'O@AdobeOrg', 'x-sandbox-name': 'prod' };
const FILE = '/data/foundation/import/batches/b1/datasets/d1/files/folder/part%3D1/x.json';

/** `json`: the parsed body; 'bytes' for a body that is not JSON. */
function check(method: string, url: string, headers: Record<string, string> = {}, json?: unknown) {
  const body = json === undefined ? undefined : json === 'bytes' ? {} : { json };
  const result = checkRequest({ method, url, headers: { ...GATEWAY, ...headers }, body });
  return { operation: result.operation?.operationId, violations: result.violations.map((v) => `${v.status} ${v.rule}: ${v.message}`) };
}

describe('the contract check', () => {
  test('a well-formed createBatch passes, with the format in the guides\' lower case', () => {
    expect(check('POST', '/data/foundation/import/batches', { 'content-type': 'application/json' }, { datasetId: 'd1', inputFormat: { format: 'json' } })).toEqual({
      operation: 'createBatch',
      violations: [],
    });
  });

  test('a body that breaks IngestBatch is a 400 naming the field', () => {
    expect(check('POST', '/data/foundation/import/batches', { 'content-type': 'application/json' }, { datasetId: 'd1', inputFormat: { format: 'xml' } }).violations).toEqual([
      expect.stringMatching(/^400 body: createBatch: body inputFormat\.format must be equal to one of the allowed values \(JSON, Parquet, CSV\)/),
    ]);
    expect(check('POST', '/data/foundation/import/batches', { 'content-type': 'application/json' }, { inputFormat: { format: 'json' } }).violations).toEqual([
      expect.stringMatching(/^400 body: .*datasetId/),
    ]);
    expect(check('POST', '/data/foundation/import/batches', { 'content-type': 'application/json' }, { datasetId: 'd1', inputFormat: { format: 'json' }, replay: { predecessors: 'b0' } }).violations).toEqual([
      expect.stringMatching(/^400 body: createBatch: body replay\.predecessors must be array/),
    ]);
  });

  test('a JSON body sent as another media type is a 415; a missing Content-Type header a 400', () => {
    expect(check('POST', '/data/foundation/import/batches', { 'content-type': 'text/plain' }, 'x').violations).toEqual([expect.stringMatching(/^415 content-type/)]);
    expect(check('POST', '/data/foundation/import/batches', {}, { datasetId: 'd1', inputFormat: { format: 'json' } }).violations).toEqual([
      expect.stringMatching(/^400 header: createBatch requires the header Content-Type/),
      expect.stringMatching(/^415 content-type/),
    ]);
  });

  test('file uploads: octet-stream only, folders kept in filePath', () => {
    expect(check('PUT', FILE, { 'content-type': 'application/octet-stream' })).toEqual({ operation: 'uploadSmallFile', violations: [] });
    expect(check('PUT', FILE, { 'content-type': 'text/csv' }).violations).toEqual([expect.stringMatching(/^415 content-type: uploadSmallFile: Content-Type must be application\/octet-stream/)]);
    expect(check('PATCH', FILE, { 'content-type': 'application/octet-stream', 'content-range': 'bytes 0-9/10' }, 'bytes')).toEqual({ operation: 'uploadLargeFilePart', violations: [] });
    expect(check('PATCH', FILE, { 'content-type': 'application/octet-stream' }, 'bytes').violations).toEqual([expect.stringMatching(/^400 header: uploadLargeFilePart requires the header Content-Range/)]);
  });

  test('large-file INITIALIZE and COMPLETE: the action in capitals, a Content-Type header', () => {
    expect(check('POST', `${FILE}?action=INITIALIZE`, { 'content-type': 'application/json' })).toEqual({ operation: 'completeLargeFileUpload', violations: [] });
    expect(check('POST', `${FILE}?action=INITIALIZE`).violations).toEqual([expect.stringMatching(/^400 header: completeLargeFileUpload requires the header Content-Type/)]);
    expect(check('POST', `${FILE}?action=initialize`, { 'content-type': 'application/json' }).violations).toEqual([expect.stringMatching(/^400 query: .*action must be equal to one of the allowed values \(INITIALIZE, COMPLETE\)/)]);
    expect(check('POST', FILE, { 'content-type': 'application/json' }).violations).toEqual([expect.stringMatching(/^400 query: completeLargeFileUpload requires the query parameter action/)]);
  });

  test('batch actions', () => {
    expect(check('POST', '/data/foundation/import/batches/b1?action=COMPLETE')).toEqual({ operation: 'completeBatch', violations: [] });
    expect(check('POST', '/data/foundation/import/batches/b1?action=PROMOTE').violations).toEqual([expect.stringMatching(/^400 query/)]);
  });

  test('Catalog: declared filters only, typed', () => {
    expect(check('GET', '/data/foundation/catalog/batches?dataSet=d1&limit=100&start=0&orderBy=desc:created')).toEqual({ operation: 'listBatches', violations: [] });
    expect(check('GET', '/data/foundation/catalog/batches?limit=ten').violations).toEqual([expect.stringMatching(/^400 query: listBatches: query limit must be integer/)]);
    expect(check('GET', '/data/foundation/catalog/batches?dataset=d1').violations).toEqual([expect.stringMatching(/^400 query: listBatches has no query parameter dataset/)]);
    expect(check('GET', '/data/foundation/catalog/dataSets?name=People&properties=name,schemaRef&limit=100')).toEqual({ operation: 'listDatasets', violations: [] });
    expect(check('GET', '/data/foundation/catalog/batches/b1')).toEqual({ operation: 'retrieveBatch', violations: [] });
  });

  test('an unknown path is a 404, a known path with another method a 405', () => {
    expect(check('GET', '/data/foundation/catalog/batchez').violations).toEqual([expect.stringMatching(/^404 path/)]);
    expect(check('GET', '/data/foundation/nowhere/x').violations).toEqual([expect.stringMatching(/^404 path/)]);
    expect(check('DELETE', '/data/foundation/import/batches').violations).toEqual([expect.stringMatching(/^405 method: .* allows POST, not DELETE/)]);
  });

  test('Data Access and the Schema Registry (Swagger 2.0)', () => {
    expect(check('GET', '/data/foundation/export/batches/b1/meta?path=row_errors')).toEqual({ operation: 'retrieveBatchMeta', violations: [] });
    expect(check('GET', '/data/foundation/export/files/b1-1?path=x.json')).toEqual({ operation: 'retrieveDatasetFile', violations: [] });
    expect(check('GET', '/data/foundation/schemaregistry/stats')).toEqual({ operation: 'retrieveStats', violations: [] });
    const schema = `/data/foundation/schemaregistry/tenant/schemas/${encodeURIComponent('https://ns.adobe.com/acme/schemas/abc')}`;
    expect(check('GET', schema, { accept: 'application/vnd.adobe.xed-full+json;version=1' }).violations).toEqual([]);
    expect(check('GET', schema).violations).toEqual([expect.stringMatching(/^400 header: .* requires the header Accept/)]);
  });
});
