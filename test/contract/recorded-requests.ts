import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { checkRequest } from '../../src/emulator/contract/request-check';
import type { RecordedRequest } from '../../src/emulator/contract/request-recorder';
import { CONTRACT_CODES } from '../../src/emulator/platform-errors';
import { USER_AGENT } from '../../src/platform/platform-http';

/*
 * The check run over the whole suite (global-teardown.ts): every request the Platform client
 * made to an emulator, recorded as it was answered (src/emulator/contract/request-recorder.ts),
 * is held against Adobe's API descriptions once more, and must also not have been refused for
 * breaking the guides' limits. Requests of other callers (tests that send bad requests on
 * purpose) are told apart by the client's User-Agent.
 */

/** Every operation of Adobe's APIs the Platform client calls: a full suite must make each one. */
export const CLIENT_OPERATIONS: readonly string[] = [
  'createBatch',
  'uploadSmallFile',
  'completeLargeFileUpload',
  'uploadLargeFilePart',
  'completeBatch',
  'retrieveBatch',
  'listBatches',
  'retrieveDataset',
  'listDatasets',
  'listDatasetFiles',
  'retrieveDatasetFile',
  'retrieveBatchMeta',
  'retrieveStats',
  'retrieveSchema',
];

export interface ContractReport {
  requests: number;
  /** How many times each operation was called. */
  operations: Record<string, number>;
  violations: string[];
}

export function checkRecorded(records: Iterable<RecordedRequest>): ContractReport {
  const report: ContractReport = { requests: 0, operations: {}, violations: [] };
  for (const r of records) {
    if (!r.url.startsWith('/data/') || !(r.headers['user-agent'] ?? '').startsWith(USER_AGENT)) continue;
    report.requests++;
    const result = checkRequest({ method: r.method, url: r.url, headers: r.headers, body: r.body });
    const name = result.operation?.operationId ?? `${r.method} ${r.url.split('?')[0]}`;
    report.operations[name] = (report.operations[name] ?? 0) + 1;
    for (const v of result.violations) report.violations.push(`${r.method} ${r.url}: ${v.message}`);
    if (r.refusal !== undefined && CONTRACT_CODES.has(r.refusal)) report.violations.push(`${r.method} ${r.url}: the emulator refused it (${r.status} ${r.refusal})`);
    if (result.operation && !CLIENT_OPERATIONS.includes(result.operation.operationId)) {
      report.violations.push(`${r.method} ${r.url}: ${result.operation.operationId} is not among CLIENT_OPERATIONS (test/contract/recorded-requests.ts)`);
    }
  }
  return report;
}

export async function readRecorded(file: string): Promise<RecordedRequest[]> {
  const out: RecordedRequest[] = [];
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) if (line.trim() !== '') out.push(JSON.parse(line) as RecordedRequest);
  return out;
}
