import { PassThrough, Writable } from 'node:stream';
import pino from 'pino';
import { azureAuth, AzureBlobConnector, azureBlobConnector, AzureBlobConfig, connectContainer, secretsOf } from '../../connectors/azure-blob';
import { blobReadStream } from '../../connectors/azure-blob/blob-read-stream';
import { azureError, azureErrorKind, downloadError } from '../../connectors/azure-blob/errors';
import type { RemoteFile, SourceConnector } from '../../src/connector/types';
import { DataflowError } from '../../src/lib/errors';
import { silentLogger } from '../../src/lib/logger';
import { AZURITE_ACCOUNT, AZURITE_KEY, AzuriteServer, startAzurite } from '../servers/azure-blob-server';
import { conformanceSuite } from './connector.suite';

const CONTAINER = 'conformance';
const PREFIX = 'landing/zone';
let server: AzuriteServer;
let config: AzureBlobConfig;
const blob = (path: string) => `${PREFIX}/${path}`;

conformanceSuite('azure-blob', {
  async setup() {
    server = await startAzurite();
    await server.createContainer(CONTAINER);
    config = azureBlobConnector.configSchema.parse({ type: 'azure-blob', container: CONTAINER, prefix: PREFIX, connectionString: server.connectionString });
  },
  // Seven blobs a page: the suite's folders of up to 40 files are listed over several requests.
  create: async () => new AzureBlobConnector({ container: connectContainer(config), prefix: config.prefix, logger: silentLogger, pageSize: 7, secrets: secretsOf(config) }),
  traits: azureBlobConnector.traits({ type: 'azure-blob', container: CONTAINER, connectionString: 'UseDevelopmentStorage=true' }),
  capabilities: { remove: true, move: true, check: true },
  folders: 'virtual',
  rootFolder: 'suite',
  put: (path, data) => server.put(CONTAINER, blob(path), data),
  mkdir: async () => undefined,
  remove: (path) => server.remove(CONTAINER, blob(path)),
  read: (path) => server.read(CONTAINER, blob(path)),
  cleanup: async () => server?.stop(),
});

