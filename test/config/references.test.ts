import { promises as fs } from 'node:fs';
import path from 'node:path';
import { formatProblem, loadConfig, LoadedConfig, secretValues } from '../../src/config';
import { removeTrees, SCHEMA_JSON, testConnectors, writeTree } from './config-fixtures';

afterAll(removeTrees);

const FLOW = 'name: orders\nsource: { connection: sftp }\ntarget: { dataset: orders }\n';
const DATASETS = 'platform:\n  datasets: [{ id: orders, schema: schemas/orders.schema.json }]\n';

function tree(connection: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'dataflowd.yaml': `${DATASETS}connections:\n  sftp:\n${connection}`,
    'schemas/orders.schema.json': SCHEMA_JSON,
    'dataflows/orders.yaml': FLOW,
    ...extra,
  };
}

async function load(files: Record<string, string>, env: NodeJS.ProcessEnv) {
  const dir = await writeTree(files);
  const r = await loadConfig(dir, { connectors: testConnectors, env });
  return { ...r, dir, shown: r.problems.map((p) => formatProblem({ ...p, file: path.relative(dir, p.file) })) };
}

function ok(c: LoadedConfig | undefined): LoadedConfig {
  if (!c) throw new Error('expected a config');
  return c;
}

describe('${env:NAME} and ${file:PATH}', () => {
  it('resolve whole values and parts of strings, from env and from files relative to the naming file', async () => {
    const r = await load(
      tree(
        '    type: net\n    host: ${env:SFTP_HOST}\n    port: ${env:SFTP_PORT}\n    secure: ${env:SFTP_SECURE}\n' +
          '    username: user-${env:SFTP_USER}\n    password: ${file:secrets/sftp-password}\n',
        { 'secrets/sftp-password': 'pa55word-from-file\n' },
      ),
      { SFTP_HOST: 'sftp.example.com', SFTP_PORT: '2222', SFTP_SECURE: 'true', SFTP_USER: 'luma' },
    );
    expect(r.shown).toEqual([]);
    expect(ok(r.config).daemon.connections.sftp).toEqual({
      type: 'net',
      host: 'sftp.example.com',
      port: 2222,
      secure: true,
      username: 'user-luma',
      password: 'pa55word-from-file',
    });
  });

  it('keeps the content of a file but one trailing newline, reads absolute paths, and $${ stays a literal ${', async () => {
    const dir = await writeTree(tree('    type: net\n    host: h\n    username: u\n', { 'key.pem': 'line1\nline2\n\n' }));
    const key = path.join(dir, 'key.pem');
    const conn = `    type: net\n    host: h\n    username: "$\${env:NOT_A_REF}"\n    password: \${file:${key}}\n`;
    await fs.writeFile(path.join(dir, 'dataflowd.yaml'), `${DATASETS}connections:\n  sftp:\n${conn}`);
    const r = await loadConfig(dir, { connectors: testConnectors, env: {} });
    expect(r.problems).toEqual([]);
    expect(ok(r.config).daemon.connections.sftp).toMatchObject({ username: '${env:NOT_A_REF}', password: 'line1\nline2\n' });
  });

  it('resolves references in dataflow files too, from their own folder', async () => {
    const r = await load(
      tree('    type: net\n    host: h\n    username: u\n', {
        'dataflows/orders.yaml': `${FLOW}notifications:\n  - url: \${env:HOOK_URL}\n    secret: \${file:hook.key}\n`,
        'dataflows/hook.key': 'hook-signing-key',
      }),
      { HOOK_URL: 'https://hooks.example.com/x' },
    );
    expect(r.shown).toEqual([]);
    expect(ok(r.config).dataflows[0].notifications[0]).toMatchObject({ url: 'https://hooks.example.com/x', secret: 'hook-signing-key' });
  });

  it('reports unset and empty variables and missing or empty files, never an empty string', async () => {
    const r = await load(
      tree(
        '    type: net\n    host: ${env:UNSET_HOST}\n    username: ${env:EMPTY_USER}\n    password: ${file:missing.txt}\n',
        { 'dataflows/orders.yaml': `${FLOW}description: \${file:../empty.txt} and \${vault:x} and \${env:bad-name}\n`, 'empty.txt': '\n' },
      ),
      { EMPTY_USER: '' },
    );
    expect(r.config).toBeUndefined();
    expect(r.shown).toEqual([
      'dataflowd.yaml:6:11: connections.sftp.host: environment variable UNSET_HOST is not set',
      'dataflowd.yaml:7:15: connections.sftp.username: environment variable EMPTY_USER is empty',
      `dataflowd.yaml:8:15: connections.sftp.password: file ${path.join(r.dir, 'missing.txt')} not found`,
      `dataflows/orders.yaml:4:14: description: file ${path.join(r.dir, 'empty.txt')} is empty`,
      'dataflows/orders.yaml:4:14: description: unknown reference ${vault:…}: use ${env:NAME} or ${file:PATH}',
      'dataflows/orders.yaml:4:14: description: invalid environment variable name "bad-name"',
    ]);
  });

  it('reports an unterminated reference', async () => {
    const r = await load(tree('    type: net\n    host: "${env:HOST"\n    username: u\n'), { HOST: 'h' });
    expect(r.shown).toEqual(['dataflowd.yaml:6:11: connections.sftp.host: unterminated reference: missing "}"']);
  });

  it('does not repeat a failed reference as a type problem', async () => {
    const r = await load(tree('    type: net\n    host: h\n    username: u\n    port: ${env:NO_PORT}\n'), {});
    expect(r.shown).toEqual(['dataflowd.yaml:8:11: connections.sftp.port: environment variable NO_PORT is not set']);
  });

  it('reports a whole-value reference that cannot be the type the schema wants', async () => {
    const r = await load(tree('    type: net\n    host: h\n    username: u\n    port: ${env:PORT}\n'), { PORT: 'twenty-two' });
    expect(r.shown).toEqual(['dataflowd.yaml:8:11: connections.sftp.port: expected a number, got string']);
  });
});

