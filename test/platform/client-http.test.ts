import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { isDataflowError } from '../../src/lib/errors';
import { PlatformClient } from '../../src/platform';
import { FakeClock } from './fake-clock';
import { answerIms, HttpPeer, SeenRequest, sendJson, startHttpPeer } from './http-peer';

/*
 * The client's HTTP handling against a tiny real server that answers what the test asks for,
 * for what the emulator cannot be made to do (see http-peer.ts): the token's request, lifetime
 * and refresh, Platform's words in a 4xx, an answer lost after the batch was made, when a
 * streamed body's bytes arrive, redaction. Retries, Retry-After, resets and aborts are tested
 * against the emulator's faults (client-emulator.test.ts).
 */

const SECRET = 'client-secret-do-not-leak';
const BATCH_PATH = '/data/foundation/catalog/batches/b1';
const batchAnswer = { b1: { status: 'processing', relatedObjects: [{ type: 'dataSet', id: 'ds1' }] } };

let peer: HttpPeer | undefined;
let client: PlatformClient | undefined;

afterEach(async () => {
  await client?.close();
  await peer?.close();
  client = undefined;
  peer = undefined;
});

async function setup(handler: (req: SeenRequest, res: ServerResponse) => void, clock = new FakeClock(), imsState = { issued: 0, expiresIn: 86399 }) {
  peer = await startHttpPeer((req, res) => {
    if (!answerIms(req, res, imsState)) handler(req, res);
  });
  client = new PlatformClient({
    endpoint: peer.url,
    imsEndpoint: peer.url,
    clientId: 'my-client',
    clientSecret: SECRET,
    orgId: 'ORG@AdobeOrg',
    sandbox: 'Dev-Sandbox',
    scopes: ['openid', 'AdobeID', 'read_organizations'],
    clock,
    retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 1000 },
  });
  return { peer, client, clock, imsState };
}

const okBatch = (_req: SeenRequest, res: ServerResponse) => sendJson(res, 200, batchAnswer);

