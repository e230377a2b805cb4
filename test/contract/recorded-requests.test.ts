import { checkRecorded } from './recorded-requests';
import type { RecordedRequest } from '../../src/emulator/contract/request-recorder';

/* The whole-suite check (global-teardown.ts) catches what today's client would have sent. */

const client = { 'user-agent': 'dataflowd', authorization: '[redacted]', 'x-api-key': 'k', 'x-gw-ims-org-id': 'O@AdobeOrg', 'x-sandbox-name': 'prod' };
const FILE = '/data/foundation/import/batches/b1/datasets/d1/files/x.json';

test('an INITIALIZE without Content-Type, a Content-Range of unknown total refused, an undeclared filter: each a violation', () => {
  const records: RecordedRequest[] = [
    { method: 'POST', url: `${FILE}?action=INITIALIZE`, headers: client, status: 201 },
    { method: 'PATCH', url: FILE, headers: { ...client, 'content-type': 'application/octet-stream', 'content-range': 'bytes 0-9/*' }, body: {}, status: 400, refusal: 'BATCH-1417-400' },
    { method: 'GET', url: '/data/foundation/catalog/dataSets/d1?fields=name', headers: client, status: 200 },
  ];
  expect(checkRecorded(records).violations).toEqual([
    `POST ${FILE}?action=INITIALIZE: completeLargeFileUpload requires the header Content-Type`,
    `PATCH ${FILE}: the emulator refused it (400 BATCH-1417-400)`,
    'GET /data/foundation/catalog/dataSets/d1?fields=name: retrieveDataset has no query parameter fields',
  ]);
});

test('requests of other callers are not the client\'s, and a refusal that is a state of things is no violation', () => {
  const report = checkRecorded([
    { method: 'DELETE', url: '/data/foundation/import/batches', headers: { ...client, 'user-agent': 'undici' }, status: 405, refusal: 'EMU-1405-405' },
    { method: 'POST', url: '/data/foundation/import/batches/b1?action=ABORT', headers: client, status: 400, refusal: 'BATCH-1413-400' },
  ]);
  expect(report).toEqual({ requests: 1, operations: { completeBatch: 1 }, violations: [] });
});