describe('azure-blob connector specifics', () => {
  let azurite: AzuriteServer;
  const signal = new AbortController().signal;
  const opened: SourceConnector[] = [];

  async function connect(keys: Record<string, unknown>, logger = silentLogger): Promise<SourceConnector> {
    const parsed = azureBlobConnector.configSchema.parse({ type: 'azure-blob', container: 'data', ...keys });
    const connector = await azureBlobConnector.create(parsed, { logger, baseDir: '/nonexistent' });
    opened.push(connector);
    return connector;
  }

  async function paths(connector: SourceConnector, folder: string, recursive = true): Promise<string[]> {
    const out: RemoteFile[] = [];
    for await (const file of connector.list(folder, { recursive, signal })) out.push(file);
    return out.map((f) => f.path).sort();
  }

  async function failure(promise: Promise<unknown>): Promise<DataflowError> {
    try {
      await promise;
    } catch (err) {
      if (err instanceof DataflowError) return err;
      throw new Error(`not a DataflowError: ${String(err)}`);
    }
    throw new Error('expected a rejection, but it resolved');
  }

  /** A logger whose lines the test can read (debug and up). */
  function capturingLogger(): { logger: pino.Logger; lines: () => Array<Record<string, unknown>> } {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) });
    return { logger: pino({ level: 'debug' }, sink), lines: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
  }

  beforeAll(async () => {
    azurite = await startAzurite();
    await azurite.createContainer('data');
    await azurite.put('data', 'in/a.json', '{"a":1}\n');
    await azurite.put('data', 'in/sub/b.json', '{"b":2}\n');
    await azurite.put('data', 'in-other/c.json', '{"c":3}\n');
  });

  afterAll(async () => {
    for (const c of opened) await c.close();
    await azurite?.stop();
  });

  describe('authenticates in every way the config allows', () => {
    const cases: Array<[string, () => Record<string, unknown>]> = [
      ['connection string', () => ({ connectionString: azurite.connectionString })],
      ['account URL + account name + account key', () => ({ accountUrl: azurite.accountUrl, accountName: AZURITE_ACCOUNT, accountKey: AZURITE_KEY })],
      ['account URL + account SAS', () => ({ accountUrl: azurite.accountUrl, sasToken: azurite.accountSas('rl') })],
      ['account URL + account SAS with a leading ?', () => ({ accountUrl: `${azurite.accountUrl}/`, sasToken: `?${azurite.accountSas('rl')}` })],
      ['account URL + container SAS', () => ({ accountUrl: azurite.accountUrl, sasToken: azurite.containerSas('data', 'rl') })],
    ];
    test.each(cases)('%s: check, list and read', async (_name, keys) => {
      const connector = await connect(keys());
      await expect(connector.check!({ signal })).resolves.toBeUndefined();
      expect(await paths(connector, 'in')).toEqual(['in/a.json', 'in/sub/b.json']);
      const chunks: Buffer[] = [];
      for await (const chunk of await connector.open('in/a.json', { signal })) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).toString()).toBe('{"a":1}\n');
    });

    test('a wrong account key is an auth error that names the account, never the key', async () => {
      const wrongKey = Buffer.from('not the key of this account, but of the right length!!').toString('base64');
      const connector = await connect({ accountUrl: azurite.accountUrl, accountName: AZURITE_ACCOUNT, accountKey: wrongKey });
      for (const err of [await failure(connector.check!({ signal })), await failure(paths(connector, 'in')), await failure(connector.open('in/a.json', { signal }))]) {
        expect(err.kind).toBe('auth');
        expect(err.message).toContain(`azure-blob://${AZURITE_ACCOUNT}/data/`);
        expect(err.message).not.toContain(wrongKey);
      }
    });

    test('an expired SAS is an auth error, and its signature stays out of the message', async () => {
      const sas = azurite.accountSas('rl', new Date(Date.now() - 60_000));
      const sig = decodeURIComponent(/sig=([^&]+)/.exec(sas)![1]);
      const err = await failure((await connect({ accountUrl: azurite.accountUrl, sasToken: sas })).check!({ signal }));
      expect(err.kind).toBe('auth');
      expect(err.message).not.toContain(sig);
      expect(err.message).not.toContain(encodeURIComponent(sig));
    });

    test('a SAS without list permission fails check as a permission error', async () => {
      const err = await failure((await connect({ accountUrl: azurite.accountUrl, sasToken: azurite.accountSas('r') })).check!({ signal }));
      expect(err.kind).toBe('permission');
      expect(err.message).toMatch(/AuthorizationPermissionMismatch/);
    });

    test('without any secret, DefaultAzureCredential finds no identity here: check fails as auth, clearly', async () => {
      // No token can be had on this machine (no managed identity, no AZURE_* variables). The
      // production chain only, so that a developer's `az login` cannot change the outcome.
      const saved = process.env.AZURE_TOKEN_CREDENTIALS;
      process.env.AZURE_TOKEN_CREDENTIALS = 'prod';
      try {
        const connector = await connect({ accountUrl: `https://127.0.0.1:${azurite.port}/${AZURITE_ACCOUNT}` });
        const err = await failure(connector.check!({ signal }));
        expect(err.kind).toBe('auth');
        expect(err.message).toMatch(/^checking azure-blob:\/\/devstoreaccount1\/data\/: no usable Azure credential \(DefaultAzureCredential/);
        expect(err.message).toMatch(/ManagedIdentityCredential/);
      } finally {
        if (saved === undefined) delete process.env.AZURE_TOKEN_CREDENTIALS;
        else process.env.AZURE_TOKEN_CREDENTIALS = saved;
      }
    });
  });

  test('a missing container is not_found for check, list, stat and open', async () => {
    const connector = await connect({ container: 'no-such-container', connectionString: azurite.connectionString });
    for (const err of [
      await failure(connector.check!({ signal })),
      await failure(paths(connector, '')),
      await failure(connector.stat('a.json', { signal })),
      await failure(connector.open('a.json', { signal })),
    ]) {
      expect(err.kind).toBe('not_found');
      expect(err.message).toMatch(/ContainerNotFound/);
    }
  });

  test('lists page by page, and the flat and hierarchical listings agree on what is below', async () => {
    for (let i = 0; i < 9; i++) await azurite.put('data', `paged/f${i}.txt`, `${i}`);
    await azurite.put('data', 'paged/deeper/x.txt', 'x');
    const { logger, lines } = capturingLogger();
    const connector = new AzureBlobConnector({ container: connectContainer(azureBlobConnector.configSchema.parse({ type: 'azure-blob', container: 'data', connectionString: azurite.connectionString })), logger, pageSize: 2 });
    opened.push(connector);
    expect(await paths(connector, 'paged', true)).toHaveLength(10);
    expect(lines().filter((l) => l.msg === 'azure-blob: listed a page')).toHaveLength(5);
    expect(await paths(connector, 'paged', false)).toEqual(Array.from({ length: 9 }, (_, i) => `paged/f${i}.txt`));
  });

  test('the prefix is a folder: siblings that share its first letters stay out', async () => {
    const connector = await connect({ prefix: 'in', connectionString: azurite.connectionString });
    expect(await paths(connector, '')).toEqual(['a.json', 'sub/b.json']);
    expect(await paths(connector, '/', false)).toEqual(['a.json']);
    expect(await connector.stat('a.json', { signal })).toMatchObject({ path: 'a.json', size: 8 });
  });

  test("skips folder markers and blobs that no canonical path can address, '..' above all", async () => {
    await azurite.put('data', 'odd/ok.json', 'ok');
    await azurite.put('data', 'odd/marker/', '');
    await azurite.put('data', 'odd/adls-dir', '', { hdi_isfolder: 'true' });
    await azurite.putRawName('data', 'odd/%2E%2E/%2E%2E/escaped.json', 'evil');
    await azurite.putRawName('data', 'odd/%2E/dot.json', 'dot');
    await azurite.put('data', 'odd//double.json', 'double');
    const { logger, lines } = capturingLogger();
    const connector = await connect({ connectionString: azurite.connectionString }, logger);
    expect(await paths(connector, 'odd')).toEqual(['odd/ok.json']);
    expect(await paths(connector, 'odd', false)).toEqual(['odd/ok.json']);
    const skipped = lines().filter((l) => l.level === 40).map((l) => l.blob);
    expect(skipped).toEqual(expect.arrayContaining(['odd/../../escaped.json', 'odd/./dot.json', 'odd//double.json']));
    expect(await connector.stat('odd/adls-dir', { signal })).toBeUndefined();
  });

  test('does not list blobs in the Archive tier (unreadable until rehydrated); opening one says why', async () => {
    await azurite.put('data', 'tiers/hot.json', 'hot');
    await azurite.put('data', 'tiers/archived.json', 'cold');
    await azurite.service.getContainerClient('data').getBlockBlobClient('tiers/archived.json').setAccessTier('Archive');
    const connector = await connect({ connectionString: azurite.connectionString });
    expect(await paths(connector, 'tiers')).toEqual(['tiers/hot.json']);
    const err = await failure(connector.open('tiers/archived.json', { signal }));
    expect(err.kind).toBe('unsupported');
    expect(err.message).toMatch(/BlobArchived \(HTTP 409\): This operation is not permitted on an archived blob\./);
  });

  test('move replaces an existing target, and works with a SAS (the copy source carries it)', async () => {
    await azurite.put('data', 'mv/one.json', 'new');
    await azurite.put('data', 'mv/done/one.json', 'old');
    const connector = await connect({ accountUrl: azurite.accountUrl, sasToken: azurite.accountSas('rwdl') });
    await connector.move!('mv/one.json', 'mv/done/one.json', { signal });
    expect((await azurite.read('data', 'mv/done/one.json'))?.toString()).toBe('new');
    expect(await azurite.read('data', 'mv/one.json')).toBeUndefined();
  });

  test('a server gone mid-blob reaches the reader as a transient error, and the response is released', async () => {
    const doomed = await startAzurite();
    try {
      await doomed.createContainer('data');
      await doomed.put('data', 'big.bin', Buffer.alloc(64 << 20, 1));
      const stream = await (await connect({ connectionString: doomed.connectionString })).open('big.bin', { signal });
      const failed = new Promise<unknown>((resolve) => stream.once('error', resolve));
      const closed = new Promise<void>((resolve) => stream.once('close', resolve));
      await new Promise((resolve) => stream.once('data', resolve));
      stream.pause();
      process.kill(doomed.pid, 'SIGKILL');
      stream.resume();
      const err = (await failed) as DataflowError;
      expect(err.kind).toBe('transient');
      expect(err.message).toBe('reading azure-blob://devstoreaccount1/data/big.bin: the server closed the connection before the end of the blob');
      await closed;
    } finally {
      await doomed.stop();
    }
  });

  test('an error of the SDK stream is mapped; destroying ours destroys it', async () => {
    const source = new PassThrough();
    const stream = blobReadStream(source, signal, (err) => downloadError(err, signal, 'reading azure-blob://a/c/x', 'x'));
    const failed = new Promise<unknown>((resolve) => stream.once('error', resolve));
    stream.resume();
    source.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    expect(await failed).toMatchObject({ kind: 'transient', message: 'reading azure-blob://a/c/x: ECONNRESET: read ECONNRESET' });

    const other = new PassThrough();
    blobReadStream(other, signal, (err) => err).destroy();
    expect(other.destroyed).toBe(true);
  });

  test.each([
    ['AuthenticationFailed (Azure: bad signature)', 'auth', { statusCode: 403, code: 'AuthenticationFailed', message: 'Server failed to authenticate the request.' }],
    ['AuthorizationFailure saying authenticate (Azurite: bad key)', 'auth', { statusCode: 403, code: 'AuthorizationFailure', message: 'Server failed to authenticate the request.' }],
    ['AuthorizationFailure otherwise (Azure: firewall)', 'permission', { statusCode: 403, code: 'AuthorizationFailure', message: 'This request is not authorized to perform this operation.' }],
    ['AuthorizationPermissionMismatch', 'permission', { statusCode: 403, code: 'AuthorizationPermissionMismatch', message: 'x' }],
    ['a bare 403', 'auth', { statusCode: 403, message: '' }],
    ['BlobNotFound', 'not_found', { statusCode: 404, code: 'BlobNotFound', message: 'x' }],
    ['ContainerNotFound', 'not_found', { statusCode: 404, code: 'ContainerNotFound', message: 'x' }],
    ['ConditionNotMet', 'not_found', { statusCode: 412, code: 'ConditionNotMet', message: 'x' }],
    ['ServerBusy', 'transient', { statusCode: 503, code: 'ServerBusy', message: 'x' }],
    ['InternalError', 'transient', { statusCode: 500, code: 'InternalError', message: 'x' }],
    ['a bare 429', 'transient', { statusCode: 429, message: '' }],
    ['InvalidResourceName', 'config', { statusCode: 400, code: 'InvalidResourceName', message: 'x' }],
    ['a refused connection', 'transient', { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' }],
    ['no credential in the chain', 'auth', { name: 'AggregateAuthenticationError', message: 'ChainedTokenCredential authentication failed.', errors: [] }],
    ['an unavailable credential', 'auth', { name: 'CredentialUnavailableError', message: 'EnvironmentCredential is unavailable.' }],
  ])('%s is a %s error', (_name, kind, err) => {
    expect(azureErrorKind(err)).toBe(kind);
  });

  test("the SDK's 'data corruption' for a download cut short is told as what it is", () => {
    const sdk = new Error('Data corruption failure: received less data than required and reached maxRetires limitation. Received data offset: 99, data needed offset: 199, retries: 0, max retries: 0');
    expect(azureError(sdk, 'reading x', 'x')).toMatchObject({ kind: 'transient', message: 'reading x: the connection ended after 100 of 200 bytes' });
  });

  test('a throttled answer carries its Retry-After to the retry loop', () => {
    const headers = new Map([['retry-after', '7']]);
    const err = azureError({ statusCode: 503, code: 'ServerBusy', message: 'busy', response: { headers } }, 'listing x', 'x') as DataflowError;
    expect(err).toMatchObject({ kind: 'transient', retryAfterMs: 7000, message: 'listing x: ServerBusy (HTTP 503): busy' });
  });
});

