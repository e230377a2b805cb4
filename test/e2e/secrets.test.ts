import { killAll, runCli } from './daemon-process';
import { STORES, Workspace } from './workspace';

/*
 * A secret that a library puts into an error message (here the folder a connection names through
 * ${env:}, in the listing's ENOENT) is blanked before the store keeps the run's error: `run
 * --json`, `history --json` and the API never show it (issue 21, item 9).
 */
const SECRET = 'folder-s3cr3t-5d1e9b';

describe.each(STORES)('secrets in stored errors (%s store)', (store) => {
  let ws: Workspace;

  beforeAll(async () => {
    ws = await Workspace.create({ store });
    Object.assign(ws.env, { E2E_HIDDEN_FOLDER: SECRET });
    await ws.writeDaemonConfig(`  hidden: { type: local, root: "/nonexistent/\${env:E2E_HIDDEN_FOLDER}" }`);
    await ws.writeDataflow('hidden', ['source:', '  connection: hidden', 'target:', '  dataset: people'].join('\n'));
  });
  afterAll(async () => {
    await killAll();
    await ws?.close();
  });

  test('a run that fails on a path holding a secret keeps its error without the secret', async () => {
    const run = await runCli(ws, ['run', 'hidden', '--json']);
    expect(run.code).toBe(1);
    const record = JSON.parse(run.stdout) as { error: string };
    expect(record.error).toContain('[redacted]');
    expect(run.stdout + run.stderr).not.toContain(SECRET);
    const history = await runCli(ws, ['history', 'hidden', '--json']);
    expect(history.stdout).toContain('[redacted]');
    expect(history.stdout).not.toContain(SECRET);
  });
});
