import { Readable } from 'node:stream';
import { createBatchBody, encodeFilePath, filesPath } from '../../src/platform/batch-ingestion';
import { toDatasets } from '../../src/platform/catalog';
import { hrefTarget, readJsonLines } from '../../src/platform/data-access';
import { refreshTime } from '../../src/platform/ims-token';
import { withQuery } from '../../src/platform/platform-http';

describe('file paths', () => {
  test.each([
    ['data.json', 'data.json'],
    ['part=a/b c.json', 'part%3Da/b%20c.json'],
    ['/outbound//2026/ä#1?.csv', 'outbound/2026/%C3%A4%231%3F.csv'],
  ])('%s → %s', (input, expected) => {
    expect(encodeFilePath(input)).toBe(expected);
  });

  test.each(['', '/', 'a/../b', './a'])('%j is refused', (input) => {
    expect(() => encodeFilePath(input)).toThrow(expect.objectContaining({ code: 'ERR_PLATFORM_FILE_PATH', kind: 'data' }));
  });

  test('ids are encoded as one segment each', () => {
    expect(filesPath('b/1', 'ds 1', 'x.json')).toBe('/data/foundation/import/batches/b%2F1/datasets/ds%201/files/x.json');
  });
});

describe('createBatchBody', () => {
  test('json carries isMultiLineJson, other formats only the format', () => {
    expect(createBatchBody({ datasetId: 'd', format: 'json' })).toEqual({ datasetId: 'd', inputFormat: { format: 'json', isMultiLineJson: false } });
    expect(createBatchBody({ datasetId: 'd', format: 'csv', externalId: 'e', enableErrorDiagnostics: true, partialIngestionPercent: 5 })).toEqual({
      datasetId: 'd',
      inputFormat: { format: 'csv' },
      externalId: 'e',
      enableErrorDiagnostics: true,
      partialIngestionPercent: 5,
    });
  });
});

test('withQuery skips undefined values and encodes the rest', () => {
  expect(withQuery('/a', { x: 'b c', y: undefined, n: 5 })).toBe('/a?x=b+c&n=5');
  expect(withQuery('/a', {})).toBe('/a');
  expect(withQuery('/a?p=1', { q: 2 })).toBe('/a?p=1&q=2');
});

test('refreshTime: 5 minutes early for long tokens, a tenth of the lifetime for short ones', () => {
  expect(refreshTime(0, 24 * 3600_000)).toBe(24 * 3600_000 - 300_000);
  expect(refreshTime(1000, 60_000)).toBe(1000 + 54_000);
});

describe('hrefTarget', () => {
  test('keeps path and query, on our endpoint whatever host the href names', () => {
    expect(hrefTarget('https://platform.adobe.io/data/foundation/export/batches/b/meta?path=row_errors%2Fx.json', 'http://127.0.0.1:9000')).toBe(
      '/data/foundation/export/batches/b/meta?path=row_errors%2Fx.json',
    );
    expect(hrefTarget('http://evil.example/data/x?y=1', 'https://platform.adobe.io')).toBe('/data/x?y=1');
    expect(hrefTarget('/data/x', 'https://platform.adobe.io')).toBe('/data/x');
  });

  test('does not repeat a path prefix of the endpoint', () => {
    expect(hrefTarget('http://gw.local/aep/data/x', 'http://gw.local/aep/')).toBe('/data/x');
  });
});

test('toDatasets reads a Catalog answer keyed by id', () => {
  expect(toDatasets({ d1: { name: 'One', schemaRef: { id: 's' } }, d2: { name: 'Two' }, _page: {} })).toEqual([
    { id: 'd1', name: 'One', schemaRef: { id: 's' } },
    { id: 'd2', name: 'Two' },
  ]);
  expect(toDatasets(null)).toEqual([]);
});

describe('readJsonLines', () => {
  test('one record a line, arrays spread, non-JSON kept raw, blank lines skipped', async () => {
    const out: unknown[] = [];
    await readJsonLines(Readable.from(['{"a":1}\n\n[{"b":2},{"c":3}]\r\n', 'oops\n{"d":4}']), 10, out);
    expect(out).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }, { _raw: 'oops' }, { d: 4 }]);
  });

  test('stops at the limit and releases the stream', async () => {
    const out: unknown[] = [];
    const stream = Readable.from((function* () {
      for (let i = 0; i < 1000; i++) yield `{"i":${i}}\n`;
    })());
    await readJsonLines(stream, 3, out);
    expect(out).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
    expect(stream.destroyed).toBe(true);
  });
});