describe('secret values', () => {
  const SECRETS = {
    SFTP_PASSWORD: 'env-password-123',
    AEP_SECRET: 'aep-client-secret-456',
    API_TOKEN: 'api-token-789',
    SHORT: 'ab',
  };

  it('lists every referenced value and every secret field, longest first, leaving out very short ones', async () => {
    const r = await load(
      {
        'dataflowd.yaml':
          'platform:\n  mode: aep\n  clientId: ${env:SHORT}\n  clientSecret: ${env:AEP_SECRET}\n  orgId: org@AdobeOrg\n' +
          'http: { listen: "0.0.0.0:80", token: "${env:API_TOKEN}" }\n' +
          'connections:\n  sftp: { type: net, host: h, username: u, password: literal-password }\n',
        'dataflows/orders.yaml': `${FLOW}notifications: [{ url: "https://h.example.com", secret: literal-hook-secret }]\n`,
        'sftp.pw': SECRETS.SFTP_PASSWORD,
      },
      SECRETS,
    );
    expect(r.shown).toEqual([]);
    expect(secretValues(ok(r.config))).toEqual([
      'aep-client-secret-456',
      // A webhook URL counts as a secret (a Slack hook's is one).
      'https://h.example.com',
      'literal-hook-secret',
      'literal-password',
      'api-token-789',
    ]);
  });

  it('never appear in problem messages', async () => {
    const r = await load(
      {
        'dataflowd.yaml':
          'platform:\n  mode: aep\n  clientId: x\n  clientSecret: ${env:AEP_SECRET}\n  orgId: o\n  sandbox: ["${env:AEP_SECRET}"]\n' +
          'connections:\n  sftp: { type: net, host: h, username: u, password: "${file:sftp.pw}", extra: "${env:SFTP_PASSWORD}" }\n',
        'dataflows/orders.yaml': 'name: orders\nsource: { connection: sftp, minFileAge: "${env:API_TOKEN}" }\ntarget: { dataset: x }\n',
        'sftp.pw': SECRETS.SFTP_PASSWORD,
      },
      SECRETS,
    );
    expect(r.shown).toEqual([
      'dataflowd.yaml:6:12: platform.sandbox: expected a string, got a list',
      'dataflowd.yaml:8:73: connections.sftp.extra: unknown key',
      'dataflows/orders.yaml:2:41: source.minFileAge: invalid duration "[redacted]": expected a number and a unit (ms, s, m, h, d), e.g. 30s, 15m, 2h, 1d',
    ]);
    const all = r.problems.map(formatProblem).join('\n');
    for (const s of [SECRETS.SFTP_PASSWORD, SECRETS.AEP_SECRET, SECRETS.API_TOKEN]) expect(all).not.toContain(s);
  });

  it('are read from a file only once it exists; a directory is reported', async () => {
    const dir = await writeTree(tree('    type: net\n    host: h\n    username: u\n    password: ${file:secrets}\n'));
    await fs.mkdir(path.join(dir, 'secrets'));
    const r = await loadConfig(dir, { connectors: testConnectors, env: {} });
    expect(r.problems.map((p) => p.message)).toEqual([`${path.join(dir, 'secrets')} is a folder, not a file`]);
  });
});
