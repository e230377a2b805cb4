import { once } from 'node:events';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { jsonl, people, sorted, Workspace } from './workspace';

describe('dataflowd validate, ingest, emulator and schema', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await Workspace.create();
  });
  afterAll(() => ws.close());

  it('validate exits 0 on a valid config', async () => {
    await ws.writeDataflow('ok', 'source: { connection: inbox }\ntarget: { dataset: people }\n');
    const out = await ws.cli(['validate']);
    expect(out.stdout).toMatch(/^valid: 2 files, 1 dataflows/m);
    expect(out.code).toBe(0);
  });

  it('validate --help says that rejected rows\' values stay behind, kept only with errorDiagnostics', async () => {
    const out = await ws.cli(['validate', '--help']);
    expect(out.code).toBe(0);
    expect(out.stdout.replace(/\s+/g, ' ')).toContain('never the value; nor do logs, run --json, --dry-run or the run\'s error show it. The value is kept only in the local row-error store, and only with ingestion.errorDiagnostics: true');
  });

  it('validate reports every problem at once as FILE:LINE:COL: path: message and exits 2', async () => {
    await ws.writeDataflow(
      'bad',
      ['source:', '  connection: nowhere', '  recursive: maybe', '  colour: blue', 'target:', '  dataset: people', 'schedule:', '  cron: "61 * * * *"'].join('\n'),
    );
    await writeFile(path.join(ws.configDir, 'dataflows', 'dup.yaml'), 'name: ok\nsource:\n  connection: inbox\n  path: ${env:DATAFLOWD_E2E_UNSET}\ntarget: { dataset: people }\n');
    const out = await ws.cli(['validate']);
    expect(out.code).toBe(2);
    const bad = path.join(ws.configDir, 'dataflows', 'bad.yaml');
    const dup = path.join(ws.configDir, 'dataflows', 'dup.yaml');
    const lines = out.stdout.trim().split('\n');
    for (const line of lines) expect(line).toMatch(/^.+:\d+:\d+: /);
    const text = out.stdout;
    expect(text).toContain(`${bad}:3:15: source.connection: connection "nowhere" is not defined in dataflowd.yaml (known: inbox)`);
    expect(text).toMatch(new RegExp(`${bad}:4:14: source\\.recursive: .*boolean`));
    expect(text).toMatch(new RegExp(`${bad}:5:3: source\\.colour: .*unknown`, 'i'));
    expect(text).toMatch(new RegExp(`${bad}:9:9: schedule\\.cron: invalid cron`));
    expect(text).toContain(`${path.join(ws.configDir, 'dataflows', 'ok.yaml')}:1:7: name: dataflow name "ok" is also used by ${dup}`);
    expect(text).toContain(`${dup}:4:9: source.path: environment variable DATAFLOWD_E2E_UNSET is not set`);
    expect(lines.length).toBeGreaterThanOrEqual(6);
    // Commands that need a valid config refuse to start, with the same report.
    const run = await ws.cli(['run', 'ok']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${bad}:3:15`);
  });

  it("validate refuses '..' in source.path, include and moveTo, each at its file, line and path", async () => {
    await ws.writeDataflow('escape', ['source:', '  connection: inbox', '  path: in/../..', '  include: ["../secrets/*"]', '  afterIngest: move', '  moveTo: ../done', 'target: { dataset: people }'].join('\n'));
    const out = await ws.cli(['validate']);
    expect(out.code).toBe(2);
    const escape = path.join(ws.configDir, 'dataflows', 'escape.yaml');
    expect(out.stdout).toContain(`${escape}:4:9: source.path: unsafe path "in/../..": has a '..' segment (folders stay inside the connection's root)`);
    expect(out.stdout).toContain(`${escape}:5:13: source.include[0]: invalid glob "../secrets/*": has a '..' segment: globs stay inside the dataflow's path`);
    expect(out.stdout).toContain(`${escape}:7:11: source.moveTo: unsafe path "../done": has a '..' segment (folders stay inside the connection's root)`);
    await rm(escape);
  });

  it('ingest uploads one file into a dataset as one batch', async () => {
    await ws.writeDataflow('bad', 'source: { connection: inbox }\ntarget: { dataset: people }\n');
    await writeFile(path.join(ws.configDir, 'dataflows', 'dup.yaml'), 'name: other\nsource: { connection: inbox }\ntarget: { dataset: people }\n');
    const records = people(900, 12);
    const file = path.join(ws.dir, 'one-off.json');
    await writeFile(file, jsonl(records));
    const out = await ws.cli(['ingest', file, '--dataset', 'People']);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/batch \w+: success; records 12 in, 12 out, 0 failed/);
    expect(sorted(await ws.landed())).toEqual(sorted(records));
    const missing = await ws.cli(['ingest', path.join(ws.dir, 'nope.json'), '--dataset', 'people']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read .*nope\.json/);
  });

  it('emulator serves the datasets of a config over the Platform API', async () => {
    const child = ws.spawn(['emulator', '--port', '0', '--data', path.join(ws.dir, 'standalone')]);
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout?.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /^(http:\/\/127\.0\.0\.1:\d+)$/m.exec(out);
          if (m) resolve(m[1]);
        });
        child.once('exit', (code) => reject(new Error(`emulator exited ${code}`)));
      });
      const token = await fetch(`${url}/ims/token/v3`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_id=c&client_secret=s&scope=openid',
      });
      const { access_token } = (await token.json()) as { access_token: string };
      const sets = await fetch(`${url}/data/foundation/catalog/dataSets`, {
        headers: { authorization: `Bearer ${access_token}`, 'x-api-key': 'c', 'x-gw-ims-org-id': 'O@AdobeOrg', 'x-sandbox-name': 'prod' },
      });
      expect(sets.status).toBe(200);
      expect(Object.keys((await sets.json()) as object)).toEqual(['people']);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  it('schema prints the JSON Schema of both file kinds', async () => {
    const out = await ws.cli(['schema']);
    expect(out.code).toBe(0);
    const schemas = JSON.parse(out.stdout) as { daemon: { properties: object }; dataflow: { properties: object } };
    expect(Object.keys(schemas.dataflow.properties)).toEqual(expect.arrayContaining(['name', 'source', 'target', 'schedule', 'mapping']));
    expect(Object.keys(schemas.daemon.properties)).toEqual(expect.arrayContaining(['platform', 'state', 'connections']));
  });
});
