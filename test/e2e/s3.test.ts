import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { S3RVER_KEY, S3TestServer, startS3Server } from '../servers/s3-server';
import { itRunsFromTheSource, sourceDataflow, writeSourceRunDataflows } from './source-runs';
import { STORES, Workspace } from './workspace';

const BUCKET = 'exports';
const PREFIX = 'luma';
/** Secrets reach the config through ${env:...}, as in production, and must never be printed. */
const SECRET_ENV = { E2E_S3_SECRET: S3RVER_KEY, E2E_S3_WRONG_SECRET: 'wrong-secret-4f1c9a7e' };

describe.each(STORES)('dataflowd run from S3 (s3rver), end to end through the real CLI and the emulator (%s store)', (store) => {
  let ws: Workspace;
  let s3: S3TestServer;

  const put = (path: string, content: string) => s3.put(BUCKET, `${PREFIX}/${path}`, content);
  async function keys(folder: string): Promise<string[]> {
    const out = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${PREFIX}/${folder}/` }));
    return (out.Contents ?? []).map((o) => o.Key!.slice(PREFIX.length + 1)).sort();
  }

  function connection(name: string, overrides: Record<string, string> = {}): string[] {
    const keys: Record<string, string> = {
      type: 's3',
      bucket: BUCKET,
      prefix: PREFIX,
      endpoint: s3.endpoint,
      forcePathStyle: 'true',
      accessKeyId: S3RVER_KEY,
      secretAccessKey: '${env:E2E_S3_SECRET}',
      // Two keys per page: every listing below spans several pages.
      pageSize: '2',
      ...overrides,
    };
    return [`  ${name}:`, ...Object.entries(keys).map(([k, v]) => `    ${k}: ${v}`)];
  }

  beforeAll(async () => {
    Object.assign(process.env, SECRET_ENV);
    s3 = await startS3Server([BUCKET]);
    ws = await Workspace.create({ store });
    await ws.writeDaemonConfig(
      [
        ...connection('luma-s3'),
        ...connection('luma-s3-wrong-key', { accessKeyId: 'NOT-A-KEY', secretAccessKey: '${env:E2E_S3_WRONG_SECRET}' }),
        ...connection('luma-s3-no-bucket', { bucket: 'no-such-bucket' }),
      ].join('\n'),
    );
    await writeSourceRunDataflows(ws, 'luma-s3');
    await ws.writeDataflow('people-wrong-key', sourceDataflow('luma-s3-wrong-key', '/incoming'));
    await ws.writeDataflow('people-no-bucket', sourceDataflow('luma-s3-no-bucket', '/incoming'));
  });

  afterAll(async () => {
    await ws?.close();
    await s3?.stop();
    for (const name of Object.keys(SECRET_ENV)) delete process.env[name];
  });

  itRunsFromTheSource(() => ({
    ws,
    put,
    rewrite: put,
    list: keys,
    read: (rel) => s3.read(BUCKET, `${PREFIX}/${rel}`),
    secrets: Object.values(SECRET_ENV),
  }));

  it('wrong credentials fail the run with an auth error in history, without leaking the secret', async () => {
    const run = await ws.cli(['run', 'people-wrong-key', '--json']);
    expect(run.code).toBe(1);
    const record = JSON.parse(run.stdout);
    expect(record).toMatchObject({ status: 'failed', filesTaken: 0 });
    expect(record.error).toMatch(/^listing s3:\/\/exports\/luma\/incoming\/: InvalidAccessKeyId: /);
    const [last] = JSON.parse((await ws.cli(['history', 'people-wrong-key', '--json', '--limit', '1'])).stdout);
    expect(last).toMatchObject({ id: record.id, status: 'failed', error: record.error, errorKind: 'auth', errorCode: 'ERR_SOURCE_AUTH' });
    expect(run.stdout + run.stderr).not.toContain(SECRET_ENV.E2E_S3_WRONG_SECRET);
  });

  it('a missing bucket fails the run with a not-found error in history', async () => {
    const run = await ws.cli(['run', 'people-no-bucket', '--json']);
    expect(run.code).toBe(1);
    const record = JSON.parse(run.stdout);
    expect(record).toMatchObject({ status: 'failed', filesTaken: 0 });
    expect(record.error).toMatch(/^listing s3:\/\/no-such-bucket\/luma\/incoming\/: NoSuchBucket: /);
    expect(record).toMatchObject({ errorKind: 'not_found' });
  });
});