describe('token and headers', () => {
  test('the token request is a client-credentials form; every call carries the four headers', async () => {
    const { peer, client } = await setup(okBatch);
    const b = await client.getBatch('b1');
    expect(b).toMatchObject({ id: 'b1', status: 'processing', final: false, datasetId: 'ds1' });

    const [ims] = peer.to('/ims/token/v3');
    expect(ims.method).toBe('POST');
    expect(ims.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(ims.body.toString()))).toEqual({
      grant_type: 'client_credentials',
      client_id: 'my-client',
      client_secret: SECRET,
      scope: 'openid,AdobeID,read_organizations',
    });
    const [call] = peer.to(BATCH_PATH);
    expect(call.headers).toMatchObject({
      authorization: 'Bearer tok-1',
      'x-api-key': 'my-client',
      'x-gw-ims-org-id': 'ORG@AdobeOrg',
      'x-sandbox-name': 'dev-sandbox',
      accept: 'application/json',
    });
  });

  test('one token for many calls, and concurrent callers share one token request', async () => {
    const { peer, client } = await setup(okBatch);
    await Promise.all([1, 2, 3, 4, 5].map(() => client.getBatch('b1')));
    await client.getBatch('b1');
    expect(peer.to('/ims/token/v3')).toHaveLength(1);
    expect(peer.to(BATCH_PATH)).toHaveLength(6);
  });

  test('the token is renewed before it expires', async () => {
    const clock = new FakeClock();
    const { peer, client } = await setup(okBatch, clock, { issued: 0, expiresIn: 3600 });
    await client.getBatch('b1');
    clock.advance(3600_000 - 300_000 - 1);
    await client.getBatch('b1');
    expect(peer.to('/ims/token/v3')).toHaveLength(1);
    clock.advance(2);
    await client.getBatch('b1');
    expect(peer.to('/ims/token/v3')).toHaveLength(2);
    expect(peer.to(BATCH_PATH).map((r) => r.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-2']);
  });

  test('a 401 gets one new token and the call is made again', async () => {
    const { peer, client } = await setup((req, res) => {
      if (req.headers.authorization === 'Bearer tok-1') return sendJson(res, 401, { error_code: '401013', message: 'Oauth token is not valid' });
      sendJson(res, 200, batchAnswer);
    });
    await expect(client.getBatch('b1')).resolves.toMatchObject({ id: 'b1' });
    expect(peer.to('/ims/token/v3')).toHaveLength(2);
    expect(peer.to(BATCH_PATH).map((r) => r.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-2']);
  });

  test('a 401 that a new token does not cure is an auth error, not retried', async () => {
    const { peer, client } = await setup((_req, res) => sendJson(res, 401, { error_code: '401013', message: 'Oauth token is not valid' }));
    const err = await client.getBatch('b1').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_PLATFORM_UNAUTHORIZED', kind: 'auth' });
    expect(String((err as Error).message)).toContain('401013 Oauth token is not valid');
    expect(peer.to('/ims/token/v3')).toHaveLength(2);
    expect(peer.to(BATCH_PATH)).toHaveLength(2);
  });

  test('IMS refusing the credentials is an auth error, not retried, without the secret', async () => {
    peer = await startHttpPeer((_req, res) => sendJson(res, 401, { error: 'invalid_client', error_description: `bad client_secret ${SECRET}` }));
    client = new PlatformClient({ endpoint: peer.url, imsEndpoint: peer.url, clientId: 'c', clientSecret: SECRET, orgId: 'o', sandbox: 'prod', scopes: ['openid'], clock: new FakeClock() });
    const err = await client.getBatch('b1').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_IMS_AUTH', kind: 'auth' });
    expect(JSON.stringify({ m: (err as Error).message, c: isDataflowError(err) ? err.context : undefined })).not.toContain(SECRET);
    expect(peer.requests).toHaveLength(1);
  });
});

describe('retries', () => {
  test('other 4xx are not retried and carry Platform’s words', async () => {
    const { peer, client } = await setup((_req, res) => sendJson(res, 400, { error_code: '400003', message: 'Missing header' }));
    const err = await client.createBatch({ datasetId: 'ds1', format: 'json' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_PLATFORM_REJECTED', kind: 'platform', context: { status: 400, errorCode: '400003' } });
    expect((err as Error).message).toBe('POST /data/foundation/import/batches: Platform answered 400: 400003 Missing header');
    expect(peer.to('/data/')).toHaveLength(1);
  });

  test('nothing listening: transient after the attempts', async () => {
    const { peer } = await setup(okBatch);
    const url = peer.url;
    await peer.close();
    const c = new PlatformClient({ endpoint: url, imsEndpoint: url, clientId: 'c', clientSecret: SECRET, orgId: 'o', sandbox: 'prod', scopes: [], clock: new FakeClock(), retry: { attempts: 2 } });
    await expect(c.getBatch('b1')).rejects.toMatchObject({ kind: 'transient', context: { errno: 'ECONNREFUSED' } });
    await c.close();
  });

  test('createBatch with an externalId: a retry finds the batch a lost answer created', async () => {
    let posts = 0;
    const { peer, client } = await setup((req, res) => {
      if (req.method === 'POST') {
        posts++;
        return res.socket?.destroy(); // created on Platform's side, answer lost
      }
      sendJson(res, 200, { b9: { status: 'loading', externalId: 'run-7-0', relatedObjects: [{ type: 'dataSet', id: 'ds1' }] } });
    });
    const b = await client.createBatch({ datasetId: 'ds1', format: 'json', externalId: 'run-7-0' });
    expect(b).toMatchObject({ id: 'b9', status: 'loading', externalId: 'run-7-0' });
    expect(posts).toBe(1);
    const list = peer.to('/data/foundation/catalog/batches?');
    expect(new URL(list[0].url, peer.url).searchParams.get('externalId')).toBe('run-7-0');
  });
});

describe('uploads', () => {
  const chunks = () => [Buffer.from('{"a":1}\n'), Buffer.from('{"a":2}\n')];
  const UPLOAD = '/data/foundation/import/batches/b1/datasets/ds1/files/in/part%3D1/f%201.json';

  test('streams the body with content type and length, path segments encoded', async () => {
    const { peer, client } = await setup((_req, res) => res.writeHead(200).end());
    await client.uploadFile('b1', 'ds1', 'in/part=1/f 1.json', Readable.from(chunks()), { size: 16 });
    const [put] = peer.to(UPLOAD);
    expect(put.method).toBe('PUT');
    expect(put.headers).toMatchObject({ 'content-type': 'application/octet-stream', 'content-length': '16', authorization: 'Bearer tok-1' });
    expect(put.body.toString()).toBe('{"a":1}\n{"a":2}\n');
  });

  test('the body streams: its first bytes arrive before the source has made the rest', async () => {
    const { peer, client } = await setup((_req, res) => res.writeHead(200).end());
    const first = Buffer.alloc(256 * 1024, 'a');
    async function* source() {
      yield first;
      // A client that buffered the whole body would wait here forever.
      while (peer.bytesIn() < first.length) await new Promise((r) => setTimeout(r, 5));
      yield Buffer.from('end');
    }
    await client.uploadFile('b1', 'ds1', 'big.json', Readable.from(source()), { size: first.length + 3 });
    expect(peer.to('/data/')[0].body.length).toBe(first.length + 3);
  });

  test('without a size, output that ends within one chunk is PUT whole, with its length', async () => {
    const { peer, client } = await setup((_req, res) => res.writeHead(201).end());
    await client.uploadFile('b1', 'ds1', 'in/part=1/f 1.json', Readable.from(chunks()));
    const [put] = peer.to(UPLOAD);
    expect(put.headers).toMatchObject({ 'content-length': '16', 'content-type': 'application/octet-stream' });
    expect(put.body.toString()).toBe('{"a":1}\n{"a":2}\n');
  });

  test('a 401 on upload drops the token; the caller’s next attempt uses a new one', async () => {
    const { peer, client } = await setup((req, res) => {
      if (req.headers.authorization === 'Bearer tok-1') return sendJson(res, 401, { error_code: '401013', message: 'Oauth token is not valid' });
      res.writeHead(200).end();
    });
    const err = await client.uploadFile('b1', 'ds1', 'f.json', Readable.from(chunks()), { size: 16 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_PLATFORM_UPLOAD_INTERRUPTED', kind: 'transient' });
    await client.uploadFile('b1', 'ds1', 'f.json', Readable.from(chunks()), { size: 16 });
    expect(peer.to('/data/').map((r) => r.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-2']);
  });

  test('a 401 on an upload held in memory (size unknown, one chunk) is cured inside', async () => {
    const { peer, client } = await setup((req, res) => {
      if (req.headers.authorization === 'Bearer tok-1') return sendJson(res, 401, { error_code: '401013', message: 'Oauth token is not valid' });
      res.writeHead(200).end();
    });
    await client.uploadFile('b1', 'ds1', 'f.json', Readable.from(chunks()));
    expect(peer.to('/data/').map((r) => r.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-2']);
  });

  test('an error of the source stream comes back unchanged', async () => {
    const { client } = await setup((_req, res) => res.writeHead(200).end());
    const boom = new Error('source read failed');
    let sent = false;
    const body = new Readable({
      read() {
        if (sent) return;
        sent = true;
        this.push(Buffer.from('partial'));
        setImmediate(() => this.destroy(boom));
      },
    });
    await expect(client.uploadFile('b1', 'ds1', 'f.json', body, { size: 100 })).rejects.toBe(boom);
  });

  test('a source that is shorter than its size: a data error, not retried', async () => {
    const { peer, client } = await setup((_req, res) => res.writeHead(200).end());
    const body = Readable.from(chunks());
    await expect(client.uploadFile('b1', 'ds1', 'f.json', body, { size: 100 })).rejects.toMatchObject({
      code: 'ERR_PLATFORM_UPLOAD_SIZE_MISMATCH',
      kind: 'data',
    });
    expect(peer.to('/data/').length).toBeLessThanOrEqual(1);
  });

  test('an aborted upload rejects with the abort reason and releases the source', async () => {
    const { client } = await setup(() => undefined);
    const ac = new AbortController();
    const body = new Readable({ read() {} });
    body.push('some bytes');
    const pending = client.uploadFile('b1', 'ds1', 'f.json', body, { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('shutting down')), 50);
    await expect(pending).rejects.toThrow('shutting down');
    expect(body.destroyed).toBe(true);
  });
});

test('errors never carry the client secret or the token', async () => {
  const { client } = await setup((req, res) =>
    sendJson(res, 400, { error_code: '400100', message: `echo ${req.headers.authorization} and ${SECRET}`, detail: 'tok-1' }),
  );
  const err = await client.getBatch('b1').catch((e: unknown) => e);
  expect(isDataflowError(err)).toBe(true);
  const seen = JSON.stringify({ message: (err as Error).message, context: isDataflowError(err) ? err.context : {} });
  expect(seen).toContain('[redacted]');
  expect(seen).not.toContain(SECRET);
  expect(seen).not.toContain('tok-1');
});

test('nor a token that was just replaced', async () => {
  const { client } = await setup((req, res) => {
    if (req.headers.authorization === 'Bearer tok-1') return sendJson(res, 401, { error_code: '401013', message: 'Oauth token is not valid' });
    sendJson(res, 400, { error_code: '400100', message: `was tok-1, now ${req.headers.authorization}` });
  });
  const err = await client.getBatch('b1').catch((e: unknown) => e);
  const seen = JSON.stringify({ message: (err as Error).message, context: isDataflowError(err) ? err.context : {} });
  expect(seen).not.toMatch(/tok-\d/);
});