describe('azure-blob config', () => {
  const parse = (keys: Record<string, unknown>) => azureBlobConnector.configSchema.safeParse({ type: 'azure-blob', container: 'exports', ...keys });
  const problems = (keys: Record<string, unknown>) => {
    const result = parse(keys);
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  const cs = 'DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net';
  const url = 'https://acct.blob.core.windows.net';

  test.each([
    ['a connection string', { connectionString: cs }, 'connection-string'],
    ['the emulator shorthand', { connectionString: 'UseDevelopmentStorage=true' }, 'connection-string'],
    ['an account URL + SAS', { accountUrl: url, sasToken: 'sv=2024-01-01&sp=rl&sig=abc' }, 'sas'],
    ['an account URL + name + key', { accountUrl: url, accountName: 'acct', accountKey: 'a2V5' }, 'account-key'],
    ['an account URL alone', { accountUrl: url, prefix: 'exports/luma' }, 'default-credential'],
  ])('takes %s', (_name, keys, mode) => {
    const result = parse(keys);
    expect(result.success).toBe(true);
    expect(azureAuth(result.data!).mode).toBe(mode);
  });

  test.each([
    ['no credential keys at all', {}, [': give connectionString, or accountUrl with sasToken, with accountName + accountKey, or alone for DefaultAzureCredential']],
    ['a connection string and an account URL', { connectionString: cs, accountUrl: url }, ['accountUrl: not used with connectionString, which holds the endpoint and the credential: keep one of them']],
    ['a SAS and a key', { accountUrl: url, sasToken: 'sig=x', accountName: 'acct', accountKey: 'k' }, ['sasToken: sasToken and accountName/accountKey are two different credentials: keep one of them']],
    ['a key without a name', { accountUrl: url, accountKey: 'k' }, ['accountName: accountKey needs accountName: the key signs requests for that account']],
    ['a name without a key', { accountUrl: url, accountName: 'acct' }, ['accountKey: accountName needs accountKey (or remove accountName to use DefaultAzureCredential)']],
    ['a SAS that is no SAS', { accountUrl: url, sasToken: 'hunter2' }, ['sasToken: must be a shared access signature query string such as sv=…&se=…&sp=rl&sig=…']],
    ['DefaultAzureCredential over plain HTTP', { accountUrl: 'http://127.0.0.1:10000/devstoreaccount1' }, ['accountUrl: without sasToken or accountKey, DefaultAzureCredential sends bearer tokens, which need an https accountUrl']],
    ['an account URL with a query', { accountUrl: `${url}?sv=1&sig=x` }, ['accountUrl: must be an http(s) URL without query string, e.g. https://ACCOUNT.blob.core.windows.net']],
    ['a broken connection string', { connectionString: 'AccountName=acct;AccountKey=secret-value' }, ['connectionString: not a usable connection string: Invalid BlobEndpoint in the provided SAS Connection String']],
    ['a prefix that climbs out', { connectionString: cs, prefix: 'a/../../b' }, ["prefix: must stay inside the container: no '..' segments, NUL bytes, drive letters or UNC prefixes"]],
    ['a bad container name', { connectionString: cs, container: 'Exports_2024' }, ['container: must be an Azure container name: 3–63 lowercase letters, digits and single hyphens']],
    ['an unknown key', { connectionString: cs, endpoint: url }, [': Unrecognized key: "endpoint"']],
  ])('refuses %s, saying where and why', (_name, keys, expected) => {
    expect(problems(keys)).toEqual(expected);
  });

  test('a refused connection string never echoes its key', () => {
    expect(problems({ connectionString: 'AccountName=acct;AccountKey=secret-value' }).join()).not.toContain('secret-value');
  });

  test('knows the secrets inside its secrets, to blank them from any message', () => {
    const sas = 'sv=2024-01-01&sp=rl&sig=c2lnbmF0dXJl%2Bx%3D';
    const secrets = secretsOf(parse({ accountUrl: url, sasToken: sas }).data!);
    expect(secrets).toEqual(expect.arrayContaining([sas, 'c2lnbmF0dXJl%2Bx%3D', 'c2lnbmF0dXJl+x=']));
    expect(secretsOf(parse({ connectionString: cs }).data!)).toEqual(expect.arrayContaining([cs, 'a2V5']));
    const err = azureError(new Error('failed for c2lnbmF0dXJl+x= and sig=other'), 'listing x', 'x', secrets) as DataflowError;
    expect(err.message).toBe('listing x: failed for [redacted] and sig=[redacted]');
  });

  test('declares its secrets and traits', () => {
    expect(azureBlobConnector.secretFields).toEqual(['connectionString', 'sasToken', 'accountKey']);
    expect(azureBlobConnector.traits(parse({ connectionString: cs }).data!)).toEqual({ etagTracksContent: true, mtimePrecisionMs: 1000 });
  });
});
