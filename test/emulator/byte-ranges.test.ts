import { checkCoverage, formatRanges, mergeRanges, parseContentRange, parseRangeRequest } from '../../src/emulator/byte-ranges';

describe('byte ranges', () => {
  test.each([
    ['bytes 0-99/1000', { start: 0, end: 99, total: 1000 }],
    ['bytes 100-199', { start: 100, end: 199, total: undefined }],
    ['bytes 5-5/*', { start: 5, end: 5, total: undefined }],
    ['bytes=0-9/10', { start: 0, end: 9, total: 10 }],
    ['0-9', { start: 0, end: 9, total: undefined }],
  ])('parses Content-Range %s', (header, expected) => {
    expect(parseContentRange(header)).toEqual(expected);
  });

  test.each([[undefined], [''], ['bytes 9-0'], ['bytes 0-10/10'], ['bytes a-b'], ['items 0-1']])('refuses Content-Range %s', (header) => {
    expect(parseContentRange(header)).toBeUndefined();
  });

  test('coverage: exact tiling, gaps, overlaps, declared size', () => {
    expect(checkCoverage([[50, 99], [0, 49]])).toEqual({ ok: true, size: 100 });
    expect(checkCoverage([])).toEqual({ ok: true, size: 0 });
    expect(checkCoverage([[0, 9], [20, 29]])).toEqual({ ok: false, problem: 'bytes 10-19 are missing' });
    expect(checkCoverage([[10, 19]])).toEqual({ ok: false, problem: 'bytes 0-9 are missing' });
    expect(checkCoverage([[0, 9], [5, 19]])).toMatchObject({ ok: false, problem: expect.stringContaining('overlaps') });
    expect(checkCoverage([[0, 9]], 20)).toEqual({ ok: false, problem: 'bytes 10-19 of 20 are missing' });
  });

  test('received ranges are merged for HEAD', () => {
    expect(formatRanges(mergeRanges([[20, 29], [0, 9], [10, 14]]))).toBe('bytes=0-14,20-29');
  });

  test.each([
    [undefined, { kind: 'whole' }],
    ['bytes=0-9', { kind: 'part', start: 0, end: 9 }],
    ['bytes=90-', { kind: 'part', start: 90, end: 99 }],
    ['bytes=-10', { kind: 'part', start: 90, end: 99 }],
    ['bytes=50-500', { kind: 'part', start: 50, end: 99 }],
    ['bytes=100-', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    ['bytes=0-1,5-6', { kind: 'whole' }],
    ['lines=1-2', { kind: 'whole' }],
  ])('Range %s on 100 bytes', (header, expected) => {
    expect(parseRangeRequest(header, 100)).toEqual(expected);
  });
});
