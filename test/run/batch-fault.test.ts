import { failedForData, filesAtFault, splitInTwo } from '../../src/run/batch-fault';
import type { Batch } from '../../src/platform';

/** Telling a failed batch's data failures from Platform's own, and finding the files at fault (pure). */

const failed = (...codes: string[]): Batch => ({ id: 'b', status: 'failed', handling: 'rejected', final: true, succeeded: false, metrics: {}, errors: codes.map((code) => ({ code })), raw: {} });

test.each([
  [['INGEST-1401-400'], true],
  [['INGEST-1212-400', 'INGEST-XDM-400'], true],
  [['106'], true],
  [['INGEST-500'], false],
  [['INGEST-EMU-FAULT-500'], false],
  [[], false],
])('codes %j are about the data: %s', (codes, expected) => {
  expect(failedForData(failed(...codes))).toBe(expected);
});

test('files at fault: any refused row without a threshold, a share above it with one', () => {
  const checks = [
    { file: 'clean', records: 100, refused: 0 },
    { file: 'one-bad', records: 100, refused: 1 },
    { file: 'half-bad', records: 10, refused: 5 },
  ];
  expect(filesAtFault(checks, undefined)).toEqual(['one-bad', 'half-bad']);
  expect(filesAtFault(checks, 5)).toEqual(['half-bad']);
});

test('halves', () => {
  expect(splitInTwo([1, 2, 3, 4, 5])).toEqual([[1, 2, 3], [4, 5]]);
  expect(splitInTwo([1])).toEqual([[1]]);
});
