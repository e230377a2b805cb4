import { countFailure, decideOutcome, newTally, type ProcessingTally } from '../../src/emulator/batch-outcome';

function tally(records: number, bad: number): ProcessingTally {
  const t = newTally();
  t.inputFileCount = 1;
  t.inputByteSize = 1000;
  t.inputRecordCount = records;
  for (let i = 0; i < bad; i++) countFailure(t, 'schema', i + 1, 'f.json', i + 1, 'bad');
  return t;
}

describe('decideOutcome', () => {
  test.each([
    // records, bad, diagnostics, percent, status
    [10, 0, false, undefined, 'success'],
    [10, 1, false, undefined, 'failed'],
    [10, 1, true, undefined, 'failed'], // diagnostics alone: threshold 0 %
    [10, 1, false, 10, 'success'],
    [10, 2, false, 10, 'failed'],
    [10, 10, true, 100, 'success'],
    [0, 0, false, undefined, 'success'],
  ])('%i records, %i bad, diagnostics %s, threshold %s → %s', (records, bad, diagnostics, percent, status) => {
    const outcome = decideOutcome(tally(records, bad), { enableErrorDiagnostics: diagnostics, partialIngestionPercent: percent });
    expect(outcome.status).toBe(status);
    const output = status === 'success' ? records - bad : 0;
    expect(outcome.metrics).toEqual({ inputRecordCount: records, outputRecordCount: output, failedRecordCount: records - output, inputFileCount: 1, inputByteSize: 1000 });
  });

  test('a file error fails the batch whatever the rows', () => {
    const t = tally(10, 0);
    t.fileErrors.push({ code: '106', description: 'Dataset file is empty.' });
    const outcome = decideOutcome(t, { enableErrorDiagnostics: true, partialIngestionPercent: 100 });
    expect(outcome.status).toBe('failed');
    expect(outcome.errors).toEqual([{ code: '106', description: 'Dataset file is empty.' }]);
  });

  test('rows listed on the batch are capped, the count is not', () => {
    const outcome = decideOutcome(tally(1000, 150), { enableErrorDiagnostics: true, partialIngestionPercent: 50 });
    const schema = outcome.errors.find((e) => e.code === 'INGEST-XDM-400');
    expect(schema?.recordCount).toBe(150);
    expect(schema?.rows).toHaveLength(100);
  });
});
