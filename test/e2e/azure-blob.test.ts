import { AZURITE_ACCOUNT, AzuriteServer, startAzurite } from '../servers/azure-blob-server';
import { itRunsFromTheSource, sourceDataflow, writeSourceRunDataflows } from './source-runs';
import { STORES, Workspace } from './workspace';

const CONTAINER = 'exports';
const PREFIX = 'luma';
const WRONG_KEY = Buffer.from('a key that is not the account key of devstoreaccount1').toString('base64');

describe.each(STORES)('dataflowd run from Azure Blob (Azurite), end to end through the real CLI and the emulator (%s store)', (store) => {
  let ws: Workspace;
  let azurite: AzuriteServer;
  /** Secrets reach the config through ${env:...}, as in production, and must never be printed. */
  let secretEnv: Record<string, string>;

  const put = (path: string, content: string) => azurite.put(CONTAINER, `${PREFIX}/${path}`, content);
  async function blobs(folder: string): Promise<string[]> {
    const names: string[] = [];
    for await (const item of azurite.service.getContainerClient(CONTAINER).listBlobsFlat({ prefix: `${PREFIX}/${folder}/` })) names.push(item.name.slice(PREFIX.length + 1));
    return names.sort();
  }

  function connection(name: string, keys: Record<string, string>): string[] {
    return [`  ${name}:`, ...Object.entries({ type: 'azure-blob', container: CONTAINER, prefix: PREFIX, ...keys }).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)];
  }

  beforeAll(async () => {
    azurite = await startAzurite();
    await azurite.createContainer(CONTAINER);
    secretEnv = { E2E_AZURE_CONNECTION_STRING: azurite.connectionString, E2E_AZURE_WRONG_KEY: WRONG_KEY };
    Object.assign(process.env, secretEnv);
    ws = await Workspace.create({ store });
    // The production credential chain, without developer logins: no identity exists here.
    Object.assign(ws.env, { AZURE_TOKEN_CREDENTIALS: 'prod' });
    await ws.writeDaemonConfig(
      [
        ...connection('luma-blob', { connectionString: '${env:E2E_AZURE_CONNECTION_STRING}' }),
        ...connection('luma-blob-wrong-key', { accountUrl: azurite.accountUrl, accountName: AZURITE_ACCOUNT, accountKey: '${env:E2E_AZURE_WRONG_KEY}' }),
        ...connection('luma-blob-no-container', { connectionString: '${env:E2E_AZURE_CONNECTION_STRING}', container: 'no-such-container' }),
        ...connection('luma-blob-identity', { accountUrl: `https://127.0.0.1:${azurite.port}/${AZURITE_ACCOUNT}` }),
      ].join('\n'),
    );
    await writeSourceRunDataflows(ws, 'luma-blob');
    await ws.writeDataflow('people-wrong-key', sourceDataflow('luma-blob-wrong-key', '/incoming'));
    await ws.writeDataflow('people-no-container', sourceDataflow('luma-blob-no-container', '/incoming'));
    await ws.writeDataflow('people-identity', sourceDataflow('luma-blob-identity', '/incoming'));
  });

  afterAll(async () => {
    await ws?.close();
    await azurite?.stop();
    for (const name of Object.keys(secretEnv ?? {})) delete process.env[name];
  });

  itRunsFromTheSource(() => ({
    ws,
    put,
    rewrite: put,
    list: blobs,
    read: (rel) => azurite.read(CONTAINER, `${PREFIX}/${rel}`),
    secrets: Object.values(secretEnv),
  }));

  it('a wrong account key fails the run with an auth error in history, without leaking the key', async () => {
    const run = await ws.cli(['run', 'people-wrong-key', '--json']);
    expect(run.code).toBe(1);
    const record = JSON.parse(run.stdout);
    expect(record).toMatchObject({ status: 'failed', filesTaken: 0 });
    expect(record.error).toMatch(/^listing azure-blob:\/\/devstoreaccount1\/exports\/luma\/incoming\/: AuthorizationFailure \(HTTP 403\): Server failed to authenticate/);
    expect(run.stderr).toMatch(/"code":"ERR_SOURCE_AUTH"/);
    const [last] = JSON.parse((await ws.cli(['history', 'people-wrong-key', '--json', '--limit', '1'])).stdout);
    expect(last).toMatchObject({ id: record.id, status: 'failed', error: record.error, errorKind: 'auth', errorCode: 'ERR_SOURCE_AUTH' });
    expect(run.stdout + run.stderr).not.toContain(WRONG_KEY);
  });

  it('a missing container fails the run with a not-found error in history', async () => {
    const run = await ws.cli(['run', 'people-no-container', '--json']);
    expect(run.code).toBe(1);
    const record = JSON.parse(run.stdout);
    expect(record).toMatchObject({ status: 'failed', filesTaken: 0 });
    expect(record.error).toMatch(/^listing azure-blob:\/\/devstoreaccount1\/no-such-container\/luma\/incoming\/: ContainerNotFound \(HTTP 404\): The specified container does not exist\./);
    expect(run.stderr).toMatch(/"code":"ERR_SOURCE_NOT_FOUND"/);
  });

  it('an account URL alone uses DefaultAzureCredential; with no identity here the run fails as auth, saying so', async () => {
    const run = await ws.cli(['run', 'people-identity', '--json']);
    expect(run.code).toBe(1);
    const record = JSON.parse(run.stdout);
    expect(record).toMatchObject({ status: 'failed', filesTaken: 0 });
    expect(record.error).toMatch(/^listing azure-blob:\/\/devstoreaccount1\/exports\/luma\/incoming\/: no usable Azure credential \(DefaultAzureCredential/);
    expect(run.stderr).toMatch(/"code":"ERR_SOURCE_AUTH"/);
  });
});
