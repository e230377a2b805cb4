import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Emulator, startEmulator } from '../../src/emulator';
import { type CliResult, jsonl, MAIN, PEOPLE_SCHEMA, people, Workspace } from './workspace';

/** A port nothing listens on: Platform down. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('validate --check: Platform, folders and state, live', () => {
  let ws: Workspace;
  let daemonYaml: string;
  beforeAll(async () => {
    ws = await Workspace.create();
    await ws.writeDataflow('people', 'source: { connection: inbox, path: people }\ntarget: { dataset: people }\n');
    await ws.writeDataflow('by-name', 'source: { connection: inbox, path: people }\ntarget: { dataset: People }\n');
    await ws.put('people/a.json', jsonl(people(0, 3)));
    daemonYaml = await readFile(path.join(ws.configDir, 'dataflowd.yaml'), 'utf8');
  });
  afterEach(() => writeFile(path.join(ws.configDir, 'dataflowd.yaml'), daemonYaml));
  afterAll(() => ws.close());

  const setPlatform = (replace: (yaml: string) => string) => writeFile(path.join(ws.configDir, 'dataflowd.yaml'), replace(daemonYaml));
  const problemsOf = (out: CliResult) => out.stdout.split('\n').filter((l) => /^\/.+:\d+:\d+: /.test(l));

  it('confirms the token, the sandbox, each dataset by id or name, each folder and the state', async () => {
    const out = await ws.cli(['validate', '--check']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`platform: IMS token for client e2e-client from ${ws.emulator.url}: ok`);
    expect(out.stdout).toMatch(/platform: sandbox prod \(tenant _\w+\): ok/);
    expect(out.stdout).toContain('dataflow people: dataset people (People), its schema from the Schema Registry: ok');
    expect(out.stdout).toContain('dataflow by-name: dataset "People" (id people), its schema from the Schema Registry: ok');
    expect(out.stdout).toContain('dataflow people: folder "people" of connection inbox: readable');
    expect(out.stdout).toContain(`state: ${path.join(ws.dir, 'state.db')}: writable`);
    expect(out.stdout).toMatch(/^valid: 3 files, 2 dataflows/m);
  });

  it('fails, in seconds, naming IMS, when Platform is down', async () => {
    const port = await closedPort();
    await setPlatform((y) => y.replace(/(endpoint|imsEndpoint): http:\/\/127\.0\.0\.1:\d+/g, `$1: http://127.0.0.1:${port}`));
    const started = Date.now();
    const out = await ws.cli(['validate', '--check']);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(out.code).toBe(2);
    expect(problemsOf(out)).toEqual([
      expect.stringMatching(new RegExp(`dataflowd\\.yaml:\\d+:\\d+: platform\\.imsEndpoint: IMS at http://127\\.0\\.0\\.1:${port} cannot be reached: \\[transient \\S+\\] .*ECONNREFUSED`)),
    ]);
    expect(out.stdout).toContain('platform: sandbox and datasets not checked: no token');
    expect(out.stderr).toContain('1 problem found by the live checks');
  });

  describe('against a Platform that knows its credentials and sandboxes', () => {
    let strict: Emulator;
    beforeAll(async () => {
      strict = await startEmulator({
        dataDir: path.join(ws.dir, 'strict-platform'),
        datasets: [{ id: 'people', name: 'People', schema: PEOPLE_SCHEMA }],
        clients: { 'e2e-client': ws.env.AEP_CLIENT_SECRET },
        sandboxes: ['prod', 'dev'],
      });
    });
    afterAll(() => strict.close());
    const useStrict = (y: string) => y.replace(/http:\/\/127\.0\.0\.1:\d+/g, strict.url);

    it('names a refused credential', async () => {
      await setPlatform((y) => useStrict(y).replace('clientId: e2e-client', 'clientId: someone-else'));
      const out = await ws.cli(['validate', '--check']);
      expect(out.code).toBe(2);
      expect(problemsOf(out)).toEqual([expect.stringMatching(/platform\.clientId: IMS refused a token to client someone-else \(check clientId and clientSecret\): \[auth \S+\] .*invalid client_id/)]);
      expect(out.stdout).not.toContain(ws.env.AEP_CLIENT_SECRET);
    });

    it('names a sandbox the credential cannot use', async () => {
      await setPlatform((y) => useStrict(y).replace('sandbox: prod', 'sandbox: staging'));
      const out = await ws.cli(['validate', '--check']);
      expect(out.code).toBe(2);
      expect(problemsOf(out)).toEqual([expect.stringMatching(/platform\.sandbox: sandbox "staging" is not one this credential can use \(its product profile must grant the sandbox\): \[auth ERR_PLATFORM_FORBIDDEN\] .*staging/)]);
      await setPlatform((y) => useStrict(y).replace('sandbox: prod', 'sandbox: dev'));
      const dev = await ws.cli(['validate', '--check']);
      expect(dev.code).toBe(0);
      expect(dev.stdout).toMatch(/platform: sandbox dev \(tenant _\w+\): ok/);
    });
  });

  it('names a target dataset that is neither an id nor a name, at its key', async () => {
    await ws.writeDataflow('by-name', 'source: { connection: inbox, path: people }\ntarget: { dataset: Peeple }\n');
    try {
      const out = await ws.cli(['validate', '--check']);
      expect(out.code).toBe(2);
      expect(problemsOf(out)).toEqual([`${path.join(ws.configDir, 'dataflows', 'by-name.yaml')}:3:20: target.dataset: dataset "Peeple" not found in sandbox prod, neither as an id nor as a name`]);
    } finally {
      await ws.writeDataflow('by-name', 'source: { connection: inbox, path: people }\ntarget: { dataset: People }\n');
    }
  });

  it('names a source folder that does not exist, at its key', async () => {
    await ws.writeDataflow('by-name', 'source: { connection: inbox, path: peeple }\ntarget: { dataset: People }\n');
    try {
      const out = await ws.cli(['validate', '--check']);
      expect(out.code).toBe(2);
      expect(problemsOf(out)).toEqual([
        expect.stringMatching(new RegExp(`^${path.join(ws.configDir, 'dataflows', 'by-name.yaml')}:2:36: source\\.path: folder "peeple" of connection inbox does not exist: \\[not_found ERR_SOURCE_NOT_FOUND\\]`)),
      ]);
    } finally {
      await ws.writeDataflow('by-name', 'source: { connection: inbox, path: people }\ntarget: { dataset: People }\n');
    }
  });
});

/** Runs the CLI as `nobody`, for whom file permissions hold (the tests run as root). */
function asNobody(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, MAIN, ...args], { env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('validate --check as a user who may not write everywhere', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dataflowd-perm-'));
    await chmod(dir, 0o755);
    await mkdir(path.join(dir, 'config', 'dataflows'), { recursive: true });
    await mkdir(path.join(dir, 'inbox', 'secret'), { recursive: true });
    await chmod(path.join(dir, 'inbox', 'secret'), 0o700);
    await mkdir(path.join(dir, 'data'), { mode: 0o777 });
    await chmod(path.join(dir, 'data'), 0o777);
    await writeFile(path.join(dir, 'config', 'dataflowd.yaml'), `connections:\n  inbox: { type: local, root: ${JSON.stringify(path.join(dir, 'inbox'))} }\nplatform:\n  datasets: [{ id: people, schema: people.json }]\n`);
    await writeFile(path.join(dir, 'config', 'people.json'), JSON.stringify(PEOPLE_SCHEMA));
    await writeFile(path.join(dir, 'config', 'dataflows', 'people.yaml'), 'name: people\nsource: { connection: inbox }\ntarget: { dataset: people }\n');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('says where the state cannot be written, which the first run would have found out', async () => {
    const out = await asNobody(['validate', '--check', '--config', path.join(dir, 'config')], { DATAFLOWD_DATA: path.join(dir, 'config', 'data') });
    expect(out.code).toBe(2);
    expect(out.stdout).toMatch(new RegExp(`dataflowd\\.yaml:1:1: state\\.url: the state database ${path.join(dir, 'config', 'data', 'state.db')} cannot be written: ${path.join(dir, 'config')}, where it would be created, is not writable by this user`));
    const ok = await asNobody(['validate', '--check', '--config', path.join(dir, 'config')], { DATAFLOWD_DATA: path.join(dir, 'data') });
    expect(ok.stdout).toContain(`state: ${path.join(dir, 'data', 'state.db')}: writable`);
    expect(ok.code).toBe(0);
  });

  it('says a source folder cannot be read', async () => {
    await writeFile(path.join(dir, 'config', 'dataflows', 'people.yaml'), 'name: people\nsource: { connection: inbox, path: secret }\ntarget: { dataset: people }\n');
    const out = await asNobody(['validate', '--check', '--config', path.join(dir, 'config')], { DATAFLOWD_DATA: path.join(dir, 'data') });
    expect(out.code).toBe(2);
    expect(out.stdout).toMatch(/people\.yaml:2:36: source\.path: folder "secret" of connection inbox cannot be read: \[permission /);
  });
});
